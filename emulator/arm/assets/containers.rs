//! Asset containers (`models/{name}`, `codes/{name}`, `environments/{name}`): their stored
//! fields (description, tags, properties, `isArchived`) and the version summary
//! (`latestVersion`, `nextVersion`) computed from the versions that exist. A container whose
//! fields were never PUT has no row: its versions imply it (the SDK creates versions only).
//!
//! `isArchived` hides the container, and every version of it, from lists unless
//! `listViewType` asks for archived ones ("Archiving a model container will archive all
//! versions of the model under that name": `az ml model archive`).
//!
//! Owns: container reads and writes, `listViewType`. Must not depend on other services.
use std::collections::{HashMap, HashSet};

use axum::http::Method;
use axum::response::Response;
use serde_json::Value;

use super::super::body::{self, assets::AssetContainerBody};
use super::super::response::{asset_container, list, AssetContainerProperties, Resource};
use super::super::{errors, WsPath};
use crate::app::AppState;
use crate::domain::enums::ListViewType;
use crate::domain::{Asset, AssetContainer, Audit, ResourceId, ResourceKind};
use crate::error::{ArmError, ArmResult};
use crate::http::{ok, Request};
use crate::store::{resources, Row};

/// The stored kind of a collection's versions and of its containers.
pub(super) fn kinds_of(collection: &str) -> (ResourceKind, ResourceKind) {
    match collection {
        "models" => (ResourceKind::Model, ResourceKind::ModelContainer),
        "codes" => (ResourceKind::Code, ResourceKind::CodeContainer),
        "environments" => (
            ResourceKind::Environment,
            ResourceKind::EnvironmentContainer,
        ),
        // Data and component versions have no kind of their own (generic, SPEC §2.1); their
        // containers do, so a container row is never taken for a datastore.
        "data" => (ResourceKind::Datastore, ResourceKind::DataContainer),
        _ => (ResourceKind::Datastore, ResourceKind::ComponentContainer),
    }
}

/// `listViewType` of a list request (`ActiveOnly` when absent, as the CLI and SDK send it).
pub(super) fn view_of(req: &Request) -> ArmResult<ListViewType> {
    match req.q("listViewType") {
        None => Ok(ListViewType::ActiveOnly),
        Some(raw) => ListViewType::parse(raw).ok_or_else(|| {
            errors::property_not_allowed(
                "listViewType",
                &format!("'{raw}'"),
                &ListViewType::allowed_values(),
            )
        }),
    }
}

/// Whether an item archived or not belongs in a list of `view`.
pub(super) fn shown_in(view: ListViewType, archived: bool) -> bool {
    match view {
        ListViewType::ActiveOnly => !archived,
        ListViewType::ArchivedOnly => archived,
        ListViewType::All => true,
    }
}

/// Whether a stored version is archived itself (its container aside).
pub(super) fn version_archived(a: &Asset) -> bool {
    a.properties
        .get("isArchived")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// The stored fields of the container `id` (defaults when it has no row).
pub(super) async fn stored(state: &AppState, id: &ResourceId) -> ArmResult<AssetContainer> {
    Ok(match state.store.get(id).await? {
        Some(row) => row.doc()?,
        None => AssetContainer::default(),
    })
}

/// `GET W/{coll}`: every container, stored or implied by a version, in creation order.
pub(super) async fn list_containers(
    state: &AppState,
    req: &Request,
    w: &WsPath,
    coll: &str,
) -> ArmResult<Response> {
    let view = view_of(req)?;
    let (version_kind, container_kind) = kinds_of(coll);
    let prefix = format!("{}/{}/", w.id, w.seg(req, 0));
    let versions = state.store.by_kind_under(version_kind, &prefix).await?;
    let containers = state.store.by_kind_under(container_kind, &prefix).await?;
    // One pass over each: the versions by container, the stored containers by name.
    let mut by_container: HashMap<String, Vec<&str>> = HashMap::new();
    let mut names: Vec<String> = containers.iter().map(|r| r.name.clone()).collect();
    for r in &versions {
        let (Some(name), Some(v)) = (container_name_of(&r.id), r.id.rsplit('/').next()) else {
            continue;
        };
        by_container
            .entry(name.to_ascii_lowercase())
            .or_default()
            .push(v);
        names.push(name);
    }
    let stored: HashMap<String, &Row> = containers
        .iter()
        .map(|r| (r.name.to_ascii_lowercase(), r))
        .collect();
    let mut seen = HashSet::new();
    let mut value = Vec::new();
    for name in names {
        let key = name.to_ascii_lowercase();
        if !seen.insert(key.clone()) {
            continue;
        }
        let doc = match stored.get(&key) {
            Some(row) => row.doc()?,
            None => AssetContainer::default(),
        };
        if shown_in(view, doc.is_archived) {
            let of_it = by_container.get(&key).map_or(&[][..], Vec::as_slice);
            value.push(body_of(w, coll, &name, &doc, of_it));
        }
    }
    Ok(ok(&list(value)))
}

/// `GET|PUT|DELETE W/{coll}/{name}`.
pub(super) async fn container(
    state: &AppState,
    req: &Request,
    w: &WsPath,
    coll: &str,
) -> ArmResult<Response> {
    let (seg, asked) = (
        w.seg(req, 0),
        super::super::safe_name("asset", w.seg(req, 1))?,
    );
    let (version_kind, container_kind) = kinds_of(coll);
    let id = w.id.child(seg, asked);
    let versions = state
        .store
        .by_kind_under(version_kind, &format!("{id}/versions/"))
        .await?;
    let row = state.store.get(&id).await?;
    // Answers name the container as it was created (SPEC §3): its row, else its first version.
    let stored_name = row
        .as_ref()
        .map(|r| r.name.clone())
        .or_else(|| versions.first().and_then(|v| container_name_of(&v.id)));
    let name = stored_name.as_deref().unwrap_or(asked);
    let id = w.id.child(seg, name);
    let of_it: Vec<&str> = versions
        .iter()
        .filter_map(|r| r.id.rsplit('/').next())
        .collect();
    match req.method {
        Method::GET => {
            if row.is_none() && versions.is_empty() {
                return Err(ArmError::asset_not_found(seg, name));
            }
            let stored = row.map(|r| r.doc()).transpose()?.unwrap_or_default();
            Ok(ok(&body_of(w, seg, name, &stored, &of_it)))
        }
        Method::PUT => {
            let props = body::parse::<AssetContainerBody>(req)?
                .properties
                .unwrap_or_default();
            let now = chrono::Utc::now();
            let mut tx = state.store.begin().await?;
            let before = resources::get_in(&mut tx, &id).await?;
            let existed = before.is_some() || !versions.is_empty();
            let audit = match before.map(|r| r.doc::<AssetContainer>()).transpose()? {
                Some(AssetContainer {
                    audit: Some(mut a), ..
                }) => {
                    a.modified_at = now;
                    a
                }
                _ => Audit::at(now),
            };
            let doc = AssetContainer {
                description: props.description,
                tags: props.tags.unwrap_or_default(),
                properties: props.properties.unwrap_or_default(),
                is_archived: props.is_archived.unwrap_or(false),
                audit: Some(audit),
            };
            resources::put_in(&mut tx, &id, container_kind, Some(&w.id), &doc).await?;
            tx.commit().await?;
            let body = body_of(w, seg, name, &doc, &of_it).to_value();
            // A model container PUT answers 200, an environment container PUT 201 with
            // `Location`, whether or not it existed (recorded: `test_model`,
            // `test_environment`); a new container is a 201.
            if existed && coll != "environments" {
                Ok(ok(&body))
            } else {
                Ok(crate::lro::created_reply(&body, req))
            }
        }
        Method::DELETE => {
            // The container and its versions go together: none is left to imply it.
            let existed = row.is_some() || !versions.is_empty();
            let mut tx = state.store.begin().await?;
            resources::delete_in(&mut tx, &id).await?;
            for v in &versions {
                resources::delete_in(&mut tx, &v.resource_id()).await?;
            }
            tx.commit().await?;
            Ok(crate::http::deleted(existed))
        }
        _ => Err(ArmError::method_not_allowed(req.method.as_str(), &req.path)),
    }
}

/// A container as Azure answers it: `latestVersion` and `nextVersion` follow the versions that
/// exist (the SDK's `create_or_update` without a version reads `nextVersion`, issue 11).
fn body_of(
    w: &WsPath,
    coll: &str,
    name: &str,
    stored: &AssetContainer,
    versions: &[&str],
) -> Resource<AssetContainerProperties> {
    asset_container(&w.id, coll, name, stored, version_summary(versions))
}

/// The container name in a version id (`…/{coll}/{name}/versions/{v}`).
fn container_name_of(id: &str) -> Option<String> {
    let mut it = id.rsplit('/');
    let (_, versions, name) = (it.next()?, it.next()?, it.next()?);
    versions
        .eq_ignore_ascii_case("versions")
        .then(|| name.to_string())
}

/// `(latestVersion, nextVersion)` of versions in creation order: the highest integer version
/// (else the last created) and one more than the highest integer version (`"1"` when none is
/// an integer).
///
/// Integers of any length count, compared as numbers: `nextVersion` must never name a version
/// that exists (with a `u64` it stopped at 18446744073709551615, which a client registering
/// "the next version" then overwrote).
fn version_summary(versions: &[&str]) -> (Option<String>, String) {
    // (the number without leading zeros, the version as named)
    let max = versions
        .iter()
        .filter_map(|v| Some((integer_version(v)?, *v)))
        .max_by(|(a, _), (b, _)| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    let latest = max
        .map(|(_, named)| named.to_string())
        .or_else(|| versions.last().map(|v| v.to_string()));
    let next = max.map_or_else(|| "1".to_string(), |(n, _)| increment(n));
    (latest, next)
}

/// A version made of digits only, without its leading zeros (`"007"` is 7).
fn integer_version(v: &str) -> Option<&str> {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let trimmed = v.trim_start_matches('0');
    Some(if trimmed.is_empty() { "0" } else { trimmed })
}

/// One more than a decimal integer written in ASCII digits.
fn increment(n: &str) -> String {
    let mut digits = n.as_bytes().to_vec();
    for d in digits.iter_mut().rev() {
        if *d == b'9' {
            *d = b'0';
        } else {
            *d += 1;
            return String::from_utf8_lossy(&digits).into_owned();
        }
    }
    format!("1{}", String::from_utf8_lossy(&digits))
}

#[cfg(test)]
mod tests {
    use super::version_summary;

    #[test]
    fn next_version_follows_the_integer_versions() {
        assert_eq!(version_summary(&[]), (None, "1".to_string()));
        assert_eq!(
            version_summary(&["1", "3", "2"]),
            (Some("3".to_string()), "4".to_string())
        );
        assert_eq!(
            version_summary(&["v1", "beta"]),
            (Some("beta".to_string()), "1".to_string())
        );
    }

    /// Past `u64`, `nextVersion` still names a version that does not exist.
    #[test]
    fn next_version_never_names_an_existing_one() {
        let (latest, next) = version_summary(&["18446744073709551615", "2"]);
        assert_eq!(latest.as_deref(), Some("18446744073709551615"));
        assert_eq!(next, "18446744073709551616");
        let big = "9".repeat(30);
        let (latest, next) = version_summary(&["5", &big, "10"]);
        assert_eq!(latest.as_deref(), Some(big.as_str()));
        assert_eq!(next, format!("1{}", "0".repeat(30)));
        assert_eq!(version_summary(&["009", "10"]).1, "11");
        assert_eq!(version_summary(&["009", "3"]).0.as_deref(), Some("009"));
        assert_eq!(version_summary(&["0"]).1, "1");
    }
}

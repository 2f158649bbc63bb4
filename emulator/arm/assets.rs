//! The workspace assets the SDK touches while creating a deployment (SPEC §2.1, §3): models,
//! code, environments (containers and versions), data and components (generic), datastores
//! (in `datastores`; `listSecrets` and `startPendingUpload` in `secrets`).
//! Containers are implied by their versions.
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use super::body::{self, requests::AssetBody};
use super::response::{AssetContainerProperties, Resource};
use super::WsPath;
use crate::app::AppState;
use crate::domain::{Asset, Audit, ResourceId, ResourceKind, Workspace};
use crate::error::{ArmError, ArmResult};
use crate::http::{ok, Request};

mod datastores;
mod secrets;
mod validation;

fn kind_of(collection: &str) -> ResourceKind {
    match collection {
        "models" => ResourceKind::Model,
        "codes" => ResourceKind::Code,
        "environments" => ResourceKind::Environment,
        _ => ResourceKind::Datastore,
    }
}

/// Name of the storage account in a workspace's `storageAccount` id.
pub fn account_name(ws: &Workspace) -> String {
    ws.storage_account_name()
}

/// The default blob container of a workspace.
pub fn default_container(ws: &Workspace) -> String {
    format!("azureml-blobstore-{}", ws.workspace_guid)
}

/// Dispatch for `W/{models|codes|environments|data|components|datastores}/...`.
pub async fn route(
    state: &AppState,
    req: &Request,
    w: &WsPath,
    rest: &[&str],
    api: &str,
) -> ArmResult<Response> {
    let ws = super::workspaces::load(state, w).await?;
    let m = &req.method;
    match rest {
        ["datastores"] if m == Method::GET => datastores::list(state, req, w, &ws).await,
        ["datastores", _] => datastores::datastore(state, req, w, &ws).await,
        ["datastores", _, "listsecrets"] if m == Method::POST => {
            secrets::list_secrets(state, req, w, &ws, api).await
        }
        [coll, _] => container(state, req, w, coll).await,
        [coll] if m == Method::GET => {
            let rows = state
                .store
                .by_kind_under(kind_of(coll), &format!("{}/{}/", w.id, w.seg(req, 0)))
                .await?;
            let mut names: Vec<String> = rows
                .iter()
                .filter_map(|r| {
                    ResourceId::from_string(r.id.clone())
                        .segment_after(w.seg(req, 0))
                        .map(str::to_string)
                })
                .collect();
            names.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
            let value = names
                .iter()
                .map(|n| container_body(w, req.segs[8].as_str(), n, &versions_of(&rows, n)))
                .collect();
            Ok(ok(&super::response::list(value)))
        }
        [coll, _, "versions"] if m == Method::GET => list_versions(state, req, w, coll).await,
        [coll, _, "versions", _] => version(state, req, w, coll, api).await,
        ["codes", _, "versions", _, "startpendingupload"] if m == Method::POST => {
            secrets::start_pending_upload(state, req, &ws)
        }
        _ => Err(ArmError::no_route(m.as_str(), &req.path)),
    }
}

/// A container as Azure answers it: `latestVersion` and `nextVersion` follow the versions that
/// exist (the SDK's `create_or_update` without a version reads `nextVersion`, issue 11).
fn container_body(
    w: &WsPath,
    coll: &str,
    name: &str,
    versions: &[&str],
) -> Resource<AssetContainerProperties> {
    let (latest, next) = version_summary(versions);
    super::response::asset_container(&w.id, coll, name, latest, next)
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

/// The version names of the container `name` among version rows.
fn versions_of<'a>(rows: &'a [crate::store::Row], name: &str) -> Vec<&'a str> {
    rows.iter()
        .filter_map(|r| {
            let mut it = r.id.rsplit('/');
            let (v, _, c) = (it.next()?, it.next()?, it.next()?);
            c.eq_ignore_ascii_case(name).then_some(v)
        })
        .collect()
}

async fn container(state: &AppState, req: &Request, w: &WsPath, coll: &str) -> ArmResult<Response> {
    let (seg, name) = (w.seg(req, 0), super::safe_name("asset", w.seg(req, 1))?);
    let versions = state
        .store
        .by_kind_under(kind_of(coll), &format!("{}/{seg}/{name}/versions/", w.id))
        .await?;
    match req.method {
        Method::GET if versions.is_empty() => Err(ArmError::asset_not_found(seg, name)),
        Method::GET => Ok(ok(&container_body(
            w,
            seg,
            name,
            &versions_of(&versions, name),
        ))),
        Method::PUT => {
            // Containers are implied by their versions; the body is still validated.
            let _: AssetBody = body::parse(req)?;
            Ok(ok(&container_body(
                w,
                seg,
                name,
                &versions_of(&versions, name),
            )))
        }
        Method::DELETE => Ok(StatusCode::OK.into_response()),
        _ => Err(ArmError::method_not_allowed(req.method.as_str(), &req.path)),
    }
}

async fn list_versions(
    state: &AppState,
    req: &Request,
    w: &WsPath,
    coll: &str,
) -> ArmResult<Response> {
    let kind = kind_of(coll);
    let rows = if let Some(hash) = req.q("hash") {
        // The SDK looks code snapshots up by content hash to skip re-uploading.
        let all = state
            .store
            .by_kind_under(kind, &format!("{}/", w.id))
            .await?;
        all.into_iter()
            .filter(|r| {
                r.doc::<Asset>().ok().is_some_and(|a| {
                    a.properties
                        .pointer("/properties/hash_sha256")
                        .and_then(Value::as_str)
                        == Some(hash)
                })
            })
            .collect()
    } else {
        state
            .store
            .by_kind_under(
                kind,
                &format!("{}/{}/{}/versions/", w.id, w.seg(req, 0), w.seg(req, 1)),
            )
            .await?
    };
    let mut value = Vec::new();
    for r in rows.iter().rev() {
        value.push(super::response::asset(&r.resource_id(), kind, &r.doc()?));
    }
    if let Some(top) = req.q("$top").and_then(|t| t.parse::<usize>().ok()) {
        value.truncate(top);
    }
    Ok(ok(&super::response::list(value)))
}

/// The first api-version whose asset versions carry `stage` (and environments `autoRebuild`):
/// a model is created `Development`, an environment `Logged` and `Disabled` (recorded at
/// 2023-04-01-preview: `test_online_deployment_update_overwriting_field_using_set`; the
/// cassettes at 2022-05-01 have neither).
const STAGE_SINCE: &str = "2023-04-01";

fn with_defaults(coll: &str, props: &mut Map<String, Value>, api: &str) {
    let staged = api.get(..10).unwrap_or(api) >= STAGE_SINCE;
    for (k, v) in [
        ("isAnonymous", json!(false)),
        ("isArchived", json!(false)),
        ("tags", json!({})),
        ("properties", json!({})),
    ] {
        if props.get(k).is_none_or(Value::is_null) {
            props.insert(k.to_string(), v);
        }
    }
    if coll == "models" {
        if props.get("flavors").is_none_or(Value::is_null) {
            props.insert("flavors".into(), json!({}));
        }
        props.entry("modelType").or_insert(json!("custom_model"));
        if staged {
            props.entry("stage").or_insert(json!("Development"));
        }
    }
    if coll == "environments" {
        props.entry("osType").or_insert(json!("Linux"));
        props
            .entry("environmentType")
            .or_insert(json!("UserCreated"));
        if staged {
            props.entry("stage").or_insert(json!("Logged"));
            props.entry("autoRebuild").or_insert(json!("Disabled"));
        }
    }
    props.insert("provisioningState".into(), json!("Succeeded"));
}

/// A model made from a job's or run's artifacts is stored with their datastore URI and the job's
/// name (see [`crate::rules::JobArtifact`]).
fn resolve_job_artifacts(props: &mut Map<String, Value>, w: &WsPath) {
    let Some(job) = props
        .get("modelUri")
        .and_then(Value::as_str)
        .and_then(crate::rules::job_artifact)
    else {
        return;
    };
    props.insert(
        "modelUri".into(),
        json!(job.datastore_uri(&w.sub, &w.rg, &w.ws)),
    );
    props.insert("jobName".into(), json!(job.job));
}

async fn version(
    state: &AppState,
    req: &Request,
    w: &WsPath,
    coll: &str,
    api: &str,
) -> ArmResult<Response> {
    let kind = kind_of(coll);
    let (seg, name, ver) = (
        w.seg(req, 0),
        super::safe_name("asset", w.seg(req, 1))?,
        super::safe_name("version", w.seg(req, 3))?,
    );
    let id = w.id.child(seg, name).child("versions", ver);
    match req.method {
        Method::GET => {
            let row = state.store.get(&id).await?.ok_or_else(|| {
                ArmError::not_found(
                    &format!("Microsoft.MachineLearningServices/workspaces/{seg}/versions"),
                    &format!("{name}/{ver}"),
                )
            })?;
            Ok(ok(&super::response::asset(&id, kind, &row.doc()?)))
        }
        Method::PUT => {
            let mut props = body::parse::<AssetBody>(req)?
                .properties
                .unwrap_or_default();
            validation::check_version(coll, &mut props)?;
            with_defaults(coll, &mut props, api);
            if coll == "models" {
                resolve_job_artifacts(&mut props, w);
            }
            if coll == "codes" {
                // Azure keeps no code version anonymous, whatever the SDK sends (recorded: every
                // code version PUT, e.g. `test_online_deployment_get_logs`).
                props.insert("isAnonymous".into(), json!(false));
            }
            let existing = state.store.get(&id).await?;
            let audit = match &existing {
                Some(r) => {
                    let before = r.doc::<Asset>()?;
                    if coll == "environments" {
                        // An environment version stays as anonymous as it was created, whatever
                        // a later PUT sends (recorded: `CliV2AnonymousEnvironment` re-PUT with
                        // `isAnonymous: false` in `test_online_deployment_update_overwriting_field_using_set`).
                        if let Some(was) = before.properties.get("isAnonymous") {
                            props.insert("isAnonymous".into(), was.clone());
                        }
                    }
                    let mut a = before.audit;
                    a.modified_at = chrono::Utc::now();
                    a
                }
                None => Audit::at(chrono::Utc::now()),
            };
            let asset = Asset {
                properties: Value::Object(props),
                audit,
            };
            state.store.put(&id, kind, Some(&w.id), &asset).await?;
            let body = super::response::asset(&id, kind, &asset).to_value();
            // A create is 201 with `Location`, an update 200; an environment version PUT is
            // always a 201 (recorded: every asset version PUT of the cassettes).
            if existing.is_some() && coll != "environments" {
                Ok(ok(&body))
            } else {
                Ok(crate::lro::created_reply(&body, req))
            }
        }
        Method::DELETE => {
            state.store.delete(&id).await?;
            Ok(StatusCode::OK.into_response())
        }
        _ => Err(ArmError::method_not_allowed(req.method.as_str(), &req.path)),
    }
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

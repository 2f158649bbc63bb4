//! The workspace assets the SDK touches while creating a deployment (SPEC §2.1, §3): models,
//! code, environments (containers and versions), data and components (generic), datastores
//! (in `datastores`; `listSecrets` and `startPendingUpload` in `secrets`); containers in
//! `containers`.
use axum::http::Method;
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::body::{self, assets::AssetBody};
use super::WsPath;
use crate::app::AppState;
use crate::domain::{Asset, Audit, ResourceKind, Workspace};
use crate::error::{ArmError, ArmResult};
use crate::http::{ok, Request};

mod containers;
mod datastores;
mod secrets;
mod validation;

fn kind_of(collection: &str) -> ResourceKind {
    containers::kinds_of(collection).0
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
        [coll, _] => containers::container(state, req, w, coll).await,
        [coll] if m == Method::GET => containers::list_containers(state, req, w, coll).await,
        [coll, _, "versions"] if m == Method::GET => list_versions(state, req, w, coll).await,
        [coll, _, "versions", _] => version(state, req, w, coll, api).await,
        ["codes", _, "versions", _, "startpendingupload"] if m == Method::POST => {
            secrets::start_pending_upload(state, req, &ws)
        }
        _ => Err(ArmError::no_route(m.as_str(), &req.path)),
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
    // An archived container archives every version of it (`listViewType`).
    let view = containers::view_of(req)?;
    let container_archived = if req.q("hash").is_some() {
        false
    } else {
        let id = w.id.child(w.seg(req, 0), w.seg(req, 1));
        containers::stored(state, &id).await?.is_archived
    };
    let mut value = Vec::new();
    for r in rows.iter().rev() {
        let a: Asset = r.doc()?;
        if containers::shown_in(view, container_archived || containers::version_archived(&a)) {
            value.push(super::response::asset(&r.resource_id(), kind, &a));
        }
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
        Method::DELETE => Ok(crate::http::deleted(state.store.delete(&id).await?)),
        _ => Err(ArmError::method_not_allowed(req.method.as_str(), &req.path)),
    }
}

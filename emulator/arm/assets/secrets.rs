//! The storage credentials the control plane hands out (issue 9, issue 11): datastore
//! `listSecrets` and code `startPendingUpload`. Keys come from the data folder's secret
//! (`blob::keys`), so the Blob slice under `--auth strict` accepts exactly what is issued here.
use axum::response::Response;
use chrono::{Duration, Utc};
use serde_json::Value;

use super::super::body::{
    self,
    assets::{ListSecretsBody, PendingUploadBody},
};
use super::super::response::{pending_upload, DatastoreSecretsBody, ARTIFACT_CONTAINER};
use super::super::WsPath;
use super::{account_name, default_container};
use crate::app::AppState;
use crate::domain::storage_auth;
use crate::domain::{Asset, Workspace};
use crate::error::{ArmError, ArmResult};
use crate::http::{ok, Request};

/// Permissions of a datastore SAS: read, add, create, write, delete, list (the container's
/// contents, which is what a datastore is).
const DATASTORE_SAS_PERMISSIONS: &str = "racwdl";
/// Permissions of a pending-upload SAS (`startPendingUpload`): read, create, write, list.
const UPLOAD_SAS_PERMISSIONS: &str = "rcwl";
/// api-versions before this one get a SAS for an expirable secret (see [`list_secrets`]).
const SAS_BEFORE_API_VERSION: &str = "2024-10-01";
/// Longest `expireAfterHours` honoured.
const MAX_SAS_HOURS: i64 = 24;
/// A SAS starts a little in the past so a client clock slightly behind still accepts it.
const SAS_START_SLACK_MINUTES: i64 = 5;

/// The account and container a datastore points at: the default `workspaceblobstore` is the
/// workspace's account and default container, `workspaceartifactstore` its `azureml` container,
/// a registered blob datastore names its own. Any other name is 404, as its GET is (the
/// workspace key used to be handed out for a datastore that does not exist).
async fn datastore_target(
    state: &AppState,
    w: &WsPath,
    ws: &Workspace,
    name: &str,
) -> ArmResult<(String, String)> {
    let (mut account, mut container) = (account_name(ws), default_container(ws));
    if name.eq_ignore_ascii_case("workspaceblobstore") {
        return Ok((account, container));
    }
    if name.eq_ignore_ascii_case("workspaceartifactstore") {
        return Ok((account, ARTIFACT_CONTAINER.to_string()));
    }
    let row = state
        .store
        .get(&w.id.child("datastores", name))
        .await?
        .ok_or_else(|| {
            ArmError::not_found(
                "Microsoft.MachineLearningServices/workspaces/datastores",
                name,
            )
        })?;
    let asset: Asset = row.doc()?;
    let prop = |k: &str| asset.properties.get(k).and_then(Value::as_str);
    if let Some(a) = prop("accountName") {
        // `host:port/account` (amlite's path-style form) or a plain account name.
        let a = a.rsplit('/').next().unwrap_or(a);
        account = a.split('.').next().unwrap_or(a).to_ascii_lowercase();
    }
    if let Some(c) = prop("containerName") {
        container = c.to_string();
    }
    Ok((account, container))
}

/// `POST .../datastores/{name}/listSecrets`. With `{"expirableSecret": true}` under api-versions
/// before 2024-10-01 (azure-ai-ml 1.31 sends 2024-07-01-preview and reads only `sasToken`, issue
/// 11) the answer is a container SAS good for `expireAfterHours` (default 1, at most 24).
/// Otherwise it is the account key: azure-ai-ml 1.35 sends the same body with
/// 2024-10-01-preview, and its users read `credentials.account_key` of the default datastore.
pub async fn list_secrets(
    state: &AppState,
    req: &Request,
    w: &WsPath,
    ws: &Workspace,
    api: &str,
) -> ArmResult<Response> {
    let name = w.seg(req, 1);
    let body: ListSecretsBody = body::parse_or_empty(req)?;
    let (account, container) = datastore_target(state, w, ws, name).await?;
    if body.expirable_secret == Some(true) && api < SAS_BEFORE_API_VERSION {
        let hours = body.expire_after_hours.unwrap_or(1).clamp(1, MAX_SAS_HOURS);
        let sas = sas_for(
            state,
            &account,
            &container,
            DATASTORE_SAS_PERMISSIONS,
            hours,
        );
        return Ok(ok(&DatastoreSecretsBody::Sas { sas_token: sas }));
    }
    Ok(ok(&DatastoreSecretsBody::AccountKey {
        key: state.storage_keys.key_text(&account),
    }))
}

fn sas_for(state: &AppState, account: &str, container: &str, perms: &str, hours: i64) -> String {
    let now = Utc::now();
    storage_auth::container_sas(
        &state.storage_keys.key(account),
        account,
        container,
        perms,
        now - Duration::minutes(SAS_START_SLACK_MINUTES),
        now + Duration::hours(hours),
        storage_auth::API_VERSION,
    )
}

/// `POST .../codes/{name}/versions/{v}/startPendingUpload`: a fresh `code-{id}` container and a
/// SAS for it (one hour).
pub fn start_pending_upload(
    state: &AppState,
    req: &Request,
    ws: &Workspace,
) -> ArmResult<Response> {
    let body: PendingUploadBody = body::parse_or_empty(req)?;
    let upload_id = uuid::Uuid::new_v4().simple().to_string();
    let container = format!("code-{upload_id}");
    let account = account_name(ws);
    let blob_uri = format!("{}/{account}/{container}", req.listener.base_url);
    let sas = sas_for(state, &account, &container, UPLOAD_SAS_PERMISSIONS, 1);
    let upload_type = body
        .pending_upload_type
        .unwrap_or_else(|| "TemporaryBlobReference".to_string());
    Ok(ok(&pending_upload(
        blob_uri,
        ws.storage_account.clone(),
        &sas,
        upload_id,
        upload_type,
    )))
}

//! Datastores (SPEC §2.1): the ones Azure ML creates with every workspace (`workspaceblobstore`,
//! the default, and `workspaceartifactstore`), answered from the workspace's state and never
//! stored, and the user's own, stored as assets.
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use serde_json::Value;

use super::super::body::{self, assets::AssetBody};
use super::super::response::{DatastoreProperties, Resource};
use super::super::WsPath;
use super::{account_name, default_container};
use crate::app::AppState;
use crate::domain::{Asset, Audit, ResourceKind, Workspace};
use crate::error::{ArmError, ArmResult};
use crate::http::{ok, Request};

/// The default datastore, served on the listener the client uses: its `accountName` is
/// `127.0.0.1:PORT/<account>` so the SDK's hard-coded `https://{account}.blob.{suffix}` lands
/// on amlite's own port path-style (SPEC §2.1). Azure ML created it (`systemData` by an
/// `Application`) and reaches it with the workspace's identity (recorded: every
/// `workspaceblobstore` GET of the `test_online_*` cassettes).
fn default_datastore(req: &Request, w: &WsPath, ws: &Workspace) -> Resource<DatastoreProperties> {
    super::super::response::default_datastore(
        &w.id,
        client_account(req, ws),
        default_container(ws),
        &ws.audit,
    )
}

/// The workspace's storage account as the client must address it (see `default_datastore`).
fn client_account(req: &Request, ws: &Workspace) -> String {
    let hostport = req.listener.base_url.trim_start_matches("https://");
    format!("{hostport}/{}", account_name(ws))
}

/// The datastores Azure ML creates with every workspace that amlite answers: `workspaceblobstore`
/// (the default) and `workspaceartifactstore`.
fn system_datastore(
    req: &Request,
    w: &WsPath,
    ws: &Workspace,
    name: &str,
) -> Option<Resource<DatastoreProperties>> {
    if name.eq_ignore_ascii_case("workspaceblobstore") {
        Some(default_datastore(req, w, ws))
    } else if name.eq_ignore_ascii_case("workspaceartifactstore") {
        Some(super::super::response::artifact_datastore(
            &w.id,
            client_account(req, ws),
            &ws.audit,
        ))
    } else {
        None
    }
}

pub(super) async fn list(
    state: &AppState,
    req: &Request,
    w: &WsPath,
    ws: &Workspace,
) -> ArmResult<Response> {
    let mut value = vec![default_datastore(req, w, ws).to_value()];
    if req.q("isDefault") != Some("true") {
        if let Some(store) = system_datastore(req, w, ws, "workspaceartifactstore") {
            value.push(store.to_value());
        }
        for r in state
            .store
            .by_kind_under(ResourceKind::Datastore, &format!("{}/datastores/", w.id))
            .await?
        {
            value.push(
                super::super::response::asset(&r.resource_id(), ResourceKind::Datastore, &r.doc()?)
                    .to_value(),
            );
        }
    }
    Ok(ok(&super::super::response::list(value)))
}

pub(super) async fn datastore(
    state: &AppState,
    req: &Request,
    w: &WsPath,
    ws: &Workspace,
) -> ArmResult<Response> {
    let name = super::super::safe_name("datastore", w.seg(req, 1))?;
    if let Some(store) = system_datastore(req, w, ws, name) {
        return match req.method {
            Method::GET | Method::PUT => Ok(ok(&store)),
            _ => Err(super::super::errors::system_datastore_undeletable(
                &store.name,
            )),
        };
    }
    let id = w.id.child("datastores", name);
    match req.method {
        Method::GET => {
            let row = state.store.get(&id).await?.ok_or_else(|| {
                ArmError::not_found(
                    "Microsoft.MachineLearningServices/workspaces/datastores",
                    name,
                )
            })?;
            Ok(ok(&super::super::response::asset(
                &id,
                ResourceKind::Datastore,
                &row.doc()?,
            )))
        }
        Method::PUT => {
            let mut props = body::parse::<AssetBody>(req)?
                .properties
                .ok_or_else(super::super::errors::datastore_properties_required)?;
            super::validation::check_datastore(&mut props)?;
            let asset = Asset {
                properties: Value::Object(props),
                audit: Audit::at(chrono::Utc::now()),
            };
            state
                .store
                .put(&id, ResourceKind::Datastore, Some(&w.id), &asset)
                .await?;
            Ok(ok(&super::super::response::asset(
                &id,
                ResourceKind::Datastore,
                &asset,
            )))
        }
        Method::DELETE => {
            state.store.delete(&id).await?;
            Ok(StatusCode::OK.into_response())
        }
        _ => Err(ArmError::method_not_allowed(req.method.as_str(), &req.path)),
    }
}

//! Online deployments (SPEC §3): GET/PUT/PATCH/DELETE, list, `getLogs`, `skus`. Rules applied
//! at request time: ISO-1, ISO-7, ISO-13, CP-1, CP-4, CP-5, CP-6, CP-8. Provisioning-time rules
//! (ISO-9 readiness, ISO-14, ISO-16/17/18) run in `provision.rs`; body parsing, CP-5 and CP-8
//! are in `deployment_properties.rs`.
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::body::requests::{DeploymentBody, DeploymentProperties, LogsBody};
use super::deployment_properties::{
    apply_props, apply_sku_and_tags, check_capacity_and_quota, new_deployment,
};
use super::WsPath;
use crate::app::AppState;
use crate::domain::enums::ContainerType;
use crate::domain::{
    OnlineDeployment, OnlineEndpoint, ProvisioningState, PublicNetworkAccess, ResourceId,
    ResourceKind,
};
use crate::error::{ArmError, ArmResult};
use crate::http::{ok, Request};
use crate::lro::Action;
use crate::lro::{async_operation_reply, location_reply};
use crate::rules;

fn ids(w: &WsPath, req: &Request) -> (ResourceId, ResourceId) {
    let ep = w.id.child("onlineEndpoints", w.seg(req, 1));
    let d = ep.child("deployments", w.seg(req, 3));
    (ep, d)
}

/// Reads a deployment or fails with ARM's 404 `ResourceNotFound` (as Azure answers; not SPEC §3's `UserError`).
pub async fn load(state: &AppState, id: &ResourceId) -> ArmResult<OnlineDeployment> {
    let row = state
        .store
        .get(id)
        .await?
        .ok_or_else(|| ArmError::resource_not_found(id.as_str()))?;
    Ok(row.doc()?)
}

/// `GET W/onlineEndpoints/{e}/deployments`.
pub async fn list(state: &AppState, req: &Request, w: &WsPath) -> ArmResult<Response> {
    let (ep, _) = ids(w, req);
    super::endpoints::load(state, &ep).await?;
    let page = super::paging::Page::of(req, false)?;
    let (rows, more) = state
        .store
        .children_page(
            &ep,
            ResourceKind::OnlineDeployment,
            None,
            page.after,
            page.size,
        )
        .await?;
    let mut value = Vec::with_capacity(rows.len());
    for r in &rows {
        let d: OnlineDeployment = r.doc()?;
        value.push(super::response::deployment_for(
            &r.resource_id(),
            &d,
            req.q("api-version"),
            &req.listener.base_url,
        ));
    }
    let next = more.map(|last| super::paging::next_link(req, last));
    Ok(ok(&super::response::list_page(value, next)))
}

/// `GET|PUT|PATCH|DELETE W/onlineEndpoints/{e}/deployments/{d}`.
pub async fn route(state: &AppState, req: &Request, w: &WsPath) -> ArmResult<Response> {
    let (ep_id, id) = ids(w, req);
    match req.method {
        Method::GET => {
            // ARM names the deployment, also when its endpoint is missing (recorded:
            // `test_online_endpoint_k8s_deployment_cpu`, before the endpoint is created).
            // Echo the stored casing of the id, not the request's (SPEC §3).
            let row = state.store.get(&id).await?;
            let row = row.ok_or_else(|| ArmError::resource_not_found(id.as_str()))?;
            // Rendered from the row, the api-version and the listener only
            // (response/deployment.rs).
            let api_version = req.q("api-version");
            let variant = [req.listener.base_url.as_str(), api_version.unwrap_or("")];
            state.rendered.ok(&row, &variant, || {
                Ok(super::response::deployment_for(
                    &row.resource_id(),
                    &row.doc()?,
                    api_version,
                    &req.listener.base_url,
                ))
            })
        }
        Method::PUT => put(state, req, w, &ep_id, &id).await,
        Method::PATCH => patch(state, req, w, &ep_id, &id).await,
        Method::DELETE => delete(state, req, w, &ep_id, &id).await,
        _ => Err(ArmError::method_not_allowed(req.method.as_str(), &req.path)),
    }
}

/// The stored deployment `d` a PUT or PATCH updates: refused while an operation runs on it (409)
/// or when it changes the egress flag (ISO-13).
async fn existing_for_update(
    state: &AppState,
    id: &ResourceId,
    d: OnlineDeployment,
    requested_egress: Option<PublicNetworkAccess>,
) -> ArmResult<OnlineDeployment> {
    if d.provisioning_state.is_busy() && state.store.busy(id.as_str()).await? {
        return Err(ArmError::conflict(format!(
            "Deployment {} is in {} provisioning state; wait for the operation to finish.",
            id.name(),
            d.provisioning_state.as_str()
        )));
    }
    rules::legacy_egress::iso_13_egress_flag_immutable(
        d.egress_public_network_access,
        requested_egress,
    )?;
    Ok(d)
}

/// A new deployment for a PUT that creates one: CP-1 (name), CP-6 (endpoint state), CP-5
/// (20 per endpoint), then the egress flag as sent (default `Enabled`).
async fn new_for_create(
    state: &AppState,
    ep_id: &ResourceId,
    id: &ResourceId,
    ep: &OnlineEndpoint,
    requested_egress: Option<PublicNetworkAccess>,
) -> ArmResult<OnlineDeployment> {
    rules::names::cp_1_deployment_name(id.name())?;
    rules::endpoint::cp_6_endpoint_state_allows_deployment(ep_id.name(), ep.provisioning_state)?;
    let count = state
        .store
        .children(ep_id, ResourceKind::OnlineDeployment)
        .await?
        .len();
    rules::limits::cp_5_deployments_per_endpoint(count, true)?;
    let mut d = new_deployment(&ep.location);
    if let Some(e) = requested_egress {
        d.egress_public_network_access = e;
    }
    Ok(d)
}

async fn put(
    state: &AppState,
    req: &Request,
    w: &WsPath,
    ep_id: &ResourceId,
    id: &ResourceId,
) -> ArmResult<Response> {
    let ws = super::workspaces::load(state, w).await?;
    rules::workspace::iso_1_v1_legacy_mode(ws.v1_legacy_mode)?;
    let ep: OnlineEndpoint = super::endpoints::load(state, ep_id).await?;
    let body: DeploymentBody = super::body::parse(req)?;
    let none = DeploymentProperties::default();
    let props = body.properties.as_ref().unwrap_or(&none);
    let existing = state.store.get(id).await?;
    let creating = existing.is_none();
    let requested_egress = props.egress_public_network_access;
    rules::managed_network::iso_7_egress_flag_with_managed_network(
        ws.managed_network.isolation_mode,
        requested_egress,
    )?;
    let mut d = match existing {
        Some(row) => existing_for_update(state, id, row.doc()?, requested_egress).await?,
        None => new_for_create(state, ep_id, id, &ep, requested_egress).await?,
    };
    apply_props(&mut d, props)?;
    apply_sku_and_tags(&mut d, &body)?;
    check_capacity_and_quota(state, w, id, &d).await?;
    // Azure answers every PUT of an online deployment `Updating`, a create too (recorded:
    // `test_online_endpoint_mir_deployment_create`, `test_online_deployment_get_logs`).
    d.provisioning_state = ProvisioningState::Updating;
    d.failure = None;
    d.audit.modified_at = chrono::Utc::now();
    let op = save_provisioning(state, req, ep_id, id, &ws.workspace_guid, &mut d).await?;
    let mut answer =
        super::response::deployment_for(id, &d, req.q("api-version"), &req.listener.base_url);
    let timeout_sent = props
        .request_settings
        .as_ref()
        .is_some_and(|rs| rs.request_timeout.is_some());
    if creating && !timeout_sent {
        // The create's own answer shows the timeout it was not given as `PT0S`; reads show
        // the default (`PT5S`) it runs with (recorded: the same cassettes).
        answer.properties.request_settings.request_timeout = "PT0S".to_string();
    }
    Ok(async_operation_reply(&answer.to_value(), req, &w.sub, &op))
}

async fn save_with_op(
    state: &AppState,
    ep_id: &ResourceId,
    id: &ResourceId,
    d: &OnlineDeployment,
    action: Action,
) -> ArmResult<crate::store::OperationRow> {
    let target = (id, ResourceKind::OnlineDeployment, Some(ep_id));
    super::persist::save_with_op(state, target, d, action, &d.location).await
}

/// A create/update: the deployment names the operation (`AzureAsyncOperationUri`).
async fn save_provisioning(
    state: &AppState,
    req: &Request,
    ep_id: &ResourceId,
    id: &ResourceId,
    workspace_guid: &str,
    d: &mut OnlineDeployment,
) -> ArmResult<crate::store::OperationRow> {
    let target = (id, ResourceKind::OnlineDeployment, Some(ep_id));
    let action = Action::ProvisionDeployment;
    super::persist::save_with_tracked_op(state, req, target, workspace_guid, d, action).await
}

async fn patch(
    state: &AppState,
    req: &Request,
    w: &WsPath,
    ep_id: &ResourceId,
    id: &ResourceId,
) -> ArmResult<Response> {
    let ws = super::workspaces::load(state, w).await?;
    rules::workspace::iso_1_v1_legacy_mode(ws.v1_legacy_mode)?;
    let stored = load(state, id).await?;
    let body: DeploymentBody = super::body::parse(req)?;
    // As a PUT: 409 while an operation runs on it (a PATCH during its delete turned `Deleting`
    // back into `Updating`), and ISO-13.
    let requested_egress = body
        .properties
        .as_ref()
        .and_then(|p| p.egress_public_network_access);
    let mut d = existing_for_update(state, id, stored, requested_egress).await?;
    apply_sku_and_tags(&mut d, &body)?;
    check_capacity_and_quota(state, w, id, &d).await?;
    d.provisioning_state = ProvisioningState::Updating;
    d.audit.modified_at = chrono::Utc::now();
    let op = save_provisioning(state, req, ep_id, id, &ws.workspace_guid, &mut d).await?;
    Ok(location_reply(req, &w.sub, &op))
}

async fn delete(
    state: &AppState,
    req: &Request,
    w: &WsPath,
    ep_id: &ResourceId,
    id: &ResourceId,
) -> ArmResult<Response> {
    let ep = super::endpoints::load(state, ep_id).await?;
    let Some(row) = state.store.get(id).await? else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    rules::traffic::cp_4_delete_deployment(id.name(), ep.traffic.iter())?;
    let mut d: OnlineDeployment = row.doc()?;
    d.provisioning_state = ProvisioningState::Deleting;
    let op = save_with_op(state, ep_id, id, &d, Action::DeleteDeployment).await?;
    Ok(location_reply(req, &w.sub, &op))
}

/// `POST …/deployments/{d}/getLogs` `{tail?, containerType?}` → `{"content": "..."}`.
pub async fn get_logs(state: &AppState, req: &Request, w: &WsPath) -> ArmResult<Response> {
    let (ep_id, id) = ids(w, req);
    super::endpoints::load(state, &ep_id).await?;
    let d = load(state, &id).await?;
    let body: LogsBody = super::body::parse_or_empty(req)?;
    let tail = usize::try_from(body.tail.unwrap_or(5000)).unwrap_or(usize::MAX);
    let container = body
        .container_type
        .unwrap_or(ContainerType::InferenceServer);
    let mut lines = if container == ContainerType::StorageInitializer {
        vec![
            format!(
                "Downloading model {} ...",
                d.model.as_deref().unwrap_or("(none)")
            ),
            "Storage initializer finished.".to_string(),
        ]
    } else {
        let mut l = d.logs.clone();
        l.extend(state.runtimes.logs(id.as_str()));
        l
    };
    let skip = lines.len().saturating_sub(tail);
    lines.drain(..skip);
    Ok(ok(&super::response::DeploymentLogs {
        content: lines.join("\n"),
    }))
}

/// `GET …/deployments/{d}/skus`.
pub async fn skus(state: &AppState, req: &Request, w: &WsPath) -> ArmResult<Response> {
    let (ep_id, id) = ids(w, req);
    super::endpoints::load(state, &ep_id).await?;
    load(state, &id).await?;
    Ok(ok(&super::response::deployment_skus()))
}

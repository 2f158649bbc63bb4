//! Online endpoints (SPEC §3): GET/PUT/PATCH/DELETE, list, `listKeys`, `regenerateKeys`,
//! `token`. Rules applied: ISO-1, ISO-11 (warning), CP-1, CP-2, CP-3, CP-5 (endpoints per
//! region), CP-7. Body parsing, CP-2/CP-3 traffic checks: `endpoint_properties.rs`.
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::body::requests::{EndpointBody, EndpointProperties, KeyType, RegenerateKeysBody};
use super::endpoint_properties::{apply_common, apply_traffic};
use super::WsPath;
use crate::app::AppState;
use crate::domain::{
    Audit, EndpointKeys, OnlineEndpoint, ProvisioningState, PublicNetworkAccess, ResourceId,
    ResourceKind, Workspace,
};
use crate::error::{ArmError, ArmResult};
use crate::http::{ok, Request};
use crate::lro::Action;
use crate::lro::{async_operation_reply, location_reply};
use crate::rules;

/// The endpoint id of a request under `W/onlineEndpoints/{e}`.
pub fn endpoint_id(w: &WsPath, req: &Request) -> ResourceId {
    w.id.child("onlineEndpoints", w.seg(req, 1))
}

/// Reads an endpoint or fails with 404 `ResourceNotFound`.
pub async fn load(state: &AppState, id: &ResourceId) -> ArmResult<OnlineEndpoint> {
    let row = state
        .store
        .get(id)
        .await?
        .ok_or_else(|| ArmError::resource_not_found(id.as_str()))?;
    Ok(row.doc()?)
}

/// 32 random alphanumeric characters (the length of Azure's endpoint keys).
pub fn new_key() -> String {
    use rand::distributions::{Alphanumeric, DistString};
    Alphanumeric.sample_string(&mut rand::thread_rng(), 32)
}

/// `GET W/onlineEndpoints`.
pub async fn list(state: &AppState, req: &Request, w: &WsPath) -> ArmResult<Response> {
    super::workspaces::load(state, w).await?;
    let page = super::paging::Page::of(req, true)?;
    let (rows, more) = state
        .store
        .children_page(
            &w.id,
            ResourceKind::OnlineEndpoint,
            req.q("name"),
            page.after,
            page.size,
        )
        .await?;
    let mut value = Vec::with_capacity(rows.len());
    for r in &rows {
        value.push(super::response::endpoint(
            &r.resource_id(),
            &r.doc()?,
            &req.listener.base_url,
            &state.tenant_id,
        ));
    }
    let next = more.map(|last| super::paging::next_link(req, last));
    Ok(ok(&super::response::list_page(value, next)))
}

/// `GET|PUT|PATCH|DELETE W/onlineEndpoints/{e}`.
pub async fn route(state: &AppState, req: &Request, w: &WsPath) -> ArmResult<Response> {
    let id = endpoint_id(w, req);
    match req.method {
        Method::GET => {
            // Echo the stored casing of the id, not the request's (SPEC §3).
            let row = state.store.get(&id).await?;
            let row = row.ok_or_else(|| ArmError::resource_not_found(id.as_str()))?;
            // Rendered from the row, the listener and the tenant only (response/endpoint.rs).
            state.rendered.ok(&row, &[&req.listener.base_url], || {
                Ok(super::response::endpoint(
                    &row.resource_id(),
                    &row.doc()?,
                    &req.listener.base_url,
                    &state.tenant_id,
                ))
            })
        }
        Method::PUT => put(state, req, w, &id).await,
        Method::PATCH => patch(state, req, w, &id).await,
        Method::DELETE => delete(state, req, w, &id).await,
        _ => Err(ArmError::method_not_allowed(req.method.as_str(), &req.path)),
    }
}

/// The stored endpoint `ep` a PUT or PATCH updates; 409 while an operation runs on it.
async fn existing_for_update(
    state: &AppState,
    id: &ResourceId,
    ep: OnlineEndpoint,
) -> ArmResult<OnlineEndpoint> {
    if ep.provisioning_state.is_busy() && state.store.busy(id.as_str()).await? {
        return Err(busy_conflict(id, &ep));
    }
    Ok(ep)
}

/// 409 for a write to an endpoint an operation runs on (its delete, for a key rotation).
fn busy_conflict(id: &ResourceId, ep: &OnlineEndpoint) -> ArmError {
    ArmError::conflict(format!(
        "Endpoint {} is in {} provisioning state; wait for the operation to finish.",
        id.name(),
        ep.provisioning_state.as_str()
    ))
}

/// ISO-11: a public endpoint in a workspace without public access is allowed; log Azure's
/// recommendation.
fn warn_iso_11(ws: &Workspace, ep: &OnlineEndpoint, id: &ResourceId) {
    let ws_pna = ws.public_network_access;
    if let Some(warning) =
        rules::workspace::iso_11_public_access_warning(ws_pna, ep.public_network_access)
    {
        tracing::warn!(endpoint = %id, "{warning}");
    }
}

async fn put(state: &AppState, req: &Request, w: &WsPath, id: &ResourceId) -> ArmResult<Response> {
    let ws = super::workspaces::load(state, w).await?;
    rules::workspace::iso_1_v1_legacy_mode(ws.v1_legacy_mode)?;
    let body: EndpointBody = super::body::parse(req)?;
    let none = EndpointProperties::default();
    let props = body.properties.as_ref().unwrap_or(&none);
    let existing = state.store.get(id).await?;
    let creating = existing.is_none();
    // A later PUT does not change `authMode`: Azure keeps the endpoint's and answers with it
    // (recorded: `test_online_endpoint_update`, `test_online_endpoint_update_using_set_and_file`,
    // `test_online_endpoint_update_with_incomplete_file`: `Key` sent, `AMLToken` answered and
    // kept). The value is still checked, by the body's type.
    let mut ep = match existing {
        Some(row) => existing_for_update(state, id, row.doc()?).await?,
        None => new_endpoint(state, w, id, &ws, &body, props).await?,
    };
    let before = (!creating).then(|| ep.clone());
    apply_common(&mut ep, &body)?;
    apply_traffic(state, id, &mut ep, props).await?;
    warn_iso_11(&ws, &ep, id);
    ep.provisioning_state = ProvisioningState::provisioning(creating);
    ep.failure = None;
    ep.audit.modified_at = chrono::Utc::now();
    let op = save_provisioning(state, req, w, id, &ws.workspace_guid, &mut ep).await?;
    // An update's answer is the endpoint as it was (tags, traffic, mirrorTraffic), `Updating`
    // under the new operation; reads show the change (recorded: `test_online_endpoint_update`,
    // `test_online_endpoint_update_using_set_and_file`).
    let answer = match before {
        Some(mut prev) => {
            prev.provisioning_state = ep.provisioning_state;
            prev.operation = ep.operation.clone();
            prev.audit = ep.audit.clone();
            prev
        }
        None => ep,
    };
    Ok(async_operation_reply(
        &super::response::endpoint(id, &answer, &req.listener.base_url, &state.tenant_id)
            .to_value(),
        req,
        &w.sub,
        &op,
    ))
}

/// CP-1 (name pattern; unique per region across workspaces) and CP-5 (endpoints per
/// subscription and region, `--endpoint-quota`) for an endpoint about to be created. Returns
/// whether an endpoint of that name exists (in another region): its `scoringUri` then names
/// the region.
async fn check_name_and_capacity(
    state: &AppState,
    w: &WsPath,
    id: &ResourceId,
    location: &str,
) -> ArmResult<bool> {
    rules::names::cp_1_endpoint_name(id.name())?;
    let same_name = state
        .store
        .by_kind_and_name(ResourceKind::OnlineEndpoint, id.name())
        .await?;
    let docs: Vec<(String, String)> = same_name
        .iter()
        .filter_map(|r| {
            r.doc::<OnlineEndpoint>()
                .ok()
                .map(|e| (r.id.clone(), e.location))
        })
        .collect();
    rules::names::cp_1_endpoint_name_unique_in_region(
        id.name(),
        location,
        id.as_str(),
        docs.iter()
            .map(|(i, l)| (id.name(), l.as_str(), i.as_str())),
    )?;
    // One row of running totals, not a read of every endpoint (issue 14).
    let in_region = state
        .store
        .usage(ResourceKind::OnlineEndpoint, &w.sub, location)
        .await?
        .count;
    rules::limits::cp_5_endpoints_per_region(
        usize::try_from(in_region).unwrap_or(usize::MAX),
        state.config.endpoint_quota as usize,
        true,
    )?;
    Ok(!same_name.is_empty())
}

async fn new_endpoint(
    state: &AppState,
    w: &WsPath,
    id: &ResourceId,
    ws: &Workspace,
    body: &EndpointBody,
    props: &EndpointProperties,
) -> ArmResult<OnlineEndpoint> {
    let location = body
        .location
        .clone()
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| ws.location.clone());
    let name_taken_elsewhere = check_name_and_capacity(state, w, id, &location).await?;
    let auth_mode = props
        .auth_mode
        .ok_or_else(super::errors::endpoint_auth_mode_required)?;
    rules::endpoint::cp_7_auth_mode(auth_mode, true)?;
    let sent = props.keys.as_ref();
    let key = |k: Option<&String>| k.filter(|s| !s.is_empty()).cloned().unwrap_or_else(new_key);
    Ok(OnlineEndpoint {
        location,
        tags: Default::default(),
        auth_mode,
        description: None,
        properties: Default::default(),
        traffic: Default::default(),
        mirror_traffic: Default::default(),
        public_network_access: PublicNetworkAccess::Enabled,
        identity: None,
        kind: None,
        keys: EndpointKeys {
            primary: key(sent.and_then(|k| k.primary_key.as_ref())),
            secondary: key(sent.and_then(|k| k.secondary_key.as_ref())),
        },
        provisioning_state: ProvisioningState::Creating,
        failure: None,
        audit: Audit::at(chrono::Utc::now()),
        region_in_scoring_uri: name_taken_elsewhere,
        operation: None,
    })
}

async fn patch(
    state: &AppState,
    req: &Request,
    w: &WsPath,
    id: &ResourceId,
) -> ArmResult<Response> {
    let ws = super::workspaces::load(state, w).await?;
    rules::workspace::iso_1_v1_legacy_mode(ws.v1_legacy_mode)?;
    // As a PUT: 409 while an operation runs on it (a PATCH during its delete turned `Deleting`
    // back into `Updating` and left the delete's resource answering).
    let mut ep = existing_for_update(state, id, load(state, id).await?).await?;
    let body: EndpointBody = super::body::parse(req)?;
    apply_common(&mut ep, &body)?;
    let none = EndpointProperties::default();
    apply_traffic(
        state,
        id,
        &mut ep,
        body.properties.as_ref().unwrap_or(&none),
    )
    .await?;
    warn_iso_11(&ws, &ep, id);
    ep.provisioning_state = ProvisioningState::Updating;
    ep.audit.modified_at = chrono::Utc::now();
    let op = save_provisioning(state, req, w, id, &ws.workspace_guid, &mut ep).await?;
    Ok(location_reply(req, &w.sub, &op))
}

async fn save_with_op(
    state: &AppState,
    w: &WsPath,
    id: &ResourceId,
    ep: &OnlineEndpoint,
    action: Action,
) -> ArmResult<crate::store::OperationRow> {
    let target = (id, ResourceKind::OnlineEndpoint, Some(&w.id));
    super::persist::save_with_op(state, target, ep, action, &ep.location).await
}

/// A create/update: the endpoint names the operation (`AzureAsyncOperationUri`).
async fn save_provisioning(
    state: &AppState,
    req: &Request,
    w: &WsPath,
    id: &ResourceId,
    workspace_guid: &str,
    ep: &mut OnlineEndpoint,
) -> ArmResult<crate::store::OperationRow> {
    let target = (id, ResourceKind::OnlineEndpoint, Some(&w.id));
    let action = Action::ProvisionEndpoint;
    super::persist::save_with_tracked_op(state, req, target, workspace_guid, ep, action).await
}

async fn delete(
    state: &AppState,
    req: &Request,
    w: &WsPath,
    id: &ResourceId,
) -> ArmResult<Response> {
    let Some(row) = state.store.get(id).await? else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let mut ep: OnlineEndpoint = row.doc()?;
    ep.provisioning_state = ProvisioningState::Deleting;
    let op = save_with_op(state, w, id, &ep, Action::DeleteEndpoint).await?;
    Ok(location_reply(req, &w.sub, &op))
}

/// `POST W/onlineEndpoints/{e}/{listKeys|regenerateKeys|token}`.
pub async fn action(
    state: &AppState,
    req: &Request,
    w: &WsPath,
    action: &str,
) -> ArmResult<Response> {
    let id = endpoint_id(w, req);
    let mut ep = load(state, &id).await?;
    match action {
        "listkeys" => {
            rules::endpoint::cp_7_list_keys_allowed(ep.auth_mode)?;
            Ok(ok(&super::response::endpoint_keys(&ep.keys)))
        }
        "regeneratekeys" => {
            rules::endpoint::cp_7_list_keys_allowed(ep.auth_mode)?;
            if ep.provisioning_state == ProvisioningState::Deleting {
                return Err(busy_conflict(&id, &ep));
            }
            let body: RegenerateKeysBody = super::body::parse(req)?;
            let value = body.key_value.as_deref().filter(|v| !v.is_empty());
            let slot = match body.key_type {
                Some(KeyType::Primary) => &mut ep.keys.primary,
                Some(KeyType::Secondary) => &mut ep.keys.secondary,
                None => return Err(super::errors::key_type_required()),
            };
            // The SDK sends the key's *current* value as keyValue (SPEC §2.1): only a different
            // value is taken as the new key; otherwise a fresh one is generated.
            *slot = match value {
                Some(v) if v != slot.as_str() => v.to_string(),
                _ => new_key(),
            };
            ep.audit.modified_at = chrono::Utc::now();
            let op = save_with_op(state, w, &id, &ep, Action::Done).await?;
            Ok(location_reply(req, &w.sub, &op))
        }
        "token" => {
            rules::endpoint::cp_7_token_allowed(ep.auth_mode)?;
            let now = chrono::Utc::now().timestamp();
            let lifetime = i64::try_from(state.config.token_lifetime.as_secs()).unwrap_or(3600);
            let token = crate::domain::token::issue_aml_token(&id, &ep.keys, now + lifetime);
            Ok(ok(&super::response::endpoint_token(token, now, lifetime)))
        }
        _ => Err(ArmError::no_route(req.method.as_str(), &req.path)),
    }
}

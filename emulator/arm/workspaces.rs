//! Workspaces (SPEC §3): GET/PUT/PATCH/DELETE, lists, creation from fixtures and from the SDK's
//! template deployment. Their `properties` (ISO-3, ISO-9, the `managedNetwork` view of ISO-8)
//! are in `workspace_properties`; fixture-only resource declarations in `workspace_resources`.
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::body::as_sent;
use super::body::requests::{IdentityBody, SkuBody};
use super::body::workspace::WorkspaceBody;
use super::response::{Resource, WorkspaceProperties};
use super::WsPath;
use crate::app::AppState;
use crate::domain::{ResourceId, ResourceKind, Workspace};
use crate::error::{ArmError, ArmResult};
use crate::http::{ok, Request};
use crate::lro::location_reply;
use crate::lro::Action;

pub use super::workspace_properties::{
    apply_properties, new_workspace, own_default_storage, Write,
};

/// Reads a workspace or fails with 404 `ResourceNotFound`.
pub async fn load(state: &AppState, w: &WsPath) -> ArmResult<Workspace> {
    let row = state
        .store
        .get(&w.id)
        .await?
        .ok_or_else(|| ArmError::resource_not_found(w.id.as_str()))?;
    Ok(row.doc()?)
}

/// The body of a PUT/PATCH and its raw `properties` (applied by `apply_properties`).
fn parse_top(req: &Request) -> ArmResult<(WorkspaceBody, Map<String, Value>)> {
    let mut body: WorkspaceBody = super::body::parse(req)?;
    let props = body.properties.take().unwrap_or_default();
    Ok((body, props))
}

fn apply_top(ws: &mut Workspace, body: WorkspaceBody) -> ArmResult<()> {
    if let Some(tags) = body.tags {
        ws.tags = tags;
    }
    if let Some(identity) = body.identity {
        ws.identity = Some(as_sent::<IdentityBody>(identity, "identity")?);
    }
    if let Some(sku) = body.sku {
        ws.sku = Some(as_sent::<SkuBody>(sku, "sku")?);
    }
    if let Some(kind) = body.kind {
        ws.kind = kind;
    }
    Ok(())
}

/// `GET|PUT|PATCH|DELETE W`.
pub async fn route(state: &AppState, req: &Request, w: &WsPath) -> ArmResult<Response> {
    match req.method {
        Method::GET => Ok(ok(&render(state, req, &w.id, &load(state, w).await?).await?)),
        Method::PUT => put(state, req, w).await,
        Method::PATCH => patch(state, req, w).await,
        Method::DELETE => delete(state, req, w).await,
        _ => Err(ArmError::method_not_allowed(req.method.as_str(), &req.path)),
    }
}

async fn put(state: &AppState, req: &Request, w: &WsPath) -> ArmResult<Response> {
    super::safe_name("workspace", &w.ws)?;
    super::plumbing::require_resource_group(state, &w.sub, &w.rg).await?;
    let (body, props) = parse_top(req)?;
    let ws = match state.store.get(&w.id).await? {
        Some(row) => {
            let mut ws: Workspace = row.doc()?;
            apply_properties(
                &mut ws,
                &w.sub,
                &props,
                Write::Put,
                state.config.auto_provision_network,
            )?;
            ws.audit.modified_at = chrono::Utc::now();
            ws
        }
        None => {
            let location = body
                .location
                .as_deref()
                .filter(|l| !l.is_empty())
                .ok_or_else(super::errors::location_required)?;
            let mut ws = new_workspace(
                &w.sub,
                &w.rg,
                &w.ws,
                location,
                &props,
                state.config.auto_provision_network,
            )?;
            let taken = storage_in_use(state).await?;
            own_default_storage(&mut ws, &w.sub, &w.rg, &w.ws, &taken);
            ws
        }
    };
    let mut ws = ws;
    apply_top(&mut ws, body)?;
    let reply = save_with_op(state, req, w, &ws, Action::Done).await?;
    super::platform::associated::ensure(state, &w.id, &ws).await?;
    Ok(reply)
}

/// The storage account names the stored workspaces use (lower case).
async fn storage_in_use(state: &AppState) -> ArmResult<Vec<String>> {
    let rows = state
        .store
        .by_kind_under(ResourceKind::Workspace, "/subscriptions/")
        .await?;
    let mut names = Vec::with_capacity(rows.len());
    for r in rows {
        names.push(r.doc::<Workspace>()?.storage_account_name());
    }
    Ok(names)
}

async fn patch(state: &AppState, req: &Request, w: &WsPath) -> ArmResult<Response> {
    let mut ws = load(state, w).await?;
    let (body, props) = parse_top(req)?;
    apply_properties(
        &mut ws,
        &w.sub,
        &props,
        Write::Patch,
        state.config.auto_provision_network,
    )?;
    apply_top(&mut ws, body)?;
    ws.audit.modified_at = chrono::Utc::now();
    let reply = save_with_op(state, req, w, &ws, Action::Done).await?;
    if update_is_synchronous(req.q("api-version").unwrap_or_default()) {
        return Ok(ok(&render(state, req, &w.id, &ws).await?));
    }
    Ok(reply)
}

/// `Workspaces_Update` is a long-running operation (200 or 202) from 2022-01-01-preview on; the
/// api-versions before (2020-08-01 … 2021-07-01, what azure-mgmt-machinelearningservices 1.0.1
/// sends) allow only 200 with the workspace. api-versions compare as ISO dates.
fn update_is_synchronous(api_version: &str) -> bool {
    !api_version.is_empty() && api_version < "2022-01-01"
}

/// Stores a changed workspace with a `Location`-style operation (202).
pub(super) async fn save_with_op(
    state: &AppState,
    req: &Request,
    w: &WsPath,
    ws: &Workspace,
    action: Action,
) -> ArmResult<Response> {
    let rg = ResourceId::resource_group(&w.sub, &w.rg);
    let target = (&w.id, ResourceKind::Workspace, Some(&rg));
    let op = super::persist::save_with_op(state, target, ws, action, &ws.location).await?;
    Ok(location_reply(req, &w.sub, &op))
}

async fn delete(state: &AppState, req: &Request, w: &WsPath) -> ArmResult<Response> {
    let ws = match state.store.get(&w.id).await? {
        Some(row) => row.doc::<Workspace>()?,
        None => {
            return Ok(axum::response::IntoResponse::into_response(
                StatusCode::NO_CONTENT,
            ))
        }
    };
    let op = super::persist::start_op(state, &w.id, Action::DeleteWorkspace, &ws.location).await?;
    Ok(location_reply(req, &w.sub, &op))
}

/// `GET {RG}/workspaces`.
pub async fn list_by_resource_group(state: &AppState, req: &Request) -> ArmResult<Response> {
    super::plumbing::require_resource_group(state, &req.segs[1], &req.segs[3]).await?;
    let rg = ResourceId::resource_group(&req.segs[1], &req.segs[3]);
    render_list(
        state,
        req,
        state.store.children(&rg, ResourceKind::Workspace).await?,
    )
    .await
}

/// `GET /subscriptions/{s}/providers/Microsoft.MachineLearningServices/workspaces`.
pub async fn list_by_subscription(state: &AppState, req: &Request) -> ArmResult<Response> {
    let prefix = format!("/subscriptions/{}/", req.segs[1]);
    render_list(
        state,
        req,
        state
            .store
            .by_kind_under(ResourceKind::Workspace, &prefix)
            .await?,
    )
    .await
}

/// A workspace as a GET or list shows it, with what Azure fills in for the api-version asked
/// (`response::azure_filled`).
pub(super) async fn render(
    state: &AppState,
    req: &Request,
    id: &ResourceId,
    w: &Workspace,
) -> ArmResult<Resource<WorkspaceProperties>> {
    let mut body = super::response::workspace(id, w, &state.tenant_id, &state.internet_base);
    let links = state
        .store
        .children(id, ResourceKind::PrivateEndpointConnection)
        .await?;
    let v = req.q("api-version").unwrap_or_default();
    super::response::azure_filled(&mut body.properties, id, w, v, links.len());
    // Azure lists the connections in the workspace (and leaves the key out when none).
    if !links.is_empty() {
        let mut conns = Vec::with_capacity(links.len());
        for row in &links {
            let c = row.doc()?;
            conns.push(super::response::to_value(&super::response::workspace_pec(
                &row.resource_id(),
                &c,
                &w.location,
            )));
        }
        body.properties.set_private_endpoint_connections(conns);
    }
    Ok(body)
}

async fn render_list(
    state: &AppState,
    req: &Request,
    rows: Vec<crate::store::Row>,
) -> ArmResult<Response> {
    let mut value = Vec::with_capacity(rows.len());
    for r in rows {
        value.push(render(state, req, &r.resource_id(), &r.doc()?).await?);
    }
    Ok(ok(&super::response::list(value)))
}

/// Creates or updates the workspace of a template deployment (SPEC §2.1): ARM's Incremental
/// mode PUTs the template's workspace, so an existing one takes its properties as a workspace
/// PUT would (ISO-3's fixed storage account and key vault, ISO-9's mode transitions); `adjust`
/// sets what the template gives beyond `properties` (kind, identity) before it is stored.
pub async fn create_from_template(
    state: &AppState,
    sub: &str,
    rg: &str,
    name: &str,
    location: &str,
    props: Value,
    adjust: impl FnOnce(&mut Workspace),
) -> ArmResult<()> {
    super::safe_name("workspace", name)?;
    let id = ResourceId::workspace(sub, rg, name);
    let mut ws = match state.store.get(&id).await? {
        Some(row) => {
            let mut ws: Workspace = row.doc()?;
            let mut props = props.as_object().cloned().unwrap_or_default();
            let tags = props.remove("tagValues");
            apply_properties(
                &mut ws,
                sub,
                &props,
                Write::Put,
                state.config.auto_provision_network,
            )?;
            if let Some(t) = tags.and_then(|t| serde_json::from_value(t).ok()) {
                ws.tags = t;
            }
            ws.audit.modified_at = chrono::Utc::now();
            ws
        }
        None => match build_declared(state, sub, rg, name, location, props, &Value::Null).await? {
            Some(ws) => ws,
            None => return Ok(()),
        },
    };
    adjust(&mut ws);
    store_new(state, sub, rg, name, &ws).await
}

/// A new workspace with the amlite-only resource declarations of a fixture (`declarations`, see
/// `workspace_resources`; `Null` for none), or `None` when it exists already.
async fn build_declared(
    state: &AppState,
    sub: &str,
    rg: &str,
    name: &str,
    location: &str,
    props: Value,
    declarations: &Value,
) -> ArmResult<Option<Workspace>> {
    super::safe_name("workspace", name)?;
    let id = ResourceId::workspace(sub, rg, name);
    if state.store.get(&id).await?.is_some() {
        return Ok(None);
    }
    let mut props = props.as_object().cloned().unwrap_or_default();
    let tags = props.remove("tagValues");
    let mut ws = new_workspace(
        sub,
        rg,
        name,
        location,
        &props,
        state.config.auto_provision_network,
    )?;
    own_default_storage(&mut ws, sub, rg, name, &storage_in_use(state).await?);
    if let Some(t) = tags.and_then(|t| serde_json::from_value(t).ok()) {
        ws.tags = t;
    }
    super::workspace_resources::apply_declarations(
        &mut ws,
        ResourceId::resource_group(sub, rg).as_str(),
        name,
        declarations,
    )?;
    Ok(Some(ws))
}

/// Stores a workspace and its associated resources' rows.
async fn store_new(
    state: &AppState,
    sub: &str,
    rg: &str,
    name: &str,
    ws: &Workspace,
) -> ArmResult<()> {
    let id = ResourceId::workspace(sub, rg, name);
    state
        .store
        .put(
            &id,
            ResourceKind::Workspace,
            Some(&ResourceId::resource_group(sub, rg)),
            ws,
        )
        .await?;
    super::platform::associated::ensure(state, &id, ws).await
}

/// Creates a fixture workspace (`{name, location?, properties?, tags?, associatedResources?,
/// externalStorageAccounts?}`, see `workspace_resources`) unless it exists.
pub async fn ensure_from_fixture(
    state: &AppState,
    sub: &str,
    rg: &str,
    rg_location: &str,
    v: &Value,
) -> ArmResult<()> {
    let name = v
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| ArmError::invalid_body("a fixture workspace needs a name"))?;
    let location = v
        .get("location")
        .and_then(Value::as_str)
        .unwrap_or(rg_location);
    let mut props = v.get("properties").cloned().unwrap_or(json!({}));
    if let Some(tags) = v.get("tags") {
        props["tagValues"] = tags.clone();
    }
    match build_declared(state, sub, rg, name, location, props, v).await? {
        Some(ws) => store_new(state, sub, rg, name, &ws).await,
        None => Ok(()),
    }
}

/// Routes under `W/outboundRules`, `W/provisionManagedNetwork`, `W/privateEndpointConnections`.
pub async fn network_route(
    state: &AppState,
    req: &Request,
    w: &WsPath,
    rest: &[&str],
) -> ArmResult<Response> {
    super::managed_network::route(state, req, w, rest).await
}

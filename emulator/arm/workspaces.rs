//! Workspaces (SPEC §3): GET/PUT/PATCH/DELETE, lists, creation from fixtures and from the SDK's
//! template deployment, and the `properties.managedNetwork` view (ISO-8/ISO-9). Rules applied
//! here: ISO-3 (associated resources), ISO-9 (mode changes one way, rule types per mode).
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::convert;
use super::request::{location_reply, ok, ArmRequest};
use super::WsPath;
use crate::app::AppState;
use crate::domain::{Access, Audit, ManagedNetwork, ProvisioningState, ResourceId, ResourceKind, Workspace};
use crate::error::{ArmError, ArmResult};
use crate::lro::Action;
use crate::rules;

/// Reads a workspace or fails with 404 `ResourceNotFound`.
pub async fn load(state: &AppState, w: &WsPath) -> ArmResult<Workspace> {
    let row = state.store.get(&w.id).await?.ok_or_else(|| ArmError::not_found(ResourceKind::Workspace.arm_type(), &w.ws))?;
    Ok(row.doc()?)
}

fn default_ids(sub: &str, rg: &str, name: &str) -> (String, String, String) {
    let short: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).take(16).collect::<String>().to_lowercase();
    let p = format!("/subscriptions/{sub}/resourceGroups/{rg}/providers");
    (
        format!("{p}/Microsoft.Storage/storageAccounts/{short}store"),
        format!("{p}/Microsoft.KeyVault/vaults/{short}kv"),
        format!("{p}/Microsoft.insights/components/{short}ai"),
    )
}

/// A new workspace document with Azure's defaults, then `props` (wire `properties`) applied.
pub fn new_workspace(sub: &str, rg: &str, name: &str, location: &str, props: &Map<String, Value>, auto_provision: bool) -> ArmResult<Workspace> {
    let (storage, kv, ai) = default_ids(sub, rg, name);
    let now = chrono::Utc::now();
    let mut ws = Workspace {
        location: location.to_string(),
        tags: Default::default(),
        kind: "Default".into(),
        workspace_guid: uuid::Uuid::new_v4().to_string(),
        public_network_access: Access::Enabled,
        v1_legacy_mode: false,
        storage_account: storage,
        key_vault: kv,
        container_registry: None,
        application_insights: Some(ai),
        managed_network: ManagedNetwork { isolation_mode: "Disabled".into(), provisioned: false, user_rules: Default::default() },
        extra: Map::new(),
        identity: None,
        sku: None,
        provisioning_state: ProvisioningState::Succeeded,
        audit: Audit::at(now),
    };
    apply_properties(&mut ws, sub, props, true, auto_provision)?;
    Ok(ws)
}

const READ_ONLY: &[&str] = &[
    "workspaceId", "provisioningState", "tenantId", "discoveryUrl", "mlFlowTrackingUri", "privateEndpointConnections",
    "privateLinkCount", "notebookInfo", "serviceProvisionedResourceGroup", "storageHnsEnabled",
];

fn str_prop<'a>(props: &'a Map<String, Value>, key: &str) -> ArmResult<Option<&'a str>> {
    match props.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ArmError::bad_property(&format!("properties.{key}"), format!("The property 'properties.{key}' must be a string."))),
    }
}

/// Applies wire `properties` to a workspace (PUT and PATCH). ISO-3 and ISO-9 are checked here.
pub fn apply_properties(ws: &mut Workspace, sub: &str, props: &Map<String, Value>, creating: bool, auto_provision: bool) -> ArmResult<()> {
    if let Some(v) = str_prop(props, "publicNetworkAccess")? {
        ws.public_network_access = Access::parse(v).ok_or_else(|| {
            ArmError::bad_property("properties.publicNetworkAccess", format!("The value '{v}' of 'properties.publicNetworkAccess' is not valid. Allowed values: 'Enabled', 'Disabled'."))
        })?;
    }
    match props.get("v1LegacyMode") {
        None | Some(Value::Null) => {}
        Some(Value::Bool(b)) => ws.v1_legacy_mode = *b,
        Some(_) => return Err(ArmError::bad_property("properties.v1LegacyMode", "The property 'properties.v1LegacyMode' must be true or false.")),
    }
    for key in ["storageAccount", "keyVault", "containerRegistry", "applicationInsights"] {
        let Some(v) = str_prop(props, key)? else { continue };
        if !creating && matches!(key, "storageAccount" | "keyVault") && !v.eq_ignore_ascii_case(if key == "storageAccount" { &ws.storage_account } else { &ws.key_vault }) {
            return Err(ArmError::bad_property(&format!("properties.{key}"), format!("The property 'properties.{key}' cannot be changed after the workspace is created.")));
        }
        rules::workspace::iso_3_associated_resource(sub, &format!("properties.{key}"), v)?;
        match key {
            "storageAccount" => ws.storage_account = v.to_string(),
            "keyVault" => ws.key_vault = v.to_string(),
            "containerRegistry" => ws.container_registry = Some(v.to_string()),
            _ => ws.application_insights = Some(v.to_string()),
        }
    }
    if let Some(mn) = props.get("managedNetwork").filter(|v| !v.is_null()) {
        apply_managed_network(ws, mn, auto_provision)?;
    }
    for (k, v) in props {
        let handled = matches!(k.as_str(), "publicNetworkAccess" | "v1LegacyMode" | "storageAccount" | "keyVault" | "containerRegistry" | "applicationInsights" | "managedNetwork");
        if !handled && !READ_ONLY.contains(&k.as_str()) {
            ws.extra.insert(k.clone(), v.clone());
        }
    }
    Ok(())
}

fn apply_managed_network(ws: &mut Workspace, mn: &Value, auto_provision: bool) -> ArmResult<()> {
    let mn = mn.as_object().ok_or_else(|| ArmError::bad_property("properties.managedNetwork", "The property 'properties.managedNetwork' must be an object."))?;
    let current = convert::isolation(&ws.managed_network.isolation_mode);
    let mut mode = current;
    if let Some(raw) = mn.get("isolationMode").filter(|v| !v.is_null()) {
        let raw = raw.as_str().ok_or_else(|| ArmError::bad_property("properties.managedNetwork.isolationMode", "isolationMode must be a string."))?;
        mode = rules::types::parse_property::<rules::IsolationMode>("ISO-9", "properties.managedNetwork.isolationMode", raw)?;
        rules::managed_network::iso_9_isolation_mode_transition(current, mode)?;
    }
    let mut user_rules = ws.managed_network.user_rules.clone();
    if let Some(rules_v) = mn.get("outboundRules").filter(|v| !v.is_null()) {
        let map = rules_v.as_object().ok_or_else(|| ArmError::bad_property("properties.managedNetwork.outboundRules", "outboundRules must be a map of rule name to rule."))?;
        user_rules.clear();
        for (name, rule) in map {
            if rule.get("category").and_then(Value::as_str).is_some_and(|c| c.eq_ignore_ascii_case("Required")) {
                continue; // Required rules are the service's own (ISO-8); clients echo them back.
            }
            super::safe_name("outbound rule", name)?;
            user_rules.insert(name.clone(), super::managed_network::parse_rule(mode, rule, &format!("properties.managedNetwork.outboundRules.{name}"))?);
        }
    }
    if mode != current {
        ws.managed_network.provisioned = auto_provision && mode.is_managed();
    }
    ws.managed_network.isolation_mode = mode.as_str().to_string();
    ws.managed_network.user_rules = user_rules;
    Ok(())
}

/// `properties.managedNetwork` on the wire: isolation mode, the Required rules of ISO-8 plus user
/// rules, and `status` (`Active` once provisioned).
pub fn managed_network_wire(w: &Workspace) -> Value {
    let mode = convert::isolation(&w.managed_network.isolation_mode);
    let mut rules_map = Map::new();
    for (name, rule) in super::managed_network::all_rules(w) {
        rules_map.insert(name, rule);
    }
    let changeable: Vec<&str> = rules::IsolationMode::ALL.iter().filter(|m| m.rank() >= mode.rank()).map(|m| m.as_str()).collect();
    json!({
        "isolationMode": mode.as_str(),
        "networkId": format!("{}-managed-network", w.workspace_guid),
        "outboundRules": rules_map,
        "status": { "status": if w.managed_network.provisioned { "Active" } else { "Inactive" }, "sparkReady": false },
        "changeableIsolationModes": changeable,
        "firewallSku": "Standard",
    })
}

fn parse_top(req: &ArmRequest) -> ArmResult<(Map<String, Value>, Map<String, Value>)> {
    let body = req.json_object()?;
    let props = match body.get("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(p)) => p.clone(),
        Some(_) => return Err(ArmError::bad_property("properties", "The property 'properties' must be an object.")),
    };
    Ok((body, props))
}

fn apply_top(ws: &mut Workspace, body: &Map<String, Value>) -> ArmResult<()> {
    if let Some(tags) = body.get("tags").filter(|v| !v.is_null()) {
        ws.tags = serde_json::from_value(tags.clone()).map_err(|_| ArmError::bad_property("tags", "tags must be a map of strings."))?;
    }
    if let Some(identity) = body.get("identity").filter(|v| !v.is_null()) {
        ws.identity = Some(identity.clone());
    }
    if let Some(sku) = body.get("sku").filter(|v| !v.is_null()) {
        ws.sku = Some(sku.clone());
    }
    if let Some(kind) = body.get("kind").and_then(Value::as_str) {
        ws.kind = kind.to_string();
    }
    Ok(())
}

/// `GET|PUT|PATCH|DELETE W`.
pub async fn route(state: &AppState, req: &ArmRequest, w: &WsPath) -> ArmResult<Response> {
    match req.method {
        Method::GET => Ok(ok(&super::wire::workspace(&w.id, &load(state, w).await?, state))),
        Method::PUT => put(state, req, w).await,
        Method::PATCH => patch(state, req, w).await,
        Method::DELETE => delete(state, req, w).await,
        _ => Err(ArmError::method_not_allowed(req.method.as_str(), &req.path)),
    }
}

async fn put(state: &AppState, req: &ArmRequest, w: &WsPath) -> ArmResult<Response> {
    super::safe_name("workspace", &w.ws)?;
    super::plumbing::require_resource_group(state, &w.sub, &w.rg).await?;
    let (body, props) = parse_top(req)?;
    let ws = match state.store.get(&w.id).await? {
        Some(row) => {
            let mut ws: Workspace = row.doc()?;
            apply_properties(&mut ws, &w.sub, &props, false, state.config.auto_provision_network)?;
            ws.audit.modified_at = chrono::Utc::now();
            ws
        }
        None => {
            let location = body.get("location").and_then(Value::as_str).filter(|l| !l.is_empty());
            let location = location.ok_or_else(|| ArmError::bad_property("location", "The property 'location' is required."))?;
            new_workspace(&w.sub, &w.rg, &w.ws, location, &props, state.config.auto_provision_network)?
        }
    };
    let mut ws = ws;
    apply_top(&mut ws, &body)?;
    save_with_op(state, req, w, &ws, Action::Done).await
}

async fn patch(state: &AppState, req: &ArmRequest, w: &WsPath) -> ArmResult<Response> {
    let mut ws = load(state, w).await?;
    let (body, props) = parse_top(req)?;
    apply_properties(&mut ws, &w.sub, &props, false, state.config.auto_provision_network)?;
    apply_top(&mut ws, &body)?;
    ws.audit.modified_at = chrono::Utc::now();
    save_with_op(state, req, w, &ws, Action::Done).await
}

async fn save_with_op(state: &AppState, req: &ArmRequest, w: &WsPath, ws: &Workspace, action: Action) -> ArmResult<Response> {
    let rg = ResourceId::resource_group(&w.sub, &w.rg);
    let op = state.lro.new_operation(w.id.as_str(), &action, &ws.location, chrono::Utc::now());
    let mut tx = state.store.begin().await?;
    crate::store::resources::put_in(&mut tx, &w.id, ResourceKind::Workspace, Some(&rg), ws).await?;
    crate::store::operations::insert_in(&mut tx, &op).await?;
    tx.commit().await?;
    state.lro.scheduled(op.due_at_ms);
    state.changed();
    Ok(location_reply(req, &w.sub, &op))
}

async fn delete(state: &AppState, req: &ArmRequest, w: &WsPath) -> ArmResult<Response> {
    let ws = match state.store.get(&w.id).await? {
        Some(row) => row.doc::<Workspace>()?,
        None => return Ok(axum::response::IntoResponse::into_response(StatusCode::NO_CONTENT)),
    };
    let op = state.lro.new_operation(w.id.as_str(), &Action::DeleteWorkspace, &ws.location, chrono::Utc::now());
    let mut tx = state.store.begin().await?;
    crate::store::operations::insert_in(&mut tx, &op).await?;
    tx.commit().await?;
    state.lro.scheduled(op.due_at_ms);
    Ok(location_reply(req, &w.sub, &op))
}

/// `GET {RG}/workspaces`.
pub async fn list_by_resource_group(state: &AppState, req: &ArmRequest) -> ArmResult<Response> {
    super::plumbing::require_resource_group(state, &req.segs[1], &req.segs[3]).await?;
    let rg = ResourceId::resource_group(&req.segs[1], &req.segs[3]);
    render_list(state, state.store.children(&rg, ResourceKind::Workspace).await?)
}

/// `GET /subscriptions/{s}/providers/Microsoft.MachineLearningServices/workspaces`.
pub async fn list_by_subscription(state: &AppState, req: &ArmRequest) -> ArmResult<Response> {
    let prefix = format!("/subscriptions/{}/", req.segs[1]);
    render_list(state, state.store.by_kind_under(ResourceKind::Workspace, &prefix).await?)
}

fn render_list(state: &AppState, rows: Vec<crate::store::Row>) -> ArmResult<Response> {
    let mut value = Vec::with_capacity(rows.len());
    for r in rows {
        value.push(super::wire::workspace(&r.resource_id(), &r.doc()?, state));
    }
    Ok(ok(&super::wire::list(value)))
}

/// Creates the workspace of a template deployment unless it exists (SPEC §2.1).
pub async fn create_from_template(state: &AppState, sub: &str, rg: &str, name: &str, location: &str, props: Value) -> ArmResult<()> {
    super::safe_name("workspace", name)?;
    let id = ResourceId::workspace(sub, rg, name);
    if state.store.get(&id).await?.is_some() {
        return Ok(());
    }
    let mut props = props.as_object().cloned().unwrap_or_default();
    let tags = props.remove("tagValues");
    let mut ws = new_workspace(sub, rg, name, location, &props, state.config.auto_provision_network)?;
    if let Some(t) = tags.and_then(|t| serde_json::from_value(t).ok()) {
        ws.tags = t;
    }
    state.store.put(&id, ResourceKind::Workspace, Some(&ResourceId::resource_group(sub, rg)), &ws).await?;
    state.changed();
    Ok(())
}

/// Creates a fixture workspace (`{name, location?, properties?, tags?}`) unless it exists.
pub async fn ensure_from_fixture(state: &AppState, sub: &str, rg: &str, rg_location: &str, v: &Value) -> ArmResult<()> {
    let name = v.get("name").and_then(Value::as_str).ok_or_else(|| ArmError::invalid_body("a fixture workspace needs a name"))?;
    let location = v.get("location").and_then(Value::as_str).unwrap_or(rg_location);
    let mut props = v.get("properties").cloned().unwrap_or(json!({}));
    if let Some(tags) = v.get("tags") {
        props["tagValues"] = tags.clone();
    }
    create_from_template(state, sub, rg, name, location, props).await
}

/// Routes under `W/outboundRules`, `W/provisionManagedNetwork`, `W/privateEndpointConnections`.
pub async fn network_route(state: &AppState, req: &ArmRequest, w: &WsPath, rest: &[&str]) -> ArmResult<Response> {
    super::managed_network::route(state, req, w, rest).await
}

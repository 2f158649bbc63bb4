//! Wire shapes: domain documents rendered as the JSON Azure returns (camelCase, Azure's enum
//! casing, `id/name/type/location/tags/systemData`; SPEC §3 and `contracts/`). A stored row is
//! never sent as is.
use serde_json::{json, Value};

use crate::app::{AppState, Listener};
use crate::domain::{arm_time, Asset, Audit, OnlineDeployment, OnlineEndpoint, ResourceId, ResourceKind, Workspace};
use crate::error::{ArmError, ArmResult};
use crate::store::Row;

/// `systemData` for an audit record.
pub fn system_data(a: &Audit) -> Value {
    json!({
        "createdAt": arm_time(a.created_at), "createdBy": "amlite-user", "createdByType": "User",
        "lastModifiedAt": arm_time(a.modified_at), "lastModifiedBy": "amlite-user", "lastModifiedByType": "User"
    })
}

/// Renders any stored resource amlite serves through ARM.
pub fn render_row(state: &AppState, row: &Row, listener: &Listener) -> ArmResult<Value> {
    let id = row.resource_id();
    match row.kind.as_str() {
        "workspace" => Ok(workspace(&id, &row.doc()?, state)),
        "onlineEndpoint" => Ok(endpoint(&id, &row.doc()?, listener)),
        "onlineDeployment" => Ok(deployment(&id, &row.doc()?)),
        "model" => Ok(asset(&id, ResourceKind::Model, &row.doc()?)),
        "code" => Ok(asset(&id, ResourceKind::Code, &row.doc()?)),
        "environment" => Ok(asset(&id, ResourceKind::Environment, &row.doc()?)),
        "datastore" => Ok(asset(&id, ResourceKind::Datastore, &row.doc()?)),
        _ => crate::arm::network::render_row(state, row, listener),
    }
    .map_err(|e: ArmError| e)
}

fn map<T: serde::Serialize>(m: &T) -> Value {
    serde_json::to_value(m).unwrap_or_else(|_| json!({}))
}

/// A workspace (`Workspace`, network-isolation view of §4.1 of the ARM research note).
pub fn workspace(id: &ResourceId, w: &Workspace, state: &AppState) -> Value {
    let mut props = serde_json::Map::new();
    for (k, v) in &w.extra {
        props.insert(k.clone(), v.clone());
    }
    let set = |props: &mut serde_json::Map<String, Value>, k: &str, v: Value| {
        props.insert(k.to_string(), v);
    };
    set(&mut props, "workspaceId", json!(w.workspace_guid));
    set(&mut props, "provisioningState", json!(w.provisioning_state.as_str()));
    set(&mut props, "publicNetworkAccess", json!(w.public_network_access.as_str()));
    set(&mut props, "v1LegacyMode", json!(w.v1_legacy_mode));
    set(&mut props, "storageAccount", json!(w.storage_account));
    set(&mut props, "keyVault", json!(w.key_vault));
    set(&mut props, "containerRegistry", json!(w.container_registry));
    set(&mut props, "applicationInsights", json!(w.application_insights));
    set(&mut props, "tenantId", json!(state.tenant_id));
    set(&mut props, "discoveryUrl", json!(format!("{}/discovery", state.internet_base)));
    set(&mut props, "mlFlowTrackingUri", json!(format!("azureml://{}.api.azureml.ms/mlflow/v1.0{}", w.location, id)));
    set(&mut props, "hbiWorkspace", json!(false));
    props.entry("enableDataIsolation").or_insert(json!(false));
    set(&mut props, "managedNetwork", crate::arm::workspaces::managed_network_wire(w));
    props.entry("friendlyName").or_insert_with(|| json!(id.name()));
    json!({
        "id": id.as_str(), "name": id.name(), "type": ResourceKind::Workspace.arm_type(),
        "location": w.location, "kind": w.kind, "tags": map(&w.tags),
        "identity": w.identity.clone().unwrap_or_else(|| json!({ "type": "SystemAssigned" })),
        "sku": w.sku.clone().unwrap_or_else(|| json!({ "name": "Basic", "tier": "Basic" })),
        "systemData": system_data(&w.audit),
        "properties": Value::Object(props),
    })
}

/// An online endpoint. `keys` are never returned (use `listKeys`); `scoringUri` names the
/// listener that served the request (SPEC §4, §6.2).
pub fn endpoint(id: &ResourceId, e: &OnlineEndpoint, listener: &Listener) -> Value {
    let name = id.name();
    let base = &listener.base_url;
    let mut body = json!({
        "id": id.as_str(), "name": name, "type": ResourceKind::OnlineEndpoint.arm_type(),
        "location": e.location, "tags": map(&e.tags), "systemData": system_data(&e.audit),
        "identity": e.identity.clone().unwrap_or_else(|| json!({ "type": "SystemAssigned" })),
        "properties": {
            "authMode": e.auth_mode.as_str(),
            "description": e.description,
            "properties": map(&e.properties),
            "traffic": map(&e.traffic),
            "mirrorTraffic": map(&e.mirror_traffic),
            "publicNetworkAccess": e.public_network_access.as_str(),
            "scoringUri": format!("{base}/endpoints/{name}/score"),
            "swaggerUri": format!("{base}/endpoints/{name}/swagger.json"),
            "provisioningState": e.provisioning_state.as_str(),
            "keys": Value::Null,
        }
    });
    if let Some(kind) = &e.kind {
        body["kind"] = json!(kind);
    }
    body
}

/// An online deployment (`ManagedOnlineDeployment`), with the server-filled fields the SDK
/// needs (`endpointComputeType`, `scaleSettings.scaleType`, `sku.capacity`).
pub fn deployment(id: &ResourceId, d: &OnlineDeployment) -> Value {
    let rs = &d.request_settings;
    json!({
        "id": id.as_str(), "name": id.name(), "type": ResourceKind::OnlineDeployment.arm_type(),
        "location": d.location, "tags": map(&d.tags), "systemData": system_data(&d.audit),
        "kind": "Managed",
        "sku": { "name": d.sku_name, "tier": "Standard", "capacity": d.instance_count },
        "properties": {
            "endpointComputeType": "Managed",
            "description": d.description,
            "properties": map(&d.properties),
            "model": d.model,
            "codeConfiguration": d.scoring_script.as_ref().map(|s| json!({ "codeId": d.code_id, "scoringScript": s })),
            "environmentId": d.environment_id,
            "environmentVariables": map(&d.environment_variables),
            "instanceType": d.instance_type,
            "egressPublicNetworkAccess": d.egress_public_network_access.as_str(),
            "appInsightsEnabled": d.app_insights_enabled,
            "scaleSettings": d.scale_settings,
            "requestSettings": {
                "requestTimeout": format_duration_ms(rs.request_timeout_ms),
                "maxConcurrentRequestsPerInstance": rs.max_concurrent_requests_per_instance,
                "maxQueueWait": rs.max_queue_wait,
            },
            "livenessProbe": d.liveness_probe,
            "readinessProbe": d.readiness_probe,
            "provisioningState": d.provisioning_state.as_str(),
        }
    })
}

/// Milliseconds as an ISO-8601 duration (`PT5S`, `PT0.5S`).
pub fn format_duration_ms(ms: u64) -> String {
    if ms % 1000 == 0 {
        format!("PT{}S", ms / 1000)
    } else {
        format!("PT{}S", ms as f64 / 1000.0)
    }
}

/// A workspace asset version (model, code, environment) or datastore.
pub fn asset(id: &ResourceId, kind: ResourceKind, a: &Asset) -> Value {
    json!({
        "id": id.as_str(), "name": id.name(), "type": kind.arm_type(),
        "systemData": system_data(&a.audit), "properties": a.properties,
    })
}

/// A `{ "value": [...] }` list page.
pub fn list(value: Vec<Value>) -> Value {
    json!({ "value": value, "nextLink": Value::Null })
}

//! `GET /_amlite/state`: everything amlite holds, as JSON. A summary first (what `amlite
//! status` prints as tables: workspaces, endpoints with traffic, deployments, listeners,
//! operations), then the admin API's own settings (faults, LRO policies), then every stored
//! resource with its domain document (amlite's storage form, not the ARM wire shape).
use serde_json::{json, Value};

use crate::app::AppState;
use crate::domain::{OnlineDeployment, OnlineEndpoint, ResourceKind, Workspace};
use crate::error::ArmResult;
use crate::store::Row;

/// The dump.
pub async fn state(state: &AppState) -> ArmResult<Value> {
    let rows = state.store.all_rows().await?;
    let mut workspaces = Vec::new();
    let mut endpoints = Vec::new();
    let mut deployments = Vec::new();
    let mut resources = Vec::new();
    for row in &rows {
        match row.kind.as_str() {
            k if k == ResourceKind::Workspace.tag() => workspaces.push(workspace(row)?),
            k if k == ResourceKind::OnlineEndpoint.tag() => endpoints.push(endpoint(row)?),
            k if k == ResourceKind::OnlineDeployment.tag() => {
                deployments.push(deployment(state, row)?)
            }
            _ => {}
        }
        let doc: Value = serde_json::from_str(&row.body).unwrap_or(Value::Null);
        resources.push(
            json!({ "id": row.id, "kind": row.kind, "parentId": row.parent_id, "document": doc }),
        );
    }
    let operations: Vec<Value> = state
        .store
        .all_operations()
        .await?
        .iter()
        .map(|o| {
            let kind: Value = serde_json::from_str(&o.action)
                .ok()
                .and_then(|a: Value| a.get("kind").cloned())
                .unwrap_or(Value::Null);
            json!({ "id": o.id, "resourceId": o.resource_id, "action": kind, "status": o.status, "startTime": o.started_at, "endTime": o.ended_at })
        })
        .collect();
    Ok(json!({
        "url": state.internet_base,
        "workspaces": workspaces,
        "endpoints": endpoints,
        "deployments": deployments,
        "listeners": listeners(state, &rows),
        "operations": operations,
        "faults": state.admin.faults.list(),
        "lro": super::lro::list(state),
        "resources": resources,
    }))
}

fn workspace(row: &Row) -> ArmResult<Value> {
    let w: Workspace = row.doc()?;
    Ok(json!({
        "id": row.id,
        "name": row.name,
        "location": w.location,
        "publicNetworkAccess": w.public_network_access,
        "isolationMode": w.managed_network.isolation_mode,
        "managedNetworkProvisioned": w.managed_network.provisioned,
        "provisioningState": w.provisioning_state.as_str(),
    }))
}

fn endpoint(row: &Row) -> ArmResult<Value> {
    let e: OnlineEndpoint = row.doc()?;
    Ok(json!({
        "id": row.id,
        "name": row.name,
        "workspace": row.resource_id().parent().map(|p| p.name().to_string()),
        "location": e.location,
        "provisioningState": e.provisioning_state.as_str(),
        "publicNetworkAccess": e.public_network_access,
        "authMode": e.auth_mode,
        "traffic": e.traffic,
        "mirrorTraffic": e.mirror_traffic,
    }))
}

fn deployment(state: &AppState, row: &Row) -> ArmResult<Value> {
    let d: OnlineDeployment = row.doc()?;
    let runtime = match crate::runtime::RuntimeKind::of(&d, state.config.runtime_default()) {
        crate::runtime::RuntimeKind::Mock => "mock",
        crate::runtime::RuntimeKind::Python => "python",
    };
    Ok(json!({
        "id": row.id,
        "name": row.name,
        "endpoint": row.resource_id().parent().map(|p| p.name().to_string()),
        "provisioningState": d.provisioning_state.as_str(),
        "runtime": runtime,
        "instanceType": d.instance_type,
        "instanceCount": d.instance_count,
        "egressPublicNetworkAccess": d.egress_public_network_access,
    }))
}

fn listeners(state: &AppState, rows: &[Row]) -> Vec<Value> {
    use crate::arm::network::listeners::{base_url, port_of};
    let mut out =
        vec![json!({ "network": "internet", "name": "internet", "url": state.internet_base })];
    for row in rows
        .iter()
        .filter(|r| r.kind == ResourceKind::VirtualNetwork.tag())
    {
        let url = port_of(state, &row.id).map(|p| base_url(state, p));
        out.push(json!({ "network": "vnet", "name": row.name, "vnetId": row.id, "url": url }));
    }
    out
}

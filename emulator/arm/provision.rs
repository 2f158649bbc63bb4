//! The provisioner: completes long-running operations when they are due (SPEC §3). Provisioning
//! a deployment runs the provisioning-time rules (ISO-9 readiness, ISO-16/17/18), creates the
//! legacy private endpoint connections (ISO-14) and starts the runtime; a failure ends the
//! operation `Failed` with the error in the monitor and `provisioningState: Failed`.
//!
//! Operations complete lazily (any request first settles what is due, so the SDK's immediate
//! first poll already sees `Succeeded` with the default zero delay) and in the background.
//! At start-up, operations interrupted by a crash are completed the same way (they resume).
use std::time::Duration;

use super::convert;
use crate::app::{AppState, State};
use crate::domain::{arm_time, Failure, OnlineDeployment, OnlineEndpoint, PrivateEndpointConnection, ProvisioningState, ResourceId, ResourceKind, Workspace, Audit};
use crate::error::ArmResult;
use crate::lro::{self, Action};
use crate::rules;
use crate::store::{operations, resources, OperationRow};

/// Completes every due operation (cheap when none is due: one atomic load).
pub async fn settle(state: &AppState) -> ArmResult<()> {
    let now = chrono::Utc::now().timestamp_millis();
    if !state.lro.anything_due(now) {
        return Ok(());
    }
    let _guard = state.lro.settle_lock.lock().await;
    state.lro.reset_due();
    let result = settle_locked(state, now).await;
    let next = state.store.next_due_ms().await;
    state.lro.note_due(next.as_ref().ok().copied().flatten());
    if next.is_err() {
        state.lro.note_due(Some(now));
    }
    result
}

async fn settle_locked(state: &AppState, now: i64) -> ArmResult<()> {
    for op in state.store.due_operations(now).await? {
        complete(state, &op).await?;
    }
    Ok(())
}

/// Background task: wakes when an operation is scheduled or due.
pub async fn drive(state: State) {
    loop {
        let now = chrono::Utc::now().timestamp_millis();
        let wait = state.lro.wait_hint(now).map(Duration::from_millis).unwrap_or(Duration::from_secs(3600));
        tokio::select! {
            _ = state.lro.woken() => {}
            _ = tokio::time::sleep(wait) => {}
        }
        if let Err(e) = settle(&state).await {
            tracing::error!(error = %e, "completing operations failed");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// At start-up: every operation left `InProgress` is due now (it resumes and completes).
pub async fn recover(state: &AppState) -> ArmResult<()> {
    state.lro.note_due(state.store.next_due_ms().await?);
    settle(state).await
}

async fn complete(state: &AppState, op: &OperationRow) -> ArmResult<()> {
    let id = ResourceId::from_string(op.resource_id.clone());
    let outcome = match lro::action_of(op) {
        Action::ProvisionEndpoint => finish_endpoint(state, &id, op).await,
        Action::ProvisionDeployment => finish_deployment(state, &id, op).await,
        Action::DeleteEndpoint | Action::DeleteDeployment | Action::DeleteWorkspace => finish_delete(state, &id, op).await,
        Action::ProvisionManagedNetwork => finish_managed_network(state, &id, op).await,
        Action::Done => finish_plain(state, op, None).await,
    };
    state.changed();
    outcome
}

async fn finish_plain(state: &AppState, op: &OperationRow, failure: Option<Failure>) -> ArmResult<()> {
    let mut tx = state.store.begin().await?;
    mark(&mut tx, op, failure).await?;
    tx.commit().await?;
    Ok(())
}

async fn mark(conn: &mut sqlx::SqliteConnection, op: &OperationRow, failure: Option<Failure>) -> ArmResult<()> {
    let now = arm_time(chrono::Utc::now());
    let (status, error) = match failure {
        None => (lro::SUCCEEDED, None),
        Some(f) => (lro::FAILED, serde_json::to_string(&f).ok()),
    };
    operations::finish_in(conn, &op.id, status, &now, error).await?;
    Ok(())
}

async fn finish_endpoint(state: &AppState, id: &ResourceId, op: &OperationRow) -> ArmResult<()> {
    let mut tx = state.store.begin().await?;
    if let Some(row) = resources::get_in(&mut tx, id).await? {
        let mut ep: OnlineEndpoint = row.doc()?;
        ep.provisioning_state = ProvisioningState::Succeeded;
        resources::put_in(&mut tx, id, ResourceKind::OnlineEndpoint, row.parent_id.map(ResourceId::from_string).as_ref(), &ep).await?;
    }
    mark(&mut tx, op, None).await?;
    tx.commit().await?;
    Ok(())
}

async fn finish_delete(state: &AppState, id: &ResourceId, op: &OperationRow) -> ArmResult<()> {
    state.runtimes.stop_under(id.as_str());
    let mut tx = state.store.begin().await?;
    resources::delete_in(&mut tx, id).await?;
    // ISO-14: connections owned by a deleted deployment go with it (and no others).
    let ws_prefix = id.as_str().split("/onlineEndpoints/").next().unwrap_or("").to_string();
    let pecs = state.store.by_kind_under(ResourceKind::PrivateEndpointConnection, &ws_prefix).await?;
    for row in pecs {
        let c: PrivateEndpointConnection = row.doc()?;
        let owned = c.owner_deployment.as_deref().is_some_and(|d| {
            d.len() >= id.as_str().len() && d[..id.as_str().len()].eq_ignore_ascii_case(id.as_str())
        });
        if owned {
            resources::delete_in(&mut tx, &row.resource_id()).await?;
        }
    }
    mark(&mut tx, op, None).await?;
    tx.commit().await?;
    Ok(())
}

async fn finish_managed_network(state: &AppState, id: &ResourceId, op: &OperationRow) -> ArmResult<()> {
    let mut tx = state.store.begin().await?;
    if let Some(row) = resources::get_in(&mut tx, id).await? {
        let mut ws: Workspace = row.doc()?;
        ws.managed_network.provisioned = true;
        resources::put_in(&mut tx, id, ResourceKind::Workspace, row.parent_id.map(ResourceId::from_string).as_ref(), &ws).await?;
    }
    mark(&mut tx, op, None).await?;
    tx.commit().await?;
    Ok(())
}

/// Where a deployment's model, code and image live (ISO-17/18 inputs). Models registered in
/// the workspace (ARM ids, `azureml:` URIs, workspace datastores) and uploaded code are in the
/// workspace storage; environment images are built into the workspace registry.
fn artifacts(d: &OnlineDeployment, ws: &Workspace) -> Vec<rules::ArtifactLocation> {
    let mut out = Vec::new();
    if let Some(model) = &d.model {
        let lower = model.to_ascii_lowercase();
        let in_ws = lower.starts_with("/subscriptions/") || lower.starts_with("azureml:") && !lower.starts_with("azureml://registries/");
        out.push(rules::ArtifactLocation {
            kind: rules::ArtifactKind::Model,
            resource_id_or_host: if in_ws { ws.storage_account.clone() } else { model.clone() },
            in_workspace_storage_or_registry: in_ws,
            resource_public_network_access: rules::PublicNetworkAccess::Enabled,
        });
    }
    if d.code_id.is_some() {
        out.push(rules::ArtifactLocation {
            kind: rules::ArtifactKind::Code,
            resource_id_or_host: ws.storage_account.clone(),
            in_workspace_storage_or_registry: true,
            resource_public_network_access: rules::PublicNetworkAccess::Enabled,
        });
    }
    out
}

async fn finish_deployment(state: &AppState, id: &ResourceId, op: &OperationRow) -> ArmResult<()> {
    let Some(row) = state.store.get(id).await? else {
        return finish_plain(state, op, None).await;
    };
    let mut d: OnlineDeployment = row.doc()?;
    let ws_id = id.parent().and_then(|ep| ep.parent());
    let ws: Option<Workspace> = match &ws_id {
        Some(w) => state.store.get(w).await?.map(|r| r.doc()).transpose()?,
        None => None,
    };
    let Some(ws) = ws else { return finish_plain(state, op, None).await };
    let arts = artifacts(&d, &ws);
    let mode = convert::isolation(&ws.managed_network.isolation_mode);
    let ctx = rules::ProvisioningContext {
        egress: convert::pna(d.egress_public_network_access),
        workspace_public_network_access: convert::pna(ws.public_network_access),
        isolation_mode: mode,
        managed_network_provisioned: ws.managed_network.provisioned,
        artifacts: &arts,
    };
    let mut failure = rules::provisioning_outcome(&ctx).err().map(|v| Failure { code: v.code.to_string(), message: v.message });
    if failure.is_none() {
        if let Err(e) = state.runtimes.start(id.as_str(), &d) {
            failure = Some(Failure { code: "ResourceNotReady".into(), message: e });
        }
    }
    let now = chrono::Utc::now();
    d.provisioning_state = if failure.is_some() { ProvisioningState::Failed } else { ProvisioningState::Succeeded };
    d.failure = failure.clone();
    d.logs.push(match &failure {
        None => format!("{} Deployment {} is ready: runtime 'mock', {} instance(s) of {}.", arm_time(now), id.name(), d.instance_count, d.instance_type),
        Some(f) => format!("{} Deployment {} failed: {}: {}", arm_time(now), id.name(), f.code, f.message),
    });
    let mut tx = state.store.begin().await?;
    resources::put_in(&mut tx, id, ResourceKind::OnlineDeployment, row.parent_id.map(ResourceId::from_string).as_ref(), &d).await?;
    if failure.is_none() && rules::legacy_egress::iso_14_needs_private_endpoints(ctx.egress, mode) {
        legacy_connections(&mut tx, ws_id.as_ref(), id, now).await?;
    }
    mark(&mut tx, op, failure).await?;
    tx.commit().await?;
    Ok(())
}

/// ISO-14: the 3 private endpoint connections of an egress-disabled legacy deployment, shown on
/// the workspace (the storage and registry sides are not separate resources in amlite).
async fn legacy_connections(tx: &mut sqlx::SqliteConnection, ws_id: Option<&ResourceId>, id: &ResourceId, now: chrono::DateTime<chrono::Utc>) -> ArmResult<()> {
    let Some(ws_id) = ws_id else { return Ok(()) };
    let ep = id.parent().map(|e| e.name().to_string()).unwrap_or_default();
    for pe in rules::legacy_egress::iso_14_private_endpoint_connections(ws_id.name(), &ep, id.name()) {
        let pec_id = ws_id.child("privateEndpointConnections", &pe.name);
        let c = PrivateEndpointConnection {
            private_endpoint_id: format!("{}/managedPrivateEndpoints/{}", id, pe.name),
            subnet_id: None,
            status: "Approved".into(),
            description: format!("ISO-14: private endpoint ({}) of deployment {} with egressPublicNetworkAccess Disabled", pe.group_id, id.name()),
            owner_deployment: Some(id.to_string()),
            audit: Audit::at(now),
        };
        resources::put_in(tx, &pec_id, ResourceKind::PrivateEndpointConnection, Some(ws_id), &c).await?;
    }
    Ok(())
}

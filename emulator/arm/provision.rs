//! The provisioner: completes long-running operations when they are due (SPEC §3). Provisioning
//! a deployment runs the provisioning-time rules (ISO-9 readiness, ISO-16/17/18), creates the
//! legacy private endpoint connections (ISO-14) and starts the runtime; a failure ends the
//! operation `Failed` with the error in the monitor and `provisioningState: Failed`.
//! Where the model, code and image live (the ISO-17/18 inputs) comes from
//! `workspace_resources::locate`. A failed deployment keeps no ISO-14 connections and holds no
//! quota (CP-8 counts only deployments that did not fail), so deleting it is all that is left.
//!
//! Operations complete lazily (any request first settles what is due, so the SDK's immediate
//! first poll already sees `Succeeded` with the default zero delay) and in the background; a
//! mock deployment whose operation is due at once is provisioned before its PUT commits
//! ([`immediate`], the same rules and writes in the PUT's transaction).
//! At start-up, operations interrupted by a crash are completed the same way (they resume).
use crate::app::AppState;
use crate::domain::{
    arm_time, Failure, OnlineDeployment, OnlineEndpoint, ProvisioningState, ResourceId,
    ResourceKind, Workspace,
};
use crate::error::ArmResult;
use crate::lro::{self, Action};
use crate::rules;
use crate::store::{operations, resources, OperationRow};

/// At start-up: every operation left `InProgress` is due now (it resumes and completes).
pub async fn recover(state: &AppState) -> ArmResult<()> {
    state.store.release_held().await?;
    super::provision_python::restart_running(state).await?;
    state.lro.note_due(state.store.next_due_ms().await?);
    lro::settle(state).await
}

/// The control plane's [`lro::Completion`]: what completing each kind of operation does.
pub fn completion<'a>(
    state: &'a AppState,
    op: &'a OperationRow,
) -> futures::future::BoxFuture<'a, ArmResult<()>> {
    Box::pin(complete(state, op))
}

async fn complete(state: &AppState, op: &OperationRow) -> ArmResult<()> {
    let id = ResourceId::from_string(op.resource_id.clone());
    let outcome = match lro::action_of(op) {
        Action::ProvisionEndpoint => finish_endpoint(state, &id, op).await,
        Action::ProvisionDeployment => finish_deployment(state, &id, op).await,
        Action::DeleteEndpoint | Action::DeleteDeployment | Action::DeleteWorkspace => {
            finish_delete(state, &id, op).await
        }
        Action::ProvisionManagedNetwork => finish_managed_network(state, &id, op).await,
        Action::Done | Action::OutboundRule { .. } => finish_plain(state, op, None).await,
    };
    outcome
}

async fn finish_plain(
    state: &AppState,
    op: &OperationRow,
    failure: Option<Failure>,
) -> ArmResult<()> {
    let mut tx = state.store.begin().await?;
    mark(&mut tx, op, failure).await?;
    tx.commit().await?;
    Ok(())
}

async fn mark(
    conn: &mut crate::store::WriteTx,
    op: &OperationRow,
    failure: Option<Failure>,
) -> ArmResult<()> {
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
        let parent = row.parent_id.map(ResourceId::from_string);
        let target = (id, ResourceKind::OnlineEndpoint, parent.as_ref());
        resources::put_counted_in(&mut tx, target, &ep).await?;
    }
    mark(&mut tx, op, None).await?;
    tx.commit().await?;
    Ok(())
}

async fn finish_delete(state: &AppState, id: &ResourceId, op: &OperationRow) -> ArmResult<()> {
    state.runtimes.stop_under(id.as_str());
    // ISO-14: connections owned by a deleted deployment (or by the deployments of a deleted
    // endpoint) go with it, and no others.
    let owned = super::legacy_connections::owned(state, id).await?;
    let mut tx = state.store.begin().await?;
    resources::delete_in(&mut tx, id).await?;
    for pec in &owned {
        resources::delete_in(&mut tx, pec).await?;
    }
    mark(&mut tx, op, None).await?;
    tx.commit().await?;
    Ok(())
}

async fn finish_managed_network(
    state: &AppState,
    id: &ResourceId,
    op: &OperationRow,
) -> ArmResult<()> {
    let mut tx = state.store.begin().await?;
    if let Some(row) = resources::get_in(&mut tx, id).await? {
        let mut ws: Workspace = row.doc()?;
        ws.managed_network.provisioned = true;
        resources::put_in(
            &mut tx,
            id,
            ResourceKind::Workspace,
            row.parent_id.map(ResourceId::from_string).as_ref(),
            &ws,
        )
        .await?;
    }
    mark(&mut tx, op, None).await?;
    tx.commit().await?;
    Ok(())
}

/// The outcome of provisioning deployment `d` in workspace `ws`: the provisioning rules
/// (ISO-9 readiness, ISO-16/17/18) then the runtime start. `None` = `Succeeded`.
async fn decide(
    state: &AppState,
    id: &ResourceId,
    ws_id: &ResourceId,
    ws: &Workspace,
    d: &OnlineDeployment,
) -> ArmResult<Option<Failure>> {
    let arts = super::workspace_resources::locate(state, ws_id, ws, d).await?;
    let ctx = rules::ProvisioningContext {
        egress: d.egress_public_network_access,
        workspace_public_network_access: ws.public_network_access,
        isolation_mode: ws.managed_network.isolation_mode,
        managed_network_provisioned: ws.managed_network.provisioned,
        artifacts: &arts,
    };
    if let Err(v) = rules::provisioning_outcome(&ctx) {
        tracing::info!(deployment = %id, rule = v.rule, "deployment provisioning failed: {}", v.message);
        return Ok(Some(Failure {
            code: v.code.to_string(),
            message: v.message,
        }));
    }
    Ok(None)
}

/// Sets the deployment's `provisioningState`, `failure` and a log line for `getLogs`.
fn record_outcome(
    d: &mut OnlineDeployment,
    id: &ResourceId,
    failure: Option<&Failure>,
    (runtime, now): (crate::runtime::RuntimeKind, chrono::DateTime<chrono::Utc>),
) {
    d.provisioning_state = if failure.is_some() {
        ProvisioningState::Failed
    } else {
        ProvisioningState::Succeeded
    };
    d.failure = failure.cloned();
    d.logs.push(match failure {
        None => format!(
            "{} Deployment {} is ready: runtime '{}', {} instance(s) of {}.",
            arm_time(now),
            id.name(),
            match runtime {
                crate::runtime::RuntimeKind::Mock => "mock",
                crate::runtime::RuntimeKind::Python => "python",
            },
            d.instance_count,
            d.instance_type
        ),
        Some(f) => format!(
            "{} Deployment {} failed: {}: {}",
            arm_time(now),
            id.name(),
            f.code,
            f.message
        ),
    });
}

/// The workspace (id and document) deployment `id` belongs to; `None` once it is gone.
pub(super) async fn workspace_of(
    state: &AppState,
    id: &ResourceId,
) -> ArmResult<Option<(ResourceId, Workspace)>> {
    let Some(ws_id) = id.parent().and_then(|ep| ep.parent()) else {
        return Ok(None);
    };
    let ws = state.store.get(&ws_id).await?;
    Ok(match ws {
        Some(row) => Some((ws_id, row.doc::<Workspace>()?)),
        None => None,
    })
}

/// Completes a deployment create/update. A failure ends the operation `Failed` with the error in
/// its monitor, the deployment `Failed` (deletable, holding no quota) and without ISO-14
/// connections; success adds the ISO-14 connections of a legacy egress-disabled deployment.
async fn finish_deployment(state: &AppState, id: &ResourceId, op: &OperationRow) -> ArmResult<()> {
    let Some(row) = state.store.get(id).await? else {
        return finish_plain(state, op, None).await;
    };
    let mut d: OnlineDeployment = row.doc()?;
    let Some((ws_id, ws)) = workspace_of(state, id).await? else {
        return finish_plain(state, op, None).await;
    };
    let failure = decide(state, id, &ws_id, &ws, &d).await?;
    let kind = crate::runtime::RuntimeKind::of(&d, state.config.runtime_default());
    if failure.is_none() && kind == crate::runtime::RuntimeKind::Python {
        // Starting Python takes seconds: hand it to the background worker, which completes the
        // operation, so the provisioner (and every request waiting on it) is not blocked.
        let mut tx = state.store.begin().await?;
        operations::hold_in(&mut tx, &op.id).await?;
        tx.commit().await?;
        let _ = state
            .python_jobs
            .send((id.to_string(), Some(op.id.clone())));
        return Ok(());
    }
    if failure.is_none() {
        state.runtimes.start(id.as_str(), &d);
    }
    write_outcome(
        state,
        id,
        row.parent_id.as_deref(),
        &mut d,
        (&ws_id, &ws),
        failure,
        Some(op),
    )
    .await
}

/// Stores a provisioning outcome: the deployment's state and log line, the ISO-14 connections
/// (added on success of a legacy egress-disabled deployment, removed on failure), and the
/// operation's end — in one transaction.
pub(super) async fn write_outcome(
    state: &AppState,
    id: &ResourceId,
    parent: Option<&str>,
    d: &mut OnlineDeployment,
    (ws_id, ws): (&ResourceId, &Workspace),
    failure: Option<Failure>,
    op: Option<&OperationRow>,
) -> ArmResult<()> {
    let now = chrono::Utc::now();
    let runtime = crate::runtime::RuntimeKind::of(d, state.config.runtime_default());
    record_outcome(d, id, failure.as_ref(), (runtime, now));
    let stale = if failure.is_some() {
        super::legacy_connections::owned(state, id).await?
    } else {
        Vec::new()
    };
    let mut tx = state.store.begin().await?;
    let parent = parent.map(|p| ResourceId::from_string(p.to_string()));
    let outcome = Outcome {
        doc: d,
        ws: (ws_id, ws),
        succeeded: failure.is_none(),
        stale: &stale,
        now,
    };
    queue_outcome(&mut tx, (id, parent.as_ref()), outcome).await?;
    if let Some(op) = op {
        mark(&mut tx, op, failure).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// What a provisioning outcome writes besides the operation's end.
struct Outcome<'a> {
    doc: &'a OnlineDeployment,
    ws: (&'a ResourceId, &'a Workspace),
    succeeded: bool,
    /// The ISO-14 connections a failed deployment gives up.
    stale: &'a [ResourceId],
    now: chrono::DateTime<chrono::Utc>,
}

async fn queue_outcome(
    tx: &mut crate::store::WriteTx,
    (id, parent): (&ResourceId, Option<&ResourceId>),
    o: Outcome<'_>,
) -> ArmResult<()> {
    let target = (id, ResourceKind::OnlineDeployment, parent);
    resources::put_counted_in(tx, target, o.doc).await?;
    let (egress, mode) = (
        o.doc.egress_public_network_access,
        o.ws.1.managed_network.isolation_mode,
    );
    if o.succeeded && rules::legacy_egress::iso_14_needs_private_endpoints(egress, mode) {
        super::legacy_connections::create(tx, o.ws, id, o.now).await?;
    }
    for pec in o.stale {
        resources::delete_in(tx, pec).await?;
    }
    Ok(())
}

/// A deployment create/update provisioned in its PUT's own transaction: what
/// [`finish_deployment`] would have written when the provisioner ran (see [`immediate`]).
pub(super) struct Immediate {
    doc: OnlineDeployment,
    ws_id: ResourceId,
    ws: Workspace,
    failure: Option<Failure>,
    stale: Vec<ResourceId>,
    now: chrono::DateTime<chrono::Utc>,
}

/// Provisions `d` now, before its PUT commits, when nothing is left for the background: the
/// operation is due at once (`--provisioning-delay 0s`, not parked) and the deployment runs in
/// the mock runtime (the python runtime starts in the background, `provision_python`). Nobody
/// could observe the difference (every request settles due operations first, SPEC §3, so the
/// first poll read the outcome either way); it saves the provisioner's wake-up, its three
/// statements and second commit (bench/ANALYSIS.md, issue 14). `None`: provision as usual.
pub(super) async fn immediate(
    state: &AppState,
    id: &ResourceId,
    d: &OnlineDeployment,
) -> ArmResult<Option<Immediate>> {
    let runtime = crate::runtime::RuntimeKind::of(d, state.config.runtime_default());
    if runtime != crate::runtime::RuntimeKind::Mock {
        return Ok(None);
    }
    let Some((ws_id, ws)) = workspace_of(state, id).await? else {
        return Ok(None);
    };
    let failure = decide(state, id, &ws_id, &ws, d).await?;
    let now = chrono::Utc::now();
    let mut doc = d.clone();
    record_outcome(&mut doc, id, failure.as_ref(), (runtime, now));
    let stale = if failure.is_some() {
        super::legacy_connections::owned(state, id).await?
    } else {
        Vec::new()
    };
    Ok(Some(Immediate {
        doc,
        ws_id,
        ws,
        failure,
        stale,
        now,
    }))
}

impl Immediate {
    /// After the PUT committed, the mock runtime of a deployment that succeeded starts (for the
    /// mock that is its `getLogs` line): a commit that failed, a disk full or a cancelled
    /// request, leaves no start of a version that was never stored.
    pub(super) fn start_runtime(&self, state: &AppState, id: &ResourceId) {
        if self.failure.is_none() {
            state.runtimes.start(id.as_str(), &self.doc);
        }
    }

    /// Queues the outcome in `tx` (the PUT's transaction); returns the failure that ends the
    /// operation (`None`: `Succeeded`).
    pub(super) async fn queue_in(
        &self,
        tx: &mut crate::store::WriteTx,
        target: (&ResourceId, Option<&ResourceId>),
    ) -> ArmResult<Option<Failure>> {
        let outcome = Outcome {
            doc: &self.doc,
            ws: (&self.ws_id, &self.ws),
            succeeded: self.failure.is_none(),
            stale: &self.stale,
            now: self.now,
        };
        queue_outcome(tx, target, outcome).await?;
        Ok(self.failure.clone())
    }
}

//! The one way a control-plane write starts a long-running operation (SPEC §3): the resource and
//! its operation are stored in one transaction, then the provisioner is woken and the scoring
//! caches are invalidated.
//!
//! Operations that are due at once (`--provisioning-delay 0s`, the default) and need nothing
//! from the background (endpoint provisioning, `Done`, a mock deployment's provisioning,
//! `provision::immediate`) are written already ended in that same transaction: nobody could
//! observe them `InProgress` (every request settles due operations first, SPEC §3), and it saves
//! the provisioner's second transaction and the first poll's wait for it (bench/ANALYSIS.md).
//! The PUT's own answer still shows `Creating`/`Updating`.
use std::any::Any;

use serde::Serialize;

use crate::app::AppState;
use crate::domain::{
    arm_time, OnlineDeployment, OnlineEndpoint, OperationRef, ProvisioningState, ResourceId,
    ResourceKind, Workspace,
};
use crate::error::ArmResult;
use crate::lro::{self, Action};
use crate::store::usage::Counted;
use crate::store::{operations, resources, OperationRow};

/// The name of a new operation on `id`: `oe:`/`od:{workspaceId}:{guid}` on an online endpoint
/// or deployment (as Azure ML names them, [`lro::online_operation_name`]), else a GUID.
/// `workspace_guid` is the workspace's `workspaceId` when the caller has the workspace (every
/// create/update does); without it the workspace is read.
pub async fn operation_name(
    state: &AppState,
    id: &ResourceId,
    kind: ResourceKind,
    workspace_guid: Option<&str>,
) -> ArmResult<String> {
    let (prefix, ws) = match kind {
        ResourceKind::OnlineEndpoint => ("oe", id.parent()),
        ResourceKind::OnlineDeployment => ("od", id.parent().and_then(|e| e.parent())),
        _ => return Ok(uuid::Uuid::new_v4().to_string()),
    };
    if let Some(g) = workspace_guid {
        return Ok(lro::online_operation_name(prefix, g));
    }
    let guid = match ws {
        Some(ws) => state
            .store
            .get(&ws)
            .await?
            .and_then(|row| row.doc::<Workspace>().ok())
            .map(|w| w.workspace_guid),
        None => None,
    };
    Ok(match guid {
        Some(g) => lro::online_operation_name(prefix, &g),
        None => uuid::Uuid::new_v4().to_string(),
    })
}

/// [`save_with_op`] for a create/update of an online endpoint or deployment in the workspace
/// whose `workspaceId` is `workspace_guid`: the document names the new operation
/// (`properties.properties.AzureAsyncOperationUri`) before it is stored.
pub async fn save_with_tracked_op<T: Stored + Tracked>(
    state: &AppState,
    req: &crate::http::Request,
    target: (&ResourceId, ResourceKind, Option<&ResourceId>),
    workspace_guid: &str,
    doc: &mut T,
    action: Action,
) -> ArmResult<OperationRow> {
    let location = doc.region().to_string();
    let name = operation_name(state, target.0, target.1, Some(workspace_guid)).await?;
    doc.set_operation(OperationRef {
        name: name.clone(),
        location: location.clone(),
        api_version: req
            .q("api-version")
            .unwrap_or(lro::DEFAULT_API_VERSION)
            .to_string(),
    });
    save_with_named_op(state, target, doc, action, &location, name).await
}

/// A document [`save_with_op`] stores: typed, so its usage columns come from its fields
/// ([`Counted`]) and a zero-delay endpoint create can be stored `Succeeded` without a JSON
/// round trip.
pub trait Stored: Serialize + Counted + Any {}
impl<T: Serialize + Counted + Any> Stored for T {}

/// A resource document that names its last create/update operation.
pub trait Tracked {
    /// The region its operations are monitored in.
    fn region(&self) -> &str;
    /// Records the operation.
    fn set_operation(&mut self, op: OperationRef);
}

impl Tracked for OnlineEndpoint {
    fn region(&self) -> &str {
        &self.location
    }
    fn set_operation(&mut self, op: OperationRef) {
        self.operation = Some(op);
    }
}

impl Tracked for crate::domain::OnlineDeployment {
    fn region(&self) -> &str {
        &self.location
    }
    fn set_operation(&mut self, op: OperationRef) {
        self.operation = Some(op);
    }
}

/// Stores `doc` as resource `id` (of `kind`, under `parent`) together with a new operation
/// `action` in region `location`; returns the operation for the monitor headers.
pub async fn save_with_op<T: Stored>(
    state: &AppState,
    target: (&ResourceId, ResourceKind, Option<&ResourceId>),
    doc: &T,
    action: Action,
    location: &str,
) -> ArmResult<OperationRow> {
    let name = operation_name(state, target.0, target.1, None).await?;
    save_with_named_op(state, target, doc, action, location, name).await
}

/// [`save_with_op`] with the operation's name chosen before.
pub async fn save_with_named_op<T: Stored>(
    state: &AppState,
    (id, kind, parent): (&ResourceId, ResourceKind, Option<&ResourceId>),
    doc: &T,
    action: Action,
    location: &str,
    name: String,
) -> ArmResult<OperationRow> {
    let now = chrono::Utc::now();
    let mut op = state
        .lro
        .new_operation_named(name, id.as_str(), &action, location, now);
    let due = op.due_at_ms <= now.timestamp_millis();
    let done = due
        && matches!(
            (&action, kind),
            (Action::Done | Action::OutboundRule { .. }, _)
                | (Action::ProvisionEndpoint, ResourceKind::OnlineEndpoint)
        );
    let endpoint = (doc as &dyn Any).downcast_ref::<OnlineEndpoint>();
    let mut tx = state.store.begin().await?;
    // Decided while this request holds the writer: no other write (a concurrent PUT of the same
    // deployment, a workspace change) can commit between the provisioning rules' reads and this
    // commit, which the background provisioner's one-operation-in-flight index used to ensure.
    let deployment = match (doc as &dyn Any).downcast_ref::<OnlineDeployment>() {
        Some(d) if due && action == Action::ProvisionDeployment => {
            super::provision::immediate(state, id, d).await?
        }
        _ => None,
    };
    let mut failure = None;
    let ended = match (endpoint, &deployment) {
        (Some(ep), _) if done && action == Action::ProvisionEndpoint => {
            let mut ep = ep.clone();
            ep.provisioning_state = ProvisioningState::Succeeded;
            resources::put_counted_in(&mut tx, (id, kind, parent), &ep).await?;
            true
        }
        (_, Some(provisioned)) => {
            failure = provisioned.queue_in(&mut tx, (id, parent)).await?;
            true
        }
        _ => {
            resources::put_counted_in(&mut tx, (id, kind, parent), doc).await?;
            done
        }
    };
    if ended {
        op.status = match failure {
            None => lro::SUCCEEDED.into(),
            Some(ref f) => {
                op.error = serde_json::to_string(f).ok();
                lro::FAILED.into()
            }
        };
        op.ended_at = Some(arm_time(now));
    }
    operations::insert_in(&mut tx, &op).await?;
    tx.commit().await?;
    if let Some(provisioned) = &deployment {
        provisioned.start_runtime(state, id);
    }
    if !ended {
        scheduled(state, &op);
    }
    Ok(op)
}

/// Records an operation on `id` that changes nothing yet (e.g. a delete that happens when due).
pub async fn start_op(
    state: &AppState,
    id: &ResourceId,
    action: Action,
    location: &str,
) -> ArmResult<OperationRow> {
    let op = state
        .lro
        .new_operation(id.as_str(), &action, location, chrono::Utc::now());
    let mut tx = state.store.begin().await?;
    operations::insert_in(&mut tx, &op).await?;
    tx.commit().await?;
    scheduled(state, &op);
    Ok(op)
}

fn scheduled(state: &AppState, op: &OperationRow) {
    state.lro.scheduled(op.due_at_ms);
}

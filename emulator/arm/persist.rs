//! The one way a control-plane write starts a long-running operation (SPEC §3): the resource and
//! its operation are stored in one transaction, then the provisioner is woken and the scoring
//! caches are invalidated.
//!
//! Operations that only change stored documents (endpoint provisioning, `Done`) and are due at
//! once (`--provisioning-delay 0s`, the default) are written already `Succeeded` in that same
//! transaction: nobody could observe them `InProgress` (every request settles due operations
//! first, SPEC §3), and it saves the provisioner's second transaction and the first poll's wait
//! for it (bench/ANALYSIS.md). The PUT's own answer still shows `Creating`/`Updating`.
use serde::Serialize;

use crate::app::AppState;
use crate::domain::{arm_time, OnlineEndpoint, ProvisioningState, ResourceId, ResourceKind};
use crate::error::ArmResult;
use crate::lro::{self, Action};
use crate::store::{operations, resources, OperationRow};

/// Stores `doc` as resource `id` (of `kind`, under `parent`) together with a new operation
/// `action` in region `location`; returns the operation for the monitor headers.
pub async fn save_with_op<T: Serialize>(
    state: &AppState,
    (id, kind, parent): (&ResourceId, ResourceKind, Option<&ResourceId>),
    doc: &T,
    action: Action,
    location: &str,
) -> ArmResult<OperationRow> {
    let now = chrono::Utc::now();
    let mut op = state.lro.new_operation(id.as_str(), &action, location, now);
    let done = op.due_at_ms <= now.timestamp_millis()
        && matches!(
            (&action, kind),
            (Action::Done | Action::OutboundRule { .. }, _)
                | (Action::ProvisionEndpoint, ResourceKind::OnlineEndpoint)
        );
    let mut tx = state.store.begin().await?;
    if done && action == Action::ProvisionEndpoint {
        let mut ep: OnlineEndpoint = serde_json::from_str(&resources::encode(doc)?)
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        ep.provisioning_state = ProvisioningState::Succeeded;
        resources::put_in(&mut tx, id, kind, parent, &ep).await?;
    } else {
        resources::put_in(&mut tx, id, kind, parent, doc).await?;
    }
    if done {
        op.status = lro::SUCCEEDED.into();
        op.ended_at = Some(arm_time(now));
    }
    operations::insert_in(&mut tx, &op).await?;
    tx.commit().await?;
    if done {
    } else {
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

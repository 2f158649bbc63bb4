//! The one way a control-plane write starts a long-running operation (SPEC §3): the resource and
//! its operation are stored in one transaction, then the provisioner is woken and the scoring
//! caches are invalidated.
use serde::Serialize;

use crate::app::AppState;
use crate::domain::{ResourceId, ResourceKind};
use crate::error::ArmResult;
use crate::lro::Action;
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
    let op = state
        .lro
        .new_operation(id.as_str(), &action, location, chrono::Utc::now());
    let mut tx = state.store.begin().await?;
    resources::put_in(&mut tx, id, kind, parent, doc).await?;
    operations::insert_in(&mut tx, &op).await?;
    tx.commit().await?;
    scheduled(state, &op);
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
    state.changed();
}

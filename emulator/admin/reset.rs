//! `POST /_amlite/reset`: back to the state right after start-up on a fresh data folder (the
//! configured fixture), keeping what identifies this amlite to its clients: the TLS
//! certificate, the token signing key, the storage account key secret, the internet listener
//! and the listeners (and ports) of the fixture's VNets.
//!
//! Steps: stop every deployment runtime; wipe resources, operations, blobs and external
//! services in one transaction; load the fixture again; stop the listeners of VNets the fixture
//! does not have; (re)start the fixture's; forget faults, LRO policies and the decision journal.
use std::time::Instant;

use serde::Serialize;

use crate::app::State;
use crate::domain::ResourceKind;
use crate::error::{ArmError, ArmResult};

/// What a reset did.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Wall time of the whole reset, in milliseconds.
    pub elapsed_ms: f64,
    /// Resources after the fixture was loaded again.
    pub resources: usize,
    /// VNet listeners running afterwards.
    pub listeners: usize,
}

/// Runs the reset (writes and settling are serialised with it, so no write or operation
/// completes half-way).
pub async fn run(state: &State) -> ArmResult<Report> {
    state.writes.run(reset(state)).await
}

async fn reset(state: &State) -> ArmResult<Report> {
    let started = Instant::now();
    let _settle = state.lro.settle_lock.lock().await;
    state.runtimes.stop_all();
    state.store.wipe().await?;
    state.lro.reset_due();
    state.lro.control.clear();
    state.admin.faults.clear();
    state.admin.journal.clear();
    crate::fixtures::load(state)
        .await
        .map_err(|e| ArmError::internal(format!("reloading the fixture: {e}")))?;
    let vnets = state
        .store
        .by_kind_under(ResourceKind::VirtualNetwork, "/")
        .await?;
    let running: Vec<String> = state
        .vnet_listeners
        .lock()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    for id in running {
        if !vnets.iter().any(|v| v.id.eq_ignore_ascii_case(&id)) {
            crate::arm::network::listeners::stop(state, &id);
        }
    }
    crate::arm::network::start_stored_listeners(state).await?;
    let resources = state.store.inventory().await?.len();
    let listeners = state.vnet_listeners.lock().map(|m| m.len()).unwrap_or(0);
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(
        elapsed_ms,
        resources,
        listeners,
        "state reset to the fixture"
    );
    Ok(Report {
        elapsed_ms,
        resources,
        listeners,
    })
}

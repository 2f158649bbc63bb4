//! The operation driver: completes what is due, lazily before a request is served and in a
//! background task woken when an operation is scheduled (SPEC §3). What completing does is the
//! control plane's [`Completion`], registered once at start-up, so the data plane can settle
//! due operations without depending on `arm`.
use std::time::Duration;

use futures::future::BoxFuture;

use super::Lro;
use crate::app::{AppState, State};
use crate::error::ArmResult;
use crate::store::OperationRow;

/// Completes one due operation (the control plane's provisioner).
pub type Completion = for<'a> fn(&'a AppState, &'a OperationRow) -> BoxFuture<'a, ArmResult<()>>;

impl Lro {
    /// Registers what completing an operation does (once, at start-up; later calls are ignored).
    pub fn set_completion(&self, f: Completion) {
        let _ = self.completion.set(f);
    }
}

/// Completes every due operation (cheap when none is due: one atomic load and a try-lock).
pub async fn settle(state: &AppState) -> ArmResult<()> {
    if !state
        .lro
        .anything_due(chrono::Utc::now().timestamp_millis())
    {
        // Another settle (usually `drive`, woken by the PUT) clears the due time while it works:
        // wait for it and look again, or a poll right after the PUT reads InProgress and the SDK
        // sleeps 5-30 s (bench/ANALYSIS.md).
        if state.lro.settle_lock.try_lock().is_ok() {
            return Ok(());
        }
        drop(state.lro.settle_lock.lock().await);
        if !state
            .lro
            .anything_due(chrono::Utc::now().timestamp_millis())
        {
            return Ok(());
        }
    }
    // Completing an operation reads and rewrites its resource: a write (`write_gate`).
    state.writes.run(settle_due(state)).await
}

async fn settle_due(state: &AppState) -> ArmResult<()> {
    let _guard = state.lro.settle_lock.lock().await;
    let now = chrono::Utc::now().timestamp_millis();
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
    let Some(complete) = state.lro.completion.get() else {
        return Ok(());
    };
    for op in state.store.due_operations(now).await? {
        complete(state, &op).await?;
    }
    Ok(())
}

/// Background task: wakes when an operation is scheduled or due.
pub async fn drive(state: State) {
    loop {
        let now = chrono::Utc::now().timestamp_millis();
        let wait = state
            .lro
            .wait_hint(now)
            .map(Duration::from_millis)
            .unwrap_or(Duration::from_secs(3600));
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

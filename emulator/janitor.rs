//! Background pruning (issue 9): finished long-running operations older than
//! `--operation-retention` and blob contents nothing refers to any more, so a long-running
//! amlite's database does not grow with every create/delete cycle. An operation stays pollable
//! for the whole retention after it ended; one in progress is never pruned.
use std::time::Duration;

use crate::app::{AppState, State};

/// How often pruning runs: half the retention, between 100 ms and a minute.
pub fn interval(retention: Duration) -> Duration {
    (retention / 2).clamp(Duration::from_millis(100), Duration::from_secs(60))
}

/// Prunes once: `(operations, contents)` removed.
pub async fn prune_once(state: &AppState) -> Result<(u64, u64), sqlx::Error> {
    let retention = chrono::Duration::from_std(state.config.operation_retention)
        .unwrap_or(chrono::Duration::MAX);
    let cutoff = chrono::Utc::now()
        .checked_sub_signed(retention)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
    let ops = state
        .store
        .prune_operations(&crate::domain::arm_time(cutoff))
        .await?;
    let contents = state.store.prune_contents().await?;
    Ok((ops, contents))
}

/// Runs [`prune_once`] every [`interval`] until the process stops.
pub async fn run(state: State) {
    let every = interval(state.config.operation_retention);
    loop {
        tokio::time::sleep(every).await;
        match prune_once(&state).await {
            Ok((0, 0)) => {}
            Ok((ops, contents)) => {
                tracing::debug!(
                    ops,
                    contents,
                    "pruned finished operations and unused blob contents"
                )
            }
            Err(e) => tracing::warn!(error = %e, "pruning failed; retrying at the next interval"),
        }
    }
}

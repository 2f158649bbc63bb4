//! Admin routes of per-resource LRO control (`lro::control`):
//! - `POST /_amlite/lro` `{"resource": "*"|ID|NAME|"onlineEndpoints/ep", "mode":
//!   "immediate"|"afterPolls"|"manual", "polls": N}`: how operations created from now on for
//!   that resource complete;
//! - `GET /_amlite/lro`: the policies and the parked operations;
//! - `DELETE /_amlite/lro`: forget the policies and complete every parked operation;
//! - `POST /_amlite/operations/{id}/complete`, or `POST /_amlite/lro/complete`
//!   `{"resource": …}`: complete parked operations now.
//!
//! [`on_poll`] is called by the operation monitors for every poll.
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::AppState;
use crate::error::ArmResult;
use crate::lro::control::{Mode, Parked};
use crate::store::OperationRow;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PolicyBody {
    resource: String,
    mode: String,
    #[serde(default)]
    polls: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CompleteBody {
    resource: String,
}

const ROUTE: &str = "POST /_amlite/lro";

/// `POST /_amlite/lro`.
pub fn set_policy(state: &AppState, body: &[u8]) -> ArmResult<Value> {
    let b: PolicyBody =
        serde_json::from_slice(body).map_err(|e| super::errors::invalid_body(ROUTE, e))?;
    if b.resource.trim().is_empty() {
        return Err(super::errors::invalid_body(ROUTE, "`resource` is empty."));
    }
    let mode = match (b.mode.to_ascii_lowercase().as_str(), b.polls) {
        ("immediate", _) => Mode::Immediate,
        ("afterpolls", Some(n)) => Mode::AfterPolls(n),
        ("afterpolls", None) => {
            return Err(super::errors::invalid_body(
                ROUTE,
                "mode afterPolls needs `polls`.",
            ))
        }
        ("manual", _) => Mode::Manual,
        (other, _) => {
            return Err(super::errors::invalid_body(
                ROUTE,
                format!("unknown mode '{other}': immediate, afterPolls or manual."),
            ))
        }
    };
    state.lro.control.set(b.resource.trim(), mode);
    Ok(list(state))
}

/// `GET /_amlite/lro`.
pub fn list(state: &AppState) -> Value {
    let policies: Vec<Value> = state
        .lro
        .control
        .policies()
        .iter()
        .map(|p| {
            let polls = match p.mode {
                Mode::AfterPolls(n) => json!(n),
                _ => Value::Null,
            };
            json!({ "resource": p.resource, "mode": p.mode.name(), "polls": polls })
        })
        .collect();
    let parked: Vec<Value> = state
        .lro
        .control
        .parked()
        .into_iter()
        .map(
            |(
                id,
                Parked {
                    resource_id,
                    polls_left,
                },
            )| {
                json!({ "operationId": id, "resourceId": resource_id, "pollsLeft": polls_left })
            },
        )
        .collect();
    json!({ "policies": policies, "parked": parked })
}

/// `DELETE /_amlite/lro`: no policies; every parked operation completes.
pub async fn clear(state: &AppState) -> ArmResult<Value> {
    let ids = state.lro.control.release_matching("*");
    state.lro.control.clear();
    complete_now(state, &ids).await?;
    Ok(json!({ "completed": ids }))
}

/// `POST /_amlite/operations/{id}/complete`.
pub async fn complete_one(state: &AppState, id: &str) -> ArmResult<Value> {
    if !state.lro.control.release(id) {
        return Err(super::errors::not_parked(id));
    }
    complete_now(state, &[id.to_string()]).await?;
    Ok(json!({ "completed": [id] }))
}

/// `POST /_amlite/lro/complete` `{"resource": …}`.
pub async fn complete_matching(state: &AppState, body: &[u8]) -> ArmResult<Value> {
    let b: CompleteBody = serde_json::from_slice(body)
        .map_err(|e| super::errors::invalid_body("POST /_amlite/lro/complete", e))?;
    let ids = state.lro.control.release_matching(&b.resource);
    complete_now(state, &ids).await?;
    Ok(json!({ "completed": ids }))
}

async fn complete_now(state: &AppState, ids: &[String]) -> ArmResult<()> {
    let now = chrono::Utc::now().timestamp_millis();
    for id in ids {
        state.store.make_due(id, now).await?;
    }
    if !ids.is_empty() {
        state.lro.scheduled(now);
        crate::lro::settle(state).await?;
    }
    Ok(())
}

/// A monitor poll of `op`: completes it first when its `afterPolls` budget is used up, and
/// returns the operation as it now stands.
pub async fn on_poll(state: &AppState, op: OperationRow) -> ArmResult<OperationRow> {
    if op.status != crate::lro::IN_PROGRESS || !state.lro.control.polled(&op.id) {
        return Ok(op);
    }
    complete_now(state, std::slice::from_ref(&op.id)).await?;
    Ok(state.store.operation(&op.id).await?.unwrap_or(op))
}

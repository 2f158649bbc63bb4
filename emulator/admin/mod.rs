//! amlite's admin API under `/_amlite/` (documented in `docs/admin-api.md`; not Azure's).
//! Guarded like ARM: under `--auth strict` every call needs an amlite-signed token (the
//! dispatcher checks it before [`route`]).
//!
//! - `POST reset` ([`reset`]): back to the fixture state, keeping certificate and keys.
//! - `GET state` ([`dump`]): a JSON dump of everything held.
//! - `GET decisions[?kind=inbound|egress&after=SEQ]`, `DELETE decisions` ([`journal`]).
//! - `GET explain?...` ([`explain`]): an inbound or egress decision with rule and changes.
//! - `POST|GET|DELETE faults` ([`faults`]): make the next N matching ARM requests fail or wait.
//! - `POST|GET|DELETE lro`, `POST lro/complete`, `POST operations/{id}/complete` ([`lro`]).
//! - `GET resources`, `GET listeners`, `GET env[?vnet=]`: older routes in `arm::plumbing`.
pub mod dump;
pub mod errors;
pub mod explain;
pub mod faults;
pub mod journal;
pub mod lro;
pub mod reset;

use axum::http::Method;
use axum::response::Response;
use serde_json::{json, Value};

use crate::app::State;
use crate::error::{ArmError, ArmResult};
use crate::http::Request;

/// The admin API's in-memory state (the LRO policies live in `lro::control`).
#[derive(Debug, Default)]
pub struct AdminState {
    /// Recent inbound and egress decisions.
    pub journal: journal::Journal,
    /// Armed fault rules.
    pub faults: faults::Faults,
}

fn ok(v: &Value) -> Response {
    crate::http::ok(v)
}

/// Routes `/_amlite/{rest}` (auth already checked).
pub async fn route(state: &State, req: &Request, rest: &[&str]) -> ArmResult<Response> {
    let m = &req.method;
    let get = m == Method::GET;
    let post = m == Method::POST;
    let del = m == Method::DELETE;
    match rest {
        ["reset"] if post => Ok(ok(&json!(reset::run(state).await?))),
        ["state"] if get => Ok(ok(&dump::state(state).await?)),
        ["decisions"] if get => Ok(ok(&decisions(state, req))),
        ["decisions"] if del => {
            state.admin.journal.clear();
            Ok(ok(&json!({ "value": [] })))
        }
        ["explain"] if get => Ok(ok(&explain::explain(state, req).await?)),
        ["faults"] if post => {
            let f: faults::Fault = serde_json::from_slice(&req.body)
                .map_err(|e| errors::invalid_body("POST /_amlite/faults", e))?;
            let f = state
                .admin
                .faults
                .add(f)
                .map_err(|e| errors::invalid_body("POST /_amlite/faults", e))?;
            Ok(ok(&json!(f)))
        }
        ["faults"] if get => Ok(ok(&json!({ "value": state.admin.faults.list() }))),
        ["faults"] if del => {
            state.admin.faults.clear();
            Ok(ok(&json!({ "value": [] })))
        }
        ["lro"] if post => Ok(ok(&lro::set_policy(state, &req.body)?)),
        ["lro"] if get => Ok(ok(&lro::list(state))),
        ["lro"] if del => Ok(ok(&lro::clear(state).await?)),
        ["lro", "complete"] if post => Ok(ok(&lro::complete_matching(state, &req.body).await?)),
        ["operations", _, "complete"] if post => {
            Ok(ok(&lro::complete_one(state, &req.segs[2]).await?))
        }
        ["reset" | "state" | "decisions" | "explain" | "faults" | "lro", ..]
        | ["operations", _, "complete"] => Err(ArmError::method_not_allowed(m.as_str(), &req.path)),
        _ => crate::arm::plumbing::admin(state, req, rest).await,
    }
}

fn decisions(state: &State, req: &Request) -> Value {
    let after = req.q("after").and_then(|a| a.parse().ok()).unwrap_or(0);
    let kind = req.q("kind").filter(|k| !k.is_empty());
    json!({ "value": state.admin.journal.since(after, kind) })
}

/// Applies the first armed fault rule matching this ARM request: waits its latency, then
/// fails with its error if it has one.
pub async fn apply_faults(state: &State, req: &Request) -> ArmResult<()> {
    let Some(hit) = state.admin.faults.take(req.method.as_str(), &req.path) else {
        return Ok(());
    };
    if !hit.latency.is_zero() {
        tokio::time::sleep(hit.latency).await;
    }
    match hit.error {
        Some(e) => {
            tracing::info!(code = %e.code, path = %req.path, "injected fault");
            Err(e)
        }
        None => Ok(()),
    }
}

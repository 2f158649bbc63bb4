//! Operation monitors (SPEC §3, as recorded Azure answers them): `GET
//! …/locations/{loc}/mfeOperationsStatus/{id}` (the `Azure-AsyncOperation` body) and
//! `…/mfeOperationResults/{id}` (the `Location` result).
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::domain::ResourceId;
use crate::error::{ArmError, ArmResult};
use crate::http::{ok, Request};
use crate::lro;

/// The `Location` result of a finished operation: the resource (204 once it is gone), except
/// where Azure answers otherwise (recorded: `test_workspace_managednetwork_provision`'s
/// `provisionManagedNetwork` result is the network's status; an outbound rule PUT's is the rule,
/// an outbound rule DELETE's the workspace, `test_workspace_managednetwork_outbound_rule_operations`).
async fn succeeded_result(
    state: &AppState,
    req: &Request,
    op: &crate::store::OperationRow,
) -> ArmResult<Response> {
    let Some(row) = state
        .store
        .get(&ResourceId::from_string(op.resource_id.clone()))
        .await?
    else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    match lro::action_of(op) {
        lro::Action::ProvisionManagedNetwork => Ok(ok(&super::response::provisioned_status())),
        lro::Action::OutboundRule { name } => {
            let ws: crate::domain::Workspace = row.doc()?;
            match crate::rules::outbound_view::wire_rules(&ws, row.resource_id().as_str())
                .into_iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(&name))
            {
                Some((n, r)) => Ok(ok(&super::response::outbound_rule(
                    &row.resource_id(),
                    &n,
                    &r,
                ))),
                // A DELETE's result: the workspace (recorded).
                None => Ok(ok(&super::workspaces::render(
                    state,
                    req,
                    &row.resource_id(),
                    &ws,
                )
                .await?)),
            }
        }
        _ => Ok(ok(&super::wire::render_row(
            state,
            &row,
            &req.listener,
            req.q("api-version"),
        )?)),
    }
}

/// `GET …/mfeOperationsStatus/{id}` (monitor body) or `…/mfeOperationResults/{id}` (202 while
/// running; then 200 with the resource, 204 when it is gone, or the error envelope).
pub async fn operation_monitor(
    state: &AppState,
    req: &Request,
    results: bool,
) -> ArmResult<Response> {
    let (sub, id) = (&req.segs[1], &req.segs[7]);
    let op = state
        .store
        .operation(id)
        .await?
        .ok_or_else(|| ArmError::not_found("operations", id))?;
    // Per-resource LRO control (admin API): an `afterPolls` operation completes on its poll.
    let op = crate::admin::lro::on_poll(state, op).await?;
    if !results {
        let url = lro::status_url(
            &req.listener.base_url,
            sub,
            &op,
            req.q("api-version").unwrap_or(""),
        );
        let mut resp = ok(&lro::status_body(&url, &op));
        // Without Retry-After on the monitor the SDK polls at its 5–30 s default (SPEC §2.1).
        if op.status == lro::IN_PROGRESS {
            resp.headers_mut()
                .insert("retry-after", axum::http::HeaderValue::from_static("1"));
        }
        return Ok(resp);
    }
    match op.status.as_str() {
        lro::IN_PROGRESS => Ok(crate::lro::location_reply(req, sub, &op)),
        lro::SUCCEEDED => succeeded_result(state, req, &op).await,
        _ => Err(super::errors::operation_failed(lro::failure_of(&op))),
    }
}

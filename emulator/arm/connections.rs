//! Workspace connections (`…/workspaces/{ws}/connections[/{name}]`): the ones a template
//! deployment made (`template_deployment`; a feature store's offline store), listed, read and
//! deleted. amlite does not emulate creating connections directly: a PUT has no route.
use axum::http::Method;
use axum::response::Response;

use super::response;
use super::WsPath;
use crate::app::AppState;
use crate::domain::{ResourceKind, WorkspaceConnection};
use crate::error::{ArmError, ArmResult};
use crate::http::{ok, Request};

/// `GET …/connections`, `GET|DELETE …/connections/{name}`.
pub async fn route(
    state: &AppState,
    req: &Request,
    w: &WsPath,
    rest: &[&str],
) -> ArmResult<Response> {
    super::workspaces::load(state, w).await?;
    match (rest, &req.method) {
        (["connections"], &Method::GET) => {
            let rows = state
                .store
                .children(&w.id, ResourceKind::WorkspaceConnection)
                .await?;
            let items = rows
                .iter()
                .filter_map(|r| {
                    let c: WorkspaceConnection = r.doc().ok()?;
                    Some(response::to_value(&response::connection(
                        &r.resource_id(),
                        &w.id,
                        &c,
                    )))
                })
                .collect();
            Ok(ok(&response::list(items)))
        }
        (["connections", _], &Method::GET) => {
            let id = w.id.child("connections", w.seg(req, 1));
            let row = state
                .store
                .get(&id)
                .await?
                .ok_or_else(|| ArmError::resource_not_found(id.as_str()))?;
            let c: WorkspaceConnection = row.doc()?;
            Ok(ok(&response::connection(&row.resource_id(), &w.id, &c)))
        }
        (["connections", _], &Method::DELETE) => {
            let id = w.id.child("connections", w.seg(req, 1));
            Ok(crate::http::deleted(state.store.delete(&id).await?))
        }
        _ => Err(ArmError::no_route(req.method.as_str(), &req.path)),
    }
}

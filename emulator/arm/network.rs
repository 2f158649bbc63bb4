//! Client networks as ARM resources (SPEC §6.1, §6.2): `Microsoft.Network/virtualNetworks` and
//! `Microsoft.Network/privateEndpoints`, their listeners, and fixture loading.
//! (Walking-skeleton stage: routes answer 404 until the networks issue lands.)
use axum::response::Response;
use serde_json::Value;

use super::request::ArmRequest;
use crate::app::{AppState, Listener, State};
use crate::error::{ArmError, ArmResult};
use crate::store::Row;

/// `…/providers/Microsoft.Network/{kind}/...`.
pub async fn route(_state: &AppState, req: &ArmRequest, _kind: &str, _rest: &[&str]) -> ArmResult<Response> {
    Err(ArmError::no_route(req.method.as_str(), &req.path))
}

/// Renders a network resource row.
pub fn render_row(_state: &AppState, row: &Row, _listener: &Listener) -> ArmResult<Value> {
    Err(ArmError::internal(format!("cannot render {}", row.kind)))
}

/// Creates a fixture VNet unless it exists.
pub async fn vnet_from_fixture(_state: &AppState, _sub: &str, _rg: &str, _loc: &str, _v: &Value) -> ArmResult<()> {
    Ok(())
}

/// Creates a fixture private endpoint unless it exists.
pub async fn pe_from_fixture(_state: &AppState, _sub: &str, _rg: &str, _loc: &str, _v: &Value) -> ArmResult<()> {
    Ok(())
}

/// Starts a listener for every stored VNet (after a restart).
pub async fn start_stored_listeners(_state: &State) -> ArmResult<()> {
    Ok(())
}

/// Stops every VNet listener.
pub fn stop_all_listeners(state: &AppState) {
    if let Ok(mut map) = state.vnet_listeners.lock() {
        for (_, l) in map.drain() {
            l.handle.shutdown();
        }
    }
}

/// `/_amlite/env` and `/_amlite/listeners`.
pub async fn admin(_state: &AppState, req: &ArmRequest, _rest: &[&str]) -> ArmResult<Response> {
    Err(ArmError::no_route(req.method.as_str(), &req.path))
}

/// Private endpoints that target a workspace, as the inbound decision sees them.
pub async fn private_endpoint_views(_state: &AppState, _workspace_id: &str) -> ArmResult<Vec<crate::network::PrivateEndpointView>> {
    Ok(Vec::new())
}

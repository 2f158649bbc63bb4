//! Renders a stored row as the body ARM answers for it, whatever its kind (monitors, generic
//! reads). The bodies themselves are the typed structs of [`super::response`]; this module only
//! picks the renderer for a row's kind and re-exports the response API under its old name.
use serde_json::Value;

use crate::app::{AppState, Listener};
use crate::domain::ResourceKind;
use crate::error::ArmResult;
use crate::store::Row;

use super::response::{asset, deployment_for, endpoint, workspace};
/// Kept under their old path for the network and managed-network renderers and the tests.
pub use super::response::{list, system_data, SERVICE_APPLICATION_ID};

/// Renders any stored resource amlite serves through ARM, as `api_version` shows it (a
/// deployment's `privateNetworkConnection` is a `2022-02-01-preview` field: `deployment_for`).
pub fn render_row(
    state: &AppState,
    row: &Row,
    listener: &Listener,
    api_version: Option<&str>,
) -> ArmResult<Value> {
    let id = row.resource_id();
    let base = &listener.base_url;
    let asset_of = |kind| -> ArmResult<Value> { Ok(asset(&id, kind, &row.doc()?).to_value()) };
    match row.kind.as_str() {
        "workspace" => {
            let w = row.doc()?;
            Ok(workspace(&id, &w, &state.tenant_id, &state.internet_base).to_value())
        }
        "onlineEndpoint" => Ok(endpoint(&id, &row.doc()?, base, &state.tenant_id).to_value()),
        "onlineDeployment" => Ok(deployment_for(&id, &row.doc()?, api_version, base).to_value()),
        "model" => asset_of(ResourceKind::Model),
        "code" => asset_of(ResourceKind::Code),
        "environment" => asset_of(ResourceKind::Environment),
        "datastore" => asset_of(ResourceKind::Datastore),
        _ => crate::arm::network::render_row(state, row, listener),
    }
}

//! Builds an `EndpointRoute` from the store on a cache miss.
use std::sync::Arc;

use super::cache::{DeploymentRoute, EndpointRoute};
use crate::app::AppState;
use crate::domain::{OnlineEndpoint, ResourceKind, Workspace};
use crate::error::ArmError;
use axum::http::StatusCode;

/// The route of endpoint `name` (lower case), from the cache or the store.
pub async fn route(state: &AppState, name: &str) -> Result<Arc<EndpointRoute>, ArmError> {
    let gen = state.store.write_generation();
    if let Some(r) = state.routes.get(name, gen) {
        return Ok(r);
    }
    let rows = state
        .store
        .by_kind_and_name(ResourceKind::OnlineEndpoint, name)
        .await?;
    let row = rows.last().ok_or_else(|| {
        ArmError::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("Endpoint {name} not found."),
        )
    })?;
    let ep: OnlineEndpoint = row.doc()?;
    let ep_id = row.resource_id();
    let ws_id = ep_id
        .parent()
        .ok_or_else(|| ArmError::internal("endpoint without workspace"))?;
    let ws: Workspace = state
        .store
        .get(&ws_id)
        .await?
        .ok_or_else(|| ArmError::internal("endpoint without workspace"))?
        .doc()?;
    let mut deployments = Vec::new();
    for (id, d) in crate::arm::endpoints::deployments_of(state, &ep_id).await? {
        deployments.push(DeploymentRoute {
            name: id.name().to_string(),
            in_flight: state.routes.in_flight(id.as_str()),
            id: id.to_string(),
            state: d.provisioning_state,
            request_settings: d.request_settings.clone(),
            instance_count: d.instance_count,
            mock: crate::runtime::MockSettings::of(&d),
            runtime: crate::runtime::RuntimeKind::of(&d, state.config.runtime_default()),
        });
    }
    let private_endpoints =
        crate::arm::network::private_endpoint_views(state, ws_id.as_str()).await?;
    let (counter, mirror_counter) = state.routes.counters(ep_id.as_str());
    let route = Arc::new(EndpointRoute {
        id: ep_id.to_string(),
        name: ep_id.name().to_string(),
        workspace_id: ws_id.to_string(),
        location: ep.location.clone(),
        public_network_access: ep.public_network_access,
        workspace_public_network_access: ws.public_network_access,
        auth_mode: ep.auth_mode,
        keys: ep.keys,
        traffic: ep.traffic,
        mirror_traffic: ep.mirror_traffic,
        deployments,
        private_endpoints,
        counter,
        mirror_counter,
    });
    state.routes.insert(name.to_string(), route.clone(), gen);
    Ok(route)
}

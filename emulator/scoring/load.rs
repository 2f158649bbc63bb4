//! Builds an `EndpointRoute` from the store on a cache miss.
use std::sync::Arc;

use super::cache::{DeploymentRoute, EndpointRoute};
use crate::app::AppState;
use crate::domain::{OnlineEndpoint, ResourceKind, Workspace};
use crate::error::ArmError;
use crate::rules::names::normalize_region;
use crate::store::Row;

/// The route of endpoint `name` (lower case) in `region` (normalised) when the request names
/// one (the `{endpoint}.{region}.inference.ml.azure.com` host or `?region=` of the
/// `scoringUri`), from the cache or the store. CP-1 lets two regions share a name, so the
/// region is part of the lookup, not a check made afterwards (issue 9).
pub async fn route(
    state: &AppState,
    name: &str,
    region: Option<&str>,
) -> Result<Arc<EndpointRoute>, ArmError> {
    let gen = state.store.write_generation();
    // Endpoint names have no '.', so `name.region` never collides with a plain name.
    let key = match region {
        Some(r) => format!("{name}.{r}"),
        None => name.to_string(),
    };
    if let Some(r) = state.routes.get(&key, gen) {
        return Ok(r);
    }
    let rows = state
        .store
        .by_kind_and_name(ResourceKind::OnlineEndpoint, name)
        .await?;
    let docs = rows
        .iter()
        .map(|r| Ok((r, r.doc::<OnlineEndpoint>()?)))
        .collect::<Result<Vec<_>, ArmError>>()?;
    let (row, ep) = pick(name, region, docs)?;
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
    for (id, d) in state.store.deployments_of(&ep_id).await? {
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
    let private_endpoints = state.store.private_endpoint_views(ws_id.as_str()).await?;
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
    state.routes.insert(key, route.clone(), gen);
    Ok(route)
}

/// Which of the endpoints named `name` (in store order) a request means: the one in `region`
/// if it names one; else the one whose `scoringUri` does not name its region (the first
/// created), or the only one.
fn pick<'a>(
    name: &str,
    region: Option<&str>,
    mut docs: Vec<(&'a Row, OnlineEndpoint)>,
) -> Result<(&'a Row, OnlineEndpoint), ArmError> {
    let regions = || {
        docs.iter()
            .map(|(_, e)| normalize_region(&e.location))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(region) = region {
        let all = regions();
        return docs
            .into_iter()
            .find(|(_, e)| normalize_region(&e.location) == region)
            .ok_or_else(|| super::errors::endpoint_not_in_region(name, region, &all));
    }
    if docs.len() > 1 {
        let Some(i) = docs.iter().position(|(_, e)| !e.region_in_scoring_uri) else {
            return Err(super::errors::endpoint_ambiguous(name, &regions()));
        };
        return Ok(docs.swap_remove(i));
    }
    docs.into_iter()
        .next()
        .ok_or_else(|| super::errors::scoring_endpoint_not_found(name))
}

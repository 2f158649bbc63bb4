//! The control plane (ARM, SPEC §3): the route table of every ARM path, the handlers by provider
//! (`Microsoft.MachineLearningServices` workspaces and their children, `Microsoft.Network` in
//! [`network`], the ARM plumbing in [`plumbing`]) and the operation completion ([`provision`]).
//! Requests arrive from `crate::dispatch` already parsed; ARM paths are matched on the
//! lower-cased segments (ARM is case-insensitive), and echoed in the caller's or stored casing.
//! Must not depend on `scoring` or `blob` handlers: what they share lives in `store`/`domain`.
pub mod assets;
pub mod auth;
pub mod body;
pub mod connections;
pub mod deployment_properties;
pub mod deployments;
pub mod endpoint_properties;
pub mod endpoints;
pub mod errors;
pub mod legacy_connections;
pub mod managed_network;
pub mod monitor;
pub mod network;
pub mod paging;
pub mod persist;
pub mod platform;
pub mod plumbing;
pub mod provision;
pub mod provision_python;
pub mod rendered;
pub mod response;
pub mod template_deployment;
pub mod template_workspace;
pub mod wire;
pub mod workspace_properties;
pub mod workspace_resources;
pub mod workspaces;

use axum::http::Method;
use axum::response::Response;

use crate::app::State as AppStateRef;
use crate::error::{ArmError, ArmResult};
use crate::http::Request;

/// Rewrites the caller's path segments to the casing the longest existing resource on the path
/// was created with, so every handler echoes the stored casing (SPEC §3: "responses echo the
/// stored casing") however the request spells it. One indexed query per ARM request.
async fn stored_casing(state: &AppStateRef, req: &mut Request) -> ArmResult<()> {
    if req.lower.first().map(String::as_str) != Some("subscriptions") || req.segs.len() < 2 {
        return Ok(());
    }
    // Candidate ids end on a name: /subscriptions/S (2), …/resourceGroups/R (4), then providers
    // resources at 8, 10, 12, … segments.
    let lens: Vec<usize> = [2usize, 4]
        .into_iter()
        .chain((8..=req.segs.len()).step_by(2))
        .filter(|n| *n <= req.segs.len())
        .collect();
    let candidates: Vec<String> = lens
        .iter()
        .map(|n| format!("/{}", req.segs[..*n].join("/")))
        .collect();
    let found = state.store.stored_ids(&candidates).await?;
    let Some(longest) = found.iter().max_by_key(|id| id.len()) else {
        return Ok(());
    };
    let stored: Vec<&str> = longest.split('/').skip(1).collect();
    for (seg, s) in req.segs.iter_mut().zip(stored) {
        if seg.eq_ignore_ascii_case(s) {
            *seg = s.to_string();
        }
    }
    Ok(())
}

/// Serves one control-plane request (anything `dispatch` did not give to scoring, Blob Storage
/// or identity): its path segments take the stored casing, then the route table decides.
pub async fn handle(state: &AppStateRef, mut req: Request) -> ArmResult<Response> {
    stored_casing(state, &mut req).await?;
    route(state, &req).await
}

async fn route(state: &AppStateRef, req: &Request) -> ArmResult<Response> {
    let l: Vec<&str> = req.lower.iter().map(String::as_str).collect();
    match l.as_slice() {
        ["health"] => Ok(plumbing::health()),
        ["metadata", "endpoints"] => plumbing::metadata(req),
        ["msi", "token"] => plumbing::msi_token(state, req).await,
        ["_amlite", rest @ ..] => {
            // The admin API reads every resource and VNet exports: strict guards it like ARM.
            if state.config.auth == crate::config::AuthCheck::Strict {
                auth::check_arm_token(state, req).await?;
            }
            crate::admin::route(state, req, rest).await
        }
        ["subscriptions", ..] if req.method == Method::HEAD => {
            let get = platform::head::as_get(req);
            Ok(platform::head::answer(
                subscription_routes(state, &get, &l).await,
            ))
        }
        ["subscriptions", ..] => subscription_routes(state, req, &l).await,
        [""] | [] => Ok(plumbing::health()),
        _ => Err(ArmError::no_route(req.method.as_str(), &req.path)),
    }
}

async fn subscription_routes(
    state: &AppStateRef,
    req: &Request,
    l: &[&str],
) -> ArmResult<Response> {
    if state.config.auth == crate::config::AuthCheck::Strict {
        auth::check_arm_token(state, req).await?;
    }
    let api = req.api_version(state.config.api_versions)?.to_string();
    let get = req.method == Method::GET;
    match l {
        ["subscriptions"] if get => plumbing::list_subscriptions(state, req).await,
        // A subscription is read, never written through this path (PUT and DELETE answered
        // 200 with nothing done).
        ["subscriptions", _] if get => plumbing::get_subscription(state, req).await,
        ["subscriptions"] | ["subscriptions", _] => {
            Err(ArmError::method_not_allowed(req.method.as_str(), &req.path))
        }
        ["subscriptions", _, "resourcegroups"] => plumbing::list_resource_groups(state, req).await,
        ["subscriptions", _, "resourcegroups", _] => plumbing::resource_group(state, req).await,
        ["subscriptions", _, "resources"] if get => {
            platform::resources::list_subscription(state, req).await
        }
        ["subscriptions", _, "resourcegroups", _, "resources"] if get => {
            platform::resources::list_group(state, req).await
        }
        ["subscriptions", _, "providers"] if get => platform::providers::list(state, req).await,
        ["subscriptions", _, "providers", _] if get => platform::providers::get(state, req).await,
        ["subscriptions", _, "providers", "microsoft.network", kind] if get => {
            network::list_subscription(state, req, kind).await
        }
        ["subscriptions", _, "resourcegroups", _, "providers", ns, ty, _, rest @ ..]
            if platform::associated::serves(ns, ty) =>
        {
            platform::associated::route(state, req, rest).await
        }
        ["subscriptions", _, "providers", "microsoft.machinelearningservices", "locations", _, kind, _]
            if *kind == "mfeoperationsstatus" || *kind == "mfeoperationresults" =>
        {
            // A monitor is read-only: another method is 405, not a poll.
            if !get {
                return Err(ArmError::method_not_allowed(req.method.as_str(), &req.path));
            }
            monitor::operation_monitor(state, req, *kind == "mfeoperationresults").await
        }
        ["subscriptions", _, "providers", "microsoft.machinelearningservices", "workspaces"] => {
            workspaces::list_by_subscription(state, req).await
        }
        // `az deployment group list` asks for `…/deployments/` (a trailing slash).
        ["subscriptions", _, "resourcegroups", _, "providers", "microsoft.resources", "deployments"]
        | ["subscriptions", _, "resourcegroups", _, "providers", "microsoft.resources", "deployments", ""] => {
            template_deployment::list(state, req).await
        }
        ["subscriptions", _, "resourcegroups", _, "providers", "microsoft.resources", "deployments", _, rest @ ..] => {
            template_deployment::handle(state, req, rest).await
        }
        ["subscriptions", _, "resourcegroups", _, "deployments", _, "operations"] => {
            template_deployment::operations_of(state, req).await
        }
        ["subscriptions", _, "resourcegroups", _, "providers", "microsoft.machinelearningservices", "workspaces"] => {
            workspaces::list_by_resource_group(state, req).await
        }
        ["subscriptions", _, "resourcegroups", _, "providers", "microsoft.machinelearningservices", "workspaces", _, rest @ ..] => {
            workspace_routes(state, req, rest, &api).await
        }
        ["subscriptions", _, "resourcegroups", _, "providers", "microsoft.network", kind, rest @ ..] => {
            network::route(state, req, kind, rest).await
        }
        _ => Err(ArmError::no_route(req.method.as_str(), &req.path)),
    }
}

/// The parts of a workspace-scoped path in the caller's casing.
#[derive(Debug, Clone)]
pub struct WsPath {
    /// Subscription id.
    pub sub: String,
    /// Resource group.
    pub rg: String,
    /// Workspace name.
    pub ws: String,
    /// Workspace id.
    pub id: crate::domain::ResourceId,
}

impl WsPath {
    fn of(req: &Request) -> Self {
        let (sub, rg, ws) = (
            req.segs[1].clone(),
            req.segs[3].clone(),
            req.segs[7].clone(),
        );
        let id = crate::domain::ResourceId::workspace(&sub, &rg, &ws);
        WsPath { sub, rg, ws, id }
    }
    /// The i-th segment after the workspace name, in the caller's casing.
    pub fn seg<'a>(&self, req: &'a Request, i: usize) -> &'a str {
        req.segs.get(8 + i).map(String::as_str).unwrap_or("")
    }
}

async fn workspace_routes(
    state: &AppStateRef,
    req: &Request,
    rest: &[&str],
    api: &str,
) -> ArmResult<Response> {
    let w = WsPath::of(req);
    let m = &req.method;
    match rest {
        [] => workspaces::route(state, req, &w).await,
        ["onlineendpoints"] if m == Method::GET => endpoints::list(state, req, &w).await,
        ["onlineendpoints", _] => endpoints::route(state, req, &w).await,
        ["onlineendpoints", _, action] if m == Method::POST => {
            endpoints::action(state, req, &w, action).await
        }
        ["onlineendpoints", _, "deployments"] if m == Method::GET => {
            deployments::list(state, req, &w).await
        }
        ["onlineendpoints", _, "deployments", _] => deployments::route(state, req, &w).await,
        ["onlineendpoints", _, "deployments", _, "getlogs"] if m == Method::POST => {
            deployments::get_logs(state, req, &w).await
        }
        ["onlineendpoints", _, "deployments", _, "skus"] if m == Method::GET => {
            deployments::skus(state, req, &w).await
        }
        ["models" | "codes" | "environments" | "datastores" | "data" | "components", ..] => {
            assets::route(state, req, &w, rest, api).await
        }
        ["connections"] | ["connections", _] => connections::route(state, req, &w, rest).await,
        ["outboundrules", ..]
        | ["provisionmanagednetwork"]
        | ["privateendpointconnections", ..]
        | ["privatelinkresources"] => workspaces::network_route(state, req, &w, rest).await,
        _ => Err(ArmError::no_route(m.as_str(), &req.path)),
    }
}

/// Checks a user-chosen resource name is safe (no separators, `..`, control characters):
/// 400 `InvalidResourceName` otherwise.
pub fn safe_name<'a>(kind: &str, name: &'a str) -> ArmResult<&'a str> {
    if crate::domain::is_safe_name(name) {
        Ok(name)
    } else {
        Err(ArmError::invalid_name(kind, name))
    }
}

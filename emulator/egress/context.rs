//! A deployment's egress context (SPEC 6.4) built from stored state: the workspace managed
//! network (ISO-6; required rules of ISO-8 and user rules, ISO-9) or the deployment's legacy
//! `egressPublicNetworkAccess` (ISO-13, ISO-16..18), the workspace's hosts, and every other
//! running deployment's loopback ports (ISO-10).
//!
//! Host names used for the workspace's resources (Azure's public names):
//! storage `{account}.{blob|dfs|file|queue|table}.core.windows.net`, key vault
//! `{vault}.vault.azure.net`, container registry `{registry}.azurecr.io`, workspace API
//! `{region}.api.azureml.ms` and `{workspaceId}.workspace.{region}.api.azureml.ms`, plus amlite's
//! internet listener `127.0.0.1:{port}` / `localhost:{port}` (the workspace API, blob storage
//! and public scoring as amlite serves them). amlite's VNet listeners are inside client VNets:
//! refused (ISO-10), so scoring from a deployment takes the public path (ISO-5).
use std::sync::Weak;

use futures::future::BoxFuture;
use serde_json::Value;

use super::{plan, Catalog, EgressError, ExternalService, Plan, Resolve};
use crate::app::AppState;
use crate::domain::enums::{OutboundRuleType, RuleCategory};
use crate::domain::id::last_segment_lower;
use crate::domain::{
    OnlineDeployment, OutboundDestination, OutboundRule, PublicNetworkAccess, ResourceId, Workspace,
};
use crate::network::{EgressContext, ManagedNetworkView, OutboundRuleView};

/// Storage sub-services a storage account's name is served under.
const STORAGE_SERVICES: &[&str] = &["blob", "dfs", "file", "queue", "table"];

/// Resolves plans for one deployment from the live store (a [`Resolve`] for its proxy). Holds
/// the state weakly: the proxy lives inside the state's runtimes and must not keep it alive.
#[derive(Debug, Clone)]
pub struct DeploymentResolver {
    state: Weak<AppState>,
    deployment: ResourceId,
}

impl DeploymentResolver {
    /// A resolver for deployment `deployment` (`.../onlineEndpoints/{e}/deployments/{d}`).
    pub fn new(state: Weak<AppState>, deployment: ResourceId) -> Self {
        DeploymentResolver { state, deployment }
    }

    async fn current(&self) -> Result<(EgressContext, Catalog), EgressError> {
        let state = self.state.upgrade().ok_or(EgressError::ShuttingDown)?;
        let gone = || EgressError::DeploymentGone(self.deployment.as_str().to_string());
        let row = state.store.get(&self.deployment).await?;
        let d: OnlineDeployment = row.ok_or_else(gone)?.doc()?;
        let ws_id = self
            .deployment
            .parent()
            .and_then(|e| e.parent())
            .ok_or_else(gone)?;
        let ws_row = state.store.get(&ws_id).await?;
        let ws: Workspace = ws_row.ok_or_else(gone)?.doc()?;
        let services = super::services::all(&state).await?;
        let facts = Facts {
            listener_ports: internet_port(&state).into_iter().collect(),
            client_vnet_ports: vnet_ports(&state),
            other_deployment_ports: state.runtimes.ports_except(self.deployment.as_str()),
            services,
        };
        Ok(build(&ws, d.egress_public_network_access, facts))
    }
}

impl DeploymentResolver {
    /// The plan for a connection to `host:port` from the live store, without recording it
    /// (`amlite explain --egress`; the proxy's [`Resolve::plan`] records each decision).
    pub async fn decide(&self, host: &str, port: u16) -> Plan {
        match self.current().await {
            Ok((ctx, catalog)) => plan(&ctx, &catalog, host, port),
            Err(e) => Plan::Unavailable(e.to_string()),
        }
    }
}

impl Resolve for DeploymentResolver {
    fn plan<'a>(&'a self, host: &'a str, port: u16) -> BoxFuture<'a, Plan> {
        Box::pin(async move {
            let p = self.decide(host, port).await;
            if let Some(state) = self.state.upgrade() {
                let id = self.deployment.as_str();
                state.admin.journal.egress(id, host, port, &p);
            }
            p
        })
    }

    fn token<'a>(
        &'a self,
        resource: &'a str,
        query: &'a [(String, String)],
    ) -> BoxFuture<'a, Result<Value, (u16, String)>> {
        Box::pin(async move { self.identity_token(resource, query).await })
    }
}

impl DeploymentResolver {
    /// A token of the endpoint's identity that `query` names, signed like every amlite token
    /// (`identity::tokens`), issue 12.
    async fn identity_token(
        &self,
        resource: &str,
        query: &[(String, String)],
    ) -> Result<Value, (u16, String)> {
        use crate::identity::tokens::{issue_as, Subject};
        let unavailable = |m: String| (503, m);
        let state = self
            .state
            .upgrade()
            .ok_or_else(|| unavailable(EgressError::ShuttingDown.to_string()))?;
        let ep_id = self
            .deployment
            .parent()
            .ok_or_else(|| unavailable("The deployment has no endpoint.".into()))?;
        let row = state
            .store
            .get(&ep_id)
            .await
            .map_err(|e| unavailable(e.to_string()))?
            .ok_or_else(|| {
                unavailable(format!("The endpoint {} no longer exists.", ep_id.as_str()))
            })?;
        let ep: crate::domain::OnlineEndpoint =
            row.doc().map_err(|e| unavailable(e.to_string()))?;
        let all = crate::domain::identity::identities(&row.id, ep.identity.as_ref());
        let mi = crate::domain::identity::select(&all, query).map_err(|m| (400, m.to_string()))?;
        let key = state.keys.get().await.map_err(|e| (500, e.message))?;
        let issuer = crate::identity::issuer(&state.internet_base, &state.tenant_id);
        let subject = Subject {
            object_id: &mi.principal_id,
            app_id: &mi.client_id,
            mi_resource_id: Some(&mi.resource_id),
        };
        let lifetime = crate::identity::routes::TOKEN_LIFETIME_SECS;
        let now = chrono::Utc::now().timestamp();
        let (token, exp) = issue_as(
            &key,
            &issuer,
            &state.tenant_id,
            resource,
            lifetime,
            now,
            &subject,
        )
        .map_err(|e| (500, e.message))?;
        Ok(serde_json::json!({
            "access_token": token, "expires_on": exp.to_string(), "expires_in": lifetime.to_string(),
            "resource": resource, "token_type": "Bearer", "client_id": mi.client_id
        }))
    }
}

/// The internet listener's port.
fn internet_port(state: &AppState) -> Option<u16> {
    state
        .internet_base
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
}

/// The ports of every VNet listener (inside client VNets, SPEC 6.2).
fn vnet_ports(state: &AppState) -> Vec<u16> {
    state
        .vnet_listeners
        .lock()
        .map(|m| m.values().map(|l| l.port).collect())
        .unwrap_or_default()
}

/// What [`build`] needs beyond the workspace and the deployment's flag.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// amlite's listener ports outside client VNets (the internet listener).
    pub listener_ports: Vec<u16>,
    /// amlite's VNet listener ports: inside client VNets, refused (ISO-10).
    pub client_vnet_ports: Vec<u16>,
    /// Inference and proxy ports of every other running deployment (ISO-10).
    pub other_deployment_ports: Vec<u16>,
    /// Declared external services (SPEC 6.1).
    pub services: Vec<ExternalService>,
}

/// The egress context and catalog of a deployment in `ws` whose `egressPublicNetworkAccess` is
/// `legacy_egress` (used only without a managed network). Pure.
pub fn build(
    ws: &Workspace,
    legacy_egress: PublicNetworkAccess,
    facts: Facts,
) -> (EgressContext, Catalog) {
    let managed_network = Some(ws.managed_network.isolation_mode)
        .filter(|m| m.is_managed())
        .map(|mode| ManagedNetworkView {
            isolation_mode: mode,
            rules: crate::rules::outbound_view::all_rules(ws)
                .iter()
                .flat_map(|(_, rule)| rule_views(rule, &facts.services))
                .collect(),
        });
    let loopback = |p: &u16| [format!("127.0.0.1:{p}"), format!("localhost:{p}")];
    let amlite: Vec<String> = facts.listener_ports.iter().flat_map(loopback).collect();
    let api = vec![
        format!("{}.api.azureml.ms", ws.location),
        format!(
            "{}.workspace.{}.api.azureml.ms",
            ws.workspace_guid, ws.location
        ),
    ];
    let storage = last_segment_lower(&ws.storage_account);
    let registry = ws.container_registry.as_deref().map(last_segment_lower);
    let mut workspace_api_hosts = amlite.clone();
    workspace_api_hosts.extend(api.iter().cloned());
    let mut workspace_hosts = workspace_api_hosts.clone();
    workspace_hosts.push(format!("{storage}.blob.core.windows.net"));
    workspace_hosts.extend(registry.iter().map(|r| format!("{r}.azurecr.io")));
    let ctx = EgressContext {
        managed_network,
        legacy_egress,
        workspace_hosts,
        workspace_api_hosts,
        other_deployment_hosts: facts
            .other_deployment_ports
            .iter()
            .flat_map(loopback)
            .collect(),
        client_vnet_hosts: facts.client_vnet_ports.iter().flat_map(loopback).collect(),
    };
    let mut private_hosts = private_resource_hosts(ws);
    if !ws.public_network_access.is_enabled() {
        private_hosts.extend(amlite);
        private_hosts.extend(api);
    }
    let catalog = Catalog {
        services: facts.services,
        private_hosts,
        local_ports: facts.listener_ports,
    };
    (ctx, catalog)
}

/// Hosts of the resources declared with `publicNetworkAccess: Disabled`
/// (`Workspace::resource_access`: `storage:{a}`, `vault:{v}`, `registry:{r}`).
fn private_resource_hosts(ws: &Workspace) -> Vec<String> {
    let mut out = Vec::new();
    for (key, access) in &ws.resource_access {
        if access.is_enabled() {
            continue;
        }
        match key.split_once(':') {
            Some(("storage", a)) => out.extend(
                STORAGE_SERVICES
                    .iter()
                    .map(|s| format!("{a}.{s}.core.windows.net")),
            ),
            Some(("vault", v)) => out.push(format!("{v}.vault.azure.net")),
            Some(("registry", r)) => out.push(format!("{r}.azurecr.io")),
            _ => {}
        }
    }
    out
}

/// The decision's view(s) of one outbound rule in wire form (`{type, category, destination}`).
/// A `PrivateEndpoint` rule gives one view per host of its `serviceResourceId` (see
/// [`private_endpoint_hosts`]); unknown types and malformed rules give none (they open nothing).
pub fn rule_views(rule: &OutboundRule, services: &[ExternalService]) -> Vec<OutboundRuleView> {
    let required = rule.category == RuleCategory::Required;
    let dest = rule.object();
    match (rule.rule_type, &rule.destination) {
        (OutboundRuleType::Fqdn, OutboundDestination::Fqdn(d)) => vec![OutboundRuleView::Fqdn {
            destination: d.clone(),
            required,
        }],
        (OutboundRuleType::ServiceTag, _) => dest
            .and_then(|d| d.service_tag.as_ref().map(|tag| (d, tag)))
            .map(|(d, tag)| OutboundRuleView::ServiceTag {
                tag: tag.clone(),
                port_ranges: d.port_ranges.clone().unwrap_or_default(),
                required,
            })
            .into_iter()
            .collect(),
        (OutboundRuleType::PrivateEndpoint, _) => dest
            .and_then(|d| {
                d.service_resource_id
                    .as_deref()
                    .map(|id| private_endpoint_hosts(id, d.subresource_target.as_deref(), services))
            })
            .unwrap_or_default()
            .into_iter()
            .map(|host| OutboundRuleView::PrivateEndpoint { host, required })
            .collect(),
        _ => Vec::new(),
    }
}

/// The hosts a private endpoint to `resource_id` makes reachable: a declared external service
/// named by its `resourceId` or host; a storage account (`subresource` `blob`, `dfs`, ... ;
/// default `blob`), key vault or container registry by its Azure host name; a bare host name
/// (no `/`) as itself. Anything else: none.
pub fn private_endpoint_hosts(
    resource_id: &str,
    subresource: Option<&str>,
    services: &[ExternalService],
) -> Vec<String> {
    let id = resource_id.trim();
    if let Some(s) = services
        .iter()
        .find(|s| s.resource_id.eq_ignore_ascii_case(id) || s.host.eq_ignore_ascii_case(id))
    {
        return vec![s.host.clone()];
    }
    if !id.contains('/') {
        return if id.is_empty() {
            vec![]
        } else {
            vec![id.to_string()]
        };
    }
    let lower = id.to_ascii_lowercase();
    let name = last_segment_lower(id);
    if lower.contains("/providers/microsoft.storage/storageaccounts/") {
        let sub = subresource
            .filter(|s| !s.trim().is_empty())
            .unwrap_or("blob");
        vec![format!(
            "{name}.{}.core.windows.net",
            sub.trim().to_ascii_lowercase()
        )]
    } else if lower.contains("/providers/microsoft.keyvault/vaults/") {
        vec![format!("{name}.vault.azure.net")]
    } else if lower.contains("/providers/microsoft.containerregistry/registries/") {
        vec![format!("{name}.azurecr.io")]
    } else {
        Vec::new()
    }
}

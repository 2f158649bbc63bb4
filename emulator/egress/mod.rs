//! The per-deployment egress proxy of SPEC 6.4: every running `python` deployment gets its own
//! HTTP forward proxy on `127.0.0.1:<port>` (`HTTP_PROXY`/`HTTPS_PROXY` in its environment), so
//! ISO-6, ISO-8, ISO-9, ISO-10, ISO-16..18 are enforced on what the user's `score.py` really does.
//!
//! - [`proxy`]: the listener (`CONNECT host:port` tunnels and absolute-form plain HTTP).
//! - [`plan`] (here): what to do with one destination, from the pure decision
//!   [`network::decide_egress`] plus the [`Catalog`] of which hosts are private-only and which
//!   are really served on loopback.
//! - [`context`]: builds the deployment's [`EgressContext`] and [`Catalog`] from the store at
//!   every connection (so rule and flag changes apply to the next connection).
//! - [`services`]: the external services users declare in fixtures (SPEC 6.1).
//! - [`identity`]: the deployment's managed-identity endpoint, served by the proxy itself.
//! - [`errors`]: [`EgressError`], what can go wrong on the way.
//!
//! Answers: refused → `403` with `x-amlite-egress-rule: <rule id>`; allowed and served locally
//! (amlite's own listeners, declared external services) → forwarded for real; allowed but only
//! on the internet → `502` with `x-amlite-egress: allowed`. Nothing outside 127.0.0.0/8 is ever
//! connected to.
pub mod context;
pub mod errors;
mod http;
pub mod identity;
pub mod proxy;
pub mod services;

use std::net::SocketAddr;

use futures::future::BoxFuture;

use crate::network::{
    self, host_matches_pattern, normalize_host, split_host_port, Destination, DestinationKind,
    EgressContext, EgressDecision,
};

pub use context::DeploymentResolver;
pub use errors::EgressError;
pub use proxy::Proxy;
pub use services::ExternalService;

/// Facts about destinations beside the [`EgressContext`]: which are private-only and which
/// amlite really serves on loopback.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    /// Declared external services (SPEC 6.1): their access decides the destination kind and
    /// allowed requests to them are forwarded to their local address.
    pub services: Vec<ExternalService>,
    /// Entries (`host`, `*.suffix` or `host:port`, as in [`EgressContext`]) whose public access
    /// is disabled: the workspace's storage, registry or API when declared so.
    pub private_hosts: Vec<String>,
    /// amlite's own listener ports: `127.0.0.1:<port>` / `localhost:<port>` is forwarded for real
    /// when allowed (blob downloads, ARM calls from scoring code).
    pub local_ports: Vec<u16>,
}

/// What the proxy does with one destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Refused: answer `403` naming `rule` (a SPEC id) with `message` (why, what to change).
    Refused {
        /// `ISO-8`, `ISO-9`, `ISO-10`, `ISO-16`, `ISO-17` or `ISO-18`.
        rule: &'static str,
        /// Why, and what to change.
        message: String,
    },
    /// Allowed and served locally: connect to `upstream` (always a loopback address).
    Forward {
        /// The rule or mode that allowed it (`network::egress::VIA_*`).
        via: &'static str,
        /// Where the destination is really served.
        upstream: SocketAddr,
    },
    /// Allowed, but the destination is on the internet, which amlite does not reach: `502`
    /// with `x-amlite-egress: allowed`.
    NotEmulated {
        /// The rule or mode that allowed it.
        via: &'static str,
    },
    /// The deployment's context could not be read (deleted, database error): `503`.
    Unavailable(String),
}

/// Decides what to do with a connection to `host:port` (SPEC 6.4): classifies the destination
/// with `catalog`, runs [`network::decide_egress`], and picks the local upstream if any.
pub fn plan(ctx: &EgressContext, catalog: &Catalog, host: &str, port: u16) -> Plan {
    let host = normalize_host(host);
    let service = catalog.services.iter().find(|s| s.host == host);
    let private = catalog.private_hosts.iter().any(|entry| {
        let (pattern, p) = split_host_port(entry);
        p.is_none_or(|p| p == port) && host_matches_pattern(&pattern, &host)
    });
    let kind = match service {
        Some(s) if !s.access.is_enabled() => DestinationKind::PrivateOnly,
        Some(_) => DestinationKind::Public,
        None if private => DestinationKind::PrivateOnly,
        None => DestinationKind::Public,
    };
    let dest = Destination {
        host: host.clone(),
        port,
        kind,
    };
    let via = match network::decide_egress(ctx, &dest) {
        EgressDecision::Refused { rule, message } => return Plan::Refused { rule, message },
        EgressDecision::Allowed { via } => via,
    };
    let upstream = match service {
        Some(s) => Some(s.upstream),
        None if is_loopback_name(&host) && catalog.local_ports.contains(&port) => {
            Some(SocketAddr::from(([127, 0, 0, 1], port)))
        }
        None => None,
    };
    match upstream {
        Some(upstream) => Plan::Forward { via, upstream },
        None => Plan::NotEmulated { via },
    }
}

/// `localhost` or an address in 127.0.0.0/8.
pub fn is_loopback_name(host: &str) -> bool {
    let h = normalize_host(host);
    h == "localhost"
        || h.parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Where a proxy gets its [`Plan`] for each connection.
pub trait Resolve: Send + Sync + 'static {
    /// The plan for a connection to `host:port` (host as the client sent it).
    fn plan<'a>(&'a self, host: &'a str, port: u16) -> BoxFuture<'a, Plan>;

    /// A managed-identity token for `resource`, of the identity `query` names
    /// ([`identity`]): the endpoint's JSON answer, or an HTTP status and why not.
    fn token<'a>(
        &'a self,
        resource: &'a str,
        query: &'a [(String, String)],
    ) -> BoxFuture<'a, Result<serde_json::Value, (u16, String)>> {
        let _ = (resource, query);
        Box::pin(async { Err((404, "This proxy serves no managed identity.".to_string())) })
    }
}

/// A fixed context and catalog (tests, and anything that builds the context itself).
#[derive(Debug, Clone)]
pub struct StaticResolver {
    /// The deployment's egress context.
    pub context: EgressContext,
    /// What is private-only and what is served locally.
    pub catalog: Catalog,
}

impl Resolve for StaticResolver {
    fn plan<'a>(&'a self, host: &'a str, port: u16) -> BoxFuture<'a, Plan> {
        Box::pin(async move { plan(&self.context, &self.catalog, host, port) })
    }
}

/// Starts the egress proxy of deployment `deployment` (SPEC 6.4), resolving every connection
/// from the live store. The caller passes [`Proxy::env`] to the deployment's processes and
/// keeps the proxy with them (`Runtimes::attach_egress_proxy`). Errors: the bind failed.
pub async fn start_for(
    state: &crate::app::State,
    deployment: &crate::domain::ResourceId,
) -> Result<Proxy, EgressError> {
    let resolver = DeploymentResolver::new(std::sync::Arc::downgrade(state), deployment.clone());
    Proxy::start(std::sync::Arc::new(resolver))
        .await
        .map_err(EgressError::ProxyStart)
}

//! The egress decision of SPEC 6.4: may a deployment open a connection to a destination host and
//! port? Used by the per-deployment egress proxy at run time.
//!
//! Rules implemented: ISO-6 (the workspace managed network is every deployment's egress context),
//! ISO-8 (required rules, PrivateEndpoint rules for private resources, MCR always), ISO-9
//! (isolation modes; FQDN rules on ports 80/443 with `*.` wildcards; ServiceTag rules), ISO-10
//! (deployments are isolated from each other, and never step into a client VNet); without a
//! managed network, ISO-13/16/17/18 as decided in [`super::legacy`] (shared with provisioning).
//!
//! Must not depend on any amlite module but `domain` (its enums); no IO.

use super::hostmatch::{host_matches_pattern, split_host_port, PortRanges};
use super::service_tags::service_tag_hosts;
use super::PublicNetworkAccess;

/// `via` of a destination allowed by an outbound rule with category `Required` (ISO-8).
pub const VIA_REQUIRED: &str = "Required";
/// `via` of a destination allowed by a user `PrivateEndpoint` outbound rule (ISO-8).
pub const VIA_PRIVATE_ENDPOINT: &str = "PrivateEndpoint";
/// `via` of a destination allowed by a user `FQDN` outbound rule (ISO-9).
pub const VIA_FQDN: &str = "FQDN";
/// `via` of a destination allowed by a user `ServiceTag` outbound rule (ISO-9).
pub const VIA_SERVICE_TAG: &str = "ServiceTag";
/// `via` of Microsoft Container Registry, always reachable from a managed network (ISO-8).
pub const VIA_MCR: &str = "MicrosoftContainerRegistry";
/// `via` of the workspace's own resources through the managed network's private endpoints (ISO-6).
pub const VIA_WORKSPACE_PRIVATE_ENDPOINT: &str = "WorkspacePrivateEndpoint";
/// `via` of a public destination under managed network mode `AllowInternetOutbound` (ISO-9).
pub const VIA_INTERNET_OUTBOUND: &str = "AllowInternetOutbound";
/// `via` of a public destination for a legacy deployment with egress enabled (ISO-18).
pub const VIA_LEGACY_PUBLIC: &str = "EgressPublicNetworkAccessEnabled";
/// `via` of a workspace resource for a legacy deployment with egress disabled (ISO-13, ISO-17).
pub const VIA_LEGACY_WORKSPACE: &str = "LegacyWorkspacePrivateEndpoint";

/// Managed network isolation mode (`managedNetwork.isolationMode`, ISO-9), the one Azure enum.
/// `Disabled` is modelled as "no managed network" (`EgressContext::managed_network == None`).
pub use crate::domain::IsolationMode;

/// One outbound rule of a workspace managed network (`managedNetwork.outboundRules`, ISO-8).
/// `required` is true for category `Required` (created by amlite), false for `UserDefined`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboundRuleView {
    /// `type: FQDN`: a host name or `*.` wildcard; ports 80 and 443 only (ISO-9).
    Fqdn {
        /// e.g. `pypi.org` or `*.pythonhosted.org`.
        destination: String,
        /// Category `Required`?
        required: bool,
    },
    /// `type: ServiceTag`: hosts of a built-in tag (see `service_tags`), on `port_ranges`.
    ServiceTag {
        /// e.g. `AzureActiveDirectory`, `Storage.EastUS`; unknown tags allow nothing.
        tag: String,
        /// e.g. `"80,443"`, `"1-65535"`, `"*"`; empty means all ports; malformed allows nothing.
        port_ranges: String,
        /// Category `Required`?
        required: bool,
    },
    /// `type: PrivateEndpoint`: a private endpoint to a resource, reachable on any port even
    /// when the resource refuses public access.
    PrivateEndpoint {
        /// The resource's host, e.g. `mystore.blob.core.windows.net` (`*.` wildcards accepted).
        host: String,
        /// Category `Required`?
        required: bool,
    },
}

impl OutboundRuleView {
    /// `true` for category `Required`.
    pub fn required(&self) -> bool {
        match self {
            OutboundRuleView::Fqdn { required, .. }
            | OutboundRuleView::ServiceTag { required, .. }
            | OutboundRuleView::PrivateEndpoint { required, .. } => *required,
        }
    }

    /// Does this rule let a connection to `dest` through? FQDN and ServiceTag rules open public
    /// paths only, so they never match a [`DestinationKind::PrivateOnly`] destination.
    pub fn allows(&self, dest: &Destination) -> bool {
        match self {
            OutboundRuleView::PrivateEndpoint { host, .. } => {
                host_matches_pattern(host, &dest.host)
            }
            OutboundRuleView::Fqdn { destination, .. } => {
                dest.kind == DestinationKind::Public
                    && matches!(dest.port, 80 | 443)
                    && host_matches_pattern(destination, &dest.host)
            }
            OutboundRuleView::ServiceTag {
                tag, port_ranges, ..
            } => {
                dest.kind == DestinationKind::Public
                    && PortRanges::parse(port_ranges).is_some_and(|r| r.contains(dest.port))
                    && service_tag_hosts(tag).is_some_and(|hosts| {
                        hosts.iter().any(|p| host_matches_pattern(p, &dest.host))
                    })
            }
        }
    }

    fn via(&self) -> &'static str {
        match self {
            _ if self.required() => VIA_REQUIRED,
            OutboundRuleView::Fqdn { .. } => VIA_FQDN,
            OutboundRuleView::ServiceTag { .. } => VIA_SERVICE_TAG,
            OutboundRuleView::PrivateEndpoint { .. } => VIA_PRIVATE_ENDPOINT,
        }
    }
}

/// A provisioned workspace managed network (ISO-6): the egress context of every deployment in
/// the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedNetworkView {
    /// `AllowInternetOutbound` or `AllowOnlyApprovedOutbound`.
    pub isolation_mode: IsolationMode,
    /// Required and user-defined outbound rules.
    pub rules: Vec<OutboundRuleView>,
}

/// Everything the egress decision knows about one deployment.
///
/// Host entries in `workspace_hosts` and `other_deployment_hosts` are `host`, `*.suffix` or
/// `host:port`; an entry without a port matches every port, one with a port only that port (so
/// local addresses such as `127.0.0.1:6001` can tell deployments apart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgressContext {
    /// The workspace's managed network, or `None` (managed network disabled: legacy isolation).
    pub managed_network: Option<ManagedNetworkView>,
    /// The deployment's `egressPublicNetworkAccess`; used only when `managed_network` is `None`.
    pub legacy_egress: PublicNetworkAccess,
    /// The workspace API, its blob storage and its container registry hosts.
    pub workspace_hosts: Vec<String>,
    /// Those of `workspace_hosts` that are the workspace itself (its API, amlite's listeners):
    /// legacy public egress to them cites ISO-16, to its storage or registry ISO-18.
    pub workspace_api_hosts: Vec<String>,
    /// Addresses of every other deployment (of any endpoint); always refused (ISO-10).
    pub other_deployment_hosts: Vec<String>,
    /// Addresses that are inside a client VNet (amlite's VNet listeners, SPEC 6.2); always
    /// refused: a deployment runs in its own network, and reaching a VNet's listener would
    /// score endpoints through that VNet's private endpoint, bypassing ISO-5 (ISO-10).
    pub client_vnet_hosts: Vec<String>,
}

/// Whether a destination accepts public connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DestinationKind {
    /// Reachable over the internet (public access enabled, or an internet service).
    Public,
    /// Public access disabled: reachable only through a private endpoint.
    PrivateOnly,
}

/// Where a deployment wants to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// Host name or IP, without port (compared case-insensitively).
    pub host: String,
    /// TCP port (443 for HTTPS CONNECT, 80 for plain HTTP, ...).
    pub port: u16,
    /// Public or private-only.
    pub kind: DestinationKind,
}

/// Outcome of [`decide_egress`]. A refusal is answered by the proxy with 403 and a header/body
/// naming `rule`; at provisioning time it fails the deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EgressDecision {
    /// Connect. `via` is one of the `VIA_*` constants: the rule or mode that allowed it.
    Allowed {
        /// Which rule allowed it.
        via: &'static str,
    },
    /// Refuse.
    Refused {
        /// The SPEC rule that refused: `ISO-8`, `ISO-9`, `ISO-10`, `ISO-16`, `ISO-17` or `ISO-18`.
        rule: &'static str,
        /// Why, and what to change.
        message: String,
    },
}

impl EgressDecision {
    /// `true` for [`EgressDecision::Allowed`].
    pub fn is_allowed(&self) -> bool {
        matches!(self, EgressDecision::Allowed { .. })
    }
}

/// The egress decision of SPEC 6.4. Checks, in order: another deployment's address or an
/// address inside a client VNet → refused (ISO-10); then the managed network when there is one ([`decide_managed`]), else the legacy
/// per-deployment flag ([`super::legacy::decide_legacy`]).
pub fn decide_egress(ctx: &EgressContext, dest: &Destination) -> EgressDecision {
    if any_entry_matches(&ctx.other_deployment_hosts, dest) {
        return refused(
            "ISO-10",
            format!(
                "Egress to {}:{} is refused: it is another deployment, and every deployment is \
                 isolated from every other. Call the other endpoint through its scoring URI.",
                dest.host, dest.port
            ),
        );
    }
    if any_entry_matches(&ctx.client_vnet_hosts, dest) {
        return refused(
            "ISO-10",
            format!(
                "Egress to {}:{} is refused: it is inside a client virtual network, and a \
                 deployment runs in its own network, never in a client VNet. Call other \
                 endpoints through their public scoring URI, subject to their \
                 publicNetworkAccess (ISO-5).",
                dest.host, dest.port
            ),
        );
    }
    match &ctx.managed_network {
        Some(mn) => decide_managed(mn, ctx, dest),
        None => super::legacy::decide_legacy(ctx, dest),
    }
}

/// Managed network (ISO-6, ISO-8, ISO-9): MCR always; the workspace's own resources through the
/// managed network's required private endpoints; then the outbound rules (first match wins);
/// then private-only destinations are refused (ISO-8) and public ones are allowed only in
/// `AllowInternetOutbound` (ISO-9).
pub fn decide_managed(
    mn: &ManagedNetworkView,
    ctx: &EgressContext,
    dest: &Destination,
) -> EgressDecision {
    if is_mcr(&dest.host) {
        return EgressDecision::Allowed { via: VIA_MCR };
    }
    if any_entry_matches(&ctx.workspace_hosts, dest) {
        return EgressDecision::Allowed {
            via: VIA_WORKSPACE_PRIVATE_ENDPOINT,
        };
    }
    if let Some(rule) = mn.rules.iter().find(|r| r.allows(dest)) {
        return EgressDecision::Allowed { via: rule.via() };
    }
    let target = format!("{}:{}", dest.host, dest.port);
    if dest.kind == DestinationKind::PrivateOnly {
        return refused(
            "ISO-8",
            format!(
                "Egress to {target} is refused: the resource does not accept public connections \
                 and the workspace managed network has no PrivateEndpoint outbound rule to it. \
                 Add a PrivateEndpoint outbound rule for it to the workspace's managed network."
            ),
        );
    }
    match mn.isolation_mode {
        // `Disabled` never has a view (see `EgressContext::managed_network`); were it given
        // one, it would not restrict egress either.
        IsolationMode::AllowInternetOutbound | IsolationMode::Disabled => EgressDecision::Allowed {
            via: VIA_INTERNET_OUTBOUND,
        },
        IsolationMode::AllowOnlyApprovedOutbound => {
            refused("ISO-9", approved_only_message(mn, dest, &target))
        }
    }
}

fn approved_only_message(mn: &ManagedNetworkView, dest: &Destination, target: &str) -> String {
    let fqdn_wrong_port = mn.rules.iter().any(|r| {
        matches!(r, OutboundRuleView::Fqdn { destination, .. } if host_matches_pattern(destination, &dest.host))
    });
    let mut msg = format!(
        "Egress to {target} is refused: the workspace managed network is in \
         AllowOnlyApprovedOutbound mode and no outbound rule allows this destination."
    );
    if fqdn_wrong_port {
        msg.push_str(
            " An FQDN outbound rule matches the host, but FQDN rules allow only ports 80 and 443.",
        );
    } else {
        msg.push_str(
            " Add an FQDN outbound rule (ports 80 and 443) or a ServiceTag outbound rule for it.",
        );
    }
    msg
}

/// Microsoft Container Registry, reachable from every managed network (ISO-8).
fn is_mcr(host: &str) -> bool {
    ["mcr.microsoft.com", "*.data.mcr.microsoft.com"]
        .iter()
        .any(|p| host_matches_pattern(p, host))
}

/// Does one of `entries` (`host`, `*.suffix` or `host:port`) match `dest`?
pub(super) fn any_entry_matches(entries: &[String], dest: &Destination) -> bool {
    entries.iter().any(|entry| {
        let (pattern, port) = split_host_port(entry);
        port.is_none_or(|p| p == dest.port) && host_matches_pattern(&pattern, &dest.host)
    })
}

pub(super) fn refused(rule: &'static str, message: String) -> EgressDecision {
    EgressDecision::Refused { rule, message }
}

#[cfg(test)]
#[path = "egress_tests.rs"]
mod tests;

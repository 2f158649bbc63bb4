//! Legacy (per-deployment) egress isolation, decided once for both planes: ISO-16 (public
//! egress needs a public workspace), ISO-17 (private egress reaches only the workspace, its
//! storage and its registry), ISO-18 (public egress reaches only public resources).
//! [`legacy_reach`] is used at provisioning (`rules::provisioning`, for the model, code and
//! image a deployment downloads) and by the egress proxy ([`decide_legacy`], through
//! `egress::decide_egress` when the workspace has no managed network).
//!
//! Must not depend on any amlite module but `domain` (its enums); no IO.
use super::egress::{
    any_entry_matches, refused, Destination, DestinationKind, EgressContext, EgressDecision,
    VIA_LEGACY_PUBLIC, VIA_LEGACY_WORKSPACE,
};
use super::PublicNetworkAccess;

/// What a legacy deployment connects to, as ISO-16/17/18 tell destinations apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyTarget {
    /// The workspace itself (its API; amlite's listeners serve it).
    WorkspaceApi,
    /// The workspace's storage account or container registry.
    WorkspaceResource,
    /// Anything else.
    Elsewhere,
}

/// Which legacy rule refuses a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyRefusal {
    /// Public egress to a workspace that does not allow public access.
    Iso16,
    /// Private egress to something outside the workspace, its storage and its registry.
    Iso17,
    /// Public egress to a resource with public network access disabled.
    Iso18,
}

impl LegacyRefusal {
    /// The SPEC rule id.
    pub fn rule(self) -> &'static str {
        match self {
            Self::Iso16 => "ISO-16",
            Self::Iso17 => "ISO-17",
            Self::Iso18 => "ISO-18",
        }
    }

    /// Why, in one clause shared by the provisioning failure and the egress proxy's refusal.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Iso16 => {
                "the deployment has egressPublicNetworkAccess Enabled, so it reaches the \
                 workspace over the public network, and the workspace does not allow public \
                 network access"
            }
            Self::Iso17 => {
                "the deployment has egressPublicNetworkAccess Disabled, so it reaches only the \
                 workspace, its storage account and its container registry, through private \
                 endpoints"
            }
            Self::Iso18 => {
                "the deployment has egressPublicNetworkAccess Enabled, so it reaches only public \
                 resources, and this resource has public network access disabled"
            }
        }
    }
}

/// ISO-16/17/18, decided once for provisioning (the model, code and image a deployment
/// downloads, `rules::provisioning`) and for the egress proxy ([`decide_legacy`]): with egress
/// `Enabled` a legacy deployment reaches public destinations only (the workspace itself ISO-16,
/// any other ISO-18); with egress `Disabled` only the workspace, its storage and its registry
/// (ISO-13/17; MCR is not among them: images come from the workspace registry).
pub fn legacy_reach(
    egress: PublicNetworkAccess,
    target: LegacyTarget,
    target_is_public: bool,
) -> Result<(), LegacyRefusal> {
    match (egress, target) {
        (PublicNetworkAccess::Enabled, _) if target_is_public => Ok(()),
        (PublicNetworkAccess::Enabled, LegacyTarget::WorkspaceApi) => Err(LegacyRefusal::Iso16),
        (PublicNetworkAccess::Enabled, _) => Err(LegacyRefusal::Iso18),
        (PublicNetworkAccess::Disabled, LegacyTarget::Elsewhere) => Err(LegacyRefusal::Iso17),
        (PublicNetworkAccess::Disabled, _) => Ok(()),
    }
}

/// Legacy isolation, no managed network: [`legacy_reach`] for the destination.
pub fn decide_legacy(ctx: &EgressContext, dest: &Destination) -> EgressDecision {
    let target = if any_entry_matches(&ctx.workspace_api_hosts, dest) {
        LegacyTarget::WorkspaceApi
    } else if any_entry_matches(&ctx.workspace_hosts, dest) {
        LegacyTarget::WorkspaceResource
    } else {
        LegacyTarget::Elsewhere
    };
    let public = dest.kind == DestinationKind::Public;
    match legacy_reach(ctx.legacy_egress, target, public) {
        Ok(()) if ctx.legacy_egress.is_enabled() => EgressDecision::Allowed {
            via: VIA_LEGACY_PUBLIC,
        },
        Ok(()) => EgressDecision::Allowed {
            via: VIA_LEGACY_WORKSPACE,
        },
        Err(r) => {
            let remedy = match r {
                LegacyRefusal::Iso16 => {
                    " Allow public network access on the workspace (and its resources)."
                }
                LegacyRefusal::Iso17 | LegacyRefusal::Iso18 => "",
            };
            refused(
                r.rule(),
                format!(
                    "Egress to {}:{} is refused: {} ({}).{remedy}",
                    dest.host,
                    dest.port,
                    r.reason(),
                    r.rule()
                ),
            )
        }
    }
}

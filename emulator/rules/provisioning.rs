//! Provisioning-time isolation decisions for a deployment: ISO-16 (public egress needs a public
//! workspace), ISO-17 (private egress reaches only the workspace's storage/registry), ISO-18
//! (public egress reaches only public resources), ISO-19 (all inbound × outbound combinations),
//! plus [`provisioning_outcome`], which applies them in order together with ISO-9's readiness.
//!
//! These are not request validations: the PUT is accepted, then the LRO ends `Failed` with the
//! returned error in its monitor. Source: Microsoft Learn, "Network isolation with managed online
//! endpoints", legacy method, "limitations" and "supported scenarios". Pure: no IO, no clock.

use super::managed_network::iso_9_managed_network_ready;
use super::workspace::WorkspaceView;
use super::{ArtifactKind, IsolationMode, PublicNetworkAccess, Violation};
use crate::network::legacy::{legacy_reach, LegacyTarget};

/// Where one thing a deployment downloads at provisioning time lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactLocation {
    /// Model, code or image.
    pub kind: ArtifactKind,
    /// ARM id of the storage account/registry, or host name (for messages).
    pub resource_id_or_host: String,
    /// `true` when it is in the workspace's own storage account or container registry (or, for
    /// an image, in Microsoft's container registry, which a legacy private deployment reaches).
    pub in_workspace_storage_or_registry: bool,
    /// `publicNetworkAccess` of the resource holding it.
    pub resource_public_network_access: PublicNetworkAccess,
}

/// Everything the provisioning decision reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProvisioningContext<'a> {
    /// The deployment's `egressPublicNetworkAccess` (`Enabled` when omitted).
    pub egress: PublicNetworkAccess,
    /// The workspace's `publicNetworkAccess`.
    pub workspace_public_network_access: PublicNetworkAccess,
    /// The workspace's managed network isolation mode (`Disabled` = legacy rules apply).
    pub isolation_mode: IsolationMode,
    /// Whether the managed network has been provisioned (ISO-9).
    pub managed_network_provisioned: bool,
    /// Model, code and image locations.
    pub artifacts: &'a [ArtifactLocation],
}

impl<'a> ProvisioningContext<'a> {
    /// The context of a deployment with `egress` and `artifacts` in workspace `ws`.
    pub fn for_workspace(
        ws: &WorkspaceView<'_>,
        egress: PublicNetworkAccess,
        artifacts: &'a [ArtifactLocation],
    ) -> Self {
        ProvisioningContext {
            egress,
            workspace_public_network_access: ws.public_network_access,
            isolation_mode: ws.isolation_mode,
            managed_network_provisioned: ws.managed_network_provisioned,
            artifacts,
        }
    }
}

/// ISO-16: "Legacy: a deployment with public egress talks to the workspace API over the public
/// network, so the workspace must allow public access."
///
/// Source: network-isolation article, legacy method limitations.
///
/// Input: deployment egress, workspace `publicNetworkAccess`, whether the workspace has a
/// managed network (then the rule does not apply).
/// Error: 400 `UserError` telling the user to allow public network access on the workspace.
pub fn iso_16_public_egress_needs_public_workspace(
    egress: PublicNetworkAccess,
    workspace_public_network_access: PublicNetworkAccess,
    has_managed_network: bool,
) -> Result<(), Violation> {
    if has_managed_network {
        return Ok(());
    }
    let public = workspace_public_network_access.is_enabled();
    let Err(r) = legacy_reach(egress, LegacyTarget::WorkspaceApi, public) else {
        return Ok(());
    };
    Err(Violation::user_error(
        r.rule(),
        format!(
            "Deployment provisioning failed: {} ({}). Allow public network access on the \
             workspace (publicNetworkAccess: Enabled), or create the deployment with \
             egressPublicNetworkAccess Disabled.",
            r.reason(),
            r.rule()
        ),
    )
    .with_target("properties.egressPublicNetworkAccess"))
}

/// ISO-17: "Legacy: with egress disabled, a deployment reaches only the secured workspace
/// resources; a model stored in another storage account cannot be downloaded."
///
/// Source: network-isolation article, legacy method limitations.
///
/// Input: deployment egress, whether the workspace has a managed network (then the rule does
/// not apply), the artifact locations.
/// Error: for the first artifact outside the workspace's storage/registry, 400 `BadArgument`
/// "... unable to download user model ..." (`user code` / `user container image` for the
/// others), naming where it is and what to change.
pub fn iso_17_private_egress_artifacts(
    egress: PublicNetworkAccess,
    has_managed_network: bool,
    artifacts: &[ArtifactLocation],
) -> Result<(), Violation> {
    if has_managed_network || egress == PublicNetworkAccess::Enabled {
        return Ok(());
    }
    first_unreachable(egress, artifacts, |kind| match kind {
        ArtifactKind::Image => format!(
            "Make sure the container image is available in the workspace's container registry \
             (push it there and use that image) or use an image from {}, or create the \
             deployment with egressPublicNetworkAccess Enabled.",
            super::MICROSOFT_CONTAINER_REGISTRY
        ),
        kind => format!(
            "Store the {} in the workspace's storage or registry, or create the deployment with \
             egressPublicNetworkAccess Enabled.",
            kind.noun()
        ),
    })
}

/// ISO-18: "Legacy: with egress enabled, a deployment reaches only public resources, not
/// resources secured in a VNet."
///
/// Source: network-isolation article, legacy method limitations. (At run time the egress proxy
/// enforces the same rule, `network::egress`.)
///
/// Input: deployment egress, whether the workspace has a managed network (then the rule does
/// not apply), the artifact locations.
/// Error: for the first artifact in a resource with public access disabled, 400 `BadArgument`.
pub fn iso_18_public_egress_artifacts(
    egress: PublicNetworkAccess,
    has_managed_network: bool,
    artifacts: &[ArtifactLocation],
) -> Result<(), Violation> {
    if has_managed_network || egress == PublicNetworkAccess::Disabled {
        return Ok(());
    }
    first_unreachable(egress, artifacts, |_| {
        "Enable public network access on that resource, or create the deployment with egressPublicNetworkAccess Disabled.".to_string()
    })
}

/// The failure of the first artifact a legacy deployment with `egress` cannot download
/// ([`legacy_reach`]), as Azure reports it (400 `BadArgument`, "unable to download user
/// model …"), with the rule's shared reason and `remedy`.
fn first_unreachable(
    egress: PublicNetworkAccess,
    artifacts: &[ArtifactLocation],
    remedy: impl Fn(ArtifactKind) -> String,
) -> Result<(), Violation> {
    for a in artifacts {
        let target = if a.in_workspace_storage_or_registry {
            LegacyTarget::WorkspaceResource
        } else {
            LegacyTarget::Elsewhere
        };
        let public = a.resource_public_network_access.is_enabled();
        if let Err(r) = legacy_reach(egress, target, public) {
            return Err(Violation::new(
                r.rule(),
                super::violation::Status::BadRequest,
                "BadArgument",
                format!(
                    "Deployment provisioning failed: {} from '{}': {} ({}). {}",
                    failure_phrase(a.kind),
                    a.resource_id_or_host,
                    r.reason(),
                    r.rule(),
                    remedy(a.kind)
                ),
            ));
        }
    }
    Ok(())
}

fn failure_phrase(kind: ArtifactKind) -> &'static str {
    match kind {
        ArtifactKind::Model => "unable to download user model",
        ArtifactKind::Code => "unable to download user code",
        // Azure's BadArgument reason "Unable to download user container image" (troubleshooting
        // online endpoints: "Make sure container image is available in workspace ACR").
        ArtifactKind::Image => "unable to download user container image",
    }
}

/// ISO-19: "All four combinations of inbound (endpoint `publicNetworkAccess`) × outbound
/// (deployment `egressPublicNetworkAccess`) are supported, given ISO-16."
///
/// Source: network-isolation article, "supported scenarios" table. The inbound flag never
/// blocks creation; the only refused combination is ISO-16's.
///
/// Input: endpoint and deployment flags, workspace `publicNetworkAccess`, managed network or not.
/// Error: ISO-16's violation.
pub fn iso_19_combination_supported(
    endpoint_public_network_access: PublicNetworkAccess,
    egress: PublicNetworkAccess,
    workspace_public_network_access: PublicNetworkAccess,
    has_managed_network: bool,
) -> Result<(), Violation> {
    // Inbound isolation is decided per request at scoring time (ISO-5), never here.
    let _ = endpoint_public_network_access;
    iso_16_public_egress_needs_public_workspace(
        egress,
        workspace_public_network_access,
        has_managed_network,
    )
}

/// The provisioning decision for a deployment, in order: ISO-9 (managed network provisioned),
/// ISO-16, ISO-17, ISO-18. `Ok` means the deployment may reach `Succeeded` as far as network
/// isolation is concerned; `Err` is the error of the failed LRO.
pub fn provisioning_outcome(ctx: &ProvisioningContext<'_>) -> Result<(), Violation> {
    let managed = ctx.isolation_mode.is_managed();
    iso_9_managed_network_ready(ctx.isolation_mode, ctx.managed_network_provisioned)?;
    iso_16_public_egress_needs_public_workspace(
        ctx.egress,
        ctx.workspace_public_network_access,
        managed,
    )?;
    iso_17_private_egress_artifacts(ctx.egress, managed, ctx.artifacts)?;
    iso_18_public_egress_artifacts(ctx.egress, managed, ctx.artifacts)
}

#[cfg(test)]
#[path = "provisioning_tests.rs"]
mod tests;

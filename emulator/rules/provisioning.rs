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
                400,
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
mod tests {
    use super::*;
    use PublicNetworkAccess::{Disabled, Enabled};

    fn art(kind: ArtifactKind, in_ws: bool, pna: PublicNetworkAccess) -> ArtifactLocation {
        ArtifactLocation {
            kind,
            resource_id_or_host: format!("{}-store", kind.noun()),
            in_workspace_storage_or_registry: in_ws,
            resource_public_network_access: pna,
        }
    }

    #[test]
    fn iso_16_public_egress_needs_public_workspace_table() {
        // (egress, workspace PNA, managed network, allowed)
        let cases = [
            (Enabled, Enabled, false, true),
            (Enabled, Disabled, false, false),
            (Disabled, Enabled, false, true),
            (Disabled, Disabled, false, true),
            (Enabled, Disabled, true, true),
        ];
        for (egress, ws, managed, ok) in cases {
            let got = iso_16_public_egress_needs_public_workspace(egress, ws, managed);
            assert_eq!(got.is_ok(), ok, "{egress} {ws} {managed}");
            if let Err(v) = got {
                assert_eq!((v.rule, v.status, v.code), ("ISO-16", 400, "UserError"));
                assert!(v
                    .message
                    .contains("Allow public network access on the workspace"));
            }
        }
    }

    #[test]
    fn iso_17_private_egress_artifacts_table() {
        use ArtifactKind::{Code, Image, Model};
        let inside = [art(Model, true, Disabled), art(Image, true, Disabled)];
        let outside_model = [art(Model, false, Enabled)];
        let outside_code = [art(Model, true, Enabled), art(Code, false, Enabled)];
        let outside_image = [art(Image, false, Disabled)];
        let cases: [(PublicNetworkAccess, bool, &[ArtifactLocation], Option<&str>); 7] = [
            (Disabled, false, &inside, None),
            (Disabled, false, &[], None),
            (
                Disabled,
                false,
                &outside_model,
                Some("unable to download user model"),
            ),
            (
                Disabled,
                false,
                &outside_code,
                Some("unable to download user code"),
            ),
            (
                Disabled,
                false,
                &outside_image,
                Some("unable to download user container image"),
            ),
            (Enabled, false, &outside_model, None),
            (Disabled, true, &outside_model, None),
        ];
        for (egress, managed, arts, want) in cases {
            let got = iso_17_private_egress_artifacts(egress, managed, arts).err();
            assert_eq!(
                got.as_ref().map(|v| v.code),
                want.map(|_| "BadArgument"),
                "{arts:?}"
            );
            if let (Some(v), Some(phrase)) = (got, want) {
                assert!(v.message.contains(phrase), "{}", v.message);
                assert_eq!(v.rule, "ISO-17");
            }
        }
    }

    #[test]
    fn iso_18_public_egress_artifacts_table() {
        use ArtifactKind::{Code, Model};
        let public = [art(Model, false, Enabled), art(Code, true, Enabled)];
        let private_ws_storage = [art(Model, true, Disabled)];
        let private_other = [art(Code, false, Disabled)];
        let cases: [(PublicNetworkAccess, bool, &[ArtifactLocation], bool); 5] = [
            (Enabled, false, &public, true),
            (Enabled, false, &private_ws_storage, false),
            (Enabled, false, &private_other, false),
            (Disabled, false, &private_other, true),
            (Enabled, true, &private_other, true),
        ];
        for (egress, managed, arts, ok) in cases {
            let got = iso_18_public_egress_artifacts(egress, managed, arts);
            assert_eq!(got.is_ok(), ok, "{egress} {arts:?}");
            if let Err(v) = got {
                assert_eq!((v.rule, v.status), ("ISO-18", 400));
                assert!(v.message.contains("public network access disabled"));
            }
        }
    }

    /// ISO-19: 2 inbound × 2 outbound × workspace PNA on/off; only ISO-16's case fails.
    #[test]
    fn iso_19_all_combinations_table() {
        let mut refused = Vec::new();
        for inbound in [Enabled, Disabled] {
            for outbound in [Enabled, Disabled] {
                for ws in [Enabled, Disabled] {
                    let ok = iso_19_combination_supported(inbound, outbound, ws, false).is_ok();
                    if !ok {
                        refused.push((inbound, outbound, ws));
                    }
                    // With a managed network every combination is allowed.
                    assert!(iso_19_combination_supported(inbound, outbound, ws, true).is_ok());
                }
            }
        }
        assert_eq!(
            refused,
            vec![(Enabled, Enabled, Disabled), (Disabled, Enabled, Disabled)]
        );
    }

    #[test]
    fn provisioning_outcome_applies_rules_in_order() {
        let outside = [art(ArtifactKind::Model, false, Disabled)];
        let base = ProvisioningContext {
            egress: Enabled,
            workspace_public_network_access: Disabled,
            isolation_mode: IsolationMode::Disabled,
            managed_network_provisioned: false,
            artifacts: &outside,
        };
        let rule = |ctx: ProvisioningContext<'_>| provisioning_outcome(&ctx).err().map(|v| v.rule);
        assert_eq!(rule(base), Some("ISO-16"));
        let ws_public = ProvisioningContext {
            workspace_public_network_access: Enabled,
            ..base
        };
        assert_eq!(rule(ws_public), Some("ISO-18"));
        assert_eq!(
            rule(ProvisioningContext {
                egress: Disabled,
                ..base
            }),
            Some("ISO-17")
        );
        let managed = ProvisioningContext {
            isolation_mode: IsolationMode::AllowInternetOutbound,
            ..base
        };
        assert_eq!(rule(managed), Some("ISO-9"));
        assert_eq!(
            rule(ProvisioningContext {
                managed_network_provisioned: true,
                ..managed
            }),
            None
        );
        assert_eq!(
            rule(ProvisioningContext {
                artifacts: &[],
                ..ws_public
            }),
            None
        );
    }

    /// The provisioning check and the egress proxy give the same rule for the same
    /// destination (issue 10: ISO-16/17/18 were decided twice, with different answers for a
    /// private workspace storage account).
    #[test]
    fn iso_16_17_18_agree_with_the_egress_proxy() {
        use crate::network::egress::{Destination, DestinationKind, EgressContext};
        use crate::network::legacy::decide_legacy;
        let blob = "wsstore.blob.core.windows.net";
        let ctx = |egress| EgressContext {
            managed_network: None,
            legacy_egress: egress,
            workspace_hosts: vec![blob.into()],
            workspace_api_hosts: vec![],
            other_deployment_hosts: vec![],
            client_vnet_hosts: vec![],
        };
        for egress in [Enabled, Disabled] {
            for (in_ws, pna) in [
                (true, Enabled),
                (true, Disabled),
                (false, Enabled),
                (false, Disabled),
            ] {
                let host = if in_ws {
                    blob
                } else {
                    "other.blob.core.windows.net"
                };
                let a = [art(ArtifactKind::Model, in_ws, pna)];
                let at_provisioning = iso_17_private_egress_artifacts(egress, false, &a)
                    .and_then(|()| iso_18_public_egress_artifacts(egress, false, &a))
                    .err()
                    .map(|v| v.rule);
                let kind = if pna.is_enabled() {
                    DestinationKind::Public
                } else {
                    DestinationKind::PrivateOnly
                };
                let dest = Destination {
                    host: host.into(),
                    port: 443,
                    kind,
                };
                let in_proxy = match decide_legacy(&ctx(egress), &dest) {
                    crate::network::egress::EgressDecision::Refused { rule, .. } => Some(rule),
                    _ => None,
                };
                assert_eq!(at_provisioning, in_proxy, "{egress:?} {in_ws} {pna:?}");
            }
        }
    }
}

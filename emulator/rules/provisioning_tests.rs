//! Table tests of `provisioning.rs`: ISO-16..19 and the provisioning outcome.
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
            assert_eq!(
                (v.rule, v.status.code(), v.code),
                ("ISO-16", 400, "UserError")
            );
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
            assert_eq!((v.rule, v.status.code()), ("ISO-18", 400));
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

//! Legacy (per-deployment) egress isolation: ISO-13 (the egress flag is create-only), ISO-14
//! (three private endpoints per egress-disabled deployment) and ISO-15 (no VNet peering).
//!
//! Source: Microsoft Learn, "Network isolation with managed online endpoints", section "Secure
//! outbound access with legacy network isolation method". Legacy rules apply only to workspaces
//! without a managed network (ISO-7). Pure: no IO, no clock, no other amlite module.

use super::{IsolationMode, PublicNetworkAccess, Violation};

/// ISO-13: "Legacy: `egressPublicNetworkAccess: Disabled` makes a deployment download its
/// model, code and image through private endpoints; the flag cannot be changed after creation."
///
/// Source: network-isolation article, legacy method ("you can't change the
/// egress_public_network_access setting after creating the deployment").
///
/// Input: the value stored at creation and the value the PUT/PATCH sent (`None` = omitted =
/// unchanged; any casing was accepted when the body was decoded, a value outside the enum was
/// refused there).
/// Error: 400 `BadRequest` naming `egressPublicNetworkAccess` as not updatable. Repeating the
/// stored value succeeds.
pub fn iso_13_egress_flag_immutable(
    stored: PublicNetworkAccess,
    requested: Option<PublicNetworkAccess>,
) -> Result<(), Violation> {
    let Some(raw) = requested else {
        return Ok(());
    };
    if raw == stored {
        return Ok(());
    }
    Err(Violation::bad_request(
        "ISO-13",
        format!(
            "Property 'egressPublicNetworkAccess' is not updatable: the deployment was created \
             with egressPublicNetworkAccess '{stored}' and the request sets '{raw}' (ISO-13). \
             Send '{stored}' or omit the property; to change it, delete and re-create the \
             deployment."
        ),
    )
    .with_target("properties.egressPublicNetworkAccess"))
}

/// The private resource a legacy private endpoint connection (ISO-14) connects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum LegacyPeTarget {
    /// The workspace itself (group id `amlworkspace`).
    Workspace,
    /// The workspace's default storage account, blob service (group id `blob`).
    WorkspaceBlobStorage,
    /// The workspace's container registry (group id `registry`).
    ContainerRegistry,
}

impl LegacyPeTarget {
    /// Every target, in the order connections are listed.
    pub const ALL: [LegacyPeTarget; 3] = [
        LegacyPeTarget::Workspace,
        LegacyPeTarget::WorkspaceBlobStorage,
        LegacyPeTarget::ContainerRegistry,
    ];

    /// Private link group id of the target resource.
    pub fn group_id(self) -> &'static str {
        match self {
            LegacyPeTarget::Workspace => "amlworkspace",
            LegacyPeTarget::WorkspaceBlobStorage => "blob",
            LegacyPeTarget::ContainerRegistry => "registry",
        }
    }

    fn name_part(self) -> &'static str {
        match self {
            LegacyPeTarget::Workspace => "ws",
            LegacyPeTarget::WorkspaceBlobStorage => "blob",
            LegacyPeTarget::ContainerRegistry => "acr",
        }
    }
}

/// One private endpoint connection a legacy egress-disabled deployment gets (ISO-14).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LegacyPrivateEndpoint {
    /// Which resource shows this connection in its `privateEndpointConnections`.
    pub target: LegacyPeTarget,
    /// Private link group id (`amlworkspace`, `blob`, `registry`).
    pub group_id: &'static str,
    /// Connection name, deterministic in (workspace, endpoint, deployment), lower case.
    pub name: String,
}

/// ISO-14 (a): whether a deployment gets its own managed VNet and private endpoints: egress
/// `Disabled` in a workspace without a managed network. With a managed network the workspace's
/// shared private endpoints are used instead (ISO-6).
pub fn iso_14_needs_private_endpoints(
    egress: PublicNetworkAccess,
    isolation_mode: IsolationMode,
) -> bool {
    egress == PublicNetworkAccess::Disabled && !isolation_mode.is_managed()
}

/// ISO-14 (b): "Legacy: each deployment with egress disabled gets its own managed VNet with 3
/// private endpoints: workspace, workspace blob storage, workspace container registry. Two such
/// deployments → 6."
///
/// Source: network-isolation article, legacy method ("three private endpoints ... per
/// deployment"). Names are `{endpoint}-{deployment}-{ws|blob|acr}-{hash}` in lower case, where
/// `hash` is 8 hex digits of FNV-1a over `workspace/endpoint/deployment` (lower case), so they are
/// stable across restarts, distinct between deployments and between workspaces sharing a
/// storage account or registry. Deleting the deployment removes exactly these three.
///
/// Input: workspace, endpoint and deployment names (case-insensitive).
/// Output: the three connections in [`LegacyPeTarget::ALL`] order.
pub fn iso_14_private_endpoint_connections(
    workspace: &str,
    endpoint: &str,
    deployment: &str,
) -> [LegacyPrivateEndpoint; 3] {
    let key = format!("{workspace}/{endpoint}/{deployment}").to_ascii_lowercase();
    let hash = fnv1a_32(key.as_bytes());
    let (ep, d) = (
        endpoint.to_ascii_lowercase(),
        deployment.to_ascii_lowercase(),
    );
    LegacyPeTarget::ALL.map(|target| LegacyPrivateEndpoint {
        target,
        group_id: target.group_id(),
        name: format!("{ep}-{d}-{}-{hash:08x}", target.name_part()),
    })
}

/// 32-bit FNV-1a: tiny, stable across Rust versions (unlike `DefaultHasher`).
fn fnv1a_32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

/// ISO-15: "Legacy: peering a deployment's managed VNet with a client VNet is not supported."
///
/// Source: network-isolation article, legacy method limitations ("peering between the managed
/// virtual network ... and your virtual network isn't supported"). Every peering request is
/// refused, whatever the VNets.
///
/// Input: the deployment whose VNet would be peered and the client VNet id (for the message).
/// Error: always 400 `BadRequest`.
pub fn iso_15_vnet_peering(deployment: &str, client_vnet: &str) -> Result<(), Violation> {
    Err(Violation::bad_request(
        "ISO-15",
        format!(
            "Peering the managed virtual network of deployment '{deployment}' with virtual \
             network '{client_vnet}' is not supported (ISO-15). Reach the endpoint from your \
             virtual network through a private endpoint to the workspace instead."
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use PublicNetworkAccess::{Disabled, Enabled};

    #[test]
    fn iso_13_egress_flag_immutable_table() {
        let cases = [
            (Enabled, None, true),
            (Disabled, None, true),
            (Enabled, Some(Enabled), true),
            (Disabled, Some(Disabled), true),
            (Enabled, Some(Disabled), false),
            (Disabled, Some(Enabled), false),
        ];
        for (stored, sent, ok) in cases {
            let got = iso_13_egress_flag_immutable(stored, sent);
            assert_eq!(got.is_ok(), ok, "{stored} {sent:?}");
            if let Err(v) = got {
                assert_eq!(
                    (v.rule, v.status.code(), v.code),
                    ("ISO-13", 400, "BadRequest")
                );
                assert!(v
                    .message
                    .contains("'egressPublicNetworkAccess' is not updatable"));
                assert_eq!(
                    v.target.as_deref(),
                    Some("properties.egressPublicNetworkAccess")
                );
            }
        }
    }

    #[test]
    fn iso_14_needs_private_endpoints_table() {
        let cases = [
            (Disabled, IsolationMode::Disabled, true),
            (Enabled, IsolationMode::Disabled, false),
            (Disabled, IsolationMode::AllowInternetOutbound, false),
            (Disabled, IsolationMode::AllowOnlyApprovedOutbound, false),
        ];
        for (egress, mode, want) in cases {
            assert_eq!(
                iso_14_needs_private_endpoints(egress, mode),
                want,
                "{egress} {mode}"
            );
        }
    }

    #[test]
    fn iso_14_two_deployments_give_six_distinct_names() {
        let a = iso_14_private_endpoint_connections("ws1", "ep", "blue");
        let b = iso_14_private_endpoint_connections("ws1", "ep", "green");
        let names: HashSet<&str> = a.iter().chain(b.iter()).map(|p| p.name.as_str()).collect();
        assert_eq!(names.len(), 6);
        let targets: Vec<LegacyPeTarget> = a.iter().map(|p| p.target).collect();
        assert_eq!(targets, LegacyPeTarget::ALL.to_vec());
        let groups: Vec<&str> = a.iter().map(|p| p.group_id).collect();
        assert_eq!(groups, ["amlworkspace", "blob", "registry"]);
    }

    #[test]
    fn iso_14_names_are_deterministic_and_case_insensitive() {
        let a = iso_14_private_endpoint_connections("WS1", "Ep", "Blue");
        let b = iso_14_private_endpoint_connections("ws1", "ep", "blue");
        assert_eq!(a, b);
        assert!(a[0].name.starts_with("ep-blue-ws-"));
        assert_eq!(a[0].name.len(), "ep-blue-ws-".len() + 8);
        // Same endpoint/deployment in another workspace, and ambiguous '-' splits, differ.
        let other_ws = iso_14_private_endpoint_connections("ws2", "ep", "blue");
        assert_ne!(a[1].name, other_ws[1].name);
        let x = iso_14_private_endpoint_connections("ws", "a-b", "c");
        let y = iso_14_private_endpoint_connections("ws", "a", "b-c");
        assert_ne!(x[0].name, y[0].name);
    }

    #[test]
    fn iso_15_vnet_peering_is_always_refused() {
        for (d, vnet) in [("blue", "vnet1"), ("", "")] {
            let v = iso_15_vnet_peering(d, vnet).err();
            assert_eq!(v.map(|v| (v.rule, v.status.code())), Some(("ISO-15", 400)));
        }
    }
}

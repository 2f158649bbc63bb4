//! Workspace managed network rules: ISO-7 (no per-deployment egress flag), ISO-8 (required
//! outbound rules) and ISO-9 (isolation modes, rule types, one-way mode changes, readiness).
//!
//! Source: Microsoft Learn, "Network isolation with managed online endpoints" (workspace managed
//! virtual network section) and "Workspace managed virtual network isolation". Pure: no IO, no
//! clock, no other amlite module.

use super::workspace::AssociatedResources;
use super::{
    IsolationMode, OutboundRuleType, PublicNetworkAccess, RuleCategory, RuleStatus, Violation,
};
use crate::domain::id::last_segment;

/// Host of Microsoft Container Registry, always reachable from a managed network (ISO-8).
pub const MCR_HOST: &str = "mcr.microsoft.com";

/// Where a required outbound rule points. Serialises as the wire `destination`: an object
/// `{serviceResourceId, subresourceTarget}` or a bare FQDN string.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged, rename_all_fields = "camelCase")]
pub enum RuleDestination {
    /// `PrivateEndpointDestination { serviceResourceId, subresourceTarget }`.
    PrivateEndpoint {
        /// ARM id of the storage account, key vault or registry.
        service_resource_id: String,
        /// `blob`, `vault` or `registry`.
        subresource_target: String,
    },
    /// An FQDN such as `mcr.microsoft.com`.
    Fqdn(String),
}

/// One outbound rule the managed network creates by itself (category `Required`).
/// Serialises as the wire `OutboundRule` (`type`, `category`, `status`, `destination`); the name
/// is the key of `managedNetwork.outboundRules`, so it is not serialised.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RequiredOutboundRule {
    /// Rule name, `__SYS_PE_{resource}_{subresource}` or `__SYS_FQDN_mcr`.
    #[serde(skip)]
    pub name: String,
    /// `PrivateEndpoint` or `FQDN`.
    #[serde(rename = "type")]
    pub rule_type: OutboundRuleType,
    /// Always `Required`.
    pub category: RuleCategory,
    /// `Active` once the managed network is provisioned, else `Inactive`.
    pub status: RuleStatus,
    /// Where the rule points.
    pub destination: RuleDestination,
}

/// ISO-7: "With a workspace managed network, a deployment's `egressPublicNetworkAccess` no
/// longer applies and must not be set."
///
/// Source: network-isolation article, "workspace managed virtual network" ("the
/// egress_public_network_access flag is no longer applicable").
///
/// Input: the workspace isolation mode and the raw `properties.egressPublicNetworkAccess` the
/// deployment PUT sent (`None` when omitted; any value, even `Enabled`, counts as set).
/// Error: 400 `BadRequest` with the SPEC text. When omitted, the deployment reads back `Enabled`.
pub fn iso_7_egress_flag_with_managed_network(
    isolation_mode: IsolationMode,
    requested_egress: Option<PublicNetworkAccess>,
) -> Result<(), Violation> {
    if !isolation_mode.is_managed() || requested_egress.is_none() {
        return Ok(());
    }
    Err(Violation::bad_request(
        "ISO-7",
        "The EgressPublicNetworkAccess under online deployment is no longer supported when your \
         workspace is secured with managed virtual network. Please avoid setting \
         EgressPublicNetworkAccess on the deployment in this case.",
    )
    .with_target("properties.egressPublicNetworkAccess"))
}

/// ISO-8: "The managed network creates private endpoints to the workspace's storage, key vault
/// and container registry, allows access to Microsoft Container Registry, and lets users add
/// outbound rules."
///
/// Source: network-isolation article and "Workspace managed virtual network isolation"
/// (required rules). amlite creates one private endpoint per resource (storage: subresource
/// `blob` only; key vault: `vault`; registry: `registry`) plus, in `AllowOnlyApprovedOutbound`,
/// an FQDN rule for `mcr.microsoft.com` (in `AllowInternetOutbound` MCR is reachable anyway and
/// FQDN rules are not allowed, ISO-9).
///
/// Input: isolation mode, whether the network is provisioned, the associated resource ids.
/// Output: the `Required` rules in a stable order; status `Active` once provisioned, else
/// `Inactive`. `Disabled` → no rules.
pub fn iso_8_required_outbound_rules(
    isolation_mode: IsolationMode,
    provisioned: bool,
    resources: &AssociatedResources<'_>,
) -> Vec<RequiredOutboundRule> {
    if !isolation_mode.is_managed() {
        return Vec::new();
    }
    let status = if provisioned {
        RuleStatus::Active
    } else {
        RuleStatus::Inactive
    };
    let targets = [
        (resources.storage_account, "blob"),
        (resources.key_vault, "vault"),
        (resources.container_registry, "registry"),
    ];
    let mut rules: Vec<RequiredOutboundRule> = targets
        .into_iter()
        .filter_map(|(id, sub)| id.filter(|s| !s.trim().is_empty()).map(|id| (id, sub)))
        .map(|(id, sub)| RequiredOutboundRule {
            name: format!("__SYS_PE_{}_{sub}", last_segment(id)),
            rule_type: OutboundRuleType::PrivateEndpoint,
            category: RuleCategory::Required,
            status,
            destination: RuleDestination::PrivateEndpoint {
                service_resource_id: id.to_string(),
                subresource_target: sub.to_string(),
            },
        })
        .collect();
    if isolation_mode == IsolationMode::AllowOnlyApprovedOutbound {
        rules.push(RequiredOutboundRule {
            name: "__SYS_FQDN_mcr".to_string(),
            rule_type: OutboundRuleType::Fqdn,
            category: RuleCategory::Required,
            status,
            destination: RuleDestination::Fqdn(MCR_HOST.to_string()),
        });
    }
    rules
}

/// ISO-9 (a): "`FQDN`/`ServiceTag` rules in `AllowInternetOutbound` → 400."
///
/// Source: "Workspace managed virtual network isolation" (in allow-internet-outbound mode only
/// private endpoint rules can be added). Applies to outbound rule PUTs and to the
/// `managedNetwork.outboundRules` of a workspace PUT/PATCH.
///
/// Input: the workspace isolation mode (after the request) and the rule's type.
/// Error: 400 `BadRequest` `Only "PrivateEndpoint" outbound rules are supported when managed
/// network isolation mode is "AllowInternetOutbound".`
pub fn iso_9_rule_type_allowed(
    isolation_mode: IsolationMode,
    rule_type: OutboundRuleType,
) -> Result<(), Violation> {
    if isolation_mode != IsolationMode::AllowInternetOutbound
        || rule_type == OutboundRuleType::PrivateEndpoint
    {
        return Ok(());
    }
    Err(Violation::bad_request(
        "ISO-9",
        "Only \"PrivateEndpoint\" outbound rules are supported when managed network isolation \
         mode is \"AllowInternetOutbound\".",
    )
    .with_target("properties.type"))
}

/// ISO-9 (b): "Mode changes go one way only: Disabled → AllowInternetOutbound →
/// AllowOnlyApprovedOutbound."
///
/// Source: "Workspace managed virtual network isolation" (a managed network can't be disabled
/// once enabled, and AllowOnlyApprovedOutbound can't go back to AllowInternetOutbound). Staying
/// on the same mode or skipping forward (Disabled → AllowOnlyApprovedOutbound) is allowed.
///
/// Input: the stored mode and the mode the workspace PUT/PATCH asks for.
/// Error: 400 `BadRequest` naming both modes, target `properties.managedNetwork.isolationMode`.
pub fn iso_9_isolation_mode_transition(
    current: IsolationMode,
    requested: IsolationMode,
) -> Result<(), Violation> {
    if requested.rank() >= current.rank() {
        return Ok(());
    }
    Err(Violation::bad_request(
        "ISO-9",
        format!(
            "The managed network isolation mode cannot be changed from \"{current}\" to \
             \"{requested}\": it can only move Disabled -> AllowInternetOutbound -> \
             AllowOnlyApprovedOutbound (ISO-9). Keep \"{current}\" or create a new workspace."
        ),
    )
    .with_target("properties.managedNetwork.isolationMode"))
}

/// ISO-9 (c): "Deployments fail with `WorkspaceManagedNetworkNotReady` until the managed network
/// is provisioned (`provisionManagedNetwork`, or automatically if `--auto-provision-network`)."
///
/// Source: "Workspace managed virtual network isolation" (provision the managed network before
/// creating online deployments). A provisioning failure: the LRO monitor carries the error.
///
/// Input: isolation mode and whether the managed network is provisioned.
/// Error: status 400, code `WorkspaceManagedNetworkNotReady`.
pub fn iso_9_managed_network_ready(
    isolation_mode: IsolationMode,
    provisioned: bool,
) -> Result<(), Violation> {
    if !isolation_mode.is_managed() || provisioned {
        return Ok(());
    }
    Err(Violation::new(
        "ISO-9",
        super::violation::Status::BadRequest,
        "WorkspaceManagedNetworkNotReady",
        format!(
            "The workspace managed network (isolation mode \"{isolation_mode}\") is not \
             provisioned yet, so online deployments cannot be created (ISO-9). Call \
             POST .../workspaces/{{workspace}}/provisionManagedNetwork (or start amlite with \
             --auto-provision-network) and retry."
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use IsolationMode::{
        AllowInternetOutbound as Aio, AllowOnlyApprovedOutbound as Aoao, Disabled,
    };

    #[test]
    fn iso_7_egress_flag_with_managed_network_table() {
        let cases = [
            (Disabled, None, true),
            (Disabled, Some(PublicNetworkAccess::Disabled), true),
            (Disabled, Some(PublicNetworkAccess::Enabled), true),
            (Aio, None, true),
            (Aio, Some(PublicNetworkAccess::Enabled), false),
            (Aio, Some(PublicNetworkAccess::Disabled), false),
            (Aoao, None, true),
            (Aoao, Some(PublicNetworkAccess::Disabled), false),
        ];
        for (mode, sent, allowed) in cases {
            let got = iso_7_egress_flag_with_managed_network(mode, sent);
            assert_eq!(got.is_ok(), allowed, "{mode} {sent:?}");
            if let Err(v) = got {
                assert_eq!(
                    (v.rule, v.status.code(), v.code),
                    ("ISO-7", 400, "BadRequest")
                );
                assert!(v.message.starts_with("The EgressPublicNetworkAccess under online deployment is no longer supported when your workspace is secured with managed virtual network. Please avoid"));
            }
        }
    }

    fn resources() -> AssociatedResources<'static> {
        AssociatedResources {
            storage_account: Some("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa1"),
            key_vault: Some("/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1"),
            container_registry: Some("/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acr1"),
            application_insights: None,
        }
    }

    #[test]
    fn iso_8_required_outbound_rules_table() {
        assert!(iso_8_required_outbound_rules(Disabled, true, &resources()).is_empty());
        let aio = iso_8_required_outbound_rules(Aio, false, &resources());
        let names: Vec<&str> = aio.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "__SYS_PE_sa1_blob",
                "__SYS_PE_kv1_vault",
                "__SYS_PE_acr1_registry"
            ]
        );
        assert!(aio.iter().all(|r| r.category == RuleCategory::Required));
        assert!(aio.iter().all(|r| r.status == RuleStatus::Inactive));
        assert!(aio
            .iter()
            .all(|r| r.rule_type == OutboundRuleType::PrivateEndpoint));

        let aoao = iso_8_required_outbound_rules(Aoao, true, &resources());
        assert_eq!(aoao.len(), 4);
        assert!(aoao.iter().all(|r| r.status == RuleStatus::Active));
        let last = aoao.last().map(|r| (&r.rule_type, &r.destination));
        assert_eq!(
            last,
            Some((
                &OutboundRuleType::Fqdn,
                &RuleDestination::Fqdn(MCR_HOST.into())
            ))
        );
        assert_eq!(
            aoao.first().map(|r| &r.destination),
            Some(&RuleDestination::PrivateEndpoint {
                service_resource_id: resources().storage_account.unwrap_or("").to_string(),
                subresource_target: "blob".into(),
            })
        );

        let json = serde_json::to_value(&aoao).unwrap_or_default();
        assert_eq!(json[0]["type"], "PrivateEndpoint");
        assert_eq!(json[0]["category"], "Required");
        assert_eq!(json[0]["destination"]["subresourceTarget"], "blob");
        assert_eq!(json[3]["destination"], MCR_HOST);
        assert!(json[0].get("name").is_none());

        let only_kv = AssociatedResources {
            key_vault: resources().key_vault,
            ..Default::default()
        };
        assert_eq!(iso_8_required_outbound_rules(Aoao, true, &only_kv).len(), 2);
    }

    #[test]
    fn iso_9_rule_type_allowed_table() {
        use OutboundRuleType::{Fqdn, PrivateEndpoint, ServiceTag};
        let cases = [
            (Aio, PrivateEndpoint, true),
            (Aio, Fqdn, false),
            (Aio, ServiceTag, false),
            (Aoao, PrivateEndpoint, true),
            (Aoao, Fqdn, true),
            (Aoao, ServiceTag, true),
        ];
        for (mode, ty, allowed) in cases {
            let got = iso_9_rule_type_allowed(mode, ty);
            assert_eq!(got.is_ok(), allowed, "{mode} {ty}");
            if let Err(v) = got {
                assert_eq!(v.message, "Only \"PrivateEndpoint\" outbound rules are supported when managed network isolation mode is \"AllowInternetOutbound\".");
                assert_eq!((v.status.code(), v.code), (400, "BadRequest"));
            }
        }
    }

    #[test]
    fn iso_9_isolation_mode_transition_table() {
        let allowed = [
            (Disabled, Disabled),
            (Disabled, Aio),
            (Disabled, Aoao),
            (Aio, Aio),
            (Aio, Aoao),
            (Aoao, Aoao),
        ];
        for (from, to) in allowed {
            assert_eq!(
                iso_9_isolation_mode_transition(from, to),
                Ok(()),
                "{from} -> {to}"
            );
        }
        for (from, to) in [(Aio, Disabled), (Aoao, Disabled), (Aoao, Aio)] {
            let v = iso_9_isolation_mode_transition(from, to).err();
            let msg = v.as_ref().map(|v| v.message.clone()).unwrap_or_default();
            assert!(
                msg.contains(from.as_str()) && msg.contains(to.as_str()),
                "{msg}"
            );
            assert_eq!(v.map(|v| v.status.code()), Some(400));
        }
    }

    #[test]
    fn iso_9_managed_network_ready_table() {
        let cases = [
            (Disabled, false, true),
            (Disabled, true, true),
            (Aio, false, false),
            (Aio, true, true),
            (Aoao, false, false),
            (Aoao, true, true),
        ];
        for (mode, provisioned, ok) in cases {
            let got = iso_9_managed_network_ready(mode, provisioned);
            assert_eq!(got.is_ok(), ok, "{mode} {provisioned}");
            if let Err(v) = got {
                assert_eq!(
                    (v.status.code(), v.code),
                    (400, "WorkspaceManagedNetworkNotReady")
                );
                assert!(v.message.contains("provisionManagedNetwork"));
            }
        }
    }
}

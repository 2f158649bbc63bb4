//! The system ("Required") outbound rules Azure shows in a managed network's control-plane view
//! (recorded: `test_workspace_managednetwork_outbound_rule_operations`, az ml 2.41.1): under
//! `AllowOnlyApprovedOutbound` nine `__SYS_ST_*` service-tag rules and `__SYS_PE_*` private
//! endpoints to the workspace itself and its storage (blob, file), key vault and container
//! registry; under `AllowInternetOutbound` none (recorded: `test_workspace_managednetwork_provision`,
//! `test_featurestore_managednetwork_provision`). Shown already before provisioning
//! (`status: Inactive`).
//!
//! These are Azure's plumbing: they are answered on the control plane only and never reach the
//! egress proxy's rule set (that stays `outbound_view::all_rules`, ISO-8). Pure: no IO.
use crate::domain::enums::{OutboundRuleType, RuleCategory, RuleStatus};
use crate::domain::{DestinationObject, OutboundDestination, OutboundRule};

use super::types::IsolationMode;

/// What the system rules of one workspace are derived from.
#[derive(Debug, Clone, Copy)]
pub struct SystemRuleInputs<'a> {
    /// The workspace's isolation mode.
    pub isolation_mode: IsolationMode,
    /// Whether the managed network is provisioned (`Active`), else `Inactive`.
    pub provisioned: bool,
    /// The workspace region, e.g. `centraluseuap` (the regional MicrosoftContainerRegistry tag).
    pub region: &'a str,
    /// The workspace ARM id.
    pub workspace_id: &'a str,
    /// The workspace id (GUID); its first 8 hex digits suffix the `__SYS_PE_` names (Azure's
    /// suffix is an 8-hex id of the network whose derivation is not recorded).
    pub workspace_guid: &'a str,
    /// Storage account ARM id (empty when none).
    pub storage_account: &'a str,
    /// Key vault ARM id (empty when none).
    pub key_vault: &'a str,
    /// Container registry ARM id, if any.
    pub container_registry: Option<&'a str>,
}

/// The `__SYS_ST_` rules: (name suffix after `__SYS_ST_`, service tag, protocol, ports).
const SERVICE_TAGS: [(&str, &str, &str, &str); 9] = [
    (
        "AzureActiveDirectory_TCP",
        "AzureActiveDirectory",
        "TCP",
        "80, 443",
    ),
    (
        "AzureFrontDoor.FirstParty",
        "AzureFrontDoor.FirstParty",
        "*",
        "*",
    ),
    (
        "AzureMachineLearning_TCP",
        "AzureMachineLearning",
        "TCP",
        "443",
    ),
    (
        "AzureMachineLearning_UDP",
        "AzureMachineLearning",
        "UDP",
        "5831",
    ),
    ("AzureMonitor_TCP", "AzureMonitor", "TCP", "443"),
    (
        "AzureResourceManager_TCP",
        "AzureResourceManager",
        "TCP",
        "443",
    ),
    (
        "BatchNodeManagement_TCP",
        "BatchNodeManagement",
        "TCP",
        "443",
    ),
    (
        "MicrosoftContainerRegistry.{region}_TCP",
        "MicrosoftContainerRegistry.{region}",
        "TCP",
        "443",
    ),
    ("VirtualNetwork", "VirtualNetwork", "*", "*"),
];

/// Azure's system rules of a workspace, by name, in their wire form (`category: Required`).
pub fn azure_system_rules(i: &SystemRuleInputs<'_>) -> Vec<(String, OutboundRule)> {
    if i.isolation_mode != IsolationMode::AllowOnlyApprovedOutbound {
        return Vec::new();
    }
    let status = Some(if i.provisioned {
        RuleStatus::Active
    } else {
        RuleStatus::Inactive
    });
    let mut out = Vec::new();
    for (name, tag, protocol, ports) in SERVICE_TAGS {
        let tag = tag.replace("{region}", i.region);
        out.push((
            format!("__SYS_ST_{}", name.replace("{region}", i.region)),
            OutboundRule {
                rule_type: OutboundRuleType::ServiceTag,
                category: RuleCategory::Required,
                status,
                destination: OutboundDestination::Object(DestinationObject {
                    service_tag: Some(tag),
                    protocol: Some(protocol.to_string()),
                    port_ranges: Some(ports.to_string()),
                    action: Some("Allow".to_string()),
                    address_prefixes: Some(Vec::new()),
                    ..Default::default()
                }),
                fqdns: None,
            },
        ));
    }
    let suffix: String = i
        .workspace_guid
        .chars()
        .filter(|c| *c != '-')
        .take(8)
        .collect();
    let targets = [
        (i.workspace_id, "amlworkspace", true),
        (i.storage_account, "blob", true),
        (i.storage_account, "file", true),
        (i.key_vault, "vault", false),
        (i.container_registry.unwrap_or_default(), "registry", false),
    ];
    for (id, sub, spark) in targets {
        let Some(last) = id.rsplit('/').next().filter(|s| !s.trim().is_empty()) else {
            continue;
        };
        out.push((
            format!("__SYS_PE_{last}_{sub}_{suffix}"),
            OutboundRule {
                rule_type: OutboundRuleType::PrivateEndpoint,
                category: RuleCategory::Required,
                status,
                destination: OutboundDestination::Object(DestinationObject {
                    service_resource_id: Some(id.to_string()),
                    subresource_target: Some(sub.to_string()),
                    spark_enabled: Some(spark),
                    spark_status: Some(RuleStatus::Inactive),
                    ..Default::default()
                }),
                fqdns: None,
            },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(mode: IsolationMode) -> SystemRuleInputs<'static> {
        SystemRuleInputs {
            isolation_mode: mode,
            provisioned: false,
            region: "eastus",
            workspace_id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws1",
            workspace_guid: "7351bebd-0000-4000-8000-000000000000",
            storage_account: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa1",
            key_vault: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1",
            container_registry: None,
        }
    }

    #[test]
    fn system_rules_by_mode() {
        assert!(azure_system_rules(&inputs(IsolationMode::Disabled)).is_empty());
        assert!(azure_system_rules(&inputs(IsolationMode::AllowInternetOutbound)).is_empty());
        let rules = azure_system_rules(&inputs(IsolationMode::AllowOnlyApprovedOutbound));
        let names: Vec<&str> = rules.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names.len(), 13);
        assert!(names.contains(&"__SYS_ST_MicrosoftContainerRegistry.eastus_TCP"));
        assert!(names.contains(&"__SYS_PE_ws1_amlworkspace_7351bebd"));
        assert!(names.contains(&"__SYS_PE_sa1_file_7351bebd"));
        assert!(names.contains(&"__SYS_PE_kv1_vault_7351bebd"));
        assert!(rules
            .iter()
            .all(|(_, r)| r.category == RuleCategory::Required));
        let udp = rules[3].1.object().cloned().unwrap_or_default();
        assert_eq!(udp.protocol.as_deref(), Some("UDP"));
        assert_eq!(udp.port_ranges.as_deref(), Some("5831"));
        assert_eq!(udp.action.as_deref(), Some("Allow"));
    }
}

//! The workspace managed network on the wire (SPEC §3, ISO-8, ISO-9): `properties.managedNetwork`,
//! an outbound rule resource, the `provisionManagedNetwork` result, and the workspace's private
//! endpoint connections and private link resource. The rules themselves come from
//! `rules::outbound_view::wire_rules` (ISO-8 Required rules, Azure's system rules, user rules),
//! typed (`domain::OutboundRule`).
use serde::Serialize;
use std::collections::BTreeMap;

use super::associated::PrivateLinkResourceProperties;
use super::network::ConnectionState;
use super::{List, Resource};
use crate::domain::{
    IsolationMode, OutboundRule, PrivateEndpointConnection, ResourceId, ResourceKind, Workspace,
};

/// `ManagedNetworkSettings`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedNetworkSettings {
    pub isolation_mode: &'static str,
    /// The workspace id, as Azure answers it (recorded: `test_workspace_managednetwork_provision`).
    pub network_id: String,
    pub outbound_rules: BTreeMap<String, OutboundRule>,
    pub status: ManagedNetworkStatus,
    pub changeable_isolation_modes: Vec<&'static str>,
    pub firewall_sku: &'static str,
}

/// `ManagedNetworkProvisionStatus`: `Active` once provisioned; also the `Location` result of
/// `provisionManagedNetwork` (recorded: `{"status": "Active", "sparkReady": false}`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedNetworkStatus {
    pub status: &'static str,
    pub spark_ready: bool,
}

/// `properties.managedNetwork` of `w` (`workspace_id` its ARM id): isolation mode, every rule,
/// `status`, and `changeableIsolationModes`, the modes the workspace may still move to (recorded:
/// `['AllowOnlyApprovedOutbound']` under `AllowInternetOutbound`, `[]` under
/// `AllowOnlyApprovedOutbound`).
pub fn managed_network(w: &Workspace, workspace_id: &str) -> ManagedNetworkSettings {
    let mode = w.managed_network.isolation_mode;
    let outbound_rules = crate::rules::outbound_view::wire_rules(w, workspace_id)
        .into_iter()
        .collect();
    ManagedNetworkSettings {
        isolation_mode: mode.as_str(),
        network_id: w.workspace_guid.clone(),
        outbound_rules,
        status: ManagedNetworkStatus {
            status: if w.managed_network.provisioned {
                "Active"
            } else {
                "Inactive"
            },
            spark_ready: false,
        },
        changeable_isolation_modes: IsolationMode::ALL
            .iter()
            .filter(|m| m.rank() > mode.rank())
            .map(|m| m.as_str())
            .collect(),
        firewall_sku: "Standard",
    }
}

/// The result of a finished `provisionManagedNetwork`.
pub fn provisioned_status() -> ManagedNetworkStatus {
    ManagedNetworkStatus {
        status: "Active",
        spark_ready: false,
    }
}

/// An outbound rule resource (`OutboundRuleBasicResource`) named `name` of workspace `ws_id`.
pub fn outbound_rule(
    ws_id: &ResourceId,
    name: &str,
    rule: &OutboundRule,
) -> Resource<OutboundRule> {
    Resource::with_type(
        &ws_id.child("outboundRules", name),
        "Microsoft.MachineLearningServices/workspaces/outboundRules".to_string(),
        rule.clone(),
    )
}

/// A workspace private endpoint connection's `properties`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspacePecProperties {
    pub private_endpoint: WorkspacePecEndpoint,
    pub private_link_service_connection_state: ConnectionState,
    pub provisioning_state: &'static str,
    pub group_ids: Vec<&'static str>,
}

/// `properties.privateEndpoint` of a workspace connection.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspacePecEndpoint {
    pub id: String,
    pub subnet_arm_id: Option<String>,
}

/// The workspace private endpoint connection `id` in the workspace's region `location`.
pub fn workspace_pec(
    id: &ResourceId,
    c: &PrivateEndpointConnection,
    location: &str,
) -> Resource<WorkspacePecProperties> {
    let props = WorkspacePecProperties {
        private_endpoint: WorkspacePecEndpoint {
            id: c.private_endpoint_id.clone(),
            subnet_arm_id: c.subnet_id.clone(),
        },
        private_link_service_connection_state: ConnectionState {
            status: c.status.clone(),
            description: c.description.clone(),
            actions_required: "None",
        },
        provisioning_state: "Succeeded",
        group_ids: vec!["amlworkspace"],
    };
    Resource {
        location: Some(location.to_string()),
        ..Resource::new(id, ResourceKind::PrivateEndpointConnection, props)
    }
}

/// The workspace's one private link resource, `amlworkspace`.
pub fn workspace_link_resources(
    ws_id: &ResourceId,
) -> List<Resource<PrivateLinkResourceProperties>> {
    let props = PrivateLinkResourceProperties {
        group_id: "amlworkspace".to_string(),
        required_members: vec!["default".to_string()],
        required_zone_names: vec![
            "privatelink.api.azureml.ms".to_string(),
            "privatelink.notebooks.azure.net".to_string(),
        ],
    };
    super::list(vec![Resource::with_type(
        &ws_id.child("privateLinkResources", "amlworkspace"),
        "Microsoft.MachineLearningServices/workspaces/privateLinkResources".to_string(),
        props,
    )])
}

//! The outbound rules a workspace's managed network shows (ISO-8 required rules and the user's
//! rules, with `status`), typed (`domain::OutboundRule`): [`all_rules`] is the egress proxy's
//! rule set; [`wire_rules`] (those plus Azure's system rules) is what the control plane answers
//! (list/get, the workspace's `managedNetwork`, the monitor). Pure: depends on `domain` only.
use super::managed_network::iso_8_required_outbound_rules;
use super::workspace::AssociatedResources;
use crate::domain::enums::{OutboundRuleType, RuleStatus};
use crate::domain::{OutboundDestination, OutboundRule, Workspace};

/// Required rules (ISO-8) and user rules of a workspace, with `status` filled in.
pub fn all_rules(w: &Workspace) -> Vec<(String, OutboundRule)> {
    let mode = w.managed_network.isolation_mode;
    let res = AssociatedResources {
        storage_account: Some(&w.storage_account),
        key_vault: Some(&w.key_vault),
        container_registry: w.container_registry.as_deref(),
        application_insights: None,
    };
    let status = if w.managed_network.provisioned {
        RuleStatus::Active
    } else {
        RuleStatus::Inactive
    };
    let mut out: Vec<(String, OutboundRule)> =
        iso_8_required_outbound_rules(mode, w.managed_network.provisioned, &res)
            .into_iter()
            .map(|r| (r.name.clone(), r.to_rule()))
            .collect();
    for (name, rule) in &w.managed_network.user_rules {
        let mut rule = rule.clone();
        rule.status = Some(status);
        azure_filled_destination(&mut rule);
        out.push((name.clone(), rule));
    }
    out
}

/// The rules the control plane answers (list/get of outbound rules, the workspace's
/// `managedNetwork`, the monitor): [`all_rules`] plus Azure's system rules
/// ([`super::system_rules`]), which the egress proxy never sees.
pub fn wire_rules(w: &Workspace, workspace_id: &str) -> Vec<(String, OutboundRule)> {
    let mut out = all_rules(w);
    let inputs = super::system_rules::SystemRuleInputs {
        isolation_mode: w.managed_network.isolation_mode,
        provisioned: w.managed_network.provisioned,
        region: &w.location,
        workspace_id,
        workspace_guid: &w.workspace_guid,
        storage_account: &w.storage_account,
        key_vault: &w.key_vault,
        container_registry: w.container_registry.as_deref(),
    };
    for (name, rule) in super::system_rules::azure_system_rules(&inputs) {
        if !out.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
            out.push((name, rule));
        }
    }
    out
}

/// What Azure fills in a user rule's `destination` (recorded:
/// `test_workspace_managednetwork_outbound_rule_operations`): a ServiceTag rule's `action`
/// (`Allow`) and `addressPrefixes` (`[]`), a PrivateEndpoint rule's `sparkEnabled` (`false`) and
/// `sparkStatus` (`Inactive`: amlite runs no Spark).
fn azure_filled_destination(rule: &mut OutboundRule) {
    let OutboundDestination::Object(dest) = &mut rule.destination else {
        return;
    };
    match rule.rule_type {
        OutboundRuleType::ServiceTag => {
            dest.action.get_or_insert_with(|| "Allow".to_string());
            dest.address_prefixes.get_or_insert_with(Vec::new);
        }
        OutboundRuleType::PrivateEndpoint => {
            dest.spark_enabled.get_or_insert(false);
            dest.spark_status.get_or_insert(RuleStatus::Inactive);
        }
        OutboundRuleType::Fqdn => {}
    }
}

impl super::managed_network::RequiredOutboundRule {
    /// The rule as stored rules are ([`crate::domain::OutboundRule`]), for the wire and the
    /// egress proxy.
    pub fn to_rule(&self) -> crate::domain::OutboundRule {
        use crate::domain::{DestinationObject, OutboundDestination};
        let destination = match &self.destination {
            super::managed_network::RuleDestination::PrivateEndpoint {
                service_resource_id,
                subresource_target,
            } => OutboundDestination::Object(DestinationObject {
                service_resource_id: Some(service_resource_id.clone()),
                subresource_target: Some(subresource_target.clone()),
                ..Default::default()
            }),
            super::managed_network::RuleDestination::Fqdn(host) => {
                OutboundDestination::Fqdn(host.clone())
            }
        };
        crate::domain::OutboundRule {
            rule_type: self.rule_type,
            category: self.category,
            status: Some(self.status),
            destination,
            fqdns: None,
        }
    }
}

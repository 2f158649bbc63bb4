//! A managed network's outbound rule as amlite stores and answers it: the contract's
//! `OutboundRule` (`FqdnOutboundRule`, `PrivateEndpointOutboundRule`, `ServiceTagOutboundRule`,
//! told apart by `type`). Typed where amlite reads a field (the egress proxy, ISO-8 and Azure's
//! system rules, the wire); what it only echoes stays in a flattened map. Pure: serde only.
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::enums::{OutboundRuleType, RuleCategory, RuleStatus};

/// One outbound rule (its name is the key it is stored and answered under).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboundRule {
    /// `FQDN`, `PrivateEndpoint` or `ServiceTag`.
    #[serde(rename = "type")]
    pub rule_type: OutboundRuleType,
    /// `Required` (ISO-8 and Azure's system rules) or `UserDefined`.
    pub category: RuleCategory,
    /// Answered (`Active` once the managed network is provisioned); not stored for user rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RuleStatus>,
    /// Where it lets traffic go.
    pub destination: OutboundDestination,
    /// A PrivateEndpoint rule's host names (e.g. an application gateway's), kept and answered
    /// back (recorded: `test_workspace_managednetwork_outbound_rule_operations`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fqdns: Option<Vec<String>>,
}

/// `destination`: a host name for an FQDN rule, an object for the other types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OutboundDestination {
    /// An FQDN rule's host name, e.g. `pypi.org`.
    Fqdn(String),
    /// `PrivateEndpointDestination` or `ServiceTagDestination`.
    Object(DestinationObject),
    /// A document stored by an amlite that did not check the destination's field types: read
    /// and answered as it is, never reached by the egress proxy.
    Unchecked(Value),
}

/// The fields of `PrivateEndpointDestination` and `ServiceTagDestination` (each rule type sets
/// its own), plus whatever else the request sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DestinationObject {
    /// PrivateEndpoint: the ARM id (or host) of the resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_resource_id: Option<String>,
    /// PrivateEndpoint: `blob`, `vault`, `registry`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subresource_target: Option<String>,
    /// PrivateEndpoint: a boolean (a `"false"` string is read as `false` when parsed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_enabled: Option<bool>,
    /// PrivateEndpoint: `Inactive` (amlite runs no Spark).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_status: Option<RuleStatus>,
    /// ServiceTag: e.g. `AzureMachineLearning`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tag: Option<String>,
    /// ServiceTag: `TCP`, `UDP`, `*`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// ServiceTag: `443`, `80,443`, `1000-2000`, `*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_ranges: Option<String>,
    /// ServiceTag: `Allow`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// ServiceTag: address prefixes (Azure answers `[]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_prefixes: Option<Vec<String>>,
    /// Anything else the request sent, echoed.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl OutboundRule {
    /// The destination object, if the rule has a checked one.
    pub fn object(&self) -> Option<&DestinationObject> {
        match &self.destination {
            OutboundDestination::Object(o) => Some(o),
            _ => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_each_destination_shape_and_keeps_unknown_fields() {
        let pe: OutboundRule = serde_json::from_value(json!({ "type": "PrivateEndpoint",
            "category": "UserDefined", "destination": { "serviceResourceId": "/x",
            "subresourceTarget": "blob", "sparkEnabled": false, "extra": 1 } }))
        .unwrap();
        let o = pe.object().unwrap();
        assert_eq!(o.service_resource_id.as_deref(), Some("/x"));
        assert_eq!(o.other.get("extra"), Some(&json!(1)));
        assert_eq!(
            serde_json::to_value(&pe).unwrap()["destination"]["extra"],
            1
        );
        let fqdn: OutboundRule = serde_json::from_value(
            json!({ "type": "FQDN", "category": "UserDefined", "destination": "pypi.org" }),
        )
        .unwrap();
        assert_eq!(
            fqdn.destination,
            OutboundDestination::Fqdn("pypi.org".into())
        );
        // An older document with an unchecked field type still reads, as it was stored.
        let old = json!({ "type": "ServiceTag", "category": "UserDefined",
            "destination": { "serviceTag": "Storage", "portRanges": 443 } });
        let r: OutboundRule = serde_json::from_value(old.clone()).unwrap();
        assert!(r.object().is_none());
        assert_eq!(serde_json::to_value(&r).unwrap(), old);
    }
}

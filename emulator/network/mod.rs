//! Pure model of networks: where a scoring caller sits, which private endpoints it can use, what
//! the private DNS view of a workspace looks like, and where a deployment may send traffic.
//!
//! Owns (SPEC section 6):
//! - [`inbound`]: the scoring decision of SPEC 6.3 (ISO-2, ISO-4 note, ISO-5, ISO-12).
//! - [`dns`]: the ISO-12 private DNS record, the `customDnsConfigs` view of a private endpoint,
//!   host-name parsing for the `{endpoint}.{region}.inference.ml.azure.com` form of SPEC 4.
//! - [`explain`]: the inbound decision explained (rule, reason, the changes that would allow it).
//! - [`egress`]: the egress decision of SPEC 6.4 (ISO-6, ISO-8, ISO-9, ISO-10).
//! - [`legacy`]: ISO-16/17/18 (legacy egress), one decision for provisioning and the proxy.
//! - [`hostmatch`] and [`service_tags`]: host-pattern and port-range matching and the built-in
//!   service-tag table that the egress decision uses.
//!
//! Must not depend on: any amlite module but `domain` (the shared enums), IO, async, or the clock. Time is a
//! parameter (`created_at` of a private endpoint is compared with [`inbound::PE_CUTOFF`]). The
//! callers (scoring, egress proxy, provisioning) fetch the facts from the store, build the small
//! "view" structs defined here, and map the decisions to HTTP statuses themselves.

pub mod dns;
pub mod egress;
pub mod explain;
pub mod hostmatch;
pub mod inbound;
pub mod legacy;
pub mod service_tags;

pub use dns::{
    custom_dns_configs, parse_inference_host, private_dns_record, private_inference_fqdn,
    synthetic_private_ip, DnsConfig,
};
pub use egress::{
    decide_egress, Destination, DestinationKind, EgressContext, EgressDecision, IsolationMode,
    ManagedNetworkView, OutboundRuleView,
};
pub use hostmatch::{host_matches_pattern, normalize_host, split_host_port, PortRanges};
pub use inbound::{
    decide, private_path_pe, provides_private_path, CallerNetwork, ConnectionStatus,
    InboundDecision, InboundRefusal, Path, PrivateEndpointView, PE_CUTOFF,
};
pub use service_tags::service_tag_hosts;

/// The `publicNetworkAccess`-style flag (endpoint and workspace `publicNetworkAccess`,
/// deployment `egressPublicNetworkAccess`): the domain's own type, so decisions take stored
/// values without conversion.
pub use crate::domain::PublicNetworkAccess;

/// Compares two ARM resource ids the way ARM does: ASCII case-insensitively, ignoring
/// surrounding whitespace and one trailing `/`. Used for VNet and workspace ids (SPEC 6.3).
pub fn arm_id_eq(a: &str, b: &str) -> bool {
    fn norm(s: &str) -> &str {
        let s = s.trim();
        s.strip_suffix('/').unwrap_or(s)
    }
    norm(a).eq_ignore_ascii_case(norm(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_parses_any_case_and_prints_azure_case() {
        for (input, want) in [
            ("Enabled", Some(PublicNetworkAccess::Enabled)),
            ("enabled", Some(PublicNetworkAccess::Enabled)),
            (" ENABLED ", Some(PublicNetworkAccess::Enabled)),
            ("Disabled", Some(PublicNetworkAccess::Disabled)),
            ("dIsAbLeD", Some(PublicNetworkAccess::Disabled)),
            ("", None),
            ("on", None),
            ("true", None),
        ] {
            assert_eq!(PublicNetworkAccess::parse(input), want, "input {input:?}");
        }
        assert_eq!(PublicNetworkAccess::Enabled.as_str(), "Enabled");
        assert_eq!(PublicNetworkAccess::Disabled.as_str(), "Disabled");
        assert_eq!(PublicNetworkAccess::Disabled.to_string(), "Disabled");
        assert!(PublicNetworkAccess::Enabled.is_enabled());
        assert!(!PublicNetworkAccess::Disabled.is_enabled());
    }

    #[test]
    fn arm_ids_compare_case_insensitively() {
        let a = "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/V";
        let b = "/SUBSCRIPTIONS/s/resourcegroups/rg/providers/microsoft.network/virtualnetworks/v/";
        assert!(arm_id_eq(a, b));
        assert!(!arm_id_eq(a, "/subscriptions/S/resourceGroups/RG"));
    }
}

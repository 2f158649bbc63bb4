//! [`RULES`]: every SPEC rule id (section 5) with the path of the function(s) enforcing it, the
//! ones in this module and those enforced elsewhere (the inbound scoring decision, egress), so
//! that the registry covers every SPEC id. Pure data.

/// One SPEC rule and where it is enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleInfo {
    /// SPEC id, e.g. `"ISO-7"`.
    pub id: &'static str,
    /// The rule in a line.
    pub summary: &'static str,
    /// Path(s) of the enforcing function(s), comma-separated, from the crate root.
    pub function: &'static str,
}

/// Every SPEC rule id (section 5) → the function(s) enforcing it. A test checks that every
/// `ISO-n`/`CP-n` in SPEC.md has an entry and that every entry is in SPEC.md.
pub static RULES: &[RuleInfo] = &[
    RuleInfo {
        id: "ISO-1",
        summary: "v1LegacyMode workspaces cannot have managed online endpoints",
        function: "rules::workspace::iso_1_v1_legacy_mode",
    },
    RuleInfo {
        id: "ISO-2",
        summary: "a workspace private endpoint created before 2022-05-24 gives no private path",
        function: "network::inbound::decide",
    },
    RuleInfo {
        id: "ISO-3",
        summary: "associated resources must be in the workspace's subscription and tenant",
        function: "rules::workspace::iso_3_associated_resources, \
                   rules::workspace::iso_3_associated_resource",
    },
    RuleInfo {
        id: "ISO-4",
        summary: "isolation covers the data plane only; ARM is served on every listener",
        function: "network::inbound::decide",
    },
    RuleInfo {
        id: "ISO-5",
        summary: "endpoint publicNetworkAccess decides whether the internet may score",
        function: "network::inbound::decide",
    },
    RuleInfo {
        id: "ISO-6",
        summary: "the workspace managed network is the egress context of all its deployments",
        function: "network::egress::decide_egress",
    },
    RuleInfo {
        id: "ISO-7",
        summary: "egressPublicNetworkAccess must not be set with a workspace managed network",
        function: "rules::managed_network::iso_7_egress_flag_with_managed_network",
    },
    RuleInfo {
        id: "ISO-8",
        summary: "the managed network has Required private endpoint rules and MCR access",
        function: "rules::managed_network::iso_8_required_outbound_rules",
    },
    RuleInfo {
        id: "ISO-9",
        summary: "isolation modes: rule types per mode, one-way changes, network must be ready",
        function: "rules::managed_network::iso_9_rule_type_allowed, \
                   rules::managed_network::iso_9_isolation_mode_transition, \
                   rules::managed_network::iso_9_managed_network_ready, network::egress::decide_egress",
    },
    RuleInfo {
        id: "ISO-10",
        summary: "every deployment is isolated from every other deployment",
        function: "network::egress::decide_egress",
    },
    RuleInfo {
        id: "ISO-11",
        summary: "workspace PNA disabled with endpoint PNA enabled is allowed, with a warning",
        function: "rules::workspace::iso_11_public_access_warning",
    },
    RuleInfo {
        id: "ISO-12",
        summary: "one wildcard private DNS record routes a workspace's endpoints to its PE",
        function: "network::inbound::decide",
    },
    RuleInfo {
        id: "ISO-13",
        summary: "legacy egressPublicNetworkAccess cannot change after creation",
        function: "rules::legacy_egress::iso_13_egress_flag_immutable",
    },
    RuleInfo {
        id: "ISO-14",
        summary: "legacy egress-disabled deployments get 3 private endpoint connections each",
        function: "rules::legacy_egress::iso_14_needs_private_endpoints, \
                   rules::legacy_egress::iso_14_private_endpoint_connections",
    },
    RuleInfo {
        id: "ISO-15",
        summary: "peering a deployment's managed VNet with a client VNet is refused",
        function: "rules::legacy_egress::iso_15_vnet_peering",
    },
    RuleInfo {
        id: "ISO-16",
        summary: "legacy public egress needs a workspace with public access",
        function: "rules::provisioning::iso_16_public_egress_needs_public_workspace, \
                   network::legacy::legacy_reach",
    },
    RuleInfo {
        id: "ISO-17",
        summary: "legacy private egress reaches only the workspace's storage and registry",
        function: "rules::provisioning::iso_17_private_egress_artifacts, network::legacy::legacy_reach",
    },
    RuleInfo {
        id: "ISO-18",
        summary: "legacy public egress reaches only public resources",
        function: "rules::provisioning::iso_18_public_egress_artifacts, network::legacy::legacy_reach",
    },
    RuleInfo {
        id: "ISO-19",
        summary: "all 4 inbound x outbound combinations are supported, given ISO-16",
        function: "rules::provisioning::iso_19_combination_supported",
    },
    RuleInfo {
        id: "CP-1",
        summary: "endpoint/deployment name pattern; endpoint names unique per region",
        function: "rules::names::cp_1_endpoint_name, rules::names::cp_1_deployment_name, \
                   rules::names::cp_1_endpoint_name_unique_in_region",
    },
    RuleInfo {
        id: "CP-2",
        summary: "traffic: integer weights summing to 0 or 100, naming existing deployments",
        function: "rules::traffic::cp_2_traffic",
    },
    RuleInfo {
        id: "CP-3",
        summary: "mirrorTraffic: one deployment, 0-50 %, not one with live traffic",
        function: "rules::traffic::cp_3_mirror_traffic",
    },
    RuleInfo {
        id: "CP-4",
        summary: "a deployment with non-zero traffic cannot be deleted",
        function: "rules::traffic::cp_4_delete_deployment",
    },
    RuleInfo {
        id: "CP-5",
        summary: "request timeout <= 180 s, 1-50 instances, 20 deployments, endpoint cap",
        function: "rules::limits::cp_5_request_timeout, rules::limits::cp_5_request_timeout_iso, \
                   rules::limits::cp_5_instance_count, \
                   rules::limits::cp_5_deployments_per_endpoint, \
                   rules::limits::cp_5_endpoints_per_region",
    },
    RuleInfo {
        id: "CP-6",
        summary: "no deployment create while the endpoint is Creating/Updating/Deleting",
        function: "rules::endpoint::cp_6_endpoint_state_allows_deployment",
    },
    RuleInfo {
        id: "CP-7",
        summary: "no compute on managed endpoints; AADToken managed only; listKeys/token by mode",
        function:
            "rules::endpoint::cp_7_managed_endpoint_compute, rules::endpoint::cp_7_auth_mode, \
                   rules::endpoint::cp_7_list_keys_allowed, rules::endpoint::cp_7_token_allowed",
    },
    RuleInfo {
        id: "CP-8",
        summary: "cores quota ceil(1.2 x instances) x cores; unknown instance type refused",
        function: "rules::quota::cp_8_instance_type, rules::quota::cp_8_quota",
    },
];

/// The [`RULES`] entry for `id` (case-insensitive).
pub fn rule_info(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id.eq_ignore_ascii_case(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ids `ISO-n` / `CP-n` mentioned in `text` (not preceded by a letter or digit).
    /// `ISO-8601` is the date/duration standard, not a rule.
    fn spec_ids(text: &str) -> std::collections::BTreeSet<String> {
        let mut ids = std::collections::BTreeSet::new();
        for prefix in ["ISO-", "CP-"] {
            for (at, _) in text.match_indices(prefix) {
                let before = text[..at].chars().next_back();
                if before.is_some_and(|c| c.is_ascii_alphanumeric()) {
                    continue;
                }
                let digits: String = text[at + prefix.len()..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                if !digits.is_empty() && format!("{prefix}{digits}") != "ISO-8601" {
                    ids.insert(format!("{prefix}{digits}"));
                }
            }
        }
        ids
    }

    #[test]
    fn every_spec_rule_has_a_registry_entry() {
        let path = std::env::var("AMLITE_SPEC").unwrap_or_else(|_| {
            concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/SPEC.md").to_string()
        });
        let Ok(spec) = std::fs::read_to_string(&path) else {
            eprintln!("note: {path} not found; set AMLITE_SPEC to check RULES against the SPEC");
            return;
        };
        let ids = spec_ids(&spec);
        assert!(
            ids.contains("ISO-1") && ids.contains("CP-1"),
            "no rule ids found in {path}"
        );
        let missing: Vec<&String> = ids.iter().filter(|id| rule_info(id).is_none()).collect();
        assert!(
            missing.is_empty(),
            "SPEC ids without a RULES entry: {missing:?}"
        );
        let stale: Vec<&str> = RULES
            .iter()
            .map(|r| r.id)
            .filter(|id| !ids.contains(*id))
            .collect();
        assert!(stale.is_empty(), "RULES ids not in the SPEC: {stale:?}");
    }

    #[test]
    fn registry_is_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for r in RULES {
            assert!(seen.insert(r.id), "duplicate {}", r.id);
            assert!(!r.summary.is_empty() && !r.function.is_empty(), "{}", r.id);
            let own = r.function.contains("rules::");
            let local_fn = format!("{}_", r.id.to_ascii_lowercase().replace('-', "_"));
            assert!(
                !own || r.function.contains(&local_fn),
                "{} -> {}",
                r.id,
                r.function
            );
        }
        assert_eq!(RULES.len(), 27);
        assert_eq!(rule_info("iso-7").map(|r| r.id), Some("ISO-7"));
        assert!(spec_ids("see ISO-8601 and XISO-3, ISO-12 and CP-4.").len() == 2);
    }
}

//! The Azure texts the Python suites assert, rendered from the same named constructors the
//! server uses (issue 10: tests reuse texts rather than copying them). The golden file
//! `tests/pylib/amlite_testing/azure_texts.json` is what `amlite_testing.azure_texts()` loads;
//! this test fails when it differs from the constructors, and rewrites it with
//! `AMLITE_UPDATE_GOLDEN=1 cargo test --test api azure_texts::`.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use amlite::domain::{IsolationMode, PublicNetworkAccess};
use amlite::error::ArmError;
use amlite::rules;
use amlite::rules::OutboundRuleType;
use std::collections::BTreeMap;

const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/pylib/amlite_testing/azure_texts.json"
);

/// Each key names the constructor and, for a template, the arguments it is rendered with.
fn texts() -> BTreeMap<&'static str, String> {
    let refused = |r: Result<(), rules::Violation>| r.expect_err("the rule refuses").message;
    BTreeMap::from([
        ("ISO-1", refused(rules::iso_1_v1_legacy_mode(true))),
        (
            "ISO-7",
            refused(rules::iso_7_egress_flag_with_managed_network(
                IsolationMode::AllowOnlyApprovedOutbound,
                Some(PublicNetworkAccess::Disabled),
            )),
        ),
        (
            "ISO-9",
            refused(rules::iso_9_rule_type_allowed(
                IsolationMode::AllowInternetOutbound,
                OutboundRuleType::Fqdn,
            )),
        ),
        (
            "ISO-13(created=Disabled,sent=Enabled)",
            refused(rules::iso_13_egress_flag_immutable(
                PublicNetworkAccess::Disabled,
                Some(PublicNetworkAccess::Enabled),
            )),
        ),
        (
            "CP-1.endpointNameInUse",
            rules::ENDPOINT_NAME_IN_USE.to_string(),
        ),
        (
            "ResourceGroupNotFound(no-such-rg)",
            ArmError::resource_group_not_found("no-such-rg").message,
        ),
        (
            "InvalidFilterInQueryString(substringof('ws', name))",
            ArmError::invalid_filter("substringof('ws', name)").message,
        ),
        (
            "InvalidResourceNamespace(Microsoft.Nope)",
            ArmError::invalid_resource_namespace("Microsoft.Nope").message,
        ),
    ])
}

#[test]
fn the_python_suites_golden_texts_are_the_servers() {
    let want = serde_json::to_string_pretty(&texts()).unwrap() + "\n";
    if std::env::var_os("AMLITE_UPDATE_GOLDEN").is_some() {
        std::fs::write(GOLDEN, &want).unwrap();
    }
    let have = std::fs::read_to_string(GOLDEN).unwrap_or_default();
    assert_eq!(
        have, want,
        "{GOLDEN} is stale: AMLITE_UPDATE_GOLDEN=1 cargo test --test api azure_texts::"
    );
}

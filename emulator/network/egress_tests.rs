//! Table tests of the SPEC 6.4 egress decision: each mode (AllowInternetOutbound,
//! AllowOnlyApprovedOutbound, legacy Enabled, legacy Disabled), each rule type, wildcards, ports.

use super::*;

use DestinationKind::{PrivateOnly as Priv, Public as Pub};

const WS_API: &str = "0a1b.workspace.eastus.api.azureml.ms";
const WS_BLOB: &str = "wsstore.blob.core.windows.net";
const WS_ACR: &str = "wsacr.azurecr.io";

fn ctx(managed: Option<ManagedNetworkView>, legacy: PublicNetworkAccess) -> EgressContext {
    EgressContext {
        managed_network: managed,
        legacy_egress: legacy,
        // 127.0.0.1:7001 is a client VNet's listener, which also serves the workspace API: the
        // VNet wins (ISO-10).
        workspace_hosts: vec![
            WS_API.into(),
            WS_BLOB.into(),
            WS_ACR.into(),
            "127.0.0.1:7001".into(),
        ],
        workspace_api_hosts: vec![WS_API.into(), "127.0.0.1:7001".into()],
        other_deployment_hosts: vec!["127.0.0.1:6001".into(), "dep-b.internal".into()],
        client_vnet_hosts: vec!["127.0.0.1:7001".into(), "localhost:7001".into()],
    }
}

fn fqdn(d: &str) -> OutboundRuleView {
    OutboundRuleView::Fqdn {
        destination: d.into(),
        required: false,
    }
}
fn tag(t: &str, ports: &str, required: bool) -> OutboundRuleView {
    OutboundRuleView::ServiceTag {
        tag: t.into(),
        port_ranges: ports.into(),
        required,
    }
}
fn pe(h: &str, required: bool) -> OutboundRuleView {
    OutboundRuleView::PrivateEndpoint {
        host: h.into(),
        required,
    }
}

fn internet_outbound() -> EgressContext {
    let rules = vec![pe(WS_BLOB, true), pe("private.contoso.com", false)];
    ctx(
        Some(ManagedNetworkView {
            isolation_mode: IsolationMode::AllowInternetOutbound,
            rules,
        }),
        PublicNetworkAccess::Enabled,
    )
}

fn approved_outbound() -> EgressContext {
    let rules = vec![
        pe(WS_BLOB, true),
        tag("AzureActiveDirectory", "443", true),
        fqdn("pypi.org"),
        fqdn("*.PythonHosted.org"),
        tag("AzureMonitor", "443", false),
        tag("Storage.EastUS", "80,443", false),
        tag("AzureContainerRegistry", "1-65535", false),
        tag("MicrosoftContainerRegistry", "*", false),
        tag("AzureMachineLearning", "bogus", false),
        tag("NotATag", "*", false),
        pe("*.private.contoso.com", false),
    ];
    ctx(
        Some(ManagedNetworkView {
            isolation_mode: IsolationMode::AllowOnlyApprovedOutbound,
            rules,
        }),
        PublicNetworkAccess::Enabled,
    )
}

/// Expected outcome: allowed via a `VIA_*` constant, or refused citing a rule.
#[derive(Debug)]
enum Want {
    Via(&'static str),
    Rule(&'static str),
}
use Want::{Rule as R, Via as A};

fn run(name: &str, c: &EgressContext, table: &[(&str, u16, DestinationKind, Want)]) {
    for (host, port, kind, want) in table {
        let dest = Destination {
            host: (*host).into(),
            port: *port,
            kind: *kind,
        };
        let got = decide_egress(c, &dest);
        match (&got, want) {
            (EgressDecision::Allowed { via }, Want::Via(w)) if via == w => {}
            (EgressDecision::Refused { rule, message }, Want::Rule(w)) if rule == w => {
                assert!(
                    message.contains(host),
                    "{name}: message should name the host: {message}"
                );
            }
            _ => panic!("{name}: {host}:{port} {kind:?}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn iso_10_other_deployments_and_client_vnets_refused_in_every_mode() {
    let mn_internet = internet_outbound();
    let mn_approved = approved_outbound();
    let legacy_on = ctx(None, PublicNetworkAccess::Enabled);
    let legacy_off = ctx(None, PublicNetworkAccess::Disabled);
    for (name, c) in [
        ("internet", &mn_internet),
        ("approved", &mn_approved),
        ("legacy-on", &legacy_on),
        ("legacy-off", &legacy_off),
    ] {
        run(
            name,
            c,
            &[
                ("127.0.0.1", 6001, Pub, R("ISO-10")),
                ("dep-b.internal", 80, Pub, R("ISO-10")),
                ("DEP-B.internal", 5001, Priv, R("ISO-10")),
                ("127.0.0.1", 7001, Pub, R("ISO-10")),
                ("LOCALHOST", 7001, Priv, R("ISO-10")),
            ],
        );
    }
    // A host:port entry does not capture other ports of the same host.
    run(
        "legacy-on",
        &legacy_on,
        &[("127.0.0.1", 6002, Pub, A(VIA_LEGACY_PUBLIC))],
    );
}

#[test]
fn iso_9_allow_internet_outbound() {
    run(
        "internet",
        &internet_outbound(),
        &[
            ("example.com", 443, Pub, A(VIA_INTERNET_OUTBOUND)),
            ("example.com", 22, Pub, A(VIA_INTERNET_OUTBOUND)),
            ("mcr.microsoft.com", 443, Pub, A(VIA_MCR)),
            (WS_API, 443, Priv, A(VIA_WORKSPACE_PRIVATE_ENDPOINT)),
            (WS_ACR, 443, Priv, A(VIA_WORKSPACE_PRIVATE_ENDPOINT)),
            ("private.contoso.com", 8443, Priv, A(VIA_PRIVATE_ENDPOINT)),
            ("Private.Contoso.com", 443, Pub, A(VIA_PRIVATE_ENDPOINT)),
            ("secret.contoso.com", 443, Priv, R("ISO-8")),
            ("otherstore.blob.core.windows.net", 443, Priv, R("ISO-8")),
        ],
    );
}

#[test]
fn iso_6_iso_8_required_rules_and_workspace_resources() {
    let mut c = approved_outbound();
    c.workspace_hosts.clear(); // only the required rules remain to reach the workspace storage
    run(
        "approved-no-ws-hosts",
        &c,
        &[
            (WS_BLOB, 443, Priv, A(VIA_REQUIRED)),
            ("login.microsoftonline.com", 443, Pub, A(VIA_REQUIRED)),
            (
                "tenant.login.microsoftonline.com",
                443,
                Pub,
                A(VIA_REQUIRED),
            ),
            ("login.microsoftonline.com", 80, Pub, R("ISO-9")),
            (WS_API, 443, Pub, R("ISO-9")),
        ],
    );
}

#[test]
fn iso_8_iso_9_approved_outbound_mcr_workspace_and_private_endpoints() {
    run(
        "approved",
        &approved_outbound(),
        &[
            // MCR always, any port (ISO-8).
            ("mcr.microsoft.com", 443, Pub, A(VIA_MCR)),
            ("eastus.data.mcr.microsoft.com", 443, Pub, A(VIA_MCR)),
            // Workspace resources through the managed network's private endpoints (ISO-6).
            (WS_API, 443, Priv, A(VIA_WORKSPACE_PRIVATE_ENDPOINT)),
            (WS_ACR, 443, Pub, A(VIA_WORKSPACE_PRIVATE_ENDPOINT)),
            // PrivateEndpoint rules: any port, private-only included, wildcard.
            (
                "db.private.contoso.com",
                5432,
                Priv,
                A(VIA_PRIVATE_ENDPOINT),
            ),
            ("private.contoso.com", 443, Priv, R("ISO-8")),
            // Everything else.
            ("example.com", 443, Pub, R("ISO-9")),
            ("github.com", 443, Pub, R("ISO-9")),
        ],
    );
}

#[test]
fn iso_9_approved_outbound_fqdn_rules() {
    // Exact and wildcard, case-insensitive, ports 80/443 only, public destinations only.
    run(
        "approved",
        &approved_outbound(),
        &[
            ("pypi.org", 443, Pub, A(VIA_FQDN)),
            ("PyPI.org", 80, Pub, A(VIA_FQDN)),
            ("pypi.org", 8080, Pub, R("ISO-9")),
            ("files.pythonhosted.org", 443, Pub, A(VIA_FQDN)),
            ("a.b.pythonhosted.org", 443, Pub, A(VIA_FQDN)),
            ("pythonhosted.org", 443, Pub, R("ISO-9")),
            ("www.pypi.org", 443, Pub, R("ISO-9")),
            ("pypi.org", 443, Priv, R("ISO-8")),
        ],
    );
}

#[test]
fn iso_9_approved_outbound_service_tag_rules() {
    // Tag table, port ranges, regional suffix; malformed ranges and unknown tags open nothing.
    run(
        "approved",
        &approved_outbound(),
        &[
            ("eastus.monitor.azure.com", 443, Pub, A(VIA_SERVICE_TAG)),
            (
                "x.applicationinsights.azure.com",
                443,
                Pub,
                A(VIA_SERVICE_TAG),
            ),
            ("eastus.monitor.azure.com", 80, Pub, R("ISO-9")),
            ("other.blob.core.windows.net", 80, Pub, A(VIA_SERVICE_TAG)),
            ("other.queue.core.windows.net", 443, Pub, A(VIA_SERVICE_TAG)),
            ("other.blob.core.windows.net", 8080, Pub, R("ISO-9")),
            ("other.blob.core.windows.net", 443, Priv, R("ISO-8")),
            ("anyacr.azurecr.io", 5000, Pub, A(VIA_SERVICE_TAG)),
            ("x.api.azureml.ms", 443, Pub, R("ISO-9")),
            ("ml.azure.com", 443, Pub, R("ISO-9")),
        ],
    );
}

#[test]
fn iso_9_refusal_explains_fqdn_port_limit() {
    let dest = Destination {
        host: "pypi.org".into(),
        port: 8443,
        kind: Pub,
    };
    match decide_egress(&approved_outbound(), &dest) {
        EgressDecision::Refused {
            rule: "ISO-9",
            message,
        } => {
            assert!(message.contains("only ports 80 and 443"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let dest = Destination {
        host: "example.com".into(),
        port: 443,
        kind: Pub,
    };
    match decide_egress(&approved_outbound(), &dest) {
        EgressDecision::Refused {
            rule: "ISO-9",
            message,
        } => {
            assert!(message.contains("AllowOnlyApprovedOutbound"), "{message}");
            assert!(message.contains("Add an FQDN outbound rule"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn iso_16_iso_18_legacy_egress_enabled() {
    run(
        "legacy-on",
        &ctx(None, PublicNetworkAccess::Enabled),
        &[
            ("example.com", 443, Pub, A(VIA_LEGACY_PUBLIC)),
            ("example.com", 22, Pub, A(VIA_LEGACY_PUBLIC)),
            (WS_BLOB, 443, Pub, A(VIA_LEGACY_PUBLIC)),
            ("mcr.microsoft.com", 443, Pub, A(VIA_LEGACY_PUBLIC)),
            (WS_API, 443, Priv, R("ISO-16")),
            // The workspace's storage is a resource like any other here (ISO-18), as at
            // provisioning; ISO-16 is the workspace itself.
            (WS_BLOB, 443, Priv, R("ISO-18")),
            ("private.contoso.com", 443, Priv, R("ISO-18")),
        ],
    );
}

#[test]
fn iso_13_iso_17_legacy_egress_disabled() {
    run(
        "legacy-off",
        &ctx(None, PublicNetworkAccess::Disabled),
        &[
            (WS_API, 443, Pub, A(VIA_LEGACY_WORKSPACE)),
            (WS_BLOB, 443, Priv, A(VIA_LEGACY_WORKSPACE)),
            ("WSACR.azurecr.io", 443, Priv, A(VIA_LEGACY_WORKSPACE)),
            ("otherstore.blob.core.windows.net", 443, Pub, R("ISO-17")),
            ("example.com", 443, Pub, R("ISO-17")),
            ("mcr.microsoft.com", 443, Pub, R("ISO-17")),
            ("private.contoso.com", 443, Priv, R("ISO-17")),
        ],
    );
}

#[test]
fn legacy_flag_is_ignored_with_a_managed_network() {
    let mut c = approved_outbound();
    c.legacy_egress = PublicNetworkAccess::Disabled;
    run(
        "approved+legacy-off",
        &c,
        &[("pypi.org", 443, Pub, A(VIA_FQDN))],
    );
    let mut c = internet_outbound();
    c.legacy_egress = PublicNetworkAccess::Disabled;
    run(
        "internet+legacy-off",
        &c,
        &[("example.com", 443, Pub, A(VIA_INTERNET_OUTBOUND))],
    );
}

#[test]
fn workspace_host_entries_with_port_match_only_that_port() {
    let mut c = ctx(None, PublicNetworkAccess::Disabled);
    c.workspace_hosts = vec!["127.0.0.1:10000".into()];
    run(
        "local-storage",
        &c,
        &[
            ("127.0.0.1", 10000, Pub, A(VIA_LEGACY_WORKSPACE)),
            ("127.0.0.1", 10001, Pub, R("ISO-17")),
        ],
    );
}

#[test]
fn rule_helpers() {
    assert!(tag("Storage", "*", true).required());
    assert!(!fqdn("a.com").required());
    assert!(EgressDecision::Allowed { via: VIA_FQDN }.is_allowed());
    assert_eq!(
        IsolationMode::parse("allowonlyapprovedoutbound"),
        Some(IsolationMode::AllowOnlyApprovedOutbound)
    );
    assert_eq!(
        IsolationMode::parse("AllowInternetOutbound"),
        Some(IsolationMode::AllowInternetOutbound)
    );
    assert!(!IsolationMode::Disabled.is_managed());
    assert_eq!(
        IsolationMode::AllowInternetOutbound.as_str(),
        "AllowInternetOutbound"
    );
}

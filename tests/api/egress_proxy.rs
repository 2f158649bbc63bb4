//! The per-deployment egress proxy (SPEC 6.4) exercised directly: a proxy on 127.0.0.1:0 with a
//! constructed egress context, raw HTTP over TCP, no Python and no amlite server. Tests are
//! named after the rule they prove (ISO-6, ISO-8, ISO-9, ISO-10, ISO-13/17, ISO-18).
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::egress_proxy_support::*;

use amlite::domain::{PublicNetworkAccess, Workspace};
use amlite::egress::context::{build, rule_views, Facts};
use amlite::egress::Catalog;
use amlite::network::{IsolationMode, OutboundRuleView};
use serde_json::json;

#[tokio::test]
async fn iso_10_another_deployments_port_is_refused() {
    let other = local_service("other-deployment").await;
    let mut ctx = managed(IsolationMode::AllowInternetOutbound, vec![]);
    ctx.other_deployment_hosts = vec![format!("127.0.0.1:{other}"), format!("localhost:{other}")];
    let catalog = Catalog {
        local_ports: vec![other], // even a locally served port is refused when it is a deployment
        ..Default::default()
    };
    let p = proxy_for(ctx, catalog).await;
    let a = http_get(&p, &format!("127.0.0.1:{other}"), "/score").await;
    assert_refused(&a, "ISO-10");
    assert!(a.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("scoring URI"));
    let (a, _) = connect(&p, &format!("localhost:{other}")).await;
    assert_refused(&a, "ISO-10");
}

#[tokio::test]
async fn iso_9_approved_outbound_allows_only_rules_and_mcr() {
    let rules = vec![
        OutboundRuleView::Fqdn {
            destination: "pypi.org".into(),
            required: false,
        },
        OutboundRuleView::Fqdn {
            destination: "*.pythonhosted.org".into(),
            required: false,
        },
    ];
    let p = proxy_for(
        managed(IsolationMode::AllowOnlyApprovedOutbound, rules),
        Catalog::default(),
    )
    .await;
    for allowed in [
        "pypi.org:443",
        "files.pythonhosted.org:443",
        "mcr.microsoft.com:443",
    ] {
        let (a, _) = connect(&p, allowed).await;
        assert_allowed_offline(&a);
    }
    let (a, _) = connect(&p, "mcr.microsoft.com:443").await;
    assert_eq!(
        a.header("x-amlite-egress-via"),
        Some("MicrosoftContainerRegistry")
    );
    let a = http_get(&p, "pypi.org", "/simple/").await;
    assert_allowed_offline(&a);
    assert_eq!(a.header("x-amlite-egress-via"), Some("FQDN"));
    let (a, _) = connect(&p, "example.com:443").await;
    assert_refused(&a, "ISO-9");
    assert!(a.body.contains("Add an FQDN outbound rule"), "{a:?}");
    // FQDN rules cover ports 80 and 443 only.
    let (a, _) = connect(&p, "pypi.org:8443").await;
    assert_refused(&a, "ISO-9");
}

#[tokio::test]
async fn iso_9_allow_internet_outbound_allows_public_hosts() {
    let p = proxy_for(
        managed(IsolationMode::AllowInternetOutbound, vec![]),
        Catalog::default(),
    )
    .await;
    let (a, _) = connect(&p, "example.com:443").await;
    assert_allowed_offline(&a);
    assert_eq!(
        a.header("x-amlite-egress-via"),
        Some("AllowInternetOutbound")
    );
}

#[tokio::test]
async fn iso_8_private_only_service_needs_a_private_endpoint_rule() {
    let port = local_service("db").await;
    let db = service("db.contoso.com", PublicNetworkAccess::Disabled, port);
    let catalog = Catalog {
        services: vec![db.clone()],
        ..Default::default()
    };
    let p = proxy_for(
        managed(IsolationMode::AllowInternetOutbound, vec![]),
        catalog.clone(),
    )
    .await;
    let a = http_get(&p, "db.contoso.com", "/rows").await;
    assert_refused(&a, "ISO-8");
    assert!(a.body.contains("PrivateEndpoint outbound rule"), "{a:?}");

    // A user PrivateEndpoint rule naming the service's resource id opens it, and it is served.
    let rule = json!({"type": "PrivateEndpoint", "category": "UserDefined",
        "destination": {"serviceResourceId": db.resource_id, "subresourceTarget": "sql"}});
    let rule: amlite::domain::OutboundRule = serde_json::from_value(rule).unwrap();
    let views = rule_views(&rule, &catalog.services);
    assert_eq!(views.len(), 1);
    let p = proxy_for(
        managed(IsolationMode::AllowOnlyApprovedOutbound, views),
        catalog,
    )
    .await;
    let a = http_get(&p, "db.contoso.com", "/rows").await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.json()["service"], "db");
    assert_eq!(a.json()["path"], "/rows");
}

fn workspace(mode: &str) -> Workspace {
    let props = json!({"managedNetwork": {"isolationMode": mode}});
    amlite::arm::workspace_properties::new_workspace(
        "6a6d6c69-7465-4000-8000-000000000001",
        "rg",
        "ws",
        "eastus",
        props.as_object().unwrap(),
        true,
    )
    .unwrap()
}

#[tokio::test]
async fn iso_8_required_rules_reach_workspace_resources() {
    let mut ws = workspace("AllowOnlyApprovedOutbound");
    // The workspace's storage and key vault refuse public access: only private endpoints work.
    let sa = amlite::domain::id::last_segment_lower(&ws.storage_account);
    let kv = amlite::domain::id::last_segment_lower(&ws.key_vault);
    ws.resource_access
        .insert(format!("storage:{sa}"), PublicNetworkAccess::Disabled);
    ws.resource_access
        .insert(format!("vault:{kv}"), PublicNetworkAccess::Disabled);
    let (ctx, catalog) = build(&ws, PublicNetworkAccess::Enabled, Facts::default());
    let p = proxy_for(ctx, catalog).await;
    let (a, _) = connect(&p, &format!("{kv}.vault.azure.net:443")).await;
    assert_allowed_offline(&a);
    assert_eq!(a.header("x-amlite-egress-via"), Some("Required"));
    let (a, _) = connect(&p, &format!("{sa}.blob.core.windows.net:443")).await;
    assert_allowed_offline(&a);
    // The required private endpoint is to blob; the file service of the same account is not.
    let (a, _) = connect(&p, &format!("{sa}.file.core.windows.net:443")).await;
    assert_refused(&a, "ISO-8");
}

#[tokio::test]
async fn iso_6_workspace_hosts_allowed_through_the_managed_network() {
    let amlite_port = local_service("amlite").await;
    let ws = workspace("AllowOnlyApprovedOutbound");
    let facts = Facts {
        listener_ports: vec![amlite_port],
        ..Default::default()
    };
    let (ctx, catalog) = build(&ws, PublicNetworkAccess::Enabled, facts);
    let p = proxy_for(ctx, catalog).await;
    // amlite's own listener (blob downloads, workspace API) is forwarded for real.
    let a = http_get(
        &p,
        &format!("127.0.0.1:{amlite_port}"),
        "/acct/container/model.json",
    )
    .await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.json()["path"], "/acct/container/model.json");
    let (a, _) = connect(&p, "eastus.api.azureml.ms:443").await;
    assert_allowed_offline(&a);
    assert_eq!(
        a.header("x-amlite-egress-via"),
        Some("WorkspacePrivateEndpoint")
    );
    // A loopback port that is not amlite's is not forwarded, and not approved here.
    let (a, _) = connect(&p, "127.0.0.1:1").await;
    assert_refused(&a, "ISO-9");
}

#[tokio::test]
async fn iso_18_legacy_egress_enabled_reaches_public_resources_only() {
    let pub_port = local_service("public").await;
    let priv_port = local_service("private").await;
    let catalog = Catalog {
        services: vec![
            service("api.contoso.com", PublicNetworkAccess::Enabled, pub_port),
            service("db.contoso.com", PublicNetworkAccess::Disabled, priv_port),
        ],
        ..Default::default()
    };
    let p = proxy_for(legacy(PublicNetworkAccess::Enabled, vec![]), catalog).await;
    let a = http_get(&p, "db.contoso.com", "/").await;
    assert_refused(&a, "ISO-18");
    let a = http_get(&p, "api.contoso.com", "/v1").await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.json()["service"], "public");
    let (a, _) = connect(&p, "example.com:443").await;
    assert_allowed_offline(&a);
}

#[tokio::test]
async fn iso_13_17_legacy_egress_disabled_reaches_workspace_hosts_only() {
    let amlite_port = local_service("amlite").await;
    let pub_port = local_service("public").await;
    let hosts = vec![
        format!("127.0.0.1:{amlite_port}"),
        "wsstore.blob.core.windows.net".to_string(),
    ];
    let catalog = Catalog {
        services: vec![service(
            "api.contoso.com",
            PublicNetworkAccess::Enabled,
            pub_port,
        )],
        local_ports: vec![amlite_port],
        ..Default::default()
    };
    let p = proxy_for(legacy(PublicNetworkAccess::Disabled, hosts), catalog).await;
    let a = http_get(&p, &format!("127.0.0.1:{amlite_port}"), "/x").await;
    assert_eq!(a.status, 200, "{a:?}");
    let (a, _) = connect(&p, "wsstore.blob.core.windows.net:443").await;
    assert_allowed_offline(&a);
    for refused in [
        "api.contoso.com:80",
        "mcr.microsoft.com:443",
        "example.com:443",
    ] {
        let (a, _) = connect(&p, refused).await;
        assert_refused(&a, "ISO-17");
    }
}

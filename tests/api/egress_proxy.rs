//! The per-deployment egress proxy (SPEC 6.4) exercised directly: a proxy on 127.0.0.1:0 with a
//! constructed egress context, raw HTTP over TCP, no Python and no amlite server. Tests are
//! named after the rule they prove (ISO-6, ISO-8, ISO-9, ISO-10, ISO-13/17, ISO-18).
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::sync::Arc;
use std::time::Duration;

use amlite::domain::{PublicNetworkAccess, Workspace};
use amlite::egress::context::{build, rule_views, Facts};
use amlite::egress::{Catalog, ExternalService, Proxy, StaticResolver};
use amlite::network::{EgressContext, IsolationMode, ManagedNetworkView, OutboundRuleView};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const T: Duration = Duration::from_secs(10);

/// A tiny local HTTP server: answers every request with `{"service": name, "path", "host"}`.
async fn local_service(name: &'static str) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let head = read_until_blank(&mut s).await;
                let line = head.lines().next().unwrap_or("").to_string();
                let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                let host = head
                    .lines()
                    .find_map(|l| l.strip_prefix("Host: "))
                    .unwrap_or("")
                    .to_string();
                let body = json!({"service": name, "path": path, "host": host}).to_string();
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
                let _ = s.shutdown().await;
            });
        }
    });
    port
}

async fn read_until_blank(s: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut b = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match tokio::time::timeout(T, s.read(&mut b)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&b[..n]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// A parsed proxy answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

fn parse_answer(raw: &str) -> Answer {
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_string(),
    }
}

async fn read_all(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    tokio::time::timeout(T, s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

/// Sends `GET http://{host}{path}` through the proxy (absolute form).
async fn http_get(proxy: &Proxy, host: &str, path: &str) -> Answer {
    let mut s = TcpStream::connect(("127.0.0.1", proxy.port()))
        .await
        .unwrap();
    let req = format!(
        "GET http://{host}{path} HTTP/1.1\r\nHost: {host}\r\nProxy-Connection: keep-alive\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    parse_answer(&read_all(&mut s).await)
}

/// Sends `CONNECT {target}`; returns the answer (the whole stream when refused, the head when
/// the tunnel opened) and the stream.
async fn connect(proxy: &Proxy, target: &str) -> (Answer, TcpStream) {
    let mut s = TcpStream::connect(("127.0.0.1", proxy.port()))
        .await
        .unwrap();
    let req = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let head = read_until_blank(&mut s).await;
    let mut a = parse_answer(&head);
    if a.status != 200 {
        a.body.push_str(&read_all(&mut s).await);
    }
    (a, s)
}

async fn proxy_for(context: EgressContext, catalog: Catalog) -> Proxy {
    Proxy::start(Arc::new(StaticResolver { context, catalog }))
        .await
        .unwrap()
}

fn managed(mode: IsolationMode, rules: Vec<OutboundRuleView>) -> EgressContext {
    EgressContext {
        managed_network: Some(ManagedNetworkView {
            isolation_mode: mode,
            rules,
        }),
        legacy_egress: PublicNetworkAccess::Enabled,
        workspace_hosts: vec![],
        workspace_api_hosts: vec![],
        other_deployment_hosts: vec![],
        client_vnet_hosts: vec![],
    }
}

fn legacy(egress: PublicNetworkAccess, workspace_hosts: Vec<String>) -> EgressContext {
    EgressContext {
        managed_network: None,
        legacy_egress: egress,
        workspace_hosts,
        workspace_api_hosts: vec![],
        other_deployment_hosts: vec![],
        client_vnet_hosts: vec![],
    }
}

fn service(host: &str, access: PublicNetworkAccess, port: u16) -> ExternalService {
    let id =
        format!("/subscriptions/s/resourceGroups/rg/providers/Amlite.External/services/{host}");
    ExternalService::new(host, access, &id, &format!("http://127.0.0.1:{port}")).unwrap()
}

fn assert_refused(a: &Answer, rule: &str) {
    assert_eq!(a.status, 403, "{a:?}");
    assert_eq!(a.header("x-amlite-egress-rule"), Some(rule), "{a:?}");
    assert_eq!(a.json()["error"]["rule"], rule, "{a:?}");
}

fn assert_allowed_offline(a: &Answer) {
    assert_eq!(a.status, 502, "{a:?}");
    assert_eq!(a.header("x-amlite-egress"), Some("allowed"), "{a:?}");
}

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

#[tokio::test]
async fn declared_external_service_is_reached_for_real_over_http_and_connect() {
    let port = local_service("contoso").await;
    let catalog = Catalog {
        services: vec![service(
            "API.Contoso.com",
            PublicNetworkAccess::Enabled,
            port,
        )],
        ..Default::default()
    };
    let p = proxy_for(
        managed(IsolationMode::AllowInternetOutbound, vec![]),
        catalog,
    )
    .await;
    let a = http_get(&p, "api.contoso.com", "/hello?x=1").await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.json()["path"], "/hello?x=1");
    assert_eq!(a.json()["host"], "api.contoso.com");

    let (a, mut s) = connect(&p, "api.contoso.com:443").await;
    assert_eq!(a.status, 200, "{a:?}");
    s.write_all(b"GET /tunnel HTTP/1.1\r\nHost: api.contoso.com\r\n\r\n")
        .await
        .unwrap();
    let a = parse_answer(&read_all(&mut s).await);
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.json()["path"], "/tunnel");
}

#[tokio::test]
async fn malformed_requests_get_400_and_dropping_the_proxy_stops_it() {
    let p = proxy_for(
        managed(IsolationMode::AllowInternetOutbound, vec![]),
        Catalog::default(),
    )
    .await;
    for req in [
        "GET /origin-form HTTP/1.1\r\nHost: x\r\n\r\n",
        "CONNECT no-port HTTP/1.1\r\n\r\n",
        "GARBAGE\r\n\r\n",
        "GET http://host:notaport/ HTTP/1.1\r\n\r\n",
    ] {
        let mut s = TcpStream::connect(("127.0.0.1", p.port())).await.unwrap();
        s.write_all(req.as_bytes()).await.unwrap();
        let a = parse_answer(&read_all(&mut s).await);
        assert_eq!(a.status, 400, "{req:?} -> {a:?}");
    }
    let env = p.env();
    assert_eq!(env.get("HTTPS_PROXY"), Some(&p.url()));
    assert_eq!(env.get("no_proxy").map(String::as_str), Some(""));
    let port = p.port();
    drop(p);
    let mut stopped = false;
    for _ in 0..100 {
        if TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            stopped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        stopped,
        "the proxy still accepts connections after being dropped"
    );
}

#[test]
fn external_service_urls_must_be_loopback() {
    for bad in [
        "http://10.0.0.1:80",
        "http://example.com:80",
        "ftp://127.0.0.1:21",
        "nonsense",
    ] {
        assert!(
            ExternalService::new("a.b", PublicNetworkAccess::Enabled, "id", bad).is_err(),
            "{bad}"
        );
    }
    let ok = ExternalService::new(
        "A.B.",
        PublicNetworkAccess::Enabled,
        "id",
        "http://localhost:8080/x",
    )
    .unwrap();
    assert_eq!(ok.host, "a.b");
    assert_eq!(ok.upstream.to_string(), "127.0.0.1:8080");
}

#[test]
fn private_endpoint_rules_map_resource_ids_to_hosts() {
    use amlite::egress::context::private_endpoint_hosts;
    let svc = vec![service("db.contoso.com", PublicNetworkAccess::Disabled, 1)];
    let sub = "/subscriptions/s/resourceGroups/rg/providers";
    let table: [(String, Option<&str>, Vec<&str>); 6] = [
        (
            format!("{sub}/Microsoft.Storage/storageAccounts/SA1"),
            None,
            vec!["sa1.blob.core.windows.net"],
        ),
        (
            format!("{sub}/Microsoft.Storage/storageAccounts/sa1"),
            Some("dfs"),
            vec!["sa1.dfs.core.windows.net"],
        ),
        (
            format!("{sub}/Microsoft.KeyVault/vaults/kv1"),
            None,
            vec!["kv1.vault.azure.net"],
        ),
        (
            format!("{sub}/Microsoft.ContainerRegistry/registries/acr1"),
            None,
            vec!["acr1.azurecr.io"],
        ),
        (
            svc[0].resource_id.clone(),
            Some("sql"),
            vec!["db.contoso.com"],
        ),
        (format!("{sub}/Microsoft.Web/sites/unknown"), None, vec![]),
    ];
    for (id, target, want) in table {
        assert_eq!(private_endpoint_hosts(&id, target, &svc), want, "{id}");
    }
    assert_eq!(
        private_endpoint_hosts("DB.contoso.com", None, &svc),
        vec!["db.contoso.com"]
    );
    assert_eq!(
        private_endpoint_hosts("other.example", None, &svc),
        vec!["other.example"]
    );
}

#[tokio::test]
async fn refused_post_with_a_body_still_reads_403() {
    let p = proxy_for(
        legacy(PublicNetworkAccess::Disabled, vec![]),
        Catalog::default(),
    )
    .await;
    let mut s = TcpStream::connect(("127.0.0.1", p.port())).await.unwrap();
    let body = vec![b'x'; 256 * 1024];
    let head = format!(
        "POST http://example.com/upload HTTP/1.1\r\nHost: example.com\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body).await.unwrap();
    let a = parse_answer(&read_all(&mut s).await);
    assert_refused(&a, "ISO-17");
}

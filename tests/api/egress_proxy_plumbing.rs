//! The egress proxy's plumbing (SPEC 6.4): declared external services reached for real, malformed
//! requests, loopback-only service URLs, private endpoint rules mapped to hosts.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::egress_proxy_support::*;
use std::time::Duration;

use amlite::domain::PublicNetworkAccess;
use amlite::egress::{Catalog, ExternalService};
use amlite::network::IsolationMode;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

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

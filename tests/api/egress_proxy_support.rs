//! Helpers of the egress proxy tests (`egress_proxy`, `egress_proxy_plumbing`): local services,
//! raw HTTP over TCP, contexts built from constructed workspaces.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::sync::Arc;
use std::time::Duration;

use amlite::domain::PublicNetworkAccess;
use amlite::egress::{Catalog, ExternalService, Proxy, StaticResolver};
use amlite::network::{EgressContext, IsolationMode, ManagedNetworkView, OutboundRuleView};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub(crate) const T: Duration = Duration::from_secs(10);

/// A tiny local HTTP server: answers every request with `{"service": name, "path", "host"}`.
pub(crate) async fn local_service(name: &'static str) -> u16 {
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

pub(crate) async fn read_until_blank(s: &mut TcpStream) -> String {
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
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

pub(crate) fn parse_answer(raw: &str) -> Answer {
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

pub(crate) async fn read_all(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    tokio::time::timeout(T, s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

/// Sends `GET http://{host}{path}` through the proxy (absolute form).
pub(crate) async fn http_get(proxy: &Proxy, host: &str, path: &str) -> Answer {
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
pub(crate) async fn connect(proxy: &Proxy, target: &str) -> (Answer, TcpStream) {
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

pub(crate) async fn proxy_for(context: EgressContext, catalog: Catalog) -> Proxy {
    Proxy::start(Arc::new(StaticResolver { context, catalog }))
        .await
        .unwrap()
}

pub(crate) fn managed(mode: IsolationMode, rules: Vec<OutboundRuleView>) -> EgressContext {
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

pub(crate) fn legacy(egress: PublicNetworkAccess, workspace_hosts: Vec<String>) -> EgressContext {
    EgressContext {
        managed_network: None,
        legacy_egress: egress,
        workspace_hosts,
        workspace_api_hosts: vec![],
        other_deployment_hosts: vec![],
        client_vnet_hosts: vec![],
    }
}

pub(crate) fn service(host: &str, access: PublicNetworkAccess, port: u16) -> ExternalService {
    let id =
        format!("/subscriptions/s/resourceGroups/rg/providers/Amlite.External/services/{host}");
    ExternalService::new(host, access, &id, &format!("http://127.0.0.1:{port}")).unwrap()
}

pub(crate) fn assert_refused(a: &Answer, rule: &str) {
    assert_eq!(a.status, 403, "{a:?}");
    assert_eq!(a.header("x-amlite-egress-rule"), Some(rule), "{a:?}");
    assert_eq!(a.json()["error"]["rule"], rule, "{a:?}");
}

pub(crate) fn assert_allowed_offline(a: &Answer) {
    assert_eq!(a.status, 502, "{a:?}");
    assert_eq!(a.header("x-amlite-egress"), Some("allowed"), "{a:?}");
}

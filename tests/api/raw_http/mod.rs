//! A tiny raw HTTPS client for hardening tests: sends bytes exactly as given (no URL
//! normalisation, no header checks), so `..`, `\`, control characters and hand-made chunked
//! bodies reach amlite as a hostile client would send them.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]
use std::io::{Read, Write};
use std::sync::Arc;

use base64::Engine;
use serde_json::Value;

use crate::common::{Resp, TestApp};

/// Asserts a response is no 5xx and, when an error, an ARM envelope.
pub fn assert_clean(what: &str, r: &Resp) {
    assert!(r.status < 500, "{what}: {} {}", r.status, r.text);
    if r.status >= 400 {
        let e = &r.body["error"];
        assert!(
            e["code"].is_string() && e["message"].is_string(),
            "{what}: not an ARM envelope: {} {}",
            r.status,
            r.text
        );
    }
}

/// Sends one raw HTTP/1.1 request over TLS (no URL normalisation) and returns the response.
pub async fn raw(app: &TestApp, method: &str, target: &[u8], body: &[u8]) -> Resp {
    let port: u16 = app.base.rsplit(':').next().unwrap().parse().unwrap();
    let mut req = format!("{method} ").into_bytes();
    req.extend_from_slice(target);
    req.extend_from_slice(format!(" HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).as_bytes());
    req.extend_from_slice(body);
    send_raw_request(app, req).await
}

/// Sends bytes as they are over one TLS connection and returns every byte the server sent
/// until it closed the connection (several responses when the bytes hold several requests).
pub async fn exchange_raw(app: &TestApp, req: Vec<u8>) -> Vec<u8> {
    let pem = std::fs::read_to_string(app.data_dir().join("cert.pem")).unwrap();
    let port: u16 = app.base.rsplit(':').next().unwrap().parse().unwrap();
    tokio::task::spawn_blocking(move || raw_blocking(&pem, port, &req))
        .await
        .unwrap()
}

/// Sends bytes as they are over TLS and parses the response.
pub async fn send_raw_request(app: &TestApp, req: Vec<u8>) -> Resp {
    let out = exchange_raw(app, req).await;
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(out.len());
    let head = String::from_utf8_lossy(&out[..split]).to_string();
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let rest = &out[(split + 4).min(out.len())..];
    let text = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        String::from_utf8_lossy(rest).to_string()
    };
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp {
        status,
        headers: Default::default(),
        body,
        text,
    }
}

fn dechunk(mut b: &[u8]) -> String {
    let mut out = Vec::new();
    while let Some(i) = b.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(String::from_utf8_lossy(&b[..i]).trim(), 16).unwrap_or(0);
        if n == 0 || b.len() < i + 2 + n {
            break;
        }
        out.extend_from_slice(&b[i + 2..i + 2 + n]);
        b = &b[(i + 4 + n).min(b.len())..];
    }
    String::from_utf8_lossy(&out).to_string()
}

/// Sends `head` (with `Expect: 100-continue`), waits for the server's `100 Continue` (it is
/// reading the body, so whatever it checks before that is done), runs `between`, then sends
/// `body` and returns every byte the server sent until it closed the connection.
pub async fn exchange_after_continue<F: std::future::Future<Output = ()>>(
    app: &TestApp,
    head: Vec<u8>,
    body: Vec<u8>,
    between: F,
) -> Vec<u8> {
    let pem = std::fs::read_to_string(app.data_dir().join("cert.pem")).unwrap();
    let port: u16 = app.base.rsplit(':').next().unwrap().parse().unwrap();
    let (continued_tx, continued_rx) = tokio::sync::oneshot::channel::<()>();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let thread = tokio::task::spawn_blocking(move || {
        let mut tls = tls_stream(&pem, port);
        tls.write_all(&head).unwrap();
        let mut seen = Vec::new();
        let mut byte = [0u8; 1];
        while !seen.ends_with(b"\r\n\r\n") {
            assert_eq!(
                tls.read(&mut byte).unwrap(),
                1,
                "closed before 100 Continue"
            );
            seen.push(byte[0]);
        }
        assert!(
            seen.starts_with(b"HTTP/1.1 100"),
            "{}",
            String::from_utf8_lossy(&seen)
        );
        let _ = continued_tx.send(());
        go_rx.recv().unwrap();
        tls.write_all(&body).unwrap();
        let mut out = Vec::new();
        let _ = tls.read_to_end(&mut out);
        out
    });
    continued_rx.await.unwrap();
    between.await;
    go_tx.send(()).unwrap();
    thread.await.unwrap()
}

fn raw_blocking(pem: &str, port: u16, req: &[u8]) -> Vec<u8> {
    let mut tls = tls_stream(pem, port);
    tls.write_all(req).unwrap();
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out);
    out
}

fn tls_stream(
    pem: &str,
    port: u16,
) -> rustls::StreamOwned<rustls::ClientConnection, std::net::TcpStream> {
    let der: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(der)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(der))
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1")
        .unwrap()
        .to_owned();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let sock = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    rustls::StreamOwned::new(conn, sock)
}

//! Resource limits and leaks (issue 9): Put Block List's committed size, mirror copies, the
//! scoring route cache, slow (slowloris) clients, the client VNet cap, and the pruning of
//! finished operations and unused blob contents. Every test is bounded in time and count and
//! talks to 127.0.0.1 only.
//! (Split for length: the later tests are in `security_limits_network`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use amlite::blob::blocklist;
use base64::Engine;
use common::binary::Binary;
use common::TestApp;
use serde_json::json;

/// Resident set size of this process (the in-process server included), in KiB.
fn rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

pub(crate) fn blob_url(app: &TestApp, path: &str) -> String {
    format!("{}/amlitestore/{path}", app.base)
}

async fn block_list(app: &TestApp, path: &str, ids: &[String]) -> reqwest::Response {
    let xml: String = ids
        .iter()
        .map(|i| format!("<Latest>{i}</Latest>"))
        .collect();
    let body = format!("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>{xml}</BlockList>");
    app.client
        .put(format!("{}?comp=blocklist", blob_url(app, path)))
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn put_block_list_cannot_commit_more_than_max_blob_body() {
    let app = TestApp::spawn_with(|c| c.max_blob_body = 1024 * 1024).await;
    let id = base64::engine::general_purpose::STANDARD.encode("block-1");
    let r = app
        .client
        .put(format!(
            "{}?comp=block&blockid={id}",
            blob_url(&app, "c/big.bin")
        ))
        .body(vec![7u8; 256 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let before = rss_kib();
    // 1000 repeats of one 256 KiB block would be a 250 MiB blob under a 1 MiB limit.
    let r = block_list(&app, "c/big.bin", &vec![id.clone(); 1000]).await;
    let grew_mib = rss_kib().saturating_sub(before) / 1024;
    assert_eq!(r.status(), 413);
    assert_eq!(
        r.headers()["x-ms-error-code"],
        blocklist::REQUEST_BODY_TOO_LARGE
    );
    assert!(grew_mib < 32, "RSS grew by {grew_mib} MiB");
    // More ids than Azure allows: 400, whatever they name.
    let r = block_list(&app, "c/big.bin", &vec!["a".to_string(); 50_001]).await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.headers()["x-ms-error-code"],
        blocklist::BLOCK_LIST_TOO_LONG
    );
    // Exactly the limit commits, and reads back whole.
    let r = block_list(&app, "c/big.bin", &vec![id.clone(); 4]).await;
    assert_eq!(r.status(), 201);
    let got = app
        .client
        .get(blob_url(&app, "c/big.bin"))
        .send()
        .await
        .unwrap();
    assert_eq!(got.bytes().await.unwrap().len(), 1024 * 1024);
}

const MIB: usize = 1024 * 1024;

/// A 1 MiB block whose bytes depend on their position and on `seed`, so a misplaced slice shows.
fn pattern(seed: u32) -> Vec<u8> {
    (0..MIB as u32)
        .map(|i| (i.wrapping_mul(31).wrapping_add(seed * 7) % 251) as u8)
        .collect()
}

/// The bytes `off..off+len` of a blob made of the 1 MiB `blocks` in order.
fn expected(blocks: &[&[u8]], off: usize, len: usize) -> Vec<u8> {
    (off..off + len).map(|i| blocks[i / MIB][i % MIB]).collect()
}

#[tokio::test]
async fn put_block_list_and_get_blob_stream_a_repeated_block_without_holding_the_blob() {
    // The real binary, so /proc/PID/status measures the server alone.
    let dir = tempfile::tempdir().unwrap();
    let limit = (100 * MIB).to_string();
    let args = ["--in-memory", "--max-blob-body", &limit];
    let server = Binary::spawn(Binary::command(dir.path(), &args), dir.path()).await;
    let url = format!("{}/amlitestore/c/repeated.bin", server.base);
    let (a, b) = (pattern(1), pattern(2));
    let id = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let (ida, idb) = (id("block-a"), id("block-b"));
    for (i, data) in [(&ida, &a), (&idb, &b)] {
        let r = server
            .client
            .put(format!("{url}?comp=block&blockid={i}"))
            .body(data.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    // 64 parts, all the same block but the second: a 64 MiB blob from 2 MiB of blocks.
    const PARTS: usize = 64;
    let layout: Vec<&[u8]> = (0..PARTS)
        .map(|i| if i == 1 { b.as_slice() } else { a.as_slice() })
        .collect();
    let ids: Vec<String> = (0..PARTS)
        .map(|i| if i == 1 { idb.clone() } else { ida.clone() })
        .collect();
    let xml: String = ids
        .iter()
        .map(|i| format!("<Latest>{i}</Latest>"))
        .collect();
    server.reset_peak_rss();
    let base = server.status_kib("VmHWM");
    let r = server
        .client
        .put(format!("{url}?comp=blocklist"))
        .body(format!("<BlockList>{xml}</BlockList>"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let commit_mib = server.status_kib("VmHWM").saturating_sub(base) / 1024;
    // A full download, checked chunk by chunk as it streams.
    server.reset_peak_rss();
    let base = server.status_kib("VmHWM");
    let mut r = server.client.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-length"], (PARTS * MIB).to_string());
    let md5 = r.headers().get("content-md5").cloned();
    let mut off = 0;
    while let Some(chunk) = r.chunk().await.unwrap() {
        assert!(
            chunk == expected(&layout, off, chunk.len()),
            "bytes at {off}"
        );
        off += chunk.len();
    }
    assert_eq!(off, PARTS * MIB);
    let get_mib = server.status_kib("VmHWM").saturating_sub(base) / 1024;
    // A ranged read crossing both boundaries of the second part.
    let (s, e) = (MIB - 10, 2 * MIB + 9);
    let r = server
        .client
        .get(&url)
        .header("x-ms-range", format!("bytes={s}-{e}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    let total = PARTS * MIB;
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes {s}-{e}/{total}")
    );
    let got = r.bytes().await.unwrap();
    assert!(
        got == expected(&layout, s, e - s + 1),
        "ranged bytes differ"
    );
    // The blob is 64 MiB: holding it once would grow the peak RSS by at least that much; the
    // streamed path measures 10-13 MiB whatever the blob size (page caches, allocator arenas).
    assert!(
        commit_mib < 24,
        "Put Block List grew the peak RSS by {commit_mib} MiB"
    );
    assert!(get_mib < 24, "Get Blob grew the peak RSS by {get_mib} MiB");
    // Azure computes no Content-MD5 for a block list committed without x-ms-blob-content-md5.
    assert_eq!(md5, None);
}

#[tokio::test]
async fn mirror_copies_are_bounded_by_the_mirror_deployments_concurrency_and_timeout() {
    let app = TestApp::spawn().await;
    app.create_endpoint("ep-slow", json!({})).await;
    app.create_deployment("ep-slow", "blue", json!({}), 1).await;
    // green never answers in time: at most 2 copies may wait for it, each for 2 s at most.
    let slow = json!({ "environmentVariables": { "AMLITE_MOCK_DELAY_MS": "60000" },
        "requestSettings": { "maxConcurrentRequestsPerInstance": 2, "requestTimeout": "PT2S" } });
    app.create_deployment("ep-slow", "green", slow, 1).await;
    let mut ep = app.get(&app.ep_path("ep-slow")).await.body;
    ep["properties"]["traffic"] = json!({ "blue": 100 });
    ep["properties"]["mirrorTraffic"] = json!({ "green": 50 });
    let r = app.put(&app.ep_path("ep-slow"), ep).await;
    assert!(r.status < 300, "{}", r.text);
    app.wait(&r).await;
    let key = app.primary_key("ep-slow").await;
    let metrics = tokio::runtime::Handle::current().metrics();
    let tasks_before = metrics.num_alive_tasks();
    for _ in 0..80 {
        let s = app.score("ep-slow", Some(&key), &[], json!({})).await;
        assert_eq!(s.status, 200, "{}", s.text);
    }
    let grew = metrics.num_alive_tasks().saturating_sub(tasks_before);
    // 40 copies were due; only 2 may be pending (a little slack for connection tasks).
    assert!(
        grew <= 8,
        "{grew} more tasks alive after 40 mirrored copies"
    );
    let logs = app
        .post(
            &format!("{}/deployments/green/getLogs", app.ep_path("ep-slow")),
            Some(json!({ "tail": 1000 })),
        )
        .await;
    let text = logs.body["content"].as_str().unwrap_or("");
    assert!(text.contains("mirror copy from blue dropped"), "{text}");
    // The admitted copies end at green's requestTimeout: the slots free up.
    let green = format!("{}/deployments/green", app.ep_path("ep-slow"));
    let in_flight = app.state.routes.in_flight(&green);
    let deadline = Instant::now() + Duration::from_secs(10);
    while in_flight.load(std::sync::atomic::Ordering::SeqCst) > 0 {
        assert!(
            Instant::now() < deadline,
            "mirror copies outlived requestTimeout"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn route_cache_forgets_deleted_endpoints() {
    let app = TestApp::spawn().await;
    let before = rss_kib();
    for i in 0..300 {
        let name = format!("ep-c{i}");
        app.create_endpoint(&name, json!({})).await;
        let key = app.primary_key(&name).await;
        // No deployment: the route is loaded (and cached), then 503/424-style refusal.
        let s = app.score(&name, Some(&key), &[], json!({})).await;
        assert!(s.status >= 400 && s.status < 500, "{} {}", s.status, s.text);
        let d = app.delete(&app.ep_path(&name)).await;
        assert!(d.status < 300, "{}", d.text);
        app.wait(&d).await;
    }
    let (routes, in_flight, counters) = app.state.routes.sizes();
    eprintln!(
        "RSS grew {} KiB over 300 cycles",
        rss_kib().saturating_sub(before)
    );
    assert!(
        routes <= 1,
        "{routes} routes cached after 300 deleted endpoints"
    );
    let cap = amlite::scoring::cache::MAX_IDLE_COUNTERS + 1;
    assert!(
        in_flight <= cap && counters <= cap,
        "{in_flight} / {counters}"
    );
}

/// Opens a TLS connection to `port`, sends `bytes` (nothing when `None`: not even the TLS
/// handshake) and reports whether the server closed it within `wait`.
pub(crate) fn closed_within(pem: &str, port: u16, bytes: Option<&[u8]>, wait: Duration) -> bool {
    let mut sock = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(wait)).unwrap();
    let Some(bytes) = bytes else {
        let mut b = [0u8; 16];
        return !matches!(sock.read(&mut b), Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut));
    };
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
    let mut tls = rustls::StreamOwned::new(conn, sock);
    tls.write_all(bytes).unwrap();
    tls.flush().unwrap();
    let mut out = Vec::new();
    !matches!(tls.read_to_end(&mut out), Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut))
}

//! Resource limits and leaks (issue 9): Put Block List's committed size, mirror copies, the
//! scoring route cache, slow (slowloris) clients, the client VNet cap, and the pruning of
//! finished operations and unused blob contents. Every test is bounded in time and count and
//! talks to 127.0.0.1 only.
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

fn blob_url(app: &TestApp, path: &str) -> String {
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
fn closed_within(pem: &str, port: u16, bytes: Option<&[u8]>, wait: Duration) -> bool {
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

#[tokio::test]
async fn slowloris_connections_are_closed_and_new_requests_still_succeed() {
    let app = TestApp::spawn_with(|c| {
        c.header_read_timeout = Duration::from_secs(1);
        c.idle_timeout = Duration::from_secs(1);
    })
    .await;
    let pem = std::fs::read_to_string(app.data_dir().join("cert.pem")).unwrap();
    let port: u16 = app.base.rsplit(':').next().unwrap().parse().unwrap();
    let partial_head: &[u8] = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1";
    let slow_body: &[u8] =
        b"PUT /amlitestore/c/slow.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n0123456789";
    let cases: Vec<(&str, Option<&'static [u8]>)> = vec![
        ("partial head 1", Some(partial_head)),
        ("partial head 2", Some(partial_head)),
        ("partial head 3", Some(partial_head)),
        ("no TLS handshake 1", None),
        ("no TLS handshake 2", None),
        // Found by an attack pass: hyper's header timeout starts at the first byte.
        ("TLS handshake, then silence 1", Some(b"")),
        ("TLS handshake, then silence 2", Some(b"")),
        ("slow body", Some(slow_body)),
    ];
    let started = Instant::now();
    let mut jobs = Vec::new();
    for (what, bytes) in cases {
        let pem = pem.clone();
        jobs.push((
            what,
            tokio::task::spawn_blocking(move || {
                closed_within(&pem, port, bytes, Duration::from_secs(8))
            }),
        ));
    }
    for (what, job) in jobs {
        assert!(
            job.await.unwrap(),
            "{what}: connection still open after 8 s"
        );
    }
    assert!(started.elapsed() < Duration::from_secs(8));
    let r = app.get("/health").await;
    assert_eq!(r.status, 200, "{}", r.text);
}

fn vnet_path(app: &TestApp, name: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/virtualNetworks/{name}",
        app.sub, app.rg
    )
}

fn vnet_body() -> serde_json::Value {
    json!({ "location": "eastus", "properties": { "addressSpace": { "addressPrefixes": ["10.9.0.0/16"] },
        "subnets": [{ "name": "default", "properties": { "addressPrefix": "10.9.0.0/24" } }] } })
}

#[tokio::test]
async fn client_vnets_are_capped_with_an_arm_error() {
    let app = TestApp::spawn_with(|c| c.max_vnets = 3).await;
    let running = app.state.vnet_listeners.lock().unwrap().len();
    assert!(running <= 3, "the default fixture already has {running}");
    for i in running..3 {
        let r = app
            .put(&vnet_path(&app, &format!("v{i}")), vnet_body())
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let r = app.put(&vnet_path(&app, "one-too-many"), vnet_body()).await;
    assert_eq!(r.status, 400, "{}", r.text);
    let want = amlite::arm::errors::vnet_count_limit_reached(3);
    assert_eq!(r.code(), want.code);
    assert_eq!(r.message(), want.message);
    // Updating an existing one is not a new listener; deleting one makes room.
    let last = format!("v{}", 2);
    if running < 3 {
        assert_eq!(
            app.put(&vnet_path(&app, &last), vnet_body()).await.status,
            200
        );
        assert!(app.delete(&vnet_path(&app, &last)).await.status < 300);
        let r = app.put(&vnet_path(&app, "one-too-many"), vnet_body()).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
}

#[tokio::test]
async fn finished_operations_and_unused_blob_contents_are_pruned_after_retention() {
    let app = TestApp::spawn_with(|c| c.operation_retention = Duration::from_secs(1)).await;
    for i in 0..20 {
        let name = format!("ep-p{i}");
        app.create_endpoint(&name, json!({})).await;
        let d = app.delete(&app.ep_path(&name)).await;
        app.wait(&d).await;
    }
    // A replaced blob leaves its old bytes unreferenced.
    for body in ["first", "second"] {
        let r = app
            .client
            .put(blob_url(&app, "c/replaced.txt"))
            .header("x-ms-blob-type", "BlockBlob")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    // A just-finished operation is still pollable within the retention...
    let r = app
        .put(
            &app.ep_path("ep-last"),
            json!({ "location": "eastus", "properties": { "authMode": "Key" } }),
        )
        .await;
    let done = app.wait(&r).await;
    assert_eq!(done.body["status"], "Succeeded");
    let monitor = r.header("azure-asyncoperation").unwrap();
    assert_eq!(app.get(&monitor).await.status, 200);
    // ...and every finished one goes once it is past it, with the unused blob bytes.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let ops = app.state.store.operation_count().await.unwrap();
        let contents = app.state.store.content_count().await.unwrap();
        if ops == 0 && contents == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{ops} operations and {contents} contents still stored"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.get(&monitor).await.status, 404);
    let got = app
        .client
        .get(blob_url(&app, "c/replaced.txt"))
        .send()
        .await
        .unwrap();
    assert_eq!(got.text().await.unwrap(), "second");
}

#[tokio::test]
async fn a_vnet_listener_that_cannot_bind_is_an_arm_error_not_a_500() {
    // The real binary with few file descriptors (RLIMIT_NOFILE 64) and no VNet cap: VNets are
    // created until the OS refuses a listener socket, which must be an ARM error.
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -n 64 && exec \"$0\" serve --port 0 --in-memory --max-vnets 1000 --data-dir \"$1\"")
        .arg(env!("CARGO_BIN_EXE_amlite"))
        .arg(dir.path());
    let server = Binary::spawn(cmd, dir.path()).await;
    let (base, client) = (&server.base, &server.client);
    let p = amlite::fixtures::defaults();
    let mut refused = None;
    for i in 0..100 {
        let url = format!("{base}/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/virtualNetworks/fd{i}?api-version=2024-05-01", p.subscription_id, p.resource_group);
        let r = TestApp::read(client.put(url).json(&vnet_body()).send().await.unwrap()).await;
        if r.status != 201 {
            refused = Some(r);
            break;
        }
    }
    drop(server);
    let r = refused.expect("the descriptor limit was never reached");
    assert_eq!(r.status, 503, "{}", r.text);
    assert_eq!(r.code(), "ServiceUnavailable", "{}", r.text);
    assert!(r.header("retry-after").is_some());
}

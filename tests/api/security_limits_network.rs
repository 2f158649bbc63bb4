//! Resource limits, continued from `security_limits` (issue 9): slow (slowloris) clients, the
//! client VNet cap, the pruning of finished operations and unused blob contents, and a VNet
//! listener that cannot bind. Every test is bounded in time and count and talks to 127.0.0.1 only.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use crate::security_limits::{blob_url, closed_within};
use common::binary::Binary;
use common::TestApp;
use serde_json::json;
use std::time::{Duration, Instant};

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

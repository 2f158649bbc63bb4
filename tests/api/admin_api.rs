//! amlite's admin API under `/_amlite/` (issue 13; not Azure): reset to the fixture (keeping
//! certificate and VNet listeners, measured), the state dump, the decision journal, `explain`
//! against real scoring over the inbound decision matrix, fault injection and per-resource
//! LRO control.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use common::isolation::{endpoint, score_on, set_pec};
use common::TestApp;
use serde_json::{json, Value};

fn fixture() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/isolation.json")
}

const NETWORKS: [&str; 5] = [
    "internet",
    "vnet-approved",
    "vnet-old",
    "vnet-pending",
    "vnet-none",
];

async fn listener(app: &TestApp, vnet: &str) -> String {
    if vnet == "internet" {
        return app.base.clone();
    }
    let r = app.get(&format!("/_amlite/env?vnet={vnet}")).await;
    r.text
        .lines()
        .find_map(|l| l.strip_prefix("export AMLITE_URL='"))
        .map(|u| u.trim_end_matches('\'').to_string())
        .unwrap_or_else(|| panic!("no listener for {vnet}: {}", r.text))
}

/// Every (network, endpoint) pair: what scoring answers and what explain says must agree.
async fn check_matrix(app: &TestApp, keys: &[(&str, String)]) -> usize {
    let mut compared = 0;
    for net in NETWORKS {
        let base = listener(app, net).await;
        for (ep, key) in keys {
            let scored = score_on(app, &base, ep, key).await;
            let e = app
                .get(&format!("/_amlite/explain?from={net}&endpoint={ep}"))
                .await;
            assert_eq!(e.status, 200, "{}", e.text);
            let allowed = e.body["allowed"].as_bool().unwrap();
            assert_eq!(
                allowed,
                scored.status == 200,
                "{net} -> {ep}: explain {} vs scoring {} {}",
                e.text,
                scored.status,
                scored.text
            );
            if !allowed {
                assert_eq!(scored.status, 403);
                assert_eq!(
                    scored.header("x-amlite-isolation-rule").as_deref(),
                    e.body["rule"].as_str(),
                    "{net} -> {ep}"
                );
                assert!(!e.body["changes"].as_array().unwrap().is_empty());
            }
            // The journal recorded the very decision scoring made.
            let j = app.get("/_amlite/decisions?kind=inbound").await;
            let last = j.body["value"].as_array().unwrap().last().cloned().unwrap();
            assert_eq!(last["allowed"], e.body["allowed"], "{net} -> {ep}");
            assert_eq!(last["rule"], e.body["rule"], "{net} -> {ep}");
            compared += 1;
        }
    }
    compared
}

#[tokio::test]
async fn explain_agrees_with_real_scoring_over_the_inbound_decision_matrix() {
    let app = TestApp::spawn_with(|c| c.fixtures = Some(fixture())).await;
    let keys = vec![
        ("ep-public", endpoint(&app, "ep-public", "Enabled").await),
        ("ep-private", endpoint(&app, "ep-private", "Disabled").await),
    ];
    assert_eq!(check_matrix(&app, &keys).await, 10);
    // Approving the pending connection and rejecting the approved one change the matrix.
    set_pec(&app, "pe-pending", "Approved").await;
    set_pec(&app, "pe-approved", "Rejected").await;
    set_pec(&app, "pe-wire-form", "Rejected").await;
    assert_eq!(check_matrix(&app, &keys).await, 10);
    let e = app
        .get("/_amlite/explain?from=vnet-approved&endpoint=ep-private")
        .await;
    assert_eq!(e.body["rule"], "ISO-5", "{}", e.text);
    assert!(
        e.text.contains("pe-approved") && e.text.contains("Approve the connection"),
        "{}",
        e.text
    );
}

#[tokio::test]
async fn reset_returns_to_the_fixture_keeping_certificate_keys_and_vnet_listeners() {
    let app = TestApp::spawn_with(|c| c.fixtures = Some(fixture())).await;
    let cert = std::fs::read(app.data_dir().join("cert.pem")).unwrap();
    let vnet_url = listener(&app, "vnet-approved").await;
    let before: Value = app.get("/_amlite/state").await.body;
    endpoint(&app, "ep-gone", "Enabled").await;
    let extra_vnet = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/virtualNetworks/vnet-extra",
        app.sub, app.rg
    );
    let r = app
        .put(
            &format!("{extra_vnet}?api-version=2023-09-01"),
            json!({ "location": "eastus", "properties": { "addressSpace": { "addressPrefixes": ["10.9.0.0/16"] } } }),
        )
        .await;
    assert!(r.status < 300, "{}", r.text);
    let mut times = Vec::new();
    for _ in 0..20 {
        let r = app.post("/_amlite/reset", None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        times.push(r.body["elapsedMs"].as_f64().unwrap());
    }
    times.sort_by(f64::total_cmp);
    println!(
        "reset: median {:.2} ms, max {:.2} ms over 20 resets",
        times[10], times[19]
    );
    // Target: well under 10 ms (release); this bound is loose for debug builds on busy CI.
    assert!(times[10] < 50.0, "reset median {times:?}");
    assert_eq!(app.get(&app.ep_path("ep-gone")).await.status, 404);
    assert_eq!(
        app.get(&format!("{extra_vnet}?api-version=2023-09-01"))
            .await
            .status,
        404
    );
    let after: Value = app.get("/_amlite/state").await.body;
    let ids = |v: &Value| -> Vec<String> {
        v["resources"]
            .as_array()
            .unwrap()
            .iter()
            // Connection names end in a fresh GUID per creation.
            .map(|r| {
                r["id"]
                    .as_str()
                    .unwrap()
                    .split('.')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(ids(&before), ids(&after));
    assert_eq!(after["listeners"], before["listeners"], "same ports");
    assert_eq!(listener(&app, "vnet-approved").await, vnet_url);
    assert_eq!(
        std::fs::read(app.data_dir().join("cert.pem")).unwrap(),
        cert
    );
    // The workspace works as on a fresh start.
    let key = endpoint(&app, "ep-again", "Enabled").await;
    assert_eq!(
        score_on(&app, &app.base, "ep-again", &key).await.status,
        200
    );
}

#[tokio::test]
async fn faults_fail_the_next_matching_requests_with_the_given_arm_code() {
    let app = TestApp::spawn().await;
    let f = app
        .post(
            "/_amlite/faults",
            Some(json!({ "method": "PUT", "path": "/onlineEndpoints/", "count": 2, "code": "TooManyRequests", "retryAfter": 2 })),
        )
        .await;
    assert_eq!(f.status, 200, "{}", f.text);
    let body = json!({ "location": "eastus", "properties": { "authMode": "Key" } });
    assert_eq!(app.get(&app.ws_path()).await.status, 200, "GET not matched");
    for _ in 0..2 {
        let r = app.put(&app.ep_path("ep-f"), body.clone()).await;
        assert_eq!((r.status, r.code()), (429, "TooManyRequests"), "{}", r.text);
        assert_eq!(r.header("retry-after").as_deref(), Some("2"));
    }
    let r = app.put(&app.ep_path("ep-f"), body.clone()).await;
    assert!(r.status < 300, "used up: {}", r.text);
    assert_eq!(app.get("/_amlite/faults").await.body["value"], json!([]));
    let f = app
        .post(
            "/_amlite/faults",
            Some(json!({ "path": "/workspaces/", "latencyMs": 150 })),
        )
        .await;
    assert_eq!(f.status, 200, "{}", f.text);
    let t = std::time::Instant::now();
    assert_eq!(app.get(&app.ws_path()).await.status, 200);
    assert!(t.elapsed() >= std::time::Duration::from_millis(150));
    let bad = app
        .post("/_amlite/faults", Some(json!({ "count": 1 })))
        .await;
    assert_eq!((bad.status, bad.code()), (400, "InvalidAdminRequest"));
}

async fn poll_status(app: &TestApp, url: &str) -> String {
    app.get(url).await.body["status"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn lro_control_completes_after_n_polls_or_when_told() {
    let app = TestApp::spawn().await;
    let set = app
        .post(
            "/_amlite/lro",
            Some(json!({ "resource": "ep-polls", "mode": "afterPolls", "polls": 2 })),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.text);
    let body = json!({ "location": "eastus", "properties": { "authMode": "Key" } });
    let r = app.put(&app.ep_path("ep-polls"), body.clone()).await;
    let url = r.header("azure-asyncoperation").unwrap();
    assert_eq!(poll_status(&app, &url).await, "InProgress");
    assert_eq!(poll_status(&app, &url).await, "InProgress");
    assert_eq!(poll_status(&app, &url).await, "Succeeded");
    app.post(
        "/_amlite/lro",
        Some(json!({ "resource": "onlineEndpoints/ep-manual", "mode": "manual" })),
    )
    .await;
    let r = app.put(&app.ep_path("ep-manual"), body.clone()).await;
    let url = r.header("azure-asyncoperation").unwrap();
    for _ in 0..5 {
        assert_eq!(poll_status(&app, &url).await, "InProgress");
    }
    let ep = app.get(&app.ep_path("ep-manual")).await;
    assert_eq!(ep.body["properties"]["provisioningState"], "Creating");
    let parked = app.get("/_amlite/lro").await;
    let op = parked.body["parked"][0]["operationId"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(url.contains(&op), "{url} {}", parked.text);
    let done = app
        .post(&format!("/_amlite/operations/{op}/complete"), None)
        .await;
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(poll_status(&app, &url).await, "Succeeded");
    let again = app
        .post(&format!("/_amlite/operations/{op}/complete"), None)
        .await;
    assert_eq!((again.status, again.code()), (404, "OperationNotParked"));
    // Immediate again for everything else; a reset forgets policies.
    app.post("/_amlite/reset", None).await;
    assert_eq!(app.get("/_amlite/lro").await.body["policies"], json!([]));
}

#[tokio::test]
async fn state_dump_lists_summary_tables_and_documents() {
    let app = TestApp::spawn().await;
    endpoint(&app, "ep-s", "Enabled").await;
    let s = app.get("/_amlite/state").await;
    assert_eq!(s.status, 200);
    assert_eq!(s.body["endpoints"][0]["name"], "ep-s");
    assert_eq!(s.body["endpoints"][0]["traffic"], json!({ "blue": 100 }));
    assert_eq!(s.body["deployments"][0]["provisioningState"], "Succeeded");
    assert_eq!(s.body["workspaces"][0]["name"], app.ws.as_str());
    assert_eq!(s.body["listeners"][0]["network"], "internet");
    assert!(s.body["resources"].as_array().unwrap().len() > 3);
    let wrong = app.delete("/_amlite/state").await;
    assert_eq!(wrong.status, 405);
}

#[tokio::test]
async fn unknown_non_blob_paths_answer_arm_json_not_storage_xml() {
    let app = TestApp::spawn().await;
    for path in [
        "/foo?api-version=2024-04-01",
        "/my-app/x?api-version=2024-04-01",
        "/Subscription/s?api-version=2024-04-01",
    ] {
        let r = app.get(path).await;
        assert_eq!(
            (r.status, r.code()),
            (400, "NoRegisteredProviderFound"),
            "{path}: {}",
            r.text
        );
        assert_eq!(r.headers["content-type"], "application/json", "{path}");
    }
    let r = app.get("/foo?api-version=2024-04-01").await;
    assert_eq!(
        r.message(),
        amlite::error::ArmError::no_registered_provider("foo", "2024-04-01").message,
        "{}",
        r.text
    );
    // A storage client (x-ms-version) and the workspace's own account stay Blob Storage.
    let blob = app
        .client
        .get(format!("{}/Foo/bar?restype=container", app.base))
        .header("x-ms-version", "2021-08-06")
        .send()
        .await
        .unwrap();
    assert!(blob.headers().contains_key("x-ms-error-code") || blob.status().is_success());
    let own = app
        .client
        .get(format!(
            "{}/amlitestore/nope?restype=container&comp=list",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        own.headers()["content-type"].to_str().unwrap(),
        "application/xml"
    );
}

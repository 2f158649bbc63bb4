//! Input hardening (issue 2, issue 5): bad input never yields a 500 or a panic. Every PUT/PATCH/
//! POST route gets truncated JSON, every field replaced by every wrong type, unknown enum values,
//! huge bodies (413), deep nesting, invalid UTF-8 and duplicate keys; every error is an ARM
//! envelope. Hostile names are in `hardening_names.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use crate::raw_http;

use common::TestApp;
use raw_http::{assert_clean, send_raw_request};
use serde_json::{json, Value};

/// (method, path, a valid body) for every route that takes a body.
fn routes(app: &TestApp) -> Vec<(reqwest::Method, String, Value)> {
    use reqwest::Method as M;
    let w = app.ws_path();
    let ep = app.ep_path("ep-h");
    let rg = format!("/subscriptions/{}/resourceGroups/{}", app.sub, app.rg);
    let dep = json!({ "location": "eastus", "sku": { "name": "Default", "capacity": 1 }, "properties": {
        "endpointComputeType": "Managed", "instanceType": "Standard_DS3_v2", "model": format!("{w}/models/m/versions/1"),
        "codeConfiguration": { "codeId": format!("{w}/codes/c/versions/1"), "scoringScript": "score.py" },
        "environmentId": format!("{w}/environments/e/versions/1"), "environmentVariables": { "A": "1" },
        "requestSettings": { "requestTimeout": "PT5S", "maxConcurrentRequestsPerInstance": 1 },
        "scaleSettings": { "scaleType": "Default" }, "egressPublicNetworkAccess": "Enabled", "appInsightsEnabled": false } });
    let endpoint = json!({ "location": "eastus", "tags": { "t": "v" }, "identity": { "type": "SystemAssigned" }, "kind": "Managed",
        "properties": { "authMode": "Key", "publicNetworkAccess": "Enabled", "traffic": { "blue": 0 }, "mirrorTraffic": {},
                        "description": "d", "properties": { "p": "v" } } });
    let ws = json!({ "location": "eastus", "tags": {}, "identity": { "type": "SystemAssigned" }, "properties": {
        "friendlyName": "h", "publicNetworkAccess": "Enabled", "v1LegacyMode": false,
        "managedNetwork": { "isolationMode": "AllowInternetOutbound", "outboundRules": {
            "r1": { "type": "FQDN", "destination": "pypi.org", "category": "UserDefined" } } } } });
    let vnet = format!("{rg}/providers/Microsoft.Network/virtualNetworks/vnet-h");
    vec![
        (
            M::PUT,
            format!("/subscriptions/{}/resourcegroups/rg-h", app.sub),
            json!({ "location": "eastus", "tags": { "a": "b" } }),
        ),
        (
            M::PUT,
            format!("{rg}/providers/Microsoft.Resources/deployments/td-h?api-version=2020-06-01"),
            json!({ "properties": { "mode": "Incremental", "template": {}, "parameters": { "workspaceName": { "value": "ws-h2" }, "location": { "value": "eastus" } } } }),
        ),
        (
            M::PUT,
            format!("{rg}/providers/Microsoft.MachineLearningServices/workspaces/ws-h"),
            ws.clone(),
        ),
        (
            M::PATCH,
            w.clone(),
            json!({ "tags": { "a": "b" }, "properties": { "description": "x", "publicNetworkAccess": "Enabled" } }),
        ),
        (M::PUT, ep.clone(), endpoint.clone()),
        (
            M::PATCH,
            ep.clone(),
            json!({ "tags": { "a": "b" }, "properties": { "traffic": { "blue": 0 }, "publicNetworkAccess": "Enabled" } }),
        ),
        (M::POST, format!("{ep}/listKeys"), json!({})),
        (
            M::POST,
            format!("{ep}/regenerateKeys"),
            json!({ "keyType": "Primary", "keyValue": "abc" }),
        ),
        (M::POST, format!("{ep}/token"), json!({})),
        (M::PUT, format!("{ep}/deployments/blue"), dep.clone()),
        (
            M::PATCH,
            format!("{ep}/deployments/blue"),
            json!({ "sku": { "capacity": 1 }, "tags": { "a": "b" }, "properties": { "egressPublicNetworkAccess": "Enabled" } }),
        ),
        (
            M::POST,
            format!("{ep}/deployments/blue/getLogs"),
            json!({ "tail": 10, "containerType": "InferenceServer" }),
        ),
        (
            M::PUT,
            format!("{w}/models/m/versions/1"),
            json!({ "properties": { "modelUri": "azureml://x", "flavors": {}, "tags": {}, "properties": {} } }),
        ),
        (
            M::PUT,
            format!("{w}/codes/c/versions/1"),
            json!({ "properties": { "codeUri": "https://x", "properties": { "hash_sha256": "h" } } }),
        ),
        (
            M::PUT,
            format!("{w}/environments/e/versions/1"),
            json!({ "properties": { "image": "mcr.microsoft.com/x:1", "condaFile": "a: b" } }),
        ),
        (
            M::PUT,
            format!("{w}/models/m"),
            json!({ "properties": { "description": "d" } }),
        ),
        (
            M::PUT,
            format!("{w}/datastores/ds1"),
            json!({ "properties": { "datastoreType": "AzureBlob", "accountName": "a", "containerName": "c" } }),
        ),
        (
            M::POST,
            format!("{w}/datastores/workspaceblobstore/listSecrets"),
            json!({}),
        ),
        (
            M::POST,
            format!("{w}/codes/c/versions/2/startPendingUpload"),
            json!({ "pendingUploadType": "TemporaryBlobReference" }),
        ),
        (
            M::PUT,
            format!("{w}/outboundRules/r2"),
            json!({ "properties": { "type": "FQDN", "destination": "example.com", "category": "UserDefined" } }),
        ),
        (
            M::POST,
            format!("{w}/provisionManagedNetwork"),
            json!({ "includeSpark": false }),
        ),
        (
            M::PUT,
            format!("{w}/privateEndpointConnections/pec-h"),
            json!({ "properties": { "privateLinkServiceConnectionState": { "status": "Approved", "description": "ok" } } }),
        ),
        (
            M::PUT,
            vnet.clone(),
            json!({ "location": "eastus", "properties": { "addressSpace": { "addressPrefixes": ["10.9.0.0/16"] },
            "subnets": [{ "name": "default", "properties": { "addressPrefix": "10.9.0.0/24" } }] } }),
        ),
        (
            M::PUT,
            format!("{rg}/providers/Microsoft.Network/privateEndpoints/pe-h"),
            json!({ "location": "eastus", "properties": {
            "subnet": { "id": format!("{vnet}/subnets/default") },
            "privateLinkServiceConnections": [{ "name": "conn", "properties": { "privateLinkServiceId": w, "groupIds": ["amlworkspace"] } }] } }),
        ),
    ]
}

/// Every JSON pointer of a document (objects and arrays, leaves included).
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, c)| pointers(c, format!("{at}/{k}"), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, c)| pointers(c, format!("{at}/{i}"), out)),
        _ => {}
    }
    if !at.is_empty() {
        out.push(at);
    }
}

/// What each field is replaced by: wrong types, an unknown enum value, hostile strings.
fn replacements() -> Vec<Value> {
    vec![
        json!(null),
        json!(0),
        json!(-1),
        json!(1e308),
        json!(u64::MAX),
        json!(true),
        json!("NotAnAzureValue"),
        json!(""),
        json!([]),
        json!([1, "x"]),
        json!({}),
        json!({ "x": [null] }),
        json!("../../etc/passwd"),
        json!("a\u{0}b"),
        json!("Ωmega🙂"),
        json!("x".repeat(5000)),
    ]
}

async fn setup(app: &TestApp) {
    app.create_endpoint("ep-h", json!({})).await;
    app.create_deployment("ep-h", "blue", json!({}), 1).await;
}

#[tokio::test]
async fn every_body_route_survives_wrong_types_and_unknown_values() {
    let app = TestApp::spawn().await;
    setup(&app).await;
    let mut sent = 0;
    for (method, path, body) in routes(&app) {
        let r = app.send(method.clone(), &path, Some(&body)).await;
        assert_clean(&format!("{method} {path} (valid body)"), &r);
        let valid = r.status;
        let mut ptrs = Vec::new();
        pointers(&body, String::new(), &mut ptrs);
        for p in &ptrs {
            for rep in replacements() {
                let mut b = body.clone();
                *b.pointer_mut(p).unwrap() = rep.clone();
                let r = app.send(method.clone(), &path, Some(&b)).await;
                assert_clean(&format!("{method} {path} with {p} = {rep}"), &r);
                sent += 1;
            }
        }
        // Whole-body wrong types.
        for whole in [
            json!(null),
            json!([]),
            json!("x"),
            json!(1),
            json!([body.clone()]),
        ] {
            let r = app.send(method.clone(), &path, Some(&whole)).await;
            assert_clean(&format!("{method} {path} with body {whole}"), &r);
            if method == reqwest::Method::PUT && valid < 300 {
                assert_eq!(
                    r.status, 400,
                    "{method} {path} with body {whole}: {}",
                    r.text
                );
            }
        }
    }
    assert!(sent > 1000, "only {sent} mutations");
    assert_eq!(app.get("/health").await.status, 200);
    assert_eq!(app.get(&app.ws_path()).await.status, 200);
}

#[tokio::test]
async fn every_body_route_refuses_malformed_bytes() {
    let app = TestApp::spawn_with(|c| c.max_body = 4 * 1024 * 1024).await;
    setup(&app).await;
    let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_obj = format!("{}1{}", "{\"a\":".repeat(200), "}".repeat(200));
    let huge = format!(
        "{{\"location\":\"eastus\",\"tags\":{{\"x\":\"{}\"}}}}",
        "a".repeat(4 * 1024 * 1024 + 10)
    );
    for (method, path, body) in routes(&app) {
        let valid = app.send(method.clone(), &path, Some(&body)).await.status;
        let text = body.to_string();
        let mut cases: Vec<(String, Vec<u8>, Option<u16>)> = Vec::new();
        for cut in [1, text.len() / 3, text.len() / 2, text.len() - 1] {
            cases.push((
                format!("truncated at {cut}"),
                text.as_bytes()[..cut].to_vec(),
                Some(400),
            ));
        }
        cases.push(("deep arrays".into(), deep.clone().into_bytes(), Some(400)));
        cases.push((
            "deep objects".into(),
            deep_obj.clone().into_bytes(),
            Some(400),
        ));
        cases.push((
            "invalid utf-8".into(),
            b"{\"location\": \"\xff\xfe\"}".to_vec(),
            Some(400),
        ));
        let dup = format!(
            "{{\"location\":\"eastus\",\"location\":\"westus\",{}",
            &text[1..]
        );
        cases.push(("duplicate keys".into(), dup.into_bytes(), Some(400)));
        cases.push(("huge".into(), huge.clone().into_bytes(), Some(413)));
        cases.push((
            "trailing garbage".into(),
            format!("{text} x").into_bytes(),
            Some(400),
        ));
        cases.push(("NaN".into(), b"{\"location\": NaN}".to_vec(), Some(400)));
        for (what, bytes, want) in cases {
            let r = app.send_raw(method.clone(), &path, bytes).await;
            assert_clean(&format!("{method} {path}: {what}"), &r);
            if let Some(w) = want {
                // POSTs that take no body may ignore it; everything else must refuse it.
                // A route that refuses even the valid body (404 for a missing parent) may refuse
                // this one the same way, unless the body limit applies first.
                let same_refusal = valid >= 400 && r.status == valid && w != 413;
                let ignored_by_post = method == reqwest::Method::POST && r.status < 300;
                if !ignored_by_post && !same_refusal {
                    assert_eq!(
                        r.status,
                        w,
                        "{method} {path}: {what}: {}",
                        &r.text[..r.text.len().min(300)]
                    );
                }
            }
            if valid < 300 && r.status == 400 {
                assert_eq!(r.code(), "InvalidRequestContent", "{method} {path}: {what}");
            }
        }
    }
    assert_eq!(app.get("/health").await.status, 200);
}

#[tokio::test]
async fn huge_body_is_413_in_the_arm_envelope() {
    let app = TestApp::spawn_with(|c| c.max_body = 1024).await;
    let r = app
        .send_raw(
            reqwest::Method::PUT,
            &app.ep_path("ep-big"),
            vec![b' '; 2048],
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (413, "RequestEntityTooLarge"),
        "{}",
        r.text
    );
    // Chunked (no Content-Length) bodies are measured too.
    let mut req = format!("PUT {}?api-version=2024-04-01 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", app.ep_path("ep-big")).into_bytes();
    for _ in 0..8 {
        req.extend_from_slice(format!("200\r\n{}\r\n", " ".repeat(512)).as_bytes());
    }
    req.extend_from_slice(b"0\r\n\r\n");
    let r = send_raw_request(&app, req).await;
    assert_eq!(
        (r.status, r.code()),
        (413, "RequestEntityTooLarge"),
        "{}",
        r.text
    );
}

/// A request refused before amlite read its body (an unknown root, a path that is not UTF-8,
/// CONNECT) must not cost the client its connection: the body is drained, and the next request on
/// the same kept-alive connection is answered. Before, hyper dropped the connection after the
/// refusal and the client's next request failed with an SSL EOF (schemathesis saw it once on
/// `regenerateKeys`).
#[tokio::test]
async fn a_request_refused_before_its_body_is_read_keeps_the_connection_usable() {
    let app = TestApp::spawn().await;
    let port: u16 = app.base.rsplit(':').next().unwrap().parse().unwrap();
    let body = vec![b'x'; 64 * 1024];
    for target in [
        "/foo?api-version=2024-04-01".to_string(),
        format!(
            "{}/onlineEndpoints/%FF/regenerateKeys?api-version=2024-04-01",
            app.ws_path()
        ),
    ] {
        let mut req = format!(
            "POST {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        req.extend_from_slice(&body);
        req.extend_from_slice(
            format!("GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        );
        let out = String::from_utf8_lossy(&raw_http::exchange_raw(&app, req).await).to_string();
        let statuses: Vec<&str> = out
            .match_indices("HTTP/1.1 ")
            .map(|(i, _)| &out[i + 9..i + 12])
            .collect();
        assert_eq!(statuses, ["400", "200"], "{target}: {out}");
    }
}

/// A chunked body that is not HTTP (a chunk size that is not hexadecimal) is a bad request, not
/// a body over the limit (it was 413 "larger than the limit").
#[tokio::test]
async fn a_malformed_chunk_is_400_not_413() {
    let app = TestApp::spawn().await;
    let head = format!("PUT {}?api-version=2024-04-01 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", app.ep_path("ep-chunk"));
    let mut req = head.into_bytes();
    req.extend_from_slice(b"zz\r\n{}\r\n0\r\n\r\n");
    let r = send_raw_request(&app, req).await;
    assert_eq!(
        (r.status, r.code()),
        (400, "InvalidRequestContent"),
        "{}",
        r.text
    );
}

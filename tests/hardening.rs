//! Input hardening (issue 2, issue 5): bad input never yields a 500 or a panic. Every PUT/PATCH/
//! POST route gets truncated JSON, every field replaced by every wrong type, unknown enum values,
//! huge bodies (413), deep nesting, invalid UTF-8, duplicate keys and hostile names; every error
//! is an ARM envelope. Raw requests go through a tiny TLS client so that `..`, `\` and control
//! characters reach the server unnormalised.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;
use std::io::{Read, Write};
use std::sync::Arc;

use base64::Engine;
use common::{Resp, TestApp};
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
        (M::PUT, format!("/subscriptions/{}/resourcegroups/rg-h", app.sub), json!({ "location": "eastus", "tags": { "a": "b" } })),
        (M::PUT, format!("{rg}/providers/Microsoft.Resources/deployments/td-h?api-version=2020-06-01"),
         json!({ "properties": { "mode": "Incremental", "template": {}, "parameters": { "workspaceName": { "value": "ws-h2" }, "location": { "value": "eastus" } } } })),
        (M::PUT, format!("{rg}/providers/Microsoft.MachineLearningServices/workspaces/ws-h"), ws.clone()),
        (M::PATCH, w.clone(), json!({ "tags": { "a": "b" }, "properties": { "description": "x", "publicNetworkAccess": "Enabled" } })),
        (M::PUT, ep.clone(), endpoint.clone()),
        (M::PATCH, ep.clone(), json!({ "tags": { "a": "b" }, "properties": { "traffic": { "blue": 0 }, "publicNetworkAccess": "Enabled" } })),
        (M::POST, format!("{ep}/listKeys"), json!({})),
        (M::POST, format!("{ep}/regenerateKeys"), json!({ "keyType": "Primary", "keyValue": "abc" })),
        (M::POST, format!("{ep}/token"), json!({})),
        (M::PUT, format!("{ep}/deployments/blue"), dep.clone()),
        (M::PATCH, format!("{ep}/deployments/blue"), json!({ "sku": { "capacity": 1 }, "tags": { "a": "b" }, "properties": { "egressPublicNetworkAccess": "Enabled" } })),
        (M::POST, format!("{ep}/deployments/blue/getLogs"), json!({ "tail": 10, "containerType": "InferenceServer" })),
        (M::PUT, format!("{w}/models/m/versions/1"), json!({ "properties": { "modelUri": "azureml://x", "flavors": {}, "tags": {}, "properties": {} } })),
        (M::PUT, format!("{w}/codes/c/versions/1"), json!({ "properties": { "codeUri": "https://x", "properties": { "hash_sha256": "h" } } })),
        (M::PUT, format!("{w}/environments/e/versions/1"), json!({ "properties": { "image": "mcr.microsoft.com/x:1", "condaFile": "a: b" } })),
        (M::PUT, format!("{w}/models/m"), json!({ "properties": { "description": "d" } })),
        (M::PUT, format!("{w}/datastores/ds1"), json!({ "properties": { "datastoreType": "AzureBlob", "accountName": "a", "containerName": "c" } })),
        (M::POST, format!("{w}/datastores/workspaceblobstore/listSecrets"), json!({})),
        (M::POST, format!("{w}/codes/c/versions/2/startPendingUpload"), json!({ "pendingUploadType": "TemporaryBlobReference" })),
        (M::PUT, format!("{w}/outboundRules/r2"), json!({ "properties": { "type": "FQDN", "destination": "example.com", "category": "UserDefined" } })),
        (M::POST, format!("{w}/provisionManagedNetwork"), json!({ "includeSpark": false })),
        (M::PUT, format!("{w}/privateEndpointConnections/pec-h"), json!({ "properties": { "privateLinkServiceConnectionState": { "status": "Approved", "description": "ok" } } })),
        (M::PUT, vnet.clone(), json!({ "location": "eastus", "properties": { "addressSpace": { "addressPrefixes": ["10.9.0.0/16"] },
            "subnets": [{ "name": "default", "properties": { "addressPrefix": "10.9.0.0/24" } }] } })),
        (M::PUT, format!("{rg}/providers/Microsoft.Network/privateEndpoints/pe-h"), json!({ "location": "eastus", "properties": {
            "subnet": { "id": format!("{vnet}/subnets/default") },
            "privateLinkServiceConnections": [{ "name": "conn", "properties": { "privateLinkServiceId": w, "groupIds": ["amlworkspace"] } }] } })),
    ]
}

/// Every JSON pointer of a document (objects and arrays, leaves included).
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, c)| pointers(c, format!("{at}/{k}"), out)),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, c)| pointers(c, format!("{at}/{i}"), out)),
        _ => {}
    }
    if !at.is_empty() {
        out.push(at);
    }
}

/// What each field is replaced by: wrong types, an unknown enum value, hostile strings.
fn replacements() -> Vec<Value> {
    vec![
        json!(null), json!(0), json!(-1), json!(1e308), json!(u64::MAX), json!(true), json!("NotAnAzureValue"), json!(""),
        json!([]), json!([1, "x"]), json!({}), json!({ "x": [null] }), json!("../../etc/passwd"), json!("a\u{0}b"),
        json!("Ωmega🙂"), json!("x".repeat(5000)),
    ]
}

fn assert_clean(what: &str, r: &Resp) {
    assert!(r.status < 500, "{what}: {} {}", r.status, r.text);
    if r.status >= 400 {
        let e = &r.body["error"];
        assert!(e["code"].is_string() && e["message"].is_string(), "{what}: not an ARM envelope: {} {}", r.status, r.text);
    }
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
        for whole in [json!(null), json!([]), json!("x"), json!(1), json!([body.clone()])] {
            let r = app.send(method.clone(), &path, Some(&whole)).await;
            assert_clean(&format!("{method} {path} with body {whole}"), &r);
            if method == reqwest::Method::PUT && valid < 300 {
                assert_eq!(r.status, 400, "{method} {path} with body {whole}: {}", r.text);
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
    let deep_obj = format!("{}{}", "{\"a\":".repeat(200), format!("1{}", "}".repeat(200)));
    let huge = format!("{{\"location\":\"eastus\",\"tags\":{{\"x\":\"{}\"}}}}", "a".repeat(4 * 1024 * 1024 + 10));
    for (method, path, body) in routes(&app) {
        let valid = app.send(method.clone(), &path, Some(&body)).await.status;
        let text = body.to_string();
        let mut cases: Vec<(String, Vec<u8>, Option<u16>)> = Vec::new();
        for cut in [1, text.len() / 3, text.len() / 2, text.len() - 1] {
            cases.push((format!("truncated at {cut}"), text.as_bytes()[..cut].to_vec(), Some(400)));
        }
        cases.push(("deep arrays".into(), deep.clone().into_bytes(), Some(400)));
        cases.push(("deep objects".into(), deep_obj.clone().into_bytes(), Some(400)));
        cases.push(("invalid utf-8".into(), b"{\"location\": \"\xff\xfe\"}".to_vec(), Some(400)));
        let dup = format!("{{\"location\":\"eastus\",\"location\":\"westus\",{}", &text[1..]);
        cases.push(("duplicate keys".into(), dup.into_bytes(), Some(400)));
        cases.push(("huge".into(), huge.clone().into_bytes(), Some(413)));
        cases.push(("trailing garbage".into(), format!("{text} x").into_bytes(), Some(400)));
        cases.push(("NaN".into(), b"{\"location\": NaN}".to_vec(), Some(400)));
        for (what, bytes, want) in cases {
            let r = app.send_raw(method.clone(), &path, bytes).await;
            assert_clean(&format!("{method} {path}: {what}"), &r);
            if let Some(w) = want {
                // POSTs that take no body may ignore it; everything else must refuse it.
                // A route that refuses even the valid body (404 for a missing parent) may refuse
                // this one the same way, unless the body limit applies first.
                let same_refusal = valid >= 400 && r.status == valid && w != 413;
                if !(method == reqwest::Method::POST && r.status < 300) && !same_refusal {
                    assert_eq!(r.status, w, "{method} {path}: {what}: {}", &r.text[..r.text.len().min(300)]);
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
    let r = app.send_raw(reqwest::Method::PUT, &app.ep_path("ep-big"), vec![b' '; 2048]).await;
    assert_eq!((r.status, r.code()), (413, "RequestEntityTooLarge"), "{}", r.text);
    // Chunked (no Content-Length) bodies are measured too.
    let mut req = format!("PUT {}?api-version=2024-04-01 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", app.ep_path("ep-big")).into_bytes();
    for _ in 0..8 {
        req.extend_from_slice(format!("200\r\n{}\r\n", " ".repeat(512)).as_bytes());
    }
    req.extend_from_slice(b"0\r\n\r\n");
    let r = send_raw_request(&app, req).await;
    assert_eq!((r.status, r.code()), (413, "RequestEntityTooLarge"), "{}", r.text);
}

// ---------------------------------------------------------------- raw requests

/// Sends one raw HTTP/1.1 request over TLS (no URL normalisation) and returns the response.
async fn raw(app: &TestApp, method: &str, target: &[u8], body: &[u8]) -> Resp {
    let port: u16 = app.base.rsplit(':').next().unwrap().parse().unwrap();
    let mut req = format!("{method} ").into_bytes();
    req.extend_from_slice(target);
    req.extend_from_slice(format!(" HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).as_bytes());
    req.extend_from_slice(body);
    send_raw_request(app, req).await
}

/// Sends bytes as they are over TLS and parses the response.
async fn send_raw_request(app: &TestApp, req: Vec<u8>) -> Resp {
    let pem = std::fs::read_to_string(app.data_dir().join("cert.pem")).unwrap();
    let port: u16 = app.base.rsplit(':').next().unwrap().parse().unwrap();
    let out = tokio::task::spawn_blocking(move || raw_blocking(&pem, port, &req)).await.unwrap();
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(out.len());
    let head = String::from_utf8_lossy(&out[..split]).to_string();
    let status: u16 = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let rest = &out[(split + 4).min(out.len())..];
    let text = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { dechunk(rest) } else { String::from_utf8_lossy(rest).to_string() };
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp { status, headers: Default::default(), body, text }
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

fn raw_blocking(pem: &str, port: u16, req: &[u8]) -> Vec<u8> {
    let der: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(der).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(rustls::pki_types::CertificateDer::from(der)).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider).with_safe_default_protocol_versions().unwrap().with_root_certificates(roots).with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap().to_owned();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let sock = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, sock);
    tls.write_all(req).unwrap();
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out);
    out
}

#[tokio::test]
async fn hostile_names_are_refused_cleanly() {
    let app = TestApp::spawn().await;
    setup(&app).await;
    let w = app.ws_path();
    let names: &[&[u8]] = &[b"..", b"a..b", b"a%2Fb", b"a%5Cb", b"a\\b", b"%2E%2E", b"..%2F..%2Fetc", b"a%00b", b"a%0Ab", b"a%7Fb", b"%C3%28", b"a%ZZ", b"x%3Fy", b"x%23y", b"%2F"];
    let ep = format!("{{\"location\":\"eastus\",\"properties\":{{\"authMode\":\"Key\"}}}}");
    let model = "{\"properties\":{}}";
    for name in names {
        let n = String::from_utf8_lossy(name).to_string();
        for (method, prefix, body) in [
            ("PUT", format!("{w}/onlineEndpoints/"), ep.as_str()),
            ("GET", format!("{w}/onlineEndpoints/"), ""),
            ("PUT", format!("{}/deployments/", app.ep_path("ep-h")), "{\"properties\":{}}"),
            ("PUT", format!("{w}/models/"), model),
            ("PUT", format!("{w}/models/m/versions/"), model),
            ("PUT", format!("{w}/datastores/"), "{\"properties\":{\"datastoreType\":\"AzureBlob\"}}"),
            ("PUT", format!("/subscriptions/{}/resourcegroups/", app.sub), "{\"location\":\"eastus\"}"),
            ("PUT", format!("/subscriptions/{}/resourceGroups/{}/providers/Microsoft.MachineLearningServices/workspaces/", app.sub, app.rg), "{\"location\":\"eastus\"}"),
            ("PUT", format!("{w}/outboundRules/"), "{\"properties\":{\"type\":\"FQDN\",\"destination\":\"a.com\"}}"),
        ] {
            let mut target = prefix.clone().into_bytes();
            target.extend_from_slice(name);
            target.extend_from_slice(b"?api-version=2024-04-01");
            let r = raw(&app, method, &target, body.as_bytes()).await;
            let what = format!("{method} {prefix}{n}");
            assert_clean(&what, &r);
            assert!(r.status == 400 || r.status == 404, "{what}: {} {}", r.status, r.text);
            if r.status == 400 {
                assert!(matches!(r.code(), "InvalidResourceName" | "BadRequest" | "InvalidRequestContent" | "UserError" | "ValidationError"), "{what}: {}", r.text);
            }
        }
    }
    // A raw control character or space in the request line is refused by the HTTP layer.
    let mut target = format!("{w}/onlineEndpoints/a").into_bytes();
    target.extend_from_slice(b"\x01b?api-version=2024-04-01");
    let r = raw(&app, "GET", &target, b"").await;
    assert!(r.status == 400 || r.status == 404 || r.status == 0, "{} {}", r.status, r.text);
    // Nothing hostile was created and the server still answers.
    let list = app.get(&format!("{w}/onlineEndpoints")).await;
    assert_eq!(list.body["value"].as_array().unwrap().len(), 1, "{}", list.text);
    assert_eq!(app.get("/health").await.status, 200);
}

#[tokio::test]
async fn raw_dot_segments_cannot_escape_the_blob_container() {
    let app = TestApp::spawn().await;
    let put = app.client.put(format!("{}/amlitestore/c1/keep.txt", app.base)).header("x-ms-blob-type", "BlockBlob").body("keep").send().await.unwrap();
    assert_eq!(put.status().as_u16(), 201);
    for target in [
        &b"/amlitestore/c1/../c2/x"[..], b"/amlitestore/c1/a/../../c2/x", b"/amlitestore/c1/./x", b"/amlitestore/c1/..", b"/amlitestore/../c1/x",
        b"/amlitestore/c1/a%2F..%2F..%2Fc2%2Fx", b"/amlitestore/c1/%2E%2E/c2", b"/amlitestore/c1/a\\..\\x", b"/amlitestore/..%2Fc1/x", b"/amlitestore/c1/a%00b",
    ] {
        let r = raw(&app, "PUT", target, b"evil").await;
        let what = String::from_utf8_lossy(target).to_string();
        assert!(r.status < 500, "{what}: {} {}", r.status, r.text);
        assert!(r.status == 400 || r.status == 201, "{what}: {}", r.status);
        if r.status == 201 {
            // Only a literal name inside c1 may be accepted (a backslash is an ordinary character).
            assert!(what.contains('\\'), "{what} was accepted");
        }
    }
    let list = app.client.get(format!("{}/amlitestore/c2?restype=container&comp=list", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(!list.contains("<Blob>"), "{list}");
    let g = app.client.get(format!("{}/amlitestore/c1/keep.txt", app.base)).send().await.unwrap();
    assert_eq!(g.bytes().await.unwrap().as_ref(), b"keep");
}

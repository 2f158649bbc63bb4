//! Every control-plane route answers, continued from `arm_routes` (issue 2, SPEC §3): the online
//! endpoint, deployment, asset and datastore routes the SDK needs, and list paging, over real HTTPS.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use common::TestApp;
use serde_json::json;

#[tokio::test]
async fn endpoint_routes_keys_and_token() {
    let app = TestApp::spawn().await;
    app.create_endpoint("ep-keys", json!({})).await;
    let r = app.get(&app.ep_path("ep-keys")).await;
    assert_eq!(r.status, 200);
    assert!(r.body["properties"]["scoringUri"]
        .as_str()
        .unwrap()
        .starts_with(&app.base));
    let list = app.get(&format!("{}/onlineEndpoints", app.ws_path())).await;
    assert!(list.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == "ep-keys"));

    let keys = app
        .post(&format!("{}/listKeys", app.ep_path("ep-keys")), None)
        .await
        .body;
    let (p, s) = (
        keys["primaryKey"].as_str().unwrap().to_string(),
        keys["secondaryKey"].as_str().unwrap().to_string(),
    );
    assert_ne!(p, s);
    // keyValue equal to the current key (what the SDK sends) → a new random key.
    let r = app
        .post(
            &format!("{}/regenerateKeys", app.ep_path("ep-keys")),
            Some(json!({ "keyType": "Secondary", "keyValue": s })),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert!(r.header("location").is_some());
    app.wait(&r).await;
    let keys = app
        .post(&format!("{}/listKeys", app.ep_path("ep-keys")), None)
        .await
        .body;
    assert_eq!(keys["primaryKey"], p.as_str());
    assert_ne!(keys["secondaryKey"], s.as_str());
    // A different keyValue is taken as the new key.
    let r = app
        .post(
            &format!("{}/regenerateKeys", app.ep_path("ep-keys")),
            Some(json!({ "keyType": "primary", "keyValue": "chosen-key-value-0001" })),
        )
        .await;
    app.wait(&r).await;
    assert_eq!(app.primary_key("ep-keys").await, "chosen-key-value-0001");

    let r = app
        .put(
            &app.ep_path("ep-tok"),
            json!({ "location": "eastus", "properties": { "authMode": "AMLToken" } }),
        )
        .await;
    app.wait(&r).await;
    let t = app
        .post(&format!("{}/token", app.ep_path("ep-tok")), None)
        .await;
    assert_eq!(t.status, 200, "{}", t.text);
    for f in [
        "accessToken",
        "expiryTimeUtc",
        "refreshAfterTimeUtc",
        "tokenType",
    ] {
        assert!(!t.body[f].is_null(), "{f}: {}", t.text);
    }
    let d = app.delete(&app.ep_path("ep-tok")).await;
    assert_eq!(d.status, 202);
    app.wait(&d).await;
    assert_eq!(
        app.get(&app.ep_path("ep-tok")).await.code(),
        "ResourceNotFound"
    );
}

#[tokio::test]
async fn deployment_routes_logs_and_skus() {
    let app = TestApp::spawn().await;
    app.create_endpoint("ep-dep", json!({})).await;
    app.create_deployment("ep-dep", "blue", json!({}), 1).await;
    let d = format!("{}/deployments/blue", app.ep_path("ep-dep"));
    let r = app.get(&d).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["properties"]["provisioningState"], "Succeeded");
    for f in [
        "/properties/endpointComputeType",
        "/properties/scaleSettings/scaleType",
        "/sku/capacity",
    ] {
        assert!(
            r.body.pointer(f).is_some_and(|v| !v.is_null()),
            "{f} missing: {}",
            r.text
        );
    }
    let list = app
        .get(&format!("{}/deployments", app.ep_path("ep-dep")))
        .await;
    assert_eq!(list.body["value"].as_array().unwrap().len(), 1);
    let logs = app
        .post(&format!("{d}/getLogs"), Some(json!({ "tail": 10 })))
        .await;
    assert_eq!(logs.status, 200, "{}", logs.text);
    assert!(logs.body["content"].is_string());
    let skus = app.get(&format!("{d}/skus")).await;
    assert_eq!(skus.status, 200);
    assert!(skus.body["value"].is_array());
    let r = app.patch(&d, json!({ "sku": { "capacity": 2 } })).await;
    assert_eq!(r.status, 202, "{}", r.text);
    app.wait(&r).await;
    assert_eq!(app.get(&d).await.body["sku"]["capacity"], 2);
    let r = app.delete(&d).await;
    assert_eq!(r.status, 202, "{}", r.text);
    app.wait(&r).await;
    let r = app.get(&d).await;
    assert_eq!((r.status, r.code()), (404, "ResourceNotFound"));
}

#[tokio::test]
async fn asset_versions_hash_lookup_and_top() {
    let app = TestApp::spawn().await;
    for (coll, props) in [
        ("models", json!({ "modelUri": "azureml://x" })),
        ("environments", json!({ "image": "mcr.microsoft.com/a:1" })),
        (
            "codes",
            json!({ "codeUri": "https://x/y", "properties": { "hash_sha256": "abc123", "hash_version": "202208" } }),
        ),
    ] {
        for v in ["1", "2", "3"] {
            let r = app
                .put(
                    &format!("{}/{coll}/a1/versions/{v}", app.ws_path()),
                    json!({ "properties": props }),
                )
                .await;
            assert!(r.status == 200 || r.status == 201, "{coll}: {}", r.text);
        }
        let r = app
            .get(&format!("{}/{coll}/a1/versions/2", app.ws_path()))
            .await;
        assert_eq!(
            (r.status, r.body["name"].as_str()),
            (200, Some("2")),
            "{}",
            r.text
        );
        let r = app
            .get(&format!("{}/{coll}/a1/versions?$top=2", app.ws_path()))
            .await;
        assert_eq!(r.body["value"].as_array().unwrap().len(), 2, "{}", r.text);
        assert_eq!(
            app.get(&format!("{}/{coll}/a1", app.ws_path()))
                .await
                .status,
            200
        );
        assert_eq!(
            app.get(&format!("{}/{coll}/a1/versions/9", app.ws_path()))
                .await
                .status,
            404
        );
    }
    let models = app
        .get(&format!("{}/models/a1/versions/1", app.ws_path()))
        .await;
    assert!(models.body["properties"]["flavors"].is_object());
    let r = app
        .get(&format!(
            "{}/codes/a1/versions?hash=abc123&hashVersion=202208",
            app.ws_path()
        ))
        .await;
    assert_eq!(r.body["value"].as_array().unwrap().len(), 3, "{}", r.text);
    let r = app
        .get(&format!("{}/codes/a1/versions?hash=nope", app.ws_path()))
        .await;
    assert_eq!(r.body["value"].as_array().unwrap().len(), 0);
}

/// `listSecrets` answers only for a datastore that exists: one that does not is 404 like its GET
/// (it used to return the workspace's storage key); the two system datastores answer.
#[tokio::test]
async fn list_secrets_of_a_missing_datastore_is_not_found() {
    let app = TestApp::spawn().await;
    let path = |name: &str| format!("{}/datastores/{name}", app.ws_path());
    let got = app.get(&path("does-not-exist")).await;
    let listed = app
        .post(&format!("{}/listSecrets", path("does-not-exist")), None)
        .await;
    assert_eq!((listed.status, got.status), (404, 404), "{}", listed.text);
    assert_eq!(listed.code(), got.code(), "{}", listed.text);
    assert_eq!(listed.message(), got.message(), "{}", listed.text);
    for name in ["workspaceblobstore", "workspaceartifactstore"] {
        let r = app.post(&format!("{}/listSecrets", path(name)), None).await;
        assert_eq!(r.status, 200, "{name}: {}", r.text);
        assert!(r.body["key"].is_string(), "{}", r.text);
    }
}

#[tokio::test]
async fn datastore_secrets_and_pending_upload() {
    let app = TestApp::spawn().await;
    let r = app
        .get(&format!("{}/datastores/workspaceblobstore", app.ws_path()))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let account = r.body["properties"]["accountName"].as_str().unwrap();
    let hostport = app.base.trim_start_matches("https://");
    assert!(account.starts_with(&format!("{hostport}/")), "{account}");
    let r = app
        .get(&format!("{}/datastores?isDefault=true", app.ws_path()))
        .await;
    assert_eq!(r.body["value"][0]["name"], "workspaceblobstore");
    let s = app
        .post(
            &format!(
                "{}/datastores/workspaceblobstore/listSecrets",
                app.ws_path()
            ),
            None,
        )
        .await;
    assert_eq!(s.status, 200);
    assert!(s.body["key"].is_string());
    let r = app
        .post(
            &format!("{}/codes/c1/versions/1/startPendingUpload", app.ws_path()),
            Some(json!({ "pendingUploadType": "TemporaryBlobReference" })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let sas = r.body["blobReferenceForConsumption"]["credential"]["sasUri"]
        .as_str()
        .unwrap();
    assert!(sas.starts_with(&app.base), "{sas}");
    // The SAS URL is writable on the Blob slice.
    let (base, query) = sas.split_once('?').unwrap();
    let put = app
        .client
        .put(format!("{base}/dir/score.py?{query}"))
        .header("x-ms-blob-type", "BlockBlob")
        .body("print(1)")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 201);
}

/// Endpoint lists page as ARM does (issue 14): `count` asks for a page size, `nextLink` (the
/// same URL with `$skipToken`) gives the rest, the last page has none; deployment lists too.
#[tokio::test]
async fn endpoint_and_deployment_lists_page_with_next_link() {
    let app = TestApp::spawn().await;
    for n in ["ep-p1", "ep-p2", "ep-p3"] {
        app.create_endpoint(n, json!({})).await;
    }
    let list = format!("{}/onlineEndpoints?api-version=2024-04-01", app.ws_path());
    let (mut names, mut pages) = (Vec::new(), 0);
    let mut next = Some(format!("{list}&count=2"));
    while let Some(url) = next {
        let r = app.get(&url).await;
        assert_eq!(r.status, 200, "{}", r.text);
        for e in r.body["value"].as_array().unwrap() {
            names.push(e["name"].as_str().unwrap().to_string());
        }
        pages += 1;
        next = r.body["nextLink"].as_str().map(str::to_string);
        if let Some(n) = &next {
            assert!(n.starts_with(&app.base), "{n}");
            assert!(n.contains("count=2") && n.contains("$skipToken="), "{n}");
        }
    }
    assert_eq!(names, ["ep-p1", "ep-p2", "ep-p3"]);
    assert_eq!(pages, 2);
    // Fewer than a page: everything at once, no nextLink.
    let r = app.get(&list).await;
    assert_eq!(r.body["value"].as_array().unwrap().len(), 3, "{}", r.text);
    assert!(r.body.get("nextLink").is_none(), "{}", r.text);
    // The name filter applies before paging.
    let r = app.get(&format!("{list}&name=EP-P3&count=1")).await;
    assert_eq!(r.body["value"][0]["name"], "ep-p3", "{}", r.text);
    assert!(r.body.get("nextLink").is_none(), "{}", r.text);
    // A token no nextLink gave.
    let r = app.get(&format!("{list}&$skipToken=bogus")).await;
    let want = amlite::arm::errors::invalid_skip_token("bogus");
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(
        (r.code(), r.message()),
        (want.code.as_str(), want.message.as_str())
    );
    // Deployments: in creation order, on one page (CP-5 allows 20 per endpoint).
    for d in ["blue", "green"] {
        app.create_deployment("ep-p1", d, json!({}), 1).await;
    }
    let r = app
        .get(&format!("{}/deployments", app.ep_path("ep-p1")))
        .await;
    let names: Vec<&str> = r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["blue", "green"], "{}", r.text);
    assert!(r.body.get("nextLink").is_none(), "{}", r.text);
}

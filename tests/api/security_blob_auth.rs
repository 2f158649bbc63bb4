//! Security, auth class: the Blob slice under `--auth strict` (issue 9). Every request needs a
//! Shared Key signature or a SAS made with the account key `listSecrets` returns; anonymous and
//! wrongly signed requests never change a blob. Signatures here are computed by hand from the
//! documented string-to-sign layouts ("Authorize with Shared Key", "Create a service SAS",
//! "Create an account SAS"), independently of amlite's own code; tests/sdk/test_blob_strict.py
//! drives the same checks with the real azure-storage-blob client.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::blob_signing;
use crate::common;
use amlite::blob::errors::{AUTHENTICATION_FAILED, PERMISSION_MISMATCH, RESOURCE_NOT_FOUND};
use amlite::config::AuthCheck;
use blob_signing::*;
use common::TestApp;
use serde_json::json;

#[tokio::test]
async fn strict_refuses_anonymous_overwrite_of_score_py() {
    let app = strict().await;
    let key = account_key(&app).await;
    let now = chrono::Utc::now();
    let put = shared_key(
        &app,
        &key,
        "code-1/score.py",
        Some(b"def run(x): return x"),
        now,
    )
    .await;
    assert_eq!(put.status().as_u16(), 201, "{}", put.text().await.unwrap());

    let url = format!("{}/{}/code-1/score.py", app.base, key.account);
    for rb in [
        app.client.put(&url).header("x-ms-blob-type", "BlockBlob"),
        app.client.put(format!("{url}?comp=block&blockid=YQ%3D%3D")),
        app.client.put(format!("{url}?comp=blocklist")),
        app.client.get(&url),
    ] {
        let r = rb
            .body(&b"import os; os.system('evil')"[..])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 404);
        assert_eq!(code_of(&r), "ResourceNotFound");
        let text = r.text().await.unwrap();
        assert!(text.contains("<Code>ResourceNotFound</Code>"), "{text}");
        assert!(
            text.contains(&format!("<Message>{RESOURCE_NOT_FOUND}\nRequestId:")),
            "{text}"
        );
        assert!(text.contains("\nTime:"), "{text}");
    }
    let got = shared_key(&app, &key, "code-1/score.py", None, now).await;
    assert_eq!(got.status().as_u16(), 200);
    assert_eq!(got.text().await.unwrap(), "def run(x): return x");
}

#[tokio::test]
async fn shared_key_with_wrong_key_or_stale_date_is_refused() {
    let app = strict().await;
    let key = account_key(&app).await;
    let now = chrono::Utc::now();
    let bad = Key {
        account: key.account.clone(),
        key: b"not the key".to_vec(),
    };
    let wrong = shared_key(&app, &bad, "c1/score.py", Some(b"evil"), now).await;
    assert_eq!(wrong.status().as_u16(), 403);
    assert_eq!(code_of(&wrong), "AuthenticationFailed");
    let request_id = wrong.headers()["x-ms-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let text = wrong.text().await.unwrap();
    assert!(
        text.contains(&format!(
            "<Message>{AUTHENTICATION_FAILED}\nRequestId:{request_id}\nTime:"
        )),
        "{text}"
    );
    assert!(
        text.contains("<AuthenticationErrorDetail>The MAC signature found in the HTTP request"),
        "{text}"
    );

    let stale = now - chrono::Duration::minutes(20);
    let old = shared_key(&app, &key, "c1/score.py", Some(b"evil"), stale).await;
    assert_eq!(old.status().as_u16(), 403);
    assert!(old
        .text()
        .await
        .unwrap()
        .contains("Request date header too old"));

    assert_eq!(
        shared_key(&app, &key, "c1/score.py", None, now)
            .await
            .status()
            .as_u16(),
        404
    );
    let ok = shared_key(&app, &key, "c1/score.py", Some(b"good"), now).await;
    assert_eq!(ok.status().as_u16(), 201);
}

#[tokio::test]
async fn service_sas_checks_path_expiry_and_permission() {
    let app = strict().await;
    let key = account_key(&app).await;
    let now = chrono::Utc::now();
    shared_key(&app, &key, "c1/score.py", Some(b"v1"), now).await;
    let read = service_sas(&key, "b", "c1/score.py", "r", 60);
    let ok = get(&app, &key, "c1/score.py", read.clone()).await;
    assert_eq!(ok.status().as_u16(), 200);
    assert_eq!(ok.text().await.unwrap(), "v1");

    let other = get(&app, &key, "c1/other.py", read.clone()).await;
    assert_eq!(
        (other.status().as_u16(), code_of(&other).as_str()),
        (403, "AuthenticationFailed")
    );
    let expired = get(
        &app,
        &key,
        "c1/score.py",
        service_sas(&key, "b", "c1/score.py", "r", -1),
    )
    .await;
    assert_eq!(expired.status().as_u16(), 403);
    assert!(expired
        .text()
        .await
        .unwrap()
        .contains("Signature not valid in the specified time frame"));

    let write = with_sas(
        &app,
        &key,
        reqwest::Method::PUT,
        "c1/score.py",
        &read,
        b"evil",
    )
    .await;
    assert_eq!(write.status().as_u16(), 403);
    assert_eq!(code_of(&write), "AuthorizationPermissionMismatch");
    assert!(write.text().await.unwrap().contains(PERMISSION_MISMATCH));

    // Create permission on the container: new blobs yes, overwriting no.
    let create = service_sas(&key, "c", "c1", "c", 60);
    let new = with_sas(&app, &key, reqwest::Method::PUT, "c1/new.py", &create, b"n").await;
    assert_eq!(new.status().as_u16(), 201);
    let over = with_sas(
        &app,
        &key,
        reqwest::Method::PUT,
        "c1/score.py",
        &create,
        b"evil",
    )
    .await;
    assert_eq!(code_of(&over), "AuthorizationPermissionMismatch");
    let list = with_sas(
        &app,
        &key,
        reqwest::Method::GET,
        "c1?restype=container&comp=list",
        &service_sas(&key, "c", "c1", "l", 60),
        b"",
    )
    .await;
    assert_eq!(list.status().as_u16(), 200);

    let got = get(&app, &key, "c1/score.py", read).await;
    assert_eq!(got.text().await.unwrap(), "v1");
}

#[tokio::test]
async fn account_sas_checks_service_and_resource_type() {
    let app = strict().await;
    let key = account_key(&app).await;
    shared_key(&app, &key, "c1/a.txt", Some(b"a"), chrono::Utc::now()).await;
    let containers_only = get(&app, &key, "c1/a.txt", account_sas(&key, "b", "c", "rl")).await;
    assert_eq!(
        code_of(&containers_only),
        "AuthorizationResourceTypeMismatch"
    );
    let queues = get(&app, &key, "c1/a.txt", account_sas(&key, "q", "o", "r")).await;
    assert_eq!(code_of(&queues), "AuthorizationServiceMismatch");
    let ok = get(&app, &key, "c1/a.txt", account_sas(&key, "b", "o", "r")).await;
    assert_eq!(ok.status().as_u16(), 200);
    assert_eq!(ok.text().await.unwrap(), "a");
}

#[tokio::test]
async fn issued_sas_tokens_are_accepted() {
    let app = strict().await;
    // azure-ai-ml 1.31 asks for an expirable secret under 2024-07-01-preview and reads `sasToken`.
    let sas = list_secrets(&app, "2024-07-01-preview").await;
    assert_eq!(sas["secretsType"], "Sas", "{sas}");
    let (account, container) = datastore(&app).await;
    let key = Key {
        account,
        key: Vec::new(),
    };
    let path = format!("{container}/LocalUpload/x/score.py");
    let sas_token = sas["sasToken"].as_str().unwrap();
    let put = with_sas(&app, &key, reqwest::Method::PUT, &path, sas_token, b"x").await;
    assert_eq!(put.status().as_u16(), 201);
    // ...but not into another container.
    let other = with_sas(
        &app,
        &key,
        reqwest::Method::PUT,
        "elsewhere/score.py",
        sas_token,
        b"x",
    )
    .await;
    assert_eq!(other.status().as_u16(), 403);

    // startPendingUpload hands out a SAS URI for a fresh container.
    let r = app
        .client
        .post(format!(
            "{}{}/codes/c/versions/1/startPendingUpload?api-version=2024-10-01-preview",
            app.base,
            app.ws_path()
        ))
        .bearer_auth(token(&app).await)
        .json(&json!({ "pendingUploadType": "TemporaryBlobReference" }))
        .send()
        .await
        .unwrap();
    let body = TestApp::read(r).await.body;
    let uri = body["blobReferenceForConsumption"]["credential"]["sasUri"]
        .as_str()
        .unwrap();
    let (base, query) = uri.split_once('?').unwrap();
    let put = app
        .client
        .put(format!("{base}/score.py?{query}"))
        .header("x-ms-blob-type", "BlockBlob")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 201);
}

#[tokio::test]
async fn account_keys_are_per_data_folder_and_survive_restarts() {
    let app = strict().await;
    let key = account_key(&app).await;
    let other = strict().await;
    assert_ne!(key.key, account_key(&other).await.key);
    let dir = app.stop().await;
    let again = TestApp::spawn_in(dir, |c| c.auth = AuthCheck::Strict).await;
    assert_eq!(key.key, account_key(&again).await.key);
}

#[tokio::test]
async fn lenient_mode_stays_anonymous() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .put(format!("{}/amlitestore/c1/score.py", app.base))
        .header("x-ms-blob-type", "BlockBlob")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
}

/// A create-only SAS may not replace a blob that another writer created after the SAS was
/// checked and before its body arrived: Create is enforced inside the write, and the loser is
/// refused as if the blob had existed when checked (403 `AuthorizationPermissionMismatch`).
#[tokio::test]
async fn a_create_only_sas_does_not_overwrite_a_blob_created_while_its_body_was_sent() {
    let app = strict().await;
    let key = account_key(&app).await;
    let create = service_sas(&key, "c", "c1", "c", 60);
    let port: u16 = app.base.rsplit(':').next().unwrap().parse().unwrap();
    let body = b"evil".to_vec();
    let head = format!(
        "PUT /{}/c1/race.py?{create} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nx-ms-blob-type: BlockBlob\r\nx-ms-version: 2021-08-06\r\nContent-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        key.account,
        body.len()
    );
    let out = crate::raw_http::exchange_after_continue(&app, head.into_bytes(), body, async {
        let first = shared_key(&app, &key, "c1/race.py", Some(b"first"), chrono::Utc::now()).await;
        assert_eq!(first.status().as_u16(), 201);
    })
    .await;
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 403"), "{text}");
    assert!(text.contains("AuthorizationPermissionMismatch"), "{text}");
    let read = service_sas(&key, "b", "c1/race.py", "r", 60);
    let got = get(&app, &key, "c1/race.py", read).await;
    assert_eq!(got.text().await.unwrap(), "first");
}

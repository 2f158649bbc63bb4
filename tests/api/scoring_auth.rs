//! Data-plane authentication (SPEC §4): `Key` (either key; regeneration revokes the old one at
//! once), `AMLToken` (tokens from `POST …/token`, expiring after `--token-lifetime`) and
//! `AADToken` (Entra JWTs for `https://ml.azure.com`, as `/msi/token` issues them); the wrong
//! kind of credential is 401 in every mode.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use common::TestApp;
use serde_json::{json, Value};

async fn ready(app: &TestApp, ep: &str, props: Value) {
    app.create_endpoint(ep, props).await;
    let d = app.create_deployment(ep, "blue", json!({}), 1).await;
    assert_eq!(d.body["status"], "Succeeded", "{}", d.text);
    app.set_traffic(ep, json!({ "blue": 100 })).await;
}

async fn msi_token(app: &TestApp, resource: &str) -> String {
    let r = app
        .client
        .get(format!(
            "{}/msi/token?resource={resource}&api-version=2019-08-01",
            app.base
        ))
        .header("x-identity-header", "amlite")
        .send()
        .await
        .unwrap();
    TestApp::read(r).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn aml_token(app: &TestApp, ep: &str) -> String {
    let r = app.post(&format!("{}/token", app.ep_path(ep)), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["accessToken"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn key_auth_takes_either_key_and_regeneration_revokes_the_old_one_at_once() {
    let app = TestApp::spawn().await;
    ready(&app, "ep-key", json!({})).await;
    let keys = app
        .post(&format!("{}/listKeys", app.ep_path("ep-key")), None)
        .await
        .body;
    let (primary, secondary) = (
        keys["primaryKey"].as_str().unwrap().to_string(),
        keys["secondaryKey"].as_str().unwrap().to_string(),
    );
    assert_eq!(
        app.score("ep-key", Some(&primary), &[], json!({}))
            .await
            .status,
        200
    );
    assert_eq!(
        app.score("ep-key", Some(&secondary), &[], json!({}))
            .await
            .status,
        200
    );
    let none = app.score("ep-key", None, &[], json!({})).await;
    assert_eq!(
        (none.status, none.code()),
        (401, "key_auth_bad_header_forbidden"),
        "{}",
        none.text
    );
    let wrong = app.score("ep-key", Some("not-a-key"), &[], json!({})).await;
    assert_eq!(
        (wrong.status, wrong.code()),
        (401, "key_auth_access_denied")
    );
    // Wrong kind of credential: an Entra token on a Key endpoint.
    let jwt = msi_token(&app, "https://ml.azure.com").await;
    assert_eq!(
        app.score("ep-key", Some(&jwt), &[], json!({})).await.status,
        401
    );
    let r = app
        .post(
            &format!("{}/regenerateKeys", app.ep_path("ep-key")),
            Some(json!({ "keyType": "Primary", "keyValue": primary })),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    app.wait(&r).await;
    let revoked = app.score("ep-key", Some(&primary), &[], json!({})).await;
    assert_eq!(
        (revoked.status, revoked.code()),
        (401, "key_auth_access_denied"),
        "{}",
        revoked.text
    );
    assert_eq!(
        app.score("ep-key", Some(&secondary), &[], json!({}))
            .await
            .status,
        200
    );
    let fresh = app.primary_key("ep-key").await;
    assert_ne!(fresh, primary);
    assert_eq!(
        app.score("ep-key", Some(&fresh), &[], json!({}))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn aml_token_auth_accepts_its_tokens_and_refuses_other_credentials() {
    let app = TestApp::spawn().await;
    ready(&app, "ep-aml", json!({ "authMode": "AMLToken" })).await;
    let token = aml_token(&app, "ep-aml").await;
    assert_eq!(
        app.score("ep-aml", Some(&token), &[], json!({}))
            .await
            .status,
        200
    );
    let jwt = msi_token(&app, "https://ml.azure.com").await;
    assert_eq!(
        app.score("ep-aml", Some(&jwt), &[], json!({})).await.status,
        401
    );
    assert_eq!(
        app.score("ep-aml", Some("amlt.99999999999.bogus"), &[], json!({}))
            .await
            .status,
        401
    );
    assert_eq!(app.score("ep-aml", None, &[], json!({})).await.status, 401);
    // A token of another endpoint does not open this one.
    ready(&app, "ep-aml2", json!({ "authMode": "AMLToken" })).await;
    let other = aml_token(&app, "ep-aml2").await;
    assert_eq!(
        app.score("ep-aml", Some(&other), &[], json!({}))
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn aml_tokens_expire_after_the_configured_lifetime() {
    // A zero lifetime makes every token expired on issue: no waiting needed.
    let app = TestApp::spawn_with(|c| c.token_lifetime = std::time::Duration::ZERO).await;
    ready(&app, "ep-exp", json!({ "authMode": "AMLToken" })).await;
    let token = aml_token(&app, "ep-exp").await;
    let r = app.score("ep-exp", Some(&token), &[], json!({})).await;
    assert_eq!(
        (r.status, r.code()),
        (401, "aml_token_expired"),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn entra_token_auth_needs_the_ml_audience() {
    let app = TestApp::spawn().await;
    ready(&app, "ep-aad", json!({ "authMode": "AADToken" })).await;
    let good = msi_token(&app, "https://ml.azure.com").await;
    assert_eq!(
        app.score("ep-aad", Some(&good), &[], json!({}))
            .await
            .status,
        200
    );
    let arm = msi_token(&app, "https://management.azure.com/").await;
    let r = app.score("ep-aad", Some(&arm), &[], json!({})).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert!(r.message().contains("https://ml.azure.com"), "{}", r.text);
    assert_eq!(
        app.score("ep-aad", Some("some-key-value"), &[], json!({}))
            .await
            .status,
        401
    );
    // An AML token (wrong kind of credential) is refused too.
    ready(&app, "ep-amlt", json!({ "authMode": "AMLToken" })).await;
    let aml = aml_token(&app, "ep-amlt").await;
    assert_eq!(
        app.score("ep-aad", Some(&aml), &[], json!({})).await.status,
        401
    );
}

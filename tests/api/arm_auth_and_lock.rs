//! `--auth strict` on the control plane (SPEC §2.1) and the data-folder lock (one amlite per
//! data folder).
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use common::TestApp;

#[tokio::test]
async fn strict_auth_needs_an_amlite_token_on_the_control_plane() {
    let app = TestApp::spawn_with(|c| c.auth = amlite::config::AuthCheck::Strict).await;
    let url = format!("{}{}?api-version=2024-04-01", app.base, app.ws_path());
    let none = TestApp::read(app.client.get(&url).send().await.unwrap()).await;
    assert_eq!(none.status, 401);
    assert_eq!(none.code(), "AuthenticationFailed");
    let opaque = TestApp::read(
        app.client
            .get(&url)
            .bearer_auth("anything")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(opaque.status, 401);
    assert_eq!(opaque.code(), "InvalidAuthenticationToken");
    // The managed-identity route issues tokens the strict check accepts.
    let msi = app
        .client
        .get(format!(
            "{}/msi/token?resource={}&api-version=2019-08-01",
            app.base, app.base
        ))
        .header("x-identity-header", "amlite")
        .send()
        .await
        .unwrap();
    let token = TestApp::read(msi).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let ok = TestApp::read(
        app.client
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    // Health and metadata stay open (the SDK fetches metadata without a token).
    let meta = app
        .client
        .get(format!(
            "{}/metadata/endpoints?api-version=2022-09-01",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(meta.status().as_u16(), 200);
}

#[tokio::test]
async fn lenient_auth_takes_any_token() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get(&app.ws_path()).await.status, 200);
}

#[tokio::test]
async fn a_second_server_on_the_same_data_folder_is_refused_until_the_first_stops() {
    let first = TestApp::spawn_with(|c| c.in_memory = false).await;
    let mut cfg = amlite::config::Config::for_tests(first.data_dir());
    cfg.in_memory = false;
    let err = amlite::startup::Application::build(cfg)
        .await
        .err()
        .expect("second server refused");
    assert!(
        err.to_string().contains("in use by another amlite"),
        "{err}"
    );
    let dir = first.stop().await;
    let again = TestApp::spawn_in(dir, |c| c.in_memory = false).await;
    assert_eq!(again.get("/health").await.status, 200);
}

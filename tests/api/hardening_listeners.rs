//! Listener hardening (issue 9): a `CONNECT` to a listener gets a clean 405 in the ARM
//! envelope and logs nothing at ERROR (amlite's listeners are not proxies), and a certificate
//! file that is not PEM stops start-up with a message naming the file and what to do, not
//! rustls' "peer sent no certificates".
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use crate::raw_http;

use amlite::config::Config;
use amlite::error::ArmError;
use amlite::startup::Application;
use common::TestApp;
use raw_http::send_raw_request;

#[tokio::test]
async fn connect_to_a_listener_is_a_clean_405_logged_below_error() {
    let logs = common::log_capture::LogCapture::default();
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = TestApp::spawn().await;
    let want = ArmError::connect_not_supported();
    for target in ["example.com:443", "127.0.0.1:1", "127.0.0.1:8443"] {
        let req =
            format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n");
        let r = send_raw_request(&app, req.into_bytes()).await;
        assert_eq!(r.status, 405, "{target}: {}", r.text);
        assert_eq!(r.code(), want.code, "{target}");
        assert_eq!(r.message(), want.message, "{target}");
    }
    // The server still serves normally afterwards.
    assert_eq!(app.get("/health").await.status, 200);
    let text = logs.text();
    assert!(!text.contains("ERROR"), "CONNECT logged an error:\n{text}");
}

async fn start_error(dir: &std::path::Path, f: impl FnOnce(&mut Config)) -> String {
    let mut config = Config::for_tests(dir.to_path_buf());
    f(&mut config);
    match Application::build(config).await {
        Ok(_) => panic!("amlite started with a bad certificate"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn a_garbage_cert_pem_fails_start_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cert.pem"), "not a certificate\n").unwrap();
    std::fs::write(dir.path().join("key.pem"), "not a key\n").unwrap();
    let e = start_error(dir.path(), |_| {}).await;
    let cert = std::fs::canonicalize(dir.path()).unwrap().join("cert.pem");
    assert!(
        e.starts_with(&format!("{}: no PEM certificate found", cert.display())),
        "{e}"
    );
    assert!(
        e.contains("to have amlite generate a new pair, or pass --cert/--key"),
        "{e}"
    );
    assert!(!e.contains("peer sent no certificates"), "{e}");
    // The files are left as they were (amlite never overwrites what it did not write now).
    assert_eq!(
        std::fs::read_to_string(&cert).unwrap(),
        "not a certificate\n"
    );

    // A good certificate with a garbage key names key.pem.
    let good = tempfile::tempdir().unwrap();
    let first = TestApp::spawn_in(good, |_| {}).await;
    let good = first.stop().await;
    std::fs::copy(good.path().join("cert.pem"), dir.path().join("cert.pem")).unwrap();
    let e = start_error(dir.path(), |_| {}).await;
    assert!(
        e.contains("key.pem: no usable PEM private key found"),
        "{e}"
    );

    // `--cert/--key` given by the user: the message says what to pass, not to delete.
    let bad = dir.path().join("key.pem");
    let e = start_error(tempfile::tempdir().unwrap().path(), |c| {
        c.cert = Some(good.path().join("cert.pem"));
        c.key = Some(bad.clone());
    })
    .await;
    assert!(
        e.starts_with(&format!("{}: no usable PEM private key", bad.display())),
        "{e}"
    );
    assert!(e.contains("with --key"), "{e}");
}

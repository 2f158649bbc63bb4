//! Input hardening (issue 2, issue 5): hostile resource and blob names (`..`, `/`, `\`,
//! `%2F`, control characters, invalid UTF-8) are refused cleanly with 400 or 404 and never
//! reach a handler as a path that points elsewhere. Requests are sent raw so nothing is
//! normalised on the way.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use crate::raw_http;

use common::TestApp;
use raw_http::{assert_clean, raw};
use serde_json::json;

async fn setup(app: &TestApp) {
    app.create_endpoint("ep-h", json!({})).await;
    app.create_deployment("ep-h", "blue", json!({}), 1).await;
}

#[tokio::test]
async fn hostile_names_are_refused_cleanly() {
    let app = TestApp::spawn().await;
    setup(&app).await;
    let w = app.ws_path();
    let names: &[&[u8]] = &[
        b"..",
        b"a..b",
        b"a%2Fb",
        b"a%5Cb",
        b"a\\b",
        b"%2E%2E",
        b"..%2F..%2Fetc",
        b"a%00b",
        b"a%0Ab",
        b"a%7Fb",
        b"%C3%28",
        b"a%ZZ",
        b"x%3Fy",
        b"x%23y",
        b"%2F",
    ];
    let ep = "{\"location\":\"eastus\",\"properties\":{\"authMode\":\"Key\"}}".to_string();
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
    assert!(
        r.status == 400 || r.status == 404 || r.status == 0,
        "{} {}",
        r.status,
        r.text
    );
    // Nothing hostile was created and the server still answers.
    let list = app.get(&format!("{w}/onlineEndpoints")).await;
    assert_eq!(
        list.body["value"].as_array().unwrap().len(),
        1,
        "{}",
        list.text
    );
    assert_eq!(app.get("/health").await.status, 200);
}

#[tokio::test]
async fn raw_dot_segments_cannot_escape_the_blob_container() {
    let app = TestApp::spawn().await;
    let put = app
        .client
        .put(format!("{}/amlitestore/c1/keep.txt", app.base))
        .header("x-ms-blob-type", "BlockBlob")
        .body("keep")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 201);
    for target in [
        &b"/amlitestore/c1/../c2/x"[..],
        b"/amlitestore/c1/a/../../c2/x",
        b"/amlitestore/c1/./x",
        b"/amlitestore/c1/..",
        b"/amlitestore/../c1/x",
        b"/amlitestore/c1/a%2F..%2F..%2Fc2%2Fx",
        b"/amlitestore/c1/%2E%2E/c2",
        b"/amlitestore/c1/a\\..\\x",
        b"/amlitestore/..%2Fc1/x",
        b"/amlitestore/c1/a%00b",
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
    let list = app
        .client
        .get(format!(
            "{}/amlitestore/c2?restype=container&comp=list",
            app.base
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!list.contains("<Blob>"), "{list}");
    let g = app
        .client
        .get(format!("{}/amlitestore/c1/keep.txt", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(g.bytes().await.unwrap().as_ref(), b"keep");
}

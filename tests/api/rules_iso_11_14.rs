//! ISO rules a control-plane call can violate (SPEC §5), continued: ISO-11, ISO-13, ISO-14.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use crate::rules_common;

use common::TestApp;
use rules_common::*;
use serde_json::json;

#[tokio::test]
async fn iso_11_public_endpoint_in_private_workspace_is_allowed_with_a_warning() {
    let capture = common::log_capture::LogCapture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = TestApp::spawn().await;
    patch_ws(&app, json!({ "publicNetworkAccess": "Disabled" })).await;
    app.create_endpoint("ep-iso11", json!({ "publicNetworkAccess": "Enabled" }))
        .await;
    let g = app.get(&app.ep_path("ep-iso11")).await;
    assert_eq!(g.body["properties"]["publicNetworkAccess"], "Enabled");
    let logged = capture.text();
    assert!(
        logged.contains("WARN") && logged.contains("ISO-11"),
        "no ISO-11 warning in:\n{logged}"
    );
    assert!(
        logged.contains("ep-iso11"),
        "the warning names the endpoint:\n{logged}"
    );
    // Endpoint disabled too: no warning for it.
    app.create_endpoint("ep-quiet", json!({ "publicNetworkAccess": "Disabled" }))
        .await;
    let logged = capture.text();
    assert!(
        !logged
            .lines()
            .any(|l| l.contains("ISO-11") && l.contains("ep-quiet")),
        "{logged}"
    );
    // A PATCH that opens it up is allowed and warns too.
    let r = app
        .patch(
            &app.ep_path("ep-quiet"),
            json!({ "properties": { "publicNetworkAccess": "Enabled" } }),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    app.wait(&r).await;
    let logged = capture.text();
    assert!(
        logged
            .lines()
            .any(|l| l.contains("ISO-11") && l.contains("ep-quiet")),
        "{logged}"
    );
}

#[tokio::test]
async fn iso_13_egress_flag_cannot_change_after_creation() {
    let app = TestApp::spawn().await;
    app.create_endpoint("ep-iso13", json!({})).await;
    let done = app
        .create_deployment(
            "ep-iso13",
            "blue",
            json!({ "egressPublicNetworkAccess": "Disabled" }),
            1,
        )
        .await;
    assert_eq!(done.body["status"], "Succeeded", "{}", done.text);
    let r = put_deployment(
        &app,
        "ep-iso13",
        "blue",
        json!({ "egressPublicNetworkAccess": "Enabled" }),
        1,
    )
    .await;
    assert_error(&r, 400, "BadRequest", "egressPublicNetworkAccess");
    assert!(r.message().contains("not updatable"), "{}", r.text);
    let r = app
        .patch(
            &dep_path(&app, "ep-iso13", "blue"),
            json!({ "properties": { "egressPublicNetworkAccess": "Enabled" } }),
        )
        .await;
    assert_error(&r, 400, "BadRequest", "egressPublicNetworkAccess");
    // The same value (any casing) succeeds, by PUT and by PATCH.
    let done = app
        .create_deployment(
            "ep-iso13",
            "blue",
            json!({ "egressPublicNetworkAccess": "disabled" }),
            1,
        )
        .await;
    assert_eq!(done.body["status"], "Succeeded", "{}", done.text);
    let r = app
        .patch(
            &dep_path(&app, "ep-iso13", "blue"),
            json!({ "properties": { "egressPublicNetworkAccess": "Disabled" } }),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    app.wait(&r).await;
    let g = app.get(&dep_path(&app, "ep-iso13", "blue")).await;
    assert_eq!(
        g.body["properties"]["egressPublicNetworkAccess"],
        "Disabled"
    );
}

#[tokio::test]
async fn iso_14_three_connections_per_egress_disabled_deployment() {
    let app = TestApp::spawn().await;
    app.create_endpoint("iso", json!({})).await;
    app.create_endpoint("iso2", json!({})).await;
    assert!(pec_names(&app).await.is_empty());
    app.create_deployment(
        "iso",
        "blue",
        json!({ "egressPublicNetworkAccess": "Disabled" }),
        1,
    )
    .await;
    let first = pec_names(&app).await;
    assert_eq!(first.len(), 3, "{first:?}");
    // One on each resource it connects to, as Azure's portal shows them (the article's own
    // verification step): the workspace, its storage account, its container registry.
    let ws = app.get(&app.ws_path()).await.body;
    let storage = ws["properties"]["storageAccount"].as_str().unwrap();
    let registry = ws["properties"]["containerRegistry"].as_str().unwrap();
    for (on, group) in [
        (app.ws_path(), "ws"),
        (storage.to_string(), "blob"),
        (registry.to_string(), "acr"),
    ] {
        let names = pec_names_on(&app, &on).await;
        assert_eq!(names.len(), 1, "{on}: {names:?}");
        assert!(
            names[0].starts_with(&format!("iso-blue-{group}-")),
            "{names:?}"
        );
    }
    let acr = app.get(&format!("{registry}?api-version=2023-07-01")).await;
    assert_eq!(acr.status, 200, "{}", acr.text);
    assert_eq!(
        acr.body["properties"]["privateEndpointConnections"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let list = app
        .get(&format!("{}/privateEndpointConnections", app.ws_path()))
        .await;
    for c in list.body["value"].as_array().unwrap() {
        assert_eq!(
            c["properties"]["privateLinkServiceConnectionState"]["status"], "Approved",
            "{c}"
        );
    }
    // An egress-enabled deployment adds none.
    app.create_deployment("iso", "green", json!({}), 1).await;
    assert_eq!(pec_names(&app).await.len(), 3);
    app.create_deployment(
        "iso2",
        "blue",
        json!({ "egressPublicNetworkAccess": "Disabled" }),
        1,
    )
    .await;
    let all = pec_names(&app).await;
    assert_eq!(all.len(), 6, "{all:?}");
    // Deleting one removes its 3 and no others.
    delete_deployment(&app, "iso", "blue").await;
    let left = pec_names(&app).await;
    assert_eq!(left.len(), 3, "{left:?}");
    assert!(
        left.iter().all(|n| !first.contains(n)),
        "{left:?} vs {first:?}"
    );
    // Deleting endpoint `iso` (a name that prefixes `iso2`) leaves `iso2`'s connections alone.
    app.create_deployment(
        "iso",
        "blue",
        json!({ "egressPublicNetworkAccess": "Disabled" }),
        1,
    )
    .await;
    assert_eq!(pec_names(&app).await.len(), 6);
    let r = app.delete(&app.ep_path("iso")).await;
    assert_eq!(r.status, 202, "{}", r.text);
    app.wait(&r).await;
    assert_eq!(pec_names(&app).await, left);
}

//! The ARM error envelope (SPEC §3): malformed JSON, unknown resources, api-version checks, and
//! case-insensitive paths that echo the stored casing.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use common::{Resp, TestApp};
use serde_json::json;

/// Every ARM error body has `error.code`, `message`, `target`, `details`, `additionalInfo`.
fn assert_envelope(r: &Resp) {
    let e = &r.body["error"];
    assert!(
        e["code"].is_string() && e["message"].is_string(),
        "not an ARM envelope: {} {}",
        r.status,
        r.text
    );
    assert!(e.get("target").is_some(), "target missing: {}", r.text);
    assert!(
        e["details"].is_array() && e["additionalInfo"].is_array(),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn malformed_json_is_400_invalid_request_content() {
    let app = TestApp::spawn().await;
    let r = app
        .send_raw(
            reqwest::Method::PUT,
            &app.ep_path("ep-bad"),
            b"{\"location\": \"eastus\", ".to_vec(),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (400, "InvalidRequestContent"),
        "{}",
        r.text
    );
    assert_envelope(&r);
}

#[tokio::test]
async fn unknown_resources_are_404_resource_not_found() {
    let app = TestApp::spawn().await;
    for path in [
        app.ep_path("nope"),
        format!("{}/models/nope/versions/1", app.ws_path()),
        format!("/subscriptions/{}/resourceGroups/{}/providers/Microsoft.MachineLearningServices/workspaces/nope", app.sub, app.rg),
    ] {
        let r = app.get(&path).await;
        assert_eq!((r.status, r.code()), (404, "ResourceNotFound"), "{path}: {}", r.text);
        assert_envelope(&r);
    }
    // ARM's exact text (recorded: `test_online_endpoint_delete_nonexisting_endpoint`).
    let r = app.get(&app.ep_path("nope")).await;
    assert_eq!(
        r.message(),
        amlite::error::ArmError::resource_not_found(&format!(
            "{}/onlineEndpoints/nope",
            app.ws_path()
        ))
        .message
    );
    assert_eq!(
        r.message(),
        format!(
            "The Resource 'Microsoft.MachineLearningServices/workspaces/{}/onlineEndpoints/nope' under resource group '{}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
            app.ws, app.rg
        )
    );
    app.create_endpoint("ep-e", json!({})).await;
    let r = app
        .get(&format!("{}/deployments/green", app.ep_path("ep-e")))
        .await;
    // Recorded Azure (`test_online_endpoint_invoke`): ARM's `ResourceNotFound`, naming the
    // workspace and resource group (SPEC §3's `UserError` was wrong).
    assert_eq!((r.status, r.code()), (404, "ResourceNotFound"));
    assert_eq!(
        r.message(),
        format!(
            "The Resource 'Microsoft.MachineLearningServices/workspaces/{}/onlineEndpoints/ep-e/deployments/green' under resource group '{}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
            app.ws, app.rg
        )
    );
    assert_envelope(&r);
    let r = app.get("/subscriptions/x/unknown/route").await;
    assert_eq!(r.status, 404);
    assert_envelope(&r);
}

#[tokio::test]
async fn missing_api_version_is_400() {
    let app = TestApp::spawn().await;
    let r = TestApp::read(
        app.client
            .get(format!("{}{}", app.base, app.ws_path()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (400, "MissingApiVersionParameter"),
        "{}",
        r.text
    );
    assert_envelope(&r);
    let r = app.get(&format!("{}?api-version=", app.ws_path())).await;
    assert_eq!(r.code(), "MissingApiVersionParameter");
    // Lenient by default: any non-empty version is accepted.
    assert_eq!(
        app.get(&format!(
            "{}?api-version=1999-01-01-whatever",
            app.ws_path()
        ))
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn strict_api_versions_refuse_unknown_ones() {
    let app = TestApp::spawn_with(|c| c.api_versions = amlite::config::ApiVersions::Strict).await;
    let r = app
        .get(&format!("{}?api-version=1999-01-01", app.ws_path()))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (400, "InvalidApiVersionParameter"),
        "{}",
        r.text
    );
    assert_envelope(&r);
    assert_eq!(
        app.get(&format!("{}?api-version=2024-04-01", app.ws_path()))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn paths_are_case_insensitive_and_echo_stored_casing() {
    let app = TestApp::spawn().await;
    app.create_endpoint("Ep-Case", json!({})).await;
    let upper = format!(
        "/SUBSCRIPTIONS/{}/RESOURCEGROUPS/{}/PROVIDERS/MICROSOFT.MACHINELEARNINGSERVICES/WORKSPACES/{}/onlineendpoints/EP-CASE",
        app.sub.to_uppercase(),
        app.rg.to_uppercase(),
        app.ws.to_uppercase()
    );
    let r = app.get(&upper).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["name"], "Ep-Case");
    assert_eq!(r.body["id"].as_str().unwrap(), app.ep_path("Ep-Case"));
    let keys = app.post(&format!("{upper}/LISTKEYS"), None).await;
    assert_eq!(keys.status, 200, "{}", keys.text);
    assert!(keys.body["primaryKey"].is_string());
}

#[tokio::test]
async fn method_not_allowed_and_error_headers() {
    let app = TestApp::spawn().await;
    let r = app
        .send(reqwest::Method::OPTIONS, &app.ws_path(), None)
        .await;
    assert!((400..500).contains(&r.status), "{} {}", r.status, r.text);
    assert_envelope(&r);
    let r = app.get(&app.ep_path("nope")).await;
    assert_eq!(
        r.header("x-ms-error-code").as_deref(),
        Some("ResourceNotFound")
    );
    assert!(r.header("x-ms-request-id").is_some());
}

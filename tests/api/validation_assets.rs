//! Request validation of environment versions (SPEC §3, contract `EnvironmentVersion`):
//! `autoRebuild`/`osType` outside their enums, `inferenceConfig` route ports outside 1–65535 and
//! wrong types are refused with a 400 `BadRequest` naming the property, never stored.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use common::TestApp;
use serde_json::json;

#[tokio::test]
async fn invalid_environment_versions_are_refused() {
    let app = TestApp::spawn().await;
    let route = |port: serde_json::Value| json!({ "path": "/score", "port": port });
    let ic = "properties.inferenceConfig";
    let cases = [
        (
            json!({ "autoRebuild": "Always" }),
            "properties.autoRebuild".to_string(),
            "'Disabled', 'OnBaseImageUpdate'",
        ),
        (
            json!({ "osType": "MacOS" }),
            "properties.osType".to_string(),
            "'Linux', 'Windows'",
        ),
        (
            json!({ "osType": 1 }),
            "properties.osType".to_string(),
            "Allowed values",
        ),
        (
            json!({ "inferenceConfig": { "scoringRoute": route(json!(70000)) } }),
            format!("{ic}.scoringRoute.port"),
            "65535",
        ),
        (
            json!({ "inferenceConfig": { "livenessRoute": route(json!(0)) } }),
            format!("{ic}.livenessRoute.port"),
            "The value 0 of",
        ),
        (
            json!({ "inferenceConfig": { "readinessRoute": route(json!(4_294_967_296_i64)) } }),
            format!("{ic}.readinessRoute.port"),
            "int32",
        ),
        (
            json!({ "inferenceConfig": { "readinessRoute": { "path": 5, "port": 8080 } } }),
            format!("{ic}.readinessRoute.path"),
            "string",
        ),
        (
            json!({ "inferenceConfig": { "scoringRoute": { "port": 8080 } } }),
            format!("{ic}.scoringRoute"),
            "path",
        ),
        (json!({ "inferenceConfig": "x" }), ic.to_string(), "object"),
        (
            json!({ "build": { "dockerfilePath": "Dockerfile" } }),
            "properties.build.contextUri".to_string(),
            "required",
        ),
        (
            json!({ "image": 5 }),
            "properties.image".to_string(),
            "string",
        ),
        (
            json!({ "isAnonymous": "no" }),
            "properties.isAnonymous".to_string(),
            "true or false",
        ),
        (
            json!({ "condaFile": "dependencies:\n  - pip: [a\n" }),
            "properties.condaFile".to_string(),
            "must be YAML or JSON",
        ),
    ];
    for (i, (props, target, needle)) in cases.into_iter().enumerate() {
        let path = format!("{}/environments/env{i}/versions/1", app.ws_path());
        let r = app.put(&path, json!({ "properties": props })).await;
        assert_eq!(r.status, 400, "{props}: {}", r.text);
        assert_eq!(r.code(), "BadRequest", "{}", r.text);
        assert_eq!(r.body["error"]["target"], target.as_str(), "{}", r.text);
        assert!(r.message().contains(needle), "{needle} not in {}", r.text);
        assert_eq!(
            app.get(&path).await.status,
            404,
            "nothing stored for {props}"
        );
    }
}

#[tokio::test]
async fn valid_environment_versions_are_stored_in_azure_casing() {
    let app = TestApp::spawn().await;
    let path = format!("{}/environments/env/versions/1", app.ws_path());
    // What azure-ai-ml 1.35.2 sends for an image + conda environment, plus the optional fields.
    let body = json!({ "properties": {
        "condaFile": "name: x\n", "image": "mcr.microsoft.com/azureml/base:latest",
        "isAnonymous": false, "isArchived": false, "osType": "windows", "autoRebuild": "onbaseimageupdate",
        "inferenceConfig": { "scoringRoute": { "path": "/score", "port": 5001 },
                             "livenessRoute": { "path": "/health", "port": 65535 } } } });
    let r = app.put(&path, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let got = app.get(&path).await;
    assert_eq!(got.body["properties"]["osType"], "Windows", "{}", got.text);
    assert_eq!(
        got.body["properties"]["autoRebuild"], "OnBaseImageUpdate",
        "{}",
        got.text
    );
}

#[tokio::test]
async fn invalid_model_versions_are_refused() {
    let app = TestApp::spawn().await;
    let cases = [
        (json!({ "flavors": false }), "properties.flavors"),
        (
            json!({ "flavors": { "python_function": 0.0 } }),
            "properties.flavors.python_function",
        ),
        (
            json!({ "flavors": { "f": { "data": { "k": {} } } } }),
            "properties.flavors.f.data.k",
        ),
        (json!({ "modelUri": 5 }), "properties.modelUri"),
    ];
    for (i, (props, target)) in cases.into_iter().enumerate() {
        let path = format!("{}/models/model{i}/versions/1", app.ws_path());
        let r = app.put(&path, json!({ "properties": props })).await;
        assert_eq!(r.status, 400, "{props}: {}", r.text);
        assert_eq!(r.code(), "BadRequest", "{}", r.text);
        assert_eq!(r.body["error"]["target"], target, "{}", r.text);
        assert_eq!(
            app.get(&path).await.status,
            404,
            "nothing stored for {props}"
        );
    }
    // Numbers in flavor data are taken as their text, as ARM does for string maps.
    let path = format!("{}/models/ok/versions/1", app.ws_path());
    let body = json!({ "properties": { "modelType": "mlflow_model",
        "flavors": { "python_function": { "data": { "loader_module": "mlflow.sklearn", "v": 3 } } } } });
    let r = app.put(&path, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.body["properties"]["flavors"]["python_function"]["data"]["v"], "3",
        "{}",
        r.text
    );
}

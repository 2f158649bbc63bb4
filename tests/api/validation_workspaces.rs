//! Request validation of workspace properties amlite keeps without modelling them (SPEC §3,
//! contract `WorkspaceProperties`): a value of another JSON type than the contract's is refused
//! with a 400 `BadRequest` naming the property, never stored and echoed.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use common::TestApp;
use serde_json::json;

#[tokio::test]
async fn wrongly_typed_workspace_properties_are_refused() {
    let app = TestApp::spawn().await;
    let ws = app.ws_path();
    let base = ws.rsplit_once('/').unwrap().0.to_string();
    let cases = [
        (
            json!({ "encryption": "on" }),
            "properties.encryption",
            "an object",
        ),
        (
            json!({ "encryption": { "status": "Enabled", "keyVaultProperties": { "keyIdentifier": 5 } } }),
            "properties.encryption.keyVaultProperties.keyIdentifier",
            "a string",
        ),
        (
            json!({ "encryption": { "status": "Maybe" } }),
            "properties.encryption.status",
            "'Enabled', 'Disabled'",
        ),
        (
            json!({ "featureStoreSettings": { "onlineStoreConnectionName": {} } }),
            "properties.featureStoreSettings.onlineStoreConnectionName",
            "a string",
        ),
        (
            json!({ "description": 5 }),
            "properties.description",
            "a string",
        ),
        (
            json!({ "friendlyName": ["x"] }),
            "properties.friendlyName",
            "a string",
        ),
        (
            json!({ "hbiWorkspace": "true" }),
            "properties.hbiWorkspace",
            "true or false",
        ),
        (
            json!({ "softDeleteRetentionInDays": 1.5 }),
            "properties.softDeleteRetentionInDays",
            "int32",
        ),
        (
            json!({ "ipAllowlist": [1] }),
            "properties.ipAllowlist",
            "array of strings",
        ),
    ];
    for (i, (props, target, needle)) in cases.into_iter().enumerate() {
        let path = format!("{base}/wsv{i}");
        let r = app
            .put(&path, json!({ "location": "eastus", "properties": props }))
            .await;
        assert_eq!(r.status, 400, "{props}: {}", r.text);
        assert_eq!(r.code(), "BadRequest", "{}", r.text);
        assert_eq!(r.body["error"]["target"], target, "{}", r.text);
        assert!(r.message().contains(needle), "{needle} not in {}", r.text);
        assert_eq!(
            app.get(&path).await.status,
            404,
            "nothing stored for {props}"
        );
    }
    // PATCH of an existing workspace is checked the same way and changes nothing.
    let r = app
        .patch(&ws, json!({ "properties": { "description": false } }))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(
        r.body["error"]["target"], "properties.description",
        "{}",
        r.text
    );
}

#[tokio::test]
async fn well_typed_workspace_properties_are_echoed() {
    let app = TestApp::spawn().await;
    let path = format!("{}/wsok", app.ws_path().rsplit_once('/').unwrap().0);
    let props = json!({ "description": "d", "friendlyName": "F", "hbiWorkspace": false,
        "encryption": { "status": "Enabled", "keyVaultProperties": { "keyVaultArmId": "kv", "keyIdentifier": "k" } } });
    let r = app
        .put(&path, json!({ "location": "eastus", "properties": props }))
        .await;
    assert!(r.status < 300, "{} {}", r.status, r.text);
    if r.status == 202 {
        app.wait(&r).await;
    }
    let got = app.get(&path).await;
    assert_eq!(got.body["properties"]["friendlyName"], "F", "{}", got.text);
    assert_eq!(
        got.body["properties"]["encryption"]["keyVaultProperties"]["keyIdentifier"], "k",
        "{}",
        got.text
    );
}

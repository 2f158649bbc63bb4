//! Helpers of the scoring-isolation tests (`fixtures/isolation.json`): an endpoint with one
//! deployment at 100 %, scoring it on a given listener, approving or rejecting a private
//! endpoint's connection.
use serde_json::json;

use super::{Resp, TestApp};

pub async fn score_on(app: &TestApp, base: &str, ep: &str, key: &str) -> Resp {
    let r = app
        .client
        .post(format!("{base}/endpoints/{ep}/score"))
        .bearer_auth(key)
        .json(&json!({ "x": 1 }))
        .send()
        .await
        .unwrap();
    TestApp::read(r).await
}

/// A Key endpoint with public access `pna`, deployment `blue` at 100 %.
pub async fn endpoint(app: &TestApp, name: &str, pna: &str) -> String {
    app.create_endpoint(name, json!({ "publicNetworkAccess": pna }))
        .await;
    app.create_deployment(name, "blue", json!({}), 1).await;
    app.set_traffic(name, json!({ "blue": 100 })).await;
    app.primary_key(name).await
}

pub async fn pec_name(app: &TestApp, pe: &str) -> String {
    let list = app
        .get(&format!("{}/privateEndpointConnections", app.ws_path()))
        .await;
    let found = list.body["value"].as_array().unwrap().iter().find(|c| {
        c["properties"]["privateEndpoint"]["id"]
            .as_str()
            .unwrap_or("")
            .to_lowercase()
            .ends_with(&format!("/privateendpoints/{pe}"))
    });
    found.unwrap_or_else(|| panic!("no connection for {pe}: {}", list.text))["name"]
        .as_str()
        .unwrap()
        .to_string()
}

pub async fn set_pec(app: &TestApp, pe: &str, status: &str) {
    let name = pec_name(app, pe).await;
    let body = json!({ "properties": { "privateLinkServiceConnectionState": { "status": status, "description": "test" } } });
    let r = app
        .put(
            &format!("{}/privateEndpointConnections/{name}", app.ws_path()),
            body,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

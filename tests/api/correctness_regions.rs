//! Two endpoints with the same name in different regions (CP-1 allows it, issue 9): each is
//! scored through its own `scoringUri` and its own `{endpoint}.{region}.inference.ml.azure.com`
//! host; the first one's `scoringUri` keeps SPEC §4's form, a later one's names its region.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use common::TestApp;
use serde_json::{json, Value};

/// Creates `name` in a second workspace in `region`, with one mock deployment taking all
/// traffic; returns the endpoint's GET body.
async fn endpoint_in(app: &TestApp, ws: &str, name: &str, region: &str, deployment: &str) -> Value {
    let ws_path = app.ws_path().replace(&app.ws, ws);
    if ws != app.ws {
        let r = app
            .put(&ws_path, json!({ "location": region, "properties": {} }))
            .await;
        app.wait(&r).await;
    }
    let ep = format!("{ws_path}/onlineEndpoints/{name}");
    let r = app
        .put(
            &ep,
            json!({ "location": region, "properties": { "authMode": "Key" } }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    app.wait(&r).await;
    let body = json!({ "location": region, "sku": { "name": "Default", "capacity": 1 }, "properties": {
        "endpointComputeType": "Managed", "instanceType": "Standard_DS3_v2",
        "codeConfiguration": { "codeId": format!("{ws_path}/codes/c/versions/1"), "scoringScript": "score.py" }
    }});
    let r = app
        .put(&format!("{ep}/deployments/{deployment}"), body)
        .await;
    assert_eq!(app.wait(&r).await.body["status"], "Succeeded");
    let mut cur = app.get(&ep).await.body;
    cur["properties"]["traffic"] = json!({ deployment: 100 });
    let r = app.put(&ep, cur).await;
    app.wait(&r).await;
    app.get(&ep).await.body
}

async fn key_of(app: &TestApp, ep_id: &str) -> String {
    let r = app.post(&format!("{ep_id}/listKeys"), None).await;
    r.body["primaryKey"].as_str().unwrap().to_string()
}

async fn score(app: &TestApp, url: &str, host: Option<&str>, key: &str) -> (u16, Value) {
    let mut rb = app
        .client
        .post(url)
        .bearer_auth(key)
        .json(&json!({ "x": 1 }));
    if let Some(h) = host {
        rb = rb.header("host", h);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn same_name_in_two_regions_both_score() {
    let app = TestApp::spawn().await;
    let ws = app.ws.clone();
    let east = endpoint_in(&app, &ws, "twin", "eastus", "east-blue").await;
    let west = endpoint_in(&app, "west-ws", "twin", "westus", "west-blue").await;
    let east_uri = east["properties"]["scoringUri"]
        .as_str()
        .unwrap()
        .to_string();
    let west_uri = west["properties"]["scoringUri"]
        .as_str()
        .unwrap()
        .to_string();
    // The first keeps SPEC §4's URI; the later one's names its region.
    assert_eq!(east_uri, format!("{}/endpoints/twin/score", app.base));
    assert_eq!(
        west_uri,
        format!("{}/endpoints/twin/score?region=westus", app.base)
    );
    assert_eq!(
        west["properties"]["swaggerUri"],
        format!("{}/endpoints/twin/swagger.json?region=westus", app.base)
    );
    let east_key = key_of(&app, east["id"].as_str().unwrap()).await;
    let west_key = key_of(&app, west["id"].as_str().unwrap()).await;
    // Each scoringUri reaches its own endpoint, many times (the route cache keys the region).
    for _ in 0..3 {
        let (s, b) = score(&app, &east_uri, None, &east_key).await;
        assert_eq!(
            (s, b["deployment"].as_str()),
            (200, Some("east-blue")),
            "{b}"
        );
        let (s, b) = score(&app, &west_uri, None, &west_key).await;
        assert_eq!(
            (s, b["deployment"].as_str()),
            (200, Some("west-blue")),
            "{b}"
        );
    }
    // The Host-header form names the region the same way.
    let path = format!("{}/score", app.base);
    let (s, b) = score(
        &app,
        &path,
        Some("twin.westus.inference.ml.azure.com"),
        &west_key,
    )
    .await;
    assert_eq!(
        (s, b["deployment"].as_str()),
        (200, Some("west-blue")),
        "{b}"
    );
    let (s, b) = score(
        &app,
        &path,
        Some("twin.eastus.inference.ml.azure.com"),
        &east_key,
    )
    .await;
    assert_eq!(
        (s, b["deployment"].as_str()),
        (200, Some("east-blue")),
        "{b}"
    );
    // A region without that name: 404 naming where it exists.
    let (s, b) = score(
        &app,
        &path,
        Some("twin.northeurope.inference.ml.azure.com"),
        &east_key,
    )
    .await;
    let want =
        amlite::scoring::errors::endpoint_not_in_region("twin", "northeurope", "eastus, westus");
    assert_eq!(
        (s, b["error"]["message"].as_str()),
        (404, Some(want.message.as_str()))
    );
    // With the first deleted, the later one still answers on its own URI.
    let r = app.delete(east["id"].as_str().unwrap()).await;
    app.wait(&r).await;
    let (s, b) = score(&app, &west_uri, None, &west_key).await;
    assert_eq!(
        (s, b["deployment"].as_str()),
        (200, Some("west-blue")),
        "{b}"
    );
}

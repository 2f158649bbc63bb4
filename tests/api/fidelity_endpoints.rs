//! Endpoint and deployment answers as recorded real Azure gives them (issue 15; continued from
//! `fidelity_recorded`). Each test names the cassette that decided it.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use common::TestApp;
use serde_json::json;

/// `test_online_endpoint_k8s_deployment_cpu`: a GET of a deployment whose endpoint does not exist
/// is ARM's `ResourceNotFound` naming the deployment, not the endpoint.
#[tokio::test]
async fn deployment_get_under_a_missing_endpoint_names_the_deployment() {
    let app = TestApp::spawn().await;
    let path = format!("{}/deployments/blue", app.ep_path("ep-none"));
    let r = app.get(&path).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let expected = amlite::error::ArmError::resource_not_found(&path);
    assert_eq!(r.code(), expected.code);
    assert_eq!(r.message(), expected.message);
}

/// `test_online_endpoint_update`: an update PUT answers the endpoint as it was (tags, traffic,
/// mirrorTraffic), `Updating` and naming the new operation; later reads show the change.
#[tokio::test]
async fn endpoint_update_answers_the_endpoint_as_it_was() {
    let app = TestApp::spawn().await;
    let path = app.ep_path("ep-upd");
    let put = app
        .put(
            &path,
            json!({ "location": "eastus", "tags": { "k": "old", "dummy": "d" }, "properties": { "authMode": "Key" } }),
        )
        .await;
    app.wait(&put).await;
    app.create_deployment("ep-upd", "blue", json!({}), 1).await;
    let body = json!({ "location": "eastus", "tags": { "k": "new" },
        "properties": { "authMode": "Key", "traffic": { "blue": 100 } } });
    let again = app.put(&path, body).await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(again.body["tags"], json!({ "k": "old", "dummy": "d" }));
    assert_eq!(again.body["properties"]["traffic"], json!({}));
    assert_eq!(again.body["properties"]["provisioningState"], "Updating");
    assert_eq!(
        again.body["properties"]["properties"]["AzureAsyncOperationUri"],
        again.header("azure-asyncoperation").unwrap().as_str()
    );
    app.wait(&again).await;
    let get = app.get(&path).await;
    assert_eq!(get.body["tags"], json!({ "k": "new" }));
    assert_eq!(get.body["properties"]["traffic"], json!({ "blue": 100 }));
}

//! Walking-skeleton smoke test: endpoint + deployment + traffic + scoring over real HTTPS.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use common::TestApp;
use serde_json::json;

#[tokio::test]
async fn endpoint_deployment_traffic_and_scoring() {
    let app = TestApp::spawn().await;
    app.create_endpoint("ep-one", json!({})).await;
    let done = app.create_deployment("ep-one", "blue", json!({}), 1).await;
    assert_eq!(done.body["status"], "Succeeded", "{}", done.text);
    let r = app.set_traffic("ep-one", json!({ "blue": 100 })).await;
    assert!(r.status < 300, "{}", r.text);
    let key = app.primary_key("ep-one").await;
    let s = app
        .score("ep-one", Some(&key), &[], json!({ "data": [1, 2] }))
        .await;
    assert_eq!(s.status, 200, "{}", s.text);
    assert_eq!(
        s.body,
        json!({ "deployment": "blue", "input": { "data": [1, 2] } })
    );
    assert_eq!(
        s.header("azureml-model-deployment").as_deref(),
        Some("blue")
    );
}

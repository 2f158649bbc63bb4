//! Control-plane validation rules CP-7 and CP-8 (SPEC §5), and the CP-5/CP-8 totals, proven
//! over HTTPS.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use crate::rules_common;

use common::TestApp;
use rules_common::*;
use serde_json::json;

/// Kubernetes online endpoints and deployments are out of scope (issue 15): 400 with a text
/// that says amlite emulates managed online endpoints only.
fn assert_out_of_scope(r: &common::Resp, want: &str) {
    assert_error(
        r,
        400,
        "BadRequest",
        "amlite emulates managed online endpoints only",
    );
    assert_eq!(r.message(), want);
}

#[tokio::test]
async fn cp_7_compute_auth_modes_keys_and_tokens() {
    let app = TestApp::spawn().await;
    // Kubernetes online endpoints are out of scope (issue 15): refused with a text that says so.
    let k8s = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w/computes/k8s";
    let r = app
        .put(
            &app.ep_path("ep-k8s"),
            json!({ "location": "eastus", "properties": { "authMode": "Key", "compute": k8s } }),
        )
        .await;
    let want = amlite::rules::endpoint::cp_7_managed_endpoint_compute(Some(k8s)).expect_err("CP-7");
    assert_out_of_scope(&r, &want.message);
    assert_eq!(r.body["error"]["target"], "properties.compute");
    app.create_endpoint("ep-key", json!({})).await;
    app.create_endpoint("ep-aml", json!({ "authMode": "AMLToken" }))
        .await;
    app.create_endpoint("ep-aad", json!({ "authMode": "AADToken" }))
        .await;
    // listKeys: Key only.
    let keys = app
        .post(&format!("{}/listKeys", app.ep_path("ep-key")), None)
        .await;
    assert_eq!(keys.status, 200);
    assert!(keys.body["primaryKey"]
        .as_str()
        .is_some_and(|k| !k.is_empty()));
    for ep in ["ep-aml", "ep-aad"] {
        let r = app
            .post(&format!("{}/listKeys", app.ep_path(ep)), None)
            .await;
        assert_error(
            &r,
            400,
            "BadRequest",
            "Keys are available only for endpoints with authMode 'Key'",
        );
    }
    // token: AMLToken only.
    let t = app
        .post(&format!("{}/token", app.ep_path("ep-aml")), None)
        .await;
    assert_eq!(t.status, 200, "{}", t.text);
    assert!(t.body["accessToken"].as_str().is_some() && t.body["expiryTimeUtc"].is_number());
    for ep in ["ep-key", "ep-aad"] {
        let r = app.post(&format!("{}/token", app.ep_path(ep)), None).await;
        assert_error(
            &r,
            400,
            "BadRequest",
            "Tokens are available only for endpoints with authMode 'AMLToken'",
        );
    }
    // Deployments of a managed endpoint are Managed.
    let r = put_deployment(
        &app,
        "ep-key",
        "blue",
        json!({ "endpointComputeType": "Kubernetes" }),
        1,
    )
    .await;
    let want = amlite::arm::errors::deployment_compute_not_managed("Kubernetes");
    assert_out_of_scope(&r, &want.message);
}

#[tokio::test]
async fn cp_8_core_quota_and_unknown_instance_type() {
    let app = TestApp::spawn_with(|c| c.core_quota = 10).await;
    app.create_endpoint("ep-cp8", json!({})).await;
    let r = put_deployment(
        &app,
        "ep-cp8",
        "blue",
        json!({ "instanceType": "Standard_Imaginary_v9" }),
        1,
    )
    .await;
    assert_error(&r, 400, "BadRequest", "Standard_Imaginary_v9");
    assert_eq!(r.body["error"]["target"], "properties.instanceType");
    // DS3_v2 has 4 cores: ceil(1.2 x 1) x 4 = 8 of 10.
    let ok = app.create_deployment("ep-cp8", "blue", json!({}), 1).await;
    assert_eq!(ok.body["status"], "Succeeded");
    let r = put_deployment(&app, "ep-cp8", "green", json!({}), 1).await;
    assert_error(
        &r,
        400,
        "BadRequest",
        "Not enough quota available for VmSize Standard_DS3_v2",
    );
    assert!(
        r.message().contains("Current usage/limit: 8/10")
            && r.message().contains("Additional needed: 8"),
        "{}",
        r.text
    );
    assert_eq!(
        r.body["error"]["innerError"]["code"],
        "InferencingClientCreateDeploymentFailed"
    );
    // Scaling up the same deployment beyond the budget is refused too (PATCH).
    let r = app
        .patch(
            &dep_path(&app, "ep-cp8", "blue"),
            json!({ "sku": { "capacity": 2 } }),
        )
        .await;
    assert_error(&r, 400, "BadRequest", "Not enough quota");
    // Deleting releases the cores.
    delete_deployment(&app, "ep-cp8", "blue").await;
    let ok = app.create_deployment("ep-cp8", "green", json!({}), 1).await;
    assert_eq!(ok.body["status"], "Succeeded");
}

/// CP-5 and CP-8 read running totals (issue 14): they must follow a restart, an endpoint
/// delete that takes its deployments with it, and a deployment delete.
#[tokio::test]
async fn cp_5_and_cp_8_totals_follow_restarts_and_cascading_deletes() {
    fn budget(c: &mut amlite::config::Config) {
        c.in_memory = false;
        c.endpoint_quota = 2;
        c.core_quota = 10;
    }
    let app = TestApp::spawn_with(budget).await;
    app.create_endpoint("ep-t1", json!({})).await;
    // DS3_v2: ceil(1.2 x 1) x 4 = 8 of 10 cores.
    let ok = app.create_deployment("ep-t1", "blue", json!({}), 1).await;
    assert_eq!(ok.body["status"], "Succeeded", "{}", ok.text);
    let app = TestApp::spawn_in(app.stop().await, budget).await;
    // After the restart: 1 of 2 endpoints, 8 of 10 cores.
    app.create_endpoint("ep-t2", json!({})).await;
    let r = put_deployment(&app, "ep-t2", "blue", json!({}), 1).await;
    assert_error(&r, 400, "BadRequest", "Not enough quota");
    assert!(
        r.message().contains("Current usage/limit: 8/10"),
        "{}",
        r.text
    );
    let r = app
        .put(
            &app.ep_path("ep-t3"),
            json!({ "location": "eastus", "properties": { "authMode": "Key" } }),
        )
        .await;
    assert_error(&r, 400, "BadRequest", "limit of 2");
    // Deleting ep-t1 releases its place and (by cascade) blue's cores.
    let r = app.delete(&app.ep_path("ep-t1")).await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(app.wait(&r).await.body["status"], "Succeeded");
    let ok = app.create_deployment("ep-t2", "blue", json!({}), 1).await;
    assert_eq!(ok.body["status"], "Succeeded", "{}", ok.text);
    app.create_endpoint("ep-t3", json!({})).await;
    // And a deployment delete releases its cores, after another restart too.
    delete_deployment(&app, "ep-t2", "blue").await;
    let app = TestApp::spawn_in(app.stop().await, budget).await;
    let ok = app.create_deployment("ep-t3", "green", json!({}), 1).await;
    assert_eq!(ok.body["status"], "Succeeded", "{}", ok.text);
}

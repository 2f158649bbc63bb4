//! Control-plane validation rules CP-1 .. CP-8 (SPEC §5), proven over HTTPS.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use crate::rules_common;

use common::TestApp;
use rules_common::*;
use serde_json::json;

fn name_of(len: usize) -> String {
    format!("a{}", "b".repeat(len - 1))
}

#[tokio::test]
async fn cp_1_endpoint_and_deployment_names() {
    let app = TestApp::spawn().await;
    for (len, ok) in [(2, false), (3, true), (32, true), (33, false)] {
        let name = name_of(len);
        let r = app
            .put(
                &app.ep_path(&name),
                json!({ "location": "eastus", "properties": { "authMode": "Key" } }),
            )
            .await;
        if ok {
            assert_eq!(r.status, 201, "{len}: {}", r.text);
            app.wait(&r).await;
        } else {
            assert_error(&r, 400, "BadRequest", "3 to 32 characters");
            assert_eq!(r.body["error"]["target"], "name");
        }
    }
    for bad in ["1abc", "ab_c", "ab--c", "abc-"] {
        let r = app
            .put(
                &app.ep_path(bad),
                json!({ "location": "eastus", "properties": { "authMode": "Key" } }),
            )
            .await;
        assert_error(
            &r,
            400,
            "BadRequest",
            &format!("Invalid endpoint name '{bad}'"),
        );
    }
    let ep = name_of(3);
    for (len, ok) in [(2, false), (3, true), (32, true), (33, false)] {
        let r = put_deployment(&app, &ep, &name_of(len), json!({}), 1).await;
        if ok {
            assert_eq!(r.status, 201, "{len}: {}", r.text);
            app.wait(&r).await;
        } else {
            assert_error(&r, 400, "BadRequest", "Invalid deployment name");
        }
    }
}

#[tokio::test]
async fn cp_1_endpoint_names_are_unique_per_region() {
    let app = TestApp::spawn().await;
    app.create_endpoint("shared-name", json!({})).await;
    let ws2 = app.ws_path().replace(&app.ws, "second-ws");
    let r = app
        .put(&ws2, json!({ "location": "eastus", "properties": {} }))
        .await;
    app.wait(&r).await;
    let r = app
        .put(
            &format!("{ws2}/onlineEndpoints/Shared-Name"),
            json!({ "location": "eastus", "properties": { "authMode": "Key" } }),
        )
        .await;
    // Azure's answer (issue 11): 400 with the inference service's validation text.
    let want = amlite::error::ArmError::from(amlite::rules::names::endpoint_name_in_use());
    assert_eq!(r.status, 400, "{}", r.text);
    for key in ["code", "message", "details"] {
        assert_eq!(
            r.body["error"][key],
            want.body()["error"][key],
            "{}",
            r.text
        );
    }
    let r = app
        .put(
            &format!("{ws2}/onlineEndpoints/shared-name"),
            json!({ "location": "westus", "properties": { "authMode": "Key" } }),
        )
        .await;
    assert_eq!(r.status, 201, "another region is fine: {}", r.text);
}

async fn two_deployments(app: &TestApp, ep: &str) {
    app.create_endpoint(ep, json!({})).await;
    app.create_deployment(ep, "blue", json!({}), 1).await;
    app.create_deployment(ep, "green", json!({}), 1).await;
}

#[tokio::test]
async fn cp_2_traffic_sums_and_names() {
    let app = TestApp::spawn().await;
    two_deployments(&app, "ep-cp2").await;
    for (traffic, ok) in [
        (json!({ "blue": 0, "green": 0 }), true),
        (json!({ "blue": 60, "green": 40 }), true),
        (json!({ "blue": 100 }), true),
        (json!({ "blue": 99 }), false),
        (json!({ "blue": 60, "green": 41 }), false),
    ] {
        let r = app.set_traffic("ep-cp2", traffic.clone()).await;
        if ok {
            assert!(r.status < 300, "{traffic}: {}", r.text);
        } else {
            assert_error(&r, 400, "BadRequest", "sum to");
            assert_eq!(r.body["error"]["target"], "properties.traffic");
        }
    }
    let r = app.set_traffic("ep-cp2", json!({ "blue": 99 })).await;
    assert!(r.message().contains("they sum to 99"), "{}", r.text);
    let r = app
        .set_traffic("ep-cp2", json!({ "blue": 50, "nosuch": 50 }))
        .await;
    assert_error(
        &r,
        400,
        "BadRequest",
        "do not exist in this endpoint: nosuch",
    );
    let r = app
        .set_traffic("ep-cp2", json!({ "blue": 50.5, "green": 49.5 }))
        .await;
    assert_error(&r, 400, "BadRequest", "integer");
    // PATCH applies the same rule.
    let r = app
        .patch(
            &app.ep_path("ep-cp2"),
            json!({ "properties": { "traffic": { "blue": 99 } } }),
        )
        .await;
    assert_error(&r, 400, "BadRequest", "sum to 99");
}

#[tokio::test]
async fn cp_2_creating_a_deployment_never_changes_traffic_and_put_replaces_it() {
    let app = TestApp::spawn().await;
    two_deployments(&app, "ep-cp2b").await;
    let traffic = |r: &common::Resp| r.body["properties"]["traffic"].clone();
    assert_eq!(
        traffic(&app.get(&app.ep_path("ep-cp2b")).await),
        json!({}),
        "new deployments get no traffic"
    );
    app.set_traffic("ep-cp2b", json!({ "blue": 100 })).await;
    app.create_deployment("ep-cp2b", "red", json!({}), 1).await;
    assert_eq!(
        traffic(&app.get(&app.ep_path("ep-cp2b")).await),
        json!({ "blue": 100 })
    );
    // A PUT replaces the whole map.
    app.set_traffic("ep-cp2b", json!({ "green": 100 })).await;
    let t = traffic(&app.get(&app.ep_path("ep-cp2b")).await);
    assert_eq!(t["green"], 100);
    assert!(t.get("blue").is_none_or(|w| w == 0), "{t}");
    // An empty map zeroes all weights.
    app.set_traffic("ep-cp2b", json!({})).await;
    let t = traffic(&app.get(&app.ep_path("ep-cp2b")).await);
    assert!(t.as_object().unwrap().values().all(|w| w == 0), "{t}");
}

#[tokio::test]
async fn cp_3_mirror_traffic_rules() {
    let app = TestApp::spawn().await;
    two_deployments(&app, "ep-cp3").await;
    app.create_deployment("ep-cp3", "red", json!({}), 1).await;
    let put = |mirror: serde_json::Value| {
        let app = &app;
        async move {
            let mut body = app.get(&app.ep_path("ep-cp3")).await.body;
            body["properties"]["traffic"] = json!({ "blue": 100 });
            body["properties"]["mirrorTraffic"] = mirror;
            app.put(&app.ep_path("ep-cp3"), body).await
        }
    };
    let r = put(json!({ "green": 51 })).await;
    assert_error(&r, 400, "BadRequest", "between 0 and 50 percent");
    let r = put(json!({ "green": 10, "red": 10 })).await;
    assert_error(&r, 400, "BadRequest", "at most one deployment");
    let r = put(json!({ "blue": 10 })).await;
    assert_error(&r, 400, "BadRequest", "receives live traffic");
    let r = put(json!({ "nosuch": 10 })).await;
    assert_error(&r, 400, "BadRequest", "nosuch");
    let r = put(json!({ "green": 50 })).await;
    assert_eq!(r.status, 201, "{}", r.text);
    app.wait(&r).await;
    assert_eq!(
        app.get(&app.ep_path("ep-cp3")).await.body["properties"]["mirrorTraffic"],
        json!({ "green": 50 })
    );
}

#[tokio::test]
async fn cp_4_deployment_with_traffic_cannot_be_deleted() {
    let app = TestApp::spawn().await;
    two_deployments(&app, "ep-cp4").await;
    app.set_traffic("ep-cp4", json!({ "blue": 100 })).await;
    let r = app.delete(&dep_path(&app, "ep-cp4", "blue")).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(
        r.message(),
        "Can't delete deployment [blue] with non-zero traffic weight"
    );
    assert_eq!(r.code(), "UserError");
    assert_eq!(app.get(&dep_path(&app, "ep-cp4", "blue")).await.status, 200);
    // Zero weight: deletable.
    delete_deployment(&app, "ep-cp4", "green").await;
    app.set_traffic("ep-cp4", json!({ "blue": 0 })).await;
    delete_deployment(&app, "ep-cp4", "blue").await;
}

#[tokio::test]
async fn cp_4_deleting_an_endpoint_deletes_its_deployments() {
    let app = TestApp::spawn().await;
    two_deployments(&app, "ep-cp4b").await;
    app.set_traffic("ep-cp4b", json!({ "blue": 100 })).await;
    let r = app.delete(&app.ep_path("ep-cp4b")).await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(app.wait(&r).await.body["status"], "Succeeded");
    assert_eq!(app.get(&app.ep_path("ep-cp4b")).await.status, 404);
    app.create_endpoint("ep-cp4b", json!({})).await;
    let list = app
        .get(&format!("{}/deployments", app.ep_path("ep-cp4b")))
        .await;
    assert_eq!(list.body["value"], json!([]), "{}", list.text);
}

#[tokio::test]
async fn cp_5_request_timeout_and_instance_count() {
    let app = TestApp::spawn().await;
    app.create_endpoint("ep-cp5", json!({})).await;
    let r = put_deployment(
        &app,
        "ep-cp5",
        "blue",
        json!({ "requestSettings": { "requestTimeout": "PT181S" } }),
        1,
    )
    .await;
    assert_error(&r, 400, "BadRequest", "at most 180 seconds");
    let ok = app
        .create_deployment(
            "ep-cp5",
            "blue",
            json!({ "requestSettings": { "requestTimeout": "PT3M" } }),
            1,
        )
        .await;
    assert_eq!(ok.body["status"], "Succeeded");
    for (capacity, fragment) in [(0, "between 1 and 50"), (51, "between 1 and 50")] {
        let r = put_deployment(&app, "ep-cp5", "green", json!({}), capacity).await;
        assert_error(&r, 400, "BadRequest", fragment);
        assert_eq!(r.body["error"]["target"], "sku.capacity");
    }
    let r = app
        .patch(
            &dep_path(&app, "ep-cp5", "blue"),
            json!({ "sku": { "capacity": 51 } }),
        )
        .await;
    assert_error(&r, 400, "BadRequest", "between 1 and 50");
}

#[tokio::test]
async fn cp_5_at_most_20_deployments_per_endpoint() {
    let app = TestApp::spawn().await;
    app.create_endpoint("ep-cp5b", json!({})).await;
    for i in 0..20 {
        let r = put_deployment(
            &app,
            "ep-cp5b",
            &format!("d{i:02}"),
            json!({ "instanceType": "Standard_DS1_v2" }),
            1,
        )
        .await;
        assert_eq!(r.status, 201, "{i}: {}", r.text);
    }
    let r = put_deployment(
        &app,
        "ep-cp5b",
        "d20",
        json!({ "instanceType": "Standard_DS1_v2" }),
        1,
    )
    .await;
    assert_error(&r, 400, "BadRequest", "at most 20");
    // Updating one of the 20 is fine.
    let r = put_deployment(
        &app,
        "ep-cp5b",
        "d00",
        json!({ "instanceType": "Standard_DS1_v2" }),
        2,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
}

#[tokio::test]
async fn cp_5_endpoint_quota_config() {
    let app = TestApp::spawn_with(|c| c.endpoint_quota = 2).await;
    app.create_endpoint("ep-q1", json!({})).await;
    app.create_endpoint("ep-q2", json!({})).await;
    let r = app
        .put(
            &app.ep_path("ep-q3"),
            json!({ "location": "eastus", "properties": { "authMode": "Key" } }),
        )
        .await;
    assert_error(&r, 400, "BadRequest", "limit of 2");
    // Another region has its own budget; updating an existing endpoint is not capped.
    let r = app
        .put(
            &app.ep_path("ep-q3"),
            json!({ "location": "westus", "properties": { "authMode": "Key" } }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = app
        .put(
            &app.ep_path("ep-q1"),
            json!({ "location": "eastus", "properties": { "authMode": "Key" } }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}

#[tokio::test]
async fn cp_6_no_deployment_while_endpoint_is_creating() {
    let app =
        TestApp::spawn_with(|c| c.provisioning_delay = std::time::Duration::from_secs(30)).await;
    let r = app
        .put(
            &app.ep_path("ep-cp6"),
            json!({ "location": "eastus", "properties": { "authMode": "Key" } }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = put_deployment(&app, "ep-cp6", "blue", json!({}), 1).await;
    let want = amlite::rules::cp_6_endpoint_state_allows_deployment(
        "ep-cp6",
        amlite::domain::ProvisioningState::Creating,
    )
    .expect_err("CP-6 refuses");
    assert_error(&r, 400, "BadRequest", &want.message);
    assert_eq!(r.message(), want.message);
}

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

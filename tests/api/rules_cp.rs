//! Control-plane validation rules CP-1 .. CP-6 (SPEC §5), proven over HTTPS (CP-7, CP-8 in
//! `rules_cp_7_8`).
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

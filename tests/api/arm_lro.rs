//! Long-running operations (SPEC §3): the headers each operation answers with, the monitor body,
//! `mfeOperationResults`, `--provisioning-delay`, and 409 while an operation is in flight.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use common::{Resp, TestApp};
use serde_json::json;

fn retry_after(r: &Resp) -> u64 {
    r.header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Recorded Azure (`test_online_endpoint_mir`, `test_online_endpoint_invoke`): every endpoint
/// or deployment PUT, create or update, is 201 with `Azure-AsyncOperation` and a `Location`
/// naming the resource.
fn assert_async_operation(r: &Resp, status: u16) {
    assert_eq!(r.status, status, "{}", r.text);
    let url = r
        .header("azure-asyncoperation")
        .expect("Azure-AsyncOperation");
    assert!(url.contains("/mfeOperationsStatus/"), "{url}");
    assert!(r.header("x-ms-async-operation-timeout").is_some());
    let location = r.header("location").expect("Location");
    let id = r.body["id"].as_str().unwrap();
    assert!(
        location.split('?').next().unwrap().ends_with(id),
        "{location}"
    );
}

fn assert_location(r: &Resp) {
    assert_eq!(r.status, 202, "{}", r.text);
    assert!(r.header("location").is_some(), "Location missing");
    assert!(retry_after(r) >= 1, "Retry-After must be an integer >= 1");
}

fn assert_monitor(body: &serde_json::Value) {
    for f in ["id", "name", "status", "startTime"] {
        assert!(body[f].is_string(), "{f} missing: {body}");
    }
    // As recorded (`mfeOperationsStatus` answers): `id` is the ARM path, `percentComplete` 100
    // once terminal, 0 before.
    assert!(
        body["id"].as_str().unwrap().starts_with("/subscriptions/"),
        "{body}"
    );
    if body["status"] != "InProgress" {
        assert!(body["endTime"].is_string(), "endTime missing: {body}");
        assert_eq!(body["percentComplete"], 100.0, "{body}");
    } else {
        assert_eq!(body["percentComplete"], 0.0, "{body}");
    }
}

/// Polls a monitor until terminal (bounded), returning every status seen.
async fn statuses(app: &TestApp, url: &str) -> Vec<String> {
    let mut seen = Vec::new();
    for _ in 0..500 {
        let r = app.get(url).await;
        assert_monitor(&r.body);
        let s = r.body["status"].as_str().unwrap().to_string();
        let done = s != "InProgress";
        seen.push(s);
        if done {
            return seen;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("operation never finished: {url}");
}

#[tokio::test]
async fn endpoint_and_deployment_put_answer_201_create_or_update_with_async_operation() {
    let app = TestApp::spawn().await;
    let body = json!({ "location": "eastus", "properties": { "authMode": "Key" } });
    let r = app.put(&app.ep_path("ep-lro"), body.clone()).await;
    assert_async_operation(&r, 201);
    assert_eq!(r.body["properties"]["provisioningState"], "Creating");
    assert_eq!(app.wait(&r).await.body["status"], "Succeeded");
    let r = app.put(&app.ep_path("ep-lro"), body).await;
    assert_async_operation(&r, 201);
    assert_eq!(r.body["properties"]["provisioningState"], "Updating");
    app.wait(&r).await;

    let done = app.create_deployment("ep-lro", "blue", json!({}), 1).await;
    assert_monitor(&done.body);
    let d = app
        .get(&format!("{}/deployments/blue", app.ep_path("ep-lro")))
        .await
        .body;
    let r = app
        .put(&format!("{}/deployments/blue", app.ep_path("ep-lro")), d)
        .await;
    assert_async_operation(&r, 201);
    app.wait(&r).await;
}

#[tokio::test]
async fn patch_delete_and_regenerate_answer_202_with_location_and_retry_after() {
    let app = TestApp::spawn().await;
    app.create_endpoint("ep-loc", json!({})).await;
    app.create_deployment("ep-loc", "blue", json!({}), 1).await;
    let dep = format!("{}/deployments/blue", app.ep_path("ep-loc"));
    for r in [
        app.patch(&app.ep_path("ep-loc"), json!({ "tags": { "x": "y" } }))
            .await,
        app.post(
            &format!("{}/regenerateKeys", app.ep_path("ep-loc")),
            Some(json!({ "keyType": "Primary" })),
        )
        .await,
        app.patch(&dep, json!({ "tags": { "x": "y" } })).await,
        app.delete(&dep).await,
        app.delete(&app.ep_path("ep-loc")).await,
    ] {
        assert_location(&r);
        // mfeOperationResults: 200 with the resource, or 204 once it is gone.
        let loc = r.header("location").unwrap();
        assert!(loc.contains("/mfeOperationResults/"), "{loc}");
        let mut last = 0;
        for _ in 0..200 {
            last = app.get(&loc).await.status;
            if last != 202 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(last == 200 || last == 204, "results status {last}");
    }
    let ws = format!("/subscriptions/{}/resourceGroups/{}/providers/Microsoft.MachineLearningServices/workspaces/ws-lro", app.sub, app.rg);
    let r = app.put(&ws, json!({ "location": "eastus" })).await;
    assert_location(&r);
    app.wait(&r).await;
    let r = app.delete(&ws).await;
    assert_location(&r);
    app.wait(&r).await;
}

#[tokio::test]
async fn provisioning_delay_shows_in_progress_then_succeeded() {
    let app =
        TestApp::spawn_with(|c| c.provisioning_delay = std::time::Duration::from_millis(300)).await;
    let r = app
        .put(
            &app.ep_path("ep-slow"),
            json!({ "location": "eastus", "properties": { "authMode": "Key" } }),
        )
        .await;
    assert_async_operation(&r, 201);
    let url = r.header("azure-asyncoperation").unwrap();
    let first = app.get(&url).await;
    assert_eq!(first.body["status"], "InProgress", "{}", first.text);
    assert!(first.body["endTime"].is_null());
    assert_eq!(
        app.get(&app.ep_path("ep-slow")).await.body["properties"]["provisioningState"],
        "Creating"
    );
    // The Location form answers 202 while running.
    let res = url.replace("mfeOperationsStatus", "mfeOperationResults");
    let rr = app.get(&res).await;
    assert_eq!(rr.status, 202, "{}", rr.text);
    assert!(retry_after(&rr) >= 1);
    // A second PUT while the create is in flight is refused.
    let again = app
        .put(
            &app.ep_path("ep-slow"),
            json!({ "location": "eastus", "properties": { "authMode": "Key" } }),
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.text);
    assert_eq!(again.code(), "Conflict");
    let seen = statuses(&app, &url).await;
    assert_eq!(
        seen.last().map(String::as_str),
        Some("Succeeded"),
        "{seen:?}"
    );
    assert_eq!(
        app.get(&app.ep_path("ep-slow")).await.body["properties"]["provisioningState"],
        "Succeeded"
    );
    assert_eq!(app.get(&res).await.status, 200);
}

#[tokio::test]
async fn deployment_put_while_in_flight_is_409() {
    let app =
        TestApp::spawn_with(|c| c.provisioning_delay = std::time::Duration::from_millis(300)).await;
    let r = app
        .put(
            &app.ep_path("ep-busy"),
            json!({ "location": "eastus", "properties": { "authMode": "Key" } }),
        )
        .await;
    app.wait(&r).await;
    let path = format!("{}/deployments/blue", app.ep_path("ep-busy"));
    let body = json!({ "location": "eastus", "sku": { "name": "Default", "capacity": 1 }, "properties": {
        "endpointComputeType": "Managed", "instanceType": "Standard_DS3_v2", "model": format!("{}/models/m/versions/1", app.ws_path()) } });
    let r = app.put(&path, body.clone()).await;
    assert_async_operation(&r, 201);
    // A deployment is `Updating` from its first PUT on (recorded Azure: every online deployment
    // PUT answer, `test_online_endpoint_mir_deployment_create`; SPEC §3 says `Creating`).
    assert_eq!(
        app.get(&path).await.body["properties"]["provisioningState"],
        "Updating"
    );
    assert_eq!(app.put(&path, body.clone()).await.status, 409);
    assert_eq!(app.wait(&r).await.body["status"], "Succeeded");
    assert_eq!(app.put(&path, body).await.status, 201);
}

#[tokio::test]
async fn unknown_operation_is_404_in_the_envelope() {
    let app = TestApp::spawn().await;
    let r = app.get(&format!("/subscriptions/{}/providers/Microsoft.MachineLearningServices/locations/eastus/mfeOperationsStatus/nope", app.sub)).await;
    assert_eq!(r.status, 404);
    assert!(r.body["error"]["code"].is_string());
}

/// An operation monitor is read-only: PUT, PATCH, POST and DELETE are 405 (they were answered as
/// polls, 200 with the status).
#[tokio::test]
async fn an_operation_monitor_answers_only_get() {
    let app = TestApp::spawn().await;
    let r = app
        .create_endpoint("monitored", serde_json::json!({}))
        .await;
    let url = r.header("azure-asyncoperation").expect("monitor URL");
    for method in [
        reqwest::Method::PUT,
        reqwest::Method::PATCH,
        reqwest::Method::POST,
        reqwest::Method::DELETE,
    ] {
        let r = app
            .send(method.clone(), &url, Some(&serde_json::json!({})))
            .await;
        assert_eq!(
            (r.status, r.code()),
            (405, "MethodNotAllowed"),
            "{method}: {}",
            r.text
        );
    }
    assert_eq!(app.get(&url).await.status, 200);
}

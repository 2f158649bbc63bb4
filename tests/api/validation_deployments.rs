//! Request validation of online deployment settings (SPEC §3): invalid `scaleSettings`, probes
//! and `requestSettings.maxQueueWait` are refused with a 400 `BadRequest` naming the property,
//! never stored and echoed (contract `ProbeSettings`, `TargetUtilizationScaleSettings`).
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use common::TestApp;
use serde_json::{json, Value};

fn deployment_body(app: &TestApp, extra: Value) -> Value {
    let mut props = json!({
        "endpointComputeType": "Managed", "instanceType": "Standard_DS3_v2",
        "model": format!("{}/models/m/versions/1", app.ws_path()),
        "codeConfiguration": { "scoringScript": "score.py" },
    });
    for (k, v) in extra.as_object().unwrap() {
        props[k] = v.clone();
    }
    json!({ "location": "eastus", "sku": { "name": "Default", "capacity": 1 }, "properties": props })
}

async fn assert_refused(app: &TestApp, name: &str, extra: Value, target: &str, needle: &str) {
    let path = format!("{}/deployments/{name}", app.ep_path("ep-v"));
    let r = app.put(&path, deployment_body(app, extra.clone())).await;
    assert_eq!(r.status, 400, "{extra}: {}", r.text);
    assert_eq!(r.code(), "BadRequest", "{}", r.text);
    assert_eq!(r.body["error"]["target"], target, "{}", r.text);
    assert!(r.message().contains(needle), "{needle} not in {}", r.text);
    assert_eq!(
        app.get(&path).await.status,
        404,
        "nothing stored for {extra}"
    );
}

#[tokio::test]
async fn invalid_scale_settings_are_refused() {
    let app = TestApp::spawn().await;
    app.create_endpoint("ep-v", json!({})).await;
    let t = "properties.scaleSettings";
    let cases = [
        (
            json!({ "scaleType": "Manual" }),
            format!("{t}.scaleType"),
            "'Default', 'TargetUtilization'",
        ),
        (
            json!({ "scaleType": 3 }),
            format!("{t}.scaleType"),
            "Allowed values",
        ),
        (
            json!({ "scaleType": "TargetUtilization", "minInstances": -1 }),
            format!("{t}.minInstances"),
            "-1",
        ),
        (
            json!({ "scaleType": "TargetUtilization", "maxInstances": 4_294_967_296_i64 }),
            format!("{t}.maxInstances"),
            "int32",
        ),
        (
            json!({ "scaleType": "TargetUtilization", "targetUtilizationPercentage": "70" }),
            format!("{t}.targetUtilizationPercentage"),
            "integer",
        ),
        (
            json!({ "scaleType": "TargetUtilization", "minInstances": 5, "maxInstances": 2 }),
            format!("{t}.minInstances"),
            "maxInstances",
        ),
        (
            json!({ "scaleType": "TargetUtilization", "pollingInterval": "1 second" }),
            format!("{t}.pollingInterval"),
            "ISO-8601",
        ),
        (
            json!({ "scaleType": "TargetUtilization", "pollingInterval": 5 }),
            format!("{t}.pollingInterval"),
            "ISO-8601",
        ),
    ];
    for (i, (ss, target, needle)) in cases.into_iter().enumerate() {
        let extra = json!({ "scaleSettings": ss });
        assert_refused(&app, &format!("dep{i}"), extra, &target, needle).await;
    }
}

#[tokio::test]
async fn invalid_probes_and_queue_wait_are_refused() {
    let app = TestApp::spawn().await;
    app.create_endpoint("ep-v", json!({})).await;
    let cases = [
        (
            json!({ "livenessProbe": { "failureThreshold": 0 } }),
            "properties.livenessProbe.failureThreshold",
        ),
        (
            json!({ "readinessProbe": { "successThreshold": "1" } }),
            "properties.readinessProbe.successThreshold",
        ),
        (
            json!({ "readinessProbe": { "successThreshold": 1.5 } }),
            "properties.readinessProbe.successThreshold",
        ),
        (
            json!({ "livenessProbe": { "timeout": "2s" } }),
            "properties.livenessProbe.timeout",
        ),
        (
            json!({ "livenessProbe": { "period": true } }),
            "properties.livenessProbe.period",
        ),
        (
            json!({ "readinessProbe": { "initialDelay": "P" } }),
            "properties.readinessProbe.initialDelay",
        ),
        (
            json!({ "requestSettings": { "maxQueueWait": "500ms" } }),
            "properties.requestSettings.maxQueueWait",
        ),
    ];
    for (i, (extra, target)) in cases.into_iter().enumerate() {
        assert_refused(&app, &format!("probe{i}"), extra, target, "is not valid").await;
    }
}

#[tokio::test]
async fn valid_settings_are_stored_in_azure_casing() {
    let app = TestApp::spawn().await;
    app.create_endpoint("ep-v", json!({})).await;
    let extra = json!({
        "scaleSettings": { "scaleType": "targetutilization", "minInstances": 1, "maxInstances": 3,
                           "targetUtilizationPercentage": 70, "pollingInterval": "PT1S" },
        "livenessProbe": { "failureThreshold": 3, "period": "PT5S", "initialDelay": null },
        "requestSettings": { "maxQueueWait": "PT0.5S" },
    });
    let done = app.create_deployment("ep-v", "okdep", extra, 1).await;
    assert_eq!(done.body["status"], "Succeeded", "{}", done.text);
    let r = app
        .get(&format!("{}/deployments/okdep", app.ep_path("ep-v")))
        .await;
    let p = &r.body["properties"];
    assert_eq!(
        p["scaleSettings"]["scaleType"], "TargetUtilization",
        "{}",
        r.text
    );
    assert_eq!(p["scaleSettings"]["maxInstances"], 3, "{}", r.text);
    assert_eq!(p["livenessProbe"]["failureThreshold"], 3, "{}", r.text);
    assert_eq!(p["livenessProbe"]["period"], "PT5S", "{}", r.text);
    assert_eq!(
        p["livenessProbe"]["timeout"], "PT2S",
        "default kept: {}",
        r.text
    );
    assert_eq!(p["requestSettings"]["maxQueueWait"], "PT0.5S", "{}", r.text);
}

//! Helpers shared by the `rules_*` HTTP tests (SPEC §5): fixture files with amlite-only resource
//! declarations, workspace PATCHes, raw deployment PUTs and private endpoint connection lists.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};

use crate::common::{Resp, TestApp};

/// The default fixture's subscription, resource group and workspace, with `extra` merged into
/// the workspace entry (e.g. `properties`, `associatedResources`, `externalStorageAccounts`).
pub fn fixture(extra: Value) -> Value {
    let d = amlite::fixtures::defaults();
    let mut ws = json!({ "name": d.workspace, "location": "eastus", "properties": { "publicNetworkAccess": "Enabled" } });
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        ws[k] = v;
    }
    json!({ "subscriptions": [{ "subscriptionId": d.subscription_id, "resourceGroups": [{
        "name": d.resource_group, "location": "eastus", "workspaces": [ws]
    }] }] })
}

/// A server whose default workspace carries `extra` (see [`fixture`]).
pub async fn spawn_with_workspace(extra: Value) -> TestApp {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), serde_json::to_vec(&fixture(extra)).unwrap()).unwrap();
    let path = file.into_temp_path().keep().unwrap();
    TestApp::spawn_with(move |c| c.fixtures = Some(path)).await
}

/// PATCHes the default workspace's `properties` and waits for the operation.
pub async fn patch_ws(app: &TestApp, props: Value) -> Resp {
    let r = app
        .patch(&app.ws_path(), json!({ "properties": props }))
        .await;
    if r.status == 202 {
        let done = app.wait(&r).await;
        assert_eq!(done.body["status"], "Succeeded", "{}", done.text);
    }
    r
}

/// Puts the default workspace into managed network `mode`; `provision` also runs
/// `POST W/provisionManagedNetwork` and waits for it.
pub async fn managed_ws(app: &TestApp, mode: &str, provision: bool) {
    let r = patch_ws(app, json!({ "managedNetwork": { "isolationMode": mode } })).await;
    assert_eq!(r.status, 202, "{}", r.text);
    if provision {
        let p = app
            .post(
                &format!("{}/provisionManagedNetwork", app.ws_path()),
                Some(json!({})),
            )
            .await;
        assert_eq!(p.status, 202, "{}", p.text);
        assert_eq!(app.wait(&p).await.body["status"], "Succeeded");
    }
}

/// The deployment body `create_deployment` sends, with `extra` merged into `properties`.
pub fn deployment_body(app: &TestApp, extra: Value, capacity: i64) -> Value {
    let ws = app.ws_path();
    let mut props = json!({
        "endpointComputeType": "Managed", "instanceType": "Standard_DS3_v2",
        "model": format!("{ws}/models/m/versions/1"),
        "codeConfiguration": { "codeId": format!("{ws}/codes/c/versions/1"), "scoringScript": "score.py" },
        "environmentId": format!("{ws}/environments/e/versions/1")
    });
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        props[k] = v;
    }
    json!({ "location": "eastus", "sku": { "name": "Default", "capacity": capacity }, "properties": props })
}

/// `{ep_path}/deployments/{d}`.
pub fn dep_path(app: &TestApp, ep: &str, d: &str) -> String {
    format!("{}/deployments/{d}", app.ep_path(ep))
}

/// A deployment PUT, not waited for (to assert request-time refusals).
pub async fn put_deployment(app: &TestApp, ep: &str, d: &str, extra: Value, capacity: i64) -> Resp {
    app.put(&dep_path(app, ep, d), deployment_body(app, extra, capacity))
        .await
}

/// Names of the private endpoint connections listed by `resource` (an ARM path).
pub async fn pec_names_on(app: &TestApp, resource: &str) -> Vec<String> {
    let r = app
        .get(&format!("{resource}/privateEndpointConnections"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut names: Vec<String> = r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

/// Names of the private endpoint connections of the default workspace and of its storage
/// account and container registry (ISO-14 puts one on each), sorted.
pub async fn pec_names(app: &TestApp) -> Vec<String> {
    let ws = app.get(&app.ws_path()).await;
    let mut names = pec_names_on(app, &app.ws_path()).await;
    for key in ["storageAccount", "containerRegistry"] {
        if let Some(id) = ws.body["properties"][key].as_str() {
            names.extend(pec_names_on(app, id).await);
        }
    }
    names.sort();
    names
}

/// Asserts an ARM error: status, code, and that the message contains `fragment`.
pub fn assert_error(r: &Resp, status: u16, code: &str, fragment: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.code(), code, "{}", r.text);
    assert!(
        r.message().contains(fragment),
        "message {:?} lacks {fragment:?}",
        r.message()
    );
}

/// Asserts a failed LRO monitor and the deployment's `provisioningState: Failed`.
pub async fn assert_provisioning_failed(
    app: &TestApp,
    ep: &str,
    d: &str,
    monitor: &Resp,
    code: &str,
    fragment: &str,
) {
    assert_eq!(monitor.body["status"], "Failed", "{}", monitor.text);
    assert_eq!(monitor.body["error"]["code"], code, "{}", monitor.text);
    let msg = monitor.body["error"]["message"].as_str().unwrap_or("");
    assert!(
        msg.contains(fragment),
        "monitor message {msg:?} lacks {fragment:?}"
    );
    let g = app.get(&dep_path(app, ep, d)).await;
    assert_eq!(g.status, 200, "{}", g.text);
    assert_eq!(
        g.body["properties"]["provisioningState"], "Failed",
        "{}",
        g.text
    );
}

/// Deletes a deployment, waits, and checks it is gone.
pub async fn delete_deployment(app: &TestApp, ep: &str, d: &str) {
    let r = app.delete(&dep_path(app, ep, d)).await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(app.wait(&r).await.body["status"], "Succeeded");
    assert_eq!(app.get(&dep_path(app, ep, d)).await.status, 404);
}

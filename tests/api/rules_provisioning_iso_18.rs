//! Provisioning-time isolation rules, continued from `rules_provisioning` (SPEC §5): ISO-18 ends a
//! deployment's LRO `Failed` (never a 500), ISO-19's matrix, and a failed deployment can be
//! deleted and releases what it took.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use crate::rules_common;
use crate::rules_provisioning::register_model;
use common::TestApp;
use rules_common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn iso_18_private_workspace_storage_fails_with_public_egress() {
    let app = spawn_with_workspace(json!({ "associatedResources": { "storageAccount": { "publicNetworkAccess": "Disabled" } } })).await;
    // Not echoed on the wire as a workspace property.
    let ws = app.get(&app.ws_path()).await;
    assert!(
        ws.body["properties"].get("associatedResources").is_none(),
        "{}",
        ws.text
    );
    app.create_endpoint("ep-iso18", json!({})).await;
    let monitor = app
        .create_deployment("ep-iso18", "blue", json!({}), 1)
        .await;
    assert_provisioning_failed(
        &app,
        "ep-iso18",
        "blue",
        &monitor,
        "BadArgument",
        "unable to download user model",
    )
    .await;
    assert!(
        monitor.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("public network access disabled"),
        "{}",
        monitor.text
    );
    delete_deployment(&app, "ep-iso18", "blue").await;
    // With private egress the same deployment reaches the storage through its private endpoint.
    let monitor = app
        .create_deployment(
            "ep-iso18",
            "blue",
            json!({ "egressPublicNetworkAccess": "Disabled" }),
            1,
        )
        .await;
    assert_eq!(monitor.body["status"], "Succeeded", "{}", monitor.text);
}

#[tokio::test]
async fn iso_18_private_registry_and_external_account_fail_with_public_egress() {
    let app = spawn_with_workspace(json!({
        "associatedResources": { "containerRegistry": { "publicNetworkAccess": "Disabled" } },
        "externalStorageAccounts": [{ "name": "privacct", "publicNetworkAccess": "Disabled" }, { "name": "pubacct" }]
    }))
    .await;
    let ws = app.get(&app.ws_path()).await;
    assert!(
        ws.body["properties"]["containerRegistry"]
            .as_str()
            .is_some_and(|r| r.ends_with("acr")),
        "{}",
        ws.text
    );
    app.create_endpoint("ep-iso18b", json!({})).await;
    let monitor = app
        .create_deployment("ep-iso18b", "blue", json!({}), 1)
        .await;
    assert_provisioning_failed(
        &app,
        "ep-iso18b",
        "blue",
        &monitor,
        "BadArgument",
        "unable to download user container image",
    )
    .await;
    // External accounts: a declared private one fails (image checked last, so the model fails
    // first), a public one is reachable with public egress.
    let fails = register_model(
        &app,
        "priv",
        "wasbs://models@privacct.blob.core.windows.net/m",
    )
    .await;
    let monitor = app
        .create_deployment(
            "ep-iso18b",
            "green",
            json!({ "model": fails, "environmentId": Value::Null }),
            1,
        )
        .await;
    assert_provisioning_failed(
        &app,
        "ep-iso18b",
        "green",
        &monitor,
        "BadArgument",
        "unable to download user model",
    )
    .await;
    let public = register_model(
        &app,
        "pub",
        "https://pubacct.blob.core.windows.net/models/m",
    )
    .await;
    let body = deployment_body(&app, json!({ "model": public }), 1);
    let mut body = body;
    body["properties"]
        .as_object_mut()
        .unwrap()
        .remove("environmentId");
    let r = app.put(&dep_path(&app, "ep-iso18b", "red"), body).await;
    assert_eq!(app.wait(&r).await.body["status"], "Succeeded");
}

/// ISO-19: inbound (endpoint PNA) × outbound (deployment egress) × workspace PNA. Every
/// combination provisions except public egress in a private workspace (ISO-16); the inbound flag
/// then decides who may score.
#[tokio::test]
async fn iso_19_inbound_outbound_workspace_matrix() {
    for ws_pna in ["Enabled", "Disabled"] {
        let app = TestApp::spawn().await;
        patch_ws(&app, json!({ "publicNetworkAccess": ws_pna })).await;
        for (i, inbound) in ["Enabled", "Disabled"].into_iter().enumerate() {
            for (j, outbound) in ["Enabled", "Disabled"].into_iter().enumerate() {
                let ep = format!("ep-m{i}{j}");
                app.create_endpoint(&ep, json!({ "publicNetworkAccess": inbound }))
                    .await;
                let monitor = app
                    .create_deployment(
                        &ep,
                        "blue",
                        json!({ "egressPublicNetworkAccess": outbound }),
                        1,
                    )
                    .await;
                let want_ok = !(outbound == "Enabled" && ws_pna == "Disabled");
                let case = format!(
                    "workspace {ws_pna}, inbound {inbound}, outbound {outbound}: {}",
                    monitor.text
                );
                if !want_ok {
                    assert_provisioning_failed(&app, &ep, "blue", &monitor, "UserError", "ISO-16")
                        .await;
                    continue;
                }
                assert_eq!(monitor.body["status"], "Succeeded", "{case}");
                app.set_traffic(&ep, json!({ "blue": 100 })).await;
                let key = app.primary_key(&ep).await;
                let s = app.score(&ep, Some(&key), &[], json!({ "x": 1 })).await;
                let want_status = if inbound == "Enabled" { 200 } else { 403 };
                assert_eq!(s.status, want_status, "{case} score: {}", s.text);
            }
        }
    }
}

#[tokio::test]
async fn iso_16_failed_deployment_is_deletable_and_never_a_500() {
    let app = TestApp::spawn().await;
    patch_ws(&app, json!({ "publicNetworkAccess": "Disabled" })).await;
    app.create_endpoint("ep-fail", json!({})).await;
    let monitor = app.create_deployment("ep-fail", "blue", json!({}), 1).await;
    assert_eq!(monitor.body["status"], "Failed");
    // The endpoint and lists still answer; traffic cannot point at nothing else, so the failed
    // deployment can be put in traffic only if it exists (it does) and deleted once out of it.
    let list = app
        .get(&format!("{}/deployments", app.ep_path("ep-fail")))
        .await;
    assert_eq!(list.status, 200);
    assert_eq!(
        list.body["value"][0]["properties"]["provisioningState"],
        "Failed"
    );
    let logs = app
        .post(
            &format!("{}/getLogs", dep_path(&app, "ep-fail", "blue")),
            Some(json!({})),
        )
        .await;
    assert_eq!(logs.status, 200, "{}", logs.text);
    assert!(
        logs.body["content"].as_str().unwrap().contains("ISO-16")
            || logs.body["content"].as_str().unwrap().contains("failed"),
        "{}",
        logs.text
    );
    delete_deployment(&app, "ep-fail", "blue").await;
    let r = app.delete(&app.ep_path("ep-fail")).await;
    assert_eq!(app.wait(&r).await.body["status"], "Succeeded");
}

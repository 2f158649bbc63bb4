//! Provisioning-time isolation rules (SPEC §5): ISO-16, ISO-17, ISO-18 end a deployment's LRO
//! `Failed` with the error in the monitor and `provisioningState: Failed` (never a 500), and a
//! failed deployment can be deleted and releases what it took; ISO-19's matrix.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use crate::rules_common;

use common::TestApp;
use rules_common::*;
use serde_json::{json, Value};

/// Registers model `name` version 1 whose files live at `uri`; returns its ARM id.
async fn register_model(app: &TestApp, name: &str, uri: &str) -> String {
    let id = format!("{}/models/{name}/versions/1", app.ws_path());
    let r = app
        .put(
            &id,
            json!({ "properties": { "modelUri": uri, "modelType": "custom_model" } }),
        )
        .await;
    assert!(r.status == 200 || r.status == 201, "{}", r.text);
    id
}

#[tokio::test]
async fn iso_16_public_egress_in_private_workspace_fails_provisioning() {
    let app = TestApp::spawn_with(|c| c.core_quota = 8).await;
    patch_ws(&app, json!({ "publicNetworkAccess": "Disabled" })).await;
    app.create_endpoint("ep-iso16", json!({})).await;
    let r = put_deployment(&app, "ep-iso16", "blue", json!({}), 1).await;
    assert_eq!(r.status, 201, "the PUT is accepted: {}", r.text);
    let monitor = app.wait(&r).await;
    assert_provisioning_failed(
        &app,
        "ep-iso16",
        "blue",
        &monitor,
        "UserError",
        "Allow public network access on the workspace",
    )
    .await;
    // The failed deployment holds no quota: with a budget of 8 cores (one DS3_v2 instance) an
    // egress-disabled deployment still fits, and it succeeds (ISO-16 does not apply to it).
    let ok = app
        .create_deployment(
            "ep-iso16",
            "green",
            json!({ "egressPublicNetworkAccess": "Disabled" }),
            1,
        )
        .await;
    assert_eq!(ok.body["status"], "Succeeded", "{}", ok.text);
    delete_deployment(&app, "ep-iso16", "blue").await;
    // Workspace public again: egress-enabled deployments provision.
    patch_ws(&app, json!({ "publicNetworkAccess": "Enabled" })).await;
    delete_deployment(&app, "ep-iso16", "green").await;
    let ok = app
        .create_deployment("ep-iso16", "blue", json!({}), 1)
        .await;
    assert_eq!(ok.body["status"], "Succeeded", "{}", ok.text);
}

#[tokio::test]
async fn iso_17_model_in_another_storage_account_fails_with_private_egress() {
    let app = TestApp::spawn().await;
    app.create_endpoint("ep-iso17", json!({})).await;
    let external = register_model(
        &app,
        "ext",
        "https://otheracct.blob.core.windows.net/models/ext/model.pkl",
    )
    .await;
    let monitor = app
        .create_deployment(
            "ep-iso17",
            "blue",
            json!({ "egressPublicNetworkAccess": "Disabled", "model": external }),
            1,
        )
        .await;
    assert_provisioning_failed(
        &app,
        "ep-iso17",
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
            .contains("otheracct"),
        "{}",
        monitor.text
    );
    assert!(
        pec_names(&app).await.is_empty(),
        "a failed deployment leaves no connections"
    );
    delete_deployment(&app, "ep-iso17", "blue").await;
    // Through a datastore whose accountName is another account, in `azureml:name:version` form.
    let ds = json!({ "properties": { "datastoreType": "AzureBlob", "accountName": "otheracct", "containerName": "models", "endpoint": "core.windows.net", "protocol": "https", "credentials": { "credentialsType": "None" } } });
    assert_eq!(
        app.put(&format!("{}/datastores/otherds", app.ws_path()), ds)
            .await
            .status,
        200
    );
    let uri = format!(
        "azureml://subscriptions/{}/resourcegroups/{}/workspaces/{}/datastores/otherds/paths/m2",
        app.sub, app.rg, app.ws
    );
    register_model(&app, "viads", &uri).await;
    let monitor = app
        .create_deployment(
            "ep-iso17",
            "green",
            json!({ "egressPublicNetworkAccess": "Disabled", "model": "azureml:viads:1" }),
            1,
        )
        .await;
    assert_provisioning_failed(
        &app,
        "ep-iso17",
        "green",
        &monitor,
        "BadArgument",
        "unable to download user model",
    )
    .await;
    // The same model with public egress provisions (ISO-17 is about private egress only).
    let monitor = app
        .create_deployment("ep-iso17", "red", json!({ "model": external }), 1)
        .await;
    assert_eq!(monitor.body["status"], "Succeeded", "{}", monitor.text);
    // A model in the workspace's own storage provisions with private egress (+ ISO-14's 3 PECs).
    let uri = format!("azureml://subscriptions/{}/resourcegroups/{}/workspaces/{}/datastores/workspaceblobstore/paths/LocalUpload/m", app.sub, app.rg, app.ws);
    let inside = register_model(&app, "inside", &uri).await;
    let monitor = app
        .create_deployment(
            "ep-iso17",
            "blue",
            json!({ "egressPublicNetworkAccess": "Disabled", "model": inside }),
            1,
        )
        .await;
    assert_eq!(monitor.body["status"], "Succeeded", "{}", monitor.text);
    assert_eq!(pec_names(&app).await.len(), 3);
}

#[tokio::test]
async fn iso_17_registry_model_fails_with_private_egress() {
    let app = TestApp::spawn().await;
    app.create_endpoint("ep-iso17r", json!({})).await;
    let model = "azureml://registries/azureml/models/phi/versions/1";
    let monitor = app
        .create_deployment(
            "ep-iso17r",
            "blue",
            json!({ "egressPublicNetworkAccess": "Disabled", "model": model }),
            1,
        )
        .await;
    assert_provisioning_failed(
        &app,
        "ep-iso17r",
        "blue",
        &monitor,
        "BadArgument",
        "unable to download user model",
    )
    .await;
}

/// Registers environment `name` version 1 with `props`; returns its ARM id.
async fn register_environment(app: &TestApp, name: &str, props: Value) -> String {
    let id = format!("{}/environments/{name}/versions/1", app.ws_path());
    let r = app.put(&id, json!({ "properties": props })).await;
    assert!(r.status == 200 || r.status == 201, "{}", r.text);
    id
}

/// ISO-17 for the environment's image (issue 11): with private egress a deployment pulls only
/// from the workspace's container registry or Microsoft's; an image-only environment on Docker
/// Hub fails provisioning with Azure's "Unable to download user container image" reason.
#[tokio::test]
async fn iso_17_docker_hub_image_fails_with_private_egress() {
    use amlite::rules::{self, ArtifactKind, ArtifactLocation, PublicNetworkAccess};
    let app = TestApp::spawn().await;
    app.create_endpoint("ep-iso17i", json!({})).await;
    let private =
        |env: &str| json!({ "egressPublicNetworkAccess": "Disabled", "environmentId": env });
    let hub = register_environment(&app, "hub", json!({ "image": "python:3.11-slim" })).await;
    let monitor = app
        .create_deployment("ep-iso17i", "blue", private(&hub), 1)
        .await;
    let want = rules::iso_17_private_egress_artifacts(
        PublicNetworkAccess::Disabled,
        false,
        &[ArtifactLocation {
            kind: ArtifactKind::Image,
            resource_id_or_host: "docker.io/library/python:3.11-slim".into(),
            in_workspace_storage_or_registry: false,
            resource_public_network_access: PublicNetworkAccess::Enabled,
        }],
    )
    .unwrap_err();
    assert_eq!(want.status, 400);
    assert_provisioning_failed(
        &app,
        "ep-iso17i",
        "blue",
        &monitor,
        want.code,
        &want.message,
    )
    .await;
    assert_eq!(monitor.body["error"]["message"], want.message.as_str());
    assert!(
        pec_names(&app).await.is_empty(),
        "a failed deployment leaves no connections"
    );
    delete_deployment(&app, "ep-iso17i", "blue").await;
    // Public egress pulls it from Docker Hub.
    let monitor = app
        .create_deployment("ep-iso17i", "blue", json!({ "environmentId": hub }), 1)
        .await;
    assert_eq!(monitor.body["status"], "Succeeded", "{}", monitor.text);
    // Reachable with private egress: the workspace's registry (as the workspace shows it),
    // Microsoft's, a curated environment, and an environment Azure builds (conda file on a Docker
    // Hub base image: the built image is pushed to the workspace's registry).
    let ws = app.get(&app.ws_path()).await;
    let acr = ws.body["properties"]["containerRegistry"]
        .as_str()
        .and_then(|id| id.rsplit('/').next())
        .expect("the workspace shows a container registry")
        .to_string();
    let reachable = [
        register_environment(
            &app,
            "own",
            json!({ "image": format!("{acr}.azurecr.io/azureml/img:1") }),
        )
        .await,
        register_environment(
            &app,
            "mcr",
            json!({ "image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest" }),
        )
        .await,
        "azureml://registries/azureml/environments/sklearn-1.5/versions/1".to_string(),
        register_environment(
            &app,
            "conda",
            json!({ "image": "python:3.11-slim", "condaFile": "dependencies: [python=3.11]" }),
        )
        .await,
    ];
    for (i, env) in reachable.iter().enumerate() {
        let d = format!("ok-{i}");
        let monitor = app
            .create_deployment("ep-iso17i", &d, private(env), 1)
            .await;
        assert_eq!(
            monitor.body["status"], "Succeeded",
            "{env}: {}",
            monitor.text
        );
        delete_deployment(&app, "ep-iso17i", &d).await;
    }
    // Another Azure registry is outside the workspace too.
    let other = register_environment(
        &app,
        "other",
        json!({ "image": "otheracr.azurecr.io/img:1" }),
    )
    .await;
    let monitor = app
        .create_deployment("ep-iso17i", "red", private(&other), 1)
        .await;
    assert_provisioning_failed(
        &app,
        "ep-iso17i",
        "red",
        &monitor,
        "BadArgument",
        "'otheracr.azurecr.io/img:1'",
    )
    .await;
}

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

//! Provisioning-time isolation rules (SPEC §5): ISO-16, ISO-17, ISO-18 end a deployment's LRO
//! `Failed` with the error in the monitor and `provisioningState: Failed` (never a 500), and a
//! failed deployment can be deleted and releases what it took; ISO-19's matrix.
//! (Split for length: the later tests are in `rules_provisioning_iso_18`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use crate::rules_common;

use common::TestApp;
use rules_common::*;
use serde_json::{json, Value};

/// Registers model `name` version 1 whose files live at `uri`; returns its ARM id.
pub(crate) async fn register_model(app: &TestApp, name: &str, uri: &str) -> String {
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
    assert_eq!(want.status.code(), 400);
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

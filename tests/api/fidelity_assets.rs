//! Workspace assets and datastores as the az ml recordings answer them (issue 15).
use crate::common::TestApp;
use serde_json::{json, Value};

/// `test_online_deployment_get_logs` (every `workspaceblobstore` GET recorded): Azure ML created
/// the default datastore (`systemData` by an `Application`) and reaches it with the workspace's
/// identity.
#[tokio::test]
async fn default_datastore_is_created_by_the_service() {
    let app = TestApp::spawn().await;
    let r = app
        .get(&format!("{}/datastores/workspaceblobstore", app.ws_path()))
        .await;
    assert_eq!(
        r.body["properties"]["serviceDataAccessAuthIdentity"], "WorkspaceSystemAssignedIdentity",
        "{}",
        r.text
    );
    assert_eq!(r.body["systemData"]["createdByType"], "Application");
    assert_eq!(r.body["systemData"]["lastModifiedByType"], "Application");
    assert_eq!(
        r.body["systemData"]["createdBy"],
        amlite::arm::wire::SERVICE_APPLICATION_ID
    );
}

/// `test_online_endpoint_datastore_uri`: `workspaceartifactstore` exists with every workspace
/// (blob container `azureml`, not the default, account-key access), is listed, and cannot be
/// deleted.
#[tokio::test]
async fn the_artifact_datastore_exists_with_every_workspace() {
    let app = TestApp::spawn().await;
    let path = format!("{}/datastores/workspaceartifactstore", app.ws_path());
    let r = app.get(&path).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["name"], "workspaceartifactstore");
    assert_eq!(r.body["properties"]["containerName"], "azureml");
    assert_eq!(r.body["properties"]["isDefault"], false);
    assert_eq!(r.body["properties"]["datastoreType"], "AzureBlob");
    assert_eq!(
        r.body["properties"]["serviceDataAccessAuthIdentity"],
        "None"
    );
    assert_eq!(r.body["systemData"]["createdByType"], "Application");
    let list = app.get(&format!("{}/datastores", app.ws_path())).await;
    let names: Vec<_> = list.body["value"]
        .as_array()
        .map(|v| v.iter().filter_map(|d| d["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        names,
        ["workspaceblobstore", "workspaceartifactstore"],
        "{}",
        list.text
    );
    let default_only = app
        .get(&format!("{}/datastores?isDefault=true", app.ws_path()))
        .await;
    assert_eq!(default_only.body["value"].as_array().map(Vec::len), Some(1));
    let del = app.delete(&path).await;
    let want = amlite::arm::errors::system_datastore_undeletable("workspaceartifactstore");
    assert_eq!(del.status, 400, "{}", del.text);
    assert_eq!(del.message(), want.message);
}

/// `test_online_deployment_update_overwriting_field_using_set`: the CLI re-PUTs
/// `CliV2AnonymousEnvironment` with `isAnonymous: false`; Azure keeps the version anonymous.
#[tokio::test]
async fn an_environment_version_stays_as_anonymous_as_it_was_created() {
    let app = TestApp::spawn().await;
    let env = format!(
        "{}/environments/CliV2AnonymousEnvironment/versions/1",
        app.ws_path()
    );
    let body = |anonymous: bool| {
        json!({ "properties": { "isAnonymous": anonymous,
            "image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest" } })
    };
    let first = app.put(&env, body(true)).await;
    assert_eq!(
        first.body["properties"]["isAnonymous"], true,
        "{}",
        first.text
    );
    let again = app.put(&env, body(false)).await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(again.body["properties"]["isAnonymous"], true);
    let read = app.get(&env).await;
    assert_eq!(read.body["properties"]["isAnonymous"], true);
}

/// `test_online_endpoint_update` (and every cassette that registers an environment): Azure stores
/// a conda file as sorted, two-space JSON and answers it so on the PUT and every read; amlite's
/// python runtime still reads its pip dependencies from that form.
#[tokio::test]
async fn an_environment_conda_file_is_answered_as_azures_sorted_json() {
    let app = TestApp::spawn().await;
    let path = format!("{}/environments/mir-env/versions/3", app.ws_path());
    let sent = "name: model-env\nchannels:\n- conda-forge\ndependencies:\n- python=3.6.1\n- pip:\n  - azureml-defaults==1.33.0\n";
    let azure = "{\n  \"channels\": [\n    \"conda-forge\"\n  ],\n  \"dependencies\": [\n    \"python=3.6.1\",\n    {\n      \"pip\": [\n        \"azureml-defaults==1.33.0\"\n      ]\n    }\n  ],\n  \"name\": \"model-env\"\n}";
    let put = app
        .put(&path, json!({ "properties": { "condaFile": sent, "image": "mcr.microsoft.com/azureml/openmpi3.1.2-ubuntu18.04:20210727.v1" } }))
        .await;
    assert_eq!(put.status, 201, "{}", put.text);
    assert_eq!(put.body["properties"]["condaFile"], azure);
    let get = app.get(&path).await;
    assert_eq!(get.body["properties"]["condaFile"], azure);
    let deps = amlite::runtime::conda::parse(azure).unwrap();
    assert_eq!(deps.pip, ["azureml-defaults==1.33.0"]);
}

#[tokio::test]
async fn asset_versions_get_a_stage_from_2023_04_01_preview() {
    let app = TestApp::spawn().await;
    let image = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest";
    for (api, env_stage, rebuild, model_stage) in [
        (
            "2023-04-01-preview",
            json!("Logged"),
            json!("Disabled"),
            json!("Development"),
        ),
        (
            "2024-04-01",
            json!("Logged"),
            json!("Disabled"),
            json!("Development"),
        ),
        ("2022-05-01", Value::Null, Value::Null, Value::Null),
    ] {
        let env = format!(
            "{}/environments/staged-{api}/versions/1?api-version={api}",
            app.ws_path()
        );
        let r = app.put(&env, json!({"properties": {"image": image}})).await;
        assert_eq!(r.status, 201, "{api}: {}", r.text);
        assert_eq!(
            (
                &r.body["properties"]["stage"],
                &r.body["properties"]["autoRebuild"]
            ),
            (&env_stage, &rebuild),
            "{api}"
        );
        let model = format!(
            "{}/models/staged-{api}/versions/1?api-version={api}",
            app.ws_path()
        );
        let r = app
            .put(&model, json!({"properties": {"modelUri": "azureml://datastores/workspaceblobstore/paths/m/"}}))
            .await;
        assert!(r.status < 300, "{api}: {}", r.text);
        assert_eq!(r.body["properties"]["stage"], model_stage, "{api}");
    }
}

#[tokio::test]
async fn a_model_from_a_job_or_run_names_the_jobs_artifact_folder() {
    // Recorded: test_online_endpoint_job_uri, test_online_endpoint_runs_uri (201, the datastore
    // URI of the job's artifacts and `jobName`).
    let app = TestApp::spawn().await;
    for (n, uri) in [
        (
            1,
            "azureml://jobs/neat_oregano_fzsg37dy2y/outputs/artifacts/paths/model/",
        ),
        (2, "runs:/neat_oregano_fzsg37dy2y/model/"),
    ] {
        let path = format!(
            "{}/models/job-model/versions/{n}?api-version=2023-04-01-preview",
            app.ws_path()
        );
        let r = app
            .put(&path, json!({"properties": {"modelUri": uri}}))
            .await;
        assert_eq!(r.status, 201, "{uri}: {}", r.text);
        let expected = format!(
            "azureml://subscriptions/{}/resourceGroups/{}/workspaces/{}/datastores/workspaceartifactstore/paths/ExperimentRun/dcid.neat_oregano_fzsg37dy2y/model",
            app.sub, app.rg, app.ws
        );
        assert_eq!(r.body["properties"]["modelUri"], json!(expected), "{uri}");
        assert_eq!(r.body["properties"]["jobName"], "neat_oregano_fzsg37dy2y");
        let again = app.get(&path).await;
        assert_eq!(again.body["properties"]["modelUri"], json!(expected));
    }
}

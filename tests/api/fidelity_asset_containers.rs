//! Asset containers are stored: a container PUT (the SDK's `models.archive()` and
//! `restore()`, recorded in `test_model` and `test_environment`) keeps its description, tags
//! and `isArchived`, lists honour `listViewType`, and a container DELETE deletes.
use crate::common::{Resp, TestApp};
use serde_json::json;

fn names(r: &Resp) -> Vec<String> {
    r.body["value"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(|d| d["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

async fn model_version(app: &TestApp, name: &str, version: &str) {
    let path = format!("{}/models/{name}/versions/{version}", app.ws_path());
    let r = app
        .put(
            &path,
            json!({ "properties": { "modelUri": "azureml://x/y" } }),
        )
        .await;
    assert!(r.status == 200 || r.status == 201, "{}", r.text);
}

/// `test_model`: the SDK's `models.archive(name)` GETs the container and PUTs it back with
/// `isArchived: true`; Azure answers 200 with the container archived, and hides it (and its
/// versions) from active lists until `restore()` PUTs `false`.
#[tokio::test]
async fn an_archived_model_container_is_stored_and_hidden_from_active_lists() {
    let app = TestApp::spawn().await;
    model_version(&app, "m1", "1").await;
    model_version(&app, "m2", "1").await;
    let c = format!("{}/models/m1", app.ws_path());
    let archive = json!({ "properties": { "description": "kept", "tags": { "team": "a" },
        "properties": {}, "isArchived": true } });
    let put = app.put(&c, archive).await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.body["properties"]["isArchived"], true);
    assert_eq!(put.body["properties"]["latestVersion"], "1");
    let got = app.get(&c).await;
    assert_eq!(got.body["properties"]["isArchived"], true, "{}", got.text);
    assert_eq!(got.body["properties"]["description"], "kept");
    assert_eq!(got.body["properties"]["tags"], json!({ "team": "a" }));
    assert_eq!(got.body["properties"]["nextVersion"], "2");
    assert!(
        got.body["systemData"]["createdAt"].is_string(),
        "{}",
        got.text
    );

    let list = |view: &str| format!("{}/models?listViewType={view}", app.ws_path());
    assert_eq!(names(&app.get(&list("ActiveOnly")).await), ["m2"]);
    assert_eq!(
        names(&app.get(&format!("{}/models", app.ws_path())).await),
        ["m2"]
    );
    assert_eq!(names(&app.get(&list("ArchivedOnly")).await), ["m1"]);
    assert_eq!(names(&app.get(&list("all")).await), ["m1", "m2"]);
    let versions = |view: &str| format!("{c}/versions?listViewType={view}");
    assert!(names(&app.get(&versions("ActiveOnly")).await).is_empty());
    assert_eq!(names(&app.get(&versions("All")).await), ["1"]);

    let restore = json!({ "properties": { "properties": {}, "tags": {}, "isArchived": false } });
    let put = app.put(&c, restore).await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(names(&app.get(&list("ActiveOnly")).await), ["m1", "m2"]);
    let got = app.get(&c).await;
    assert_eq!(got.body["properties"]["isArchived"], false);
    assert_eq!(got.body["properties"]["tags"], json!({}));
}

/// An archived version is hidden from active version lists; its container stays active.
#[tokio::test]
async fn an_archived_version_is_hidden_from_active_version_lists() {
    let app = TestApp::spawn().await;
    model_version(&app, "m", "1").await;
    let v2 = format!("{}/models/m/versions/2", app.ws_path());
    let r = app
        .put(
            &v2,
            json!({ "properties": { "modelUri": "azureml://x/y", "isArchived": true } }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let versions = format!("{}/models/m/versions", app.ws_path());
    assert_eq!(names(&app.get(&versions).await), ["1"]);
    assert_eq!(
        names(
            &app.get(&format!("{versions}?listViewType=ArchivedOnly"))
                .await
        ),
        ["2"]
    );
    assert_eq!(
        names(&app.get(&format!("{}/models", app.ws_path())).await),
        ["m"]
    );
}

/// `test_environment`: an environment container PUT answers 201 with `Location`, also for a
/// container that exists.
#[tokio::test]
async fn an_environment_container_put_is_a_201() {
    let app = TestApp::spawn().await;
    let v1 = format!("{}/environments/e/versions/1", app.ws_path());
    let image = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest";
    let r = app
        .put(&v1, json!({ "properties": { "image": image } }))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let c = format!("{}/environments/e", app.ws_path());
    let body = json!({ "properties": { "description": "", "properties": {}, "tags": {},
        "isArchived": true } });
    let put = app.put(&c, body).await;
    assert_eq!(put.status, 201, "{}", put.text);
    assert!(put.header("location").is_some());
    assert_eq!(put.body["properties"]["description"], "");
    assert_eq!(app.get(&c).await.body["properties"]["isArchived"], true);
}

/// A container PUT before any version creates it (201), with no latest version.
#[tokio::test]
async fn a_container_put_before_any_version_creates_it() {
    let app = TestApp::spawn().await;
    let c = format!("{}/codes/c1", app.ws_path());
    let missing = app.get(&c).await;
    assert_eq!(missing.status, 404, "{}", missing.text);
    let put = app
        .put(&c, json!({ "properties": { "description": "d" } }))
        .await;
    assert_eq!(put.status, 201, "{}", put.text);
    let got = app.get(&c).await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(
        got.body["properties"]["latestVersion"],
        serde_json::Value::Null
    );
    assert_eq!(got.body["properties"]["nextVersion"], "1");
    assert_eq!(got.body["properties"]["description"], "d");
    assert_eq!(
        names(&app.get(&format!("{}/codes", app.ws_path())).await),
        ["c1"]
    );
    let bad = app
        .put(&c, json!({ "properties": { "isArchived": "yes" } }))
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert_eq!(app.get(&c).await.body["properties"]["description"], "d");
}

/// A container DELETE deletes the container and its versions (it answered 200 and kept both);
/// a second DELETE is a 204.
#[tokio::test]
async fn deleting_a_container_deletes_its_versions() {
    let app = TestApp::spawn().await;
    model_version(&app, "gone", "1").await;
    let c = format!("{}/models/gone", app.ws_path());
    assert_eq!(app.put(&c, json!({ "properties": {} })).await.status, 200);
    let del = app.delete(&c).await;
    assert_eq!(del.status, 200, "{}", del.text);
    assert_eq!(app.get(&c).await.status, 404);
    assert_eq!(app.get(&format!("{c}/versions/1")).await.status, 404);
    assert!(names(
        &app.get(&format!("{}/models?listViewType=All", app.ws_path()))
            .await
    )
    .is_empty());
    assert_eq!(app.delete(&c).await.status, 204);
}

/// Versions of two containers created in turn list each container once (a list deduplicated
/// only neighbours, so `a, b, a` named `a` twice).
#[tokio::test]
async fn a_container_list_names_each_container_once() {
    let app = TestApp::spawn().await;
    model_version(&app, "a", "1").await;
    model_version(&app, "b", "1").await;
    model_version(&app, "A", "2").await;
    assert_eq!(
        names(&app.get(&format!("{}/models", app.ws_path())).await),
        ["a", "b"]
    );
    let bad = app
        .get(&format!("{}/models?listViewType=Hidden", app.ws_path()))
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    let want = amlite::arm::errors::property_not_allowed(
        "listViewType",
        "'Hidden'",
        "'ActiveOnly', 'ArchivedOnly', 'All'",
    );
    assert_eq!(bad.message(), want.message);
}

/// A container implied by its versions is named as its first version named it, whatever the
/// request's casing (SPEC §3); a version DELETE of nothing is a 204.
#[tokio::test]
async fn an_implied_container_keeps_its_casing_and_a_missing_version_delete_is_204() {
    let app = TestApp::spawn().await;
    model_version(&app, "Imp2", "1").await;
    let got = app.get(&format!("{}/models/IMP2", app.ws_path())).await;
    assert_eq!(got.body["name"], "Imp2", "{}", got.text);
    let v = format!("{}/models/Imp2/versions/1", app.ws_path());
    assert_eq!(app.delete(&v).await.status, 200);
    assert_eq!(app.delete(&v).await.status, 204);
}

/// The `AssetBase` fields of every version are type-checked: a model or code version with
/// `isArchived: "yes"` was a 201 that dropped the field.
#[tokio::test]
async fn a_wrongly_typed_asset_base_field_is_a_400_for_every_collection() {
    let app = TestApp::spawn().await;
    for (coll, body) in [
        (
            "models",
            json!({ "properties": { "modelUri": "azureml://x/y", "isArchived": "yes" } }),
        ),
        (
            "codes",
            json!({ "properties": { "codeUri": "https://x/y", "isArchived": 1 } }),
        ),
        (
            "models",
            json!({ "properties": { "modelUri": "azureml://x/y", "tags": { "a": [1] } } }),
        ),
    ] {
        let path = format!("{}/{coll}/typed/versions/1", app.ws_path());
        let r = app.put(&path, body).await;
        assert_eq!(r.status, 400, "{coll}: {}", r.text);
        assert_eq!(app.get(&path).await.status, 404);
    }
}

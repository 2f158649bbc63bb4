//! Security, file-system class (issue 9): a user-supplied path never names a file outside the
//! deployment's folder, and names that are not UTF-8 are refused instead of decoded lossily.
//! - `codeConfiguration.scoringScript` (and the inference server's path variables in
//!   `environmentVariables`) must be relative paths inside the code: absolute, `..`, backslash
//!   and drive forms are 400 at PUT; `code/score.py` and `./main.py` stay accepted.
//! - Blob names, blob query values and scoring paths that are not UTF-8 once percent-decoded
//!   are 400 (`InvalidUri` XML for Blob Storage, the ARM envelope elsewhere), so `a%ff` and
//!   `a%fe` can no longer both become the same blob `a\u{fffd}`.
//! - The database files (endpoint keys, blobs) are readable by their owner only.
//!
//! Symlink escapes during materialisation are covered by `runtime::materialize` unit tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use amlite::error::ArmError;
use common::{Resp, TestApp};
use serde_json::json;

const SCRIPT: &str = "properties.codeConfiguration.scoringScript";

async fn put_with_script(app: &TestApp, ep: &str, d: &str, script: &str) -> Resp {
    let body = json!({ "location": "eastus", "sku": { "name": "Default", "capacity": 1 }, "properties": {
        "endpointComputeType": "Managed", "instanceType": "Standard_DS3_v2",
        "model": format!("{}/models/m/versions/1", app.ws_path()),
        "codeConfiguration": { "codeId": format!("{}/codes/c/versions/1", app.ws_path()), "scoringScript": script },
        "environmentId": format!("{}/environments/e/versions/1", app.ws_path())
    }});
    app.put(&format!("{}/deployments/{d}", app.ep_path(ep)), body)
        .await
}

#[tokio::test]
async fn scoring_script_outside_the_code_is_refused_at_put() {
    let app = TestApp::spawn().await;
    app.create_endpoint("ep-fs", json!({})).await;
    for (script, why) in [
        ("/etc/passwd", "it is an absolute path"),
        ("/tmp/evil.py", "it is an absolute path"),
        ("../score.py", "it contains a '..' segment"),
        ("..", "it contains a '..' segment"),
        ("a/../../x.py", "it contains a '..' segment"),
        ("code/../../../x.py", "it contains a '..' segment"),
        ("a\\..\\..\\x.py", "it contains a '..' segment"),
        ("\\\\server\\share\\x.py", "it is an absolute path"),
        ("\\x.py", "it is an absolute path"),
        ("C:\\x.py", "it starts with a drive letter"),
        ("c:/x.py", "it starts with a drive letter"),
        ("./", "it is empty"),
    ] {
        let r = put_with_script(&app, "ep-fs", "blue", script).await;
        assert_eq!(r.status, 400, "{script}: {}", r.text);
        let want = ArmError::invalid_code_path(SCRIPT, script, why);
        assert_eq!(r.code(), want.code, "{script}");
        assert_eq!(r.message(), want.message, "{script}");
        assert_eq!(r.body["error"]["target"], SCRIPT, "{script}");
    }
    // Nothing was stored for the refused PUTs.
    let r = app
        .get(&format!("{}/deployments/blue", app.ep_path("ep-fs")))
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
}

#[tokio::test]
async fn scoring_scripts_inside_the_code_stay_accepted() {
    let app = TestApp::spawn().await;
    app.create_endpoint("ep-fs-ok", json!({})).await;
    // `CodeConfiguration(scoring_script="code/score.py")` (a subfolder), the CLI samples'
    // `./main.py`, and a Windows client's `src\score.py`.
    for (d, script) in [
        ("sub", "code/score.py"),
        ("dot", "./main.py"),
        ("win", "src\\score.py"),
        ("plain", "score.py"),
    ] {
        let r = put_with_script(&app, "ep-fs-ok", d, script).await;
        assert!(r.status == 201, "{script}: {} {}", r.status, r.text);
        let done = app.wait(&r).await;
        assert_eq!(done.body["status"], "Succeeded", "{script}: {}", done.text);
        let got = app
            .get(&format!("{}/deployments/{d}", app.ep_path("ep-fs-ok")))
            .await;
        assert_eq!(
            got.body["properties"]["codeConfiguration"]["scoringScript"],
            script
        );
    }
}

#[tokio::test]
async fn inference_server_path_variables_must_stay_inside_the_code() {
    let app = TestApp::spawn().await;
    app.create_endpoint("ep-fs-env", json!({})).await;
    for (var, value) in [
        ("AZUREML_SOURCE_DIRECTORY", "/etc"),
        ("AML_APP_ROOT", "../.."),
        ("AZUREML_CONFIG_FILE", "/tmp/config.json"),
        ("AZUREML_ENTRY_SCRIPT", "../other/score.py"),
    ] {
        let body = json!({ "location": "eastus", "sku": { "name": "Default", "capacity": 1 }, "properties": {
            "endpointComputeType": "Managed", "instanceType": "Standard_DS3_v2",
            "codeConfiguration": { "codeId": format!("{}/codes/c/versions/1", app.ws_path()), "scoringScript": "score.py" },
            "environmentVariables": { var: value }
        }});
        let r = app
            .put(
                &format!("{}/deployments/blue", app.ep_path("ep-fs-env")),
                body,
            )
            .await;
        assert_eq!(r.status, 400, "{var}={value}: {}", r.text);
        let target = format!("properties.environmentVariables.{var}");
        assert_eq!(r.body["error"]["target"], target.as_str());
        assert!(
            r.message().contains("relative to the code directory"),
            "{}",
            r.text
        );
    }
    let ok = app
        .create_deployment(
            "ep-fs-env",
            "blue",
            json!({ "environmentVariables": { "AZUREML_SOURCE_DIRECTORY": "src" } }),
            1,
        )
        .await;
    assert_eq!(ok.body["status"], "Succeeded", "{}", ok.text);
}

async fn blob(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: &'static [u8],
) -> (u16, String, String) {
    let r = app
        .client
        .request(method, format!("{}/amlitestore/{path}", app.base))
        .header("x-ms-blob-type", "BlockBlob")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let code = r
        .headers()
        .get("x-ms-error-code")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, code, r.text().await.unwrap())
}

#[tokio::test]
async fn blob_names_that_are_not_utf8_are_refused_not_merged() {
    let app = TestApp::spawn().await;
    let invalid = amlite::blob::invalid_uri();
    let want_body = axum::body::to_bytes(invalid.into_body(), 4096)
        .await
        .unwrap();
    for path in ["c1/a%ff", "c1/a%fe", "c1/dir/%c3%28.py", "c1%ff/a.txt"] {
        let (status, code, text) = blob(&app, reqwest::Method::PUT, path, b"one").await;
        assert_eq!(
            (status, code.as_str()),
            (400, "InvalidUri"),
            "{path}: {text}"
        );
        assert_eq!(text.as_bytes(), &want_body[..], "{path}");
    }
    // Reads are refused the same way: no lossy name can reach the store.
    let (status, code, _) = blob(&app, reqwest::Method::GET, "c1/a%fe", b"").await;
    assert_eq!((status, code.as_str()), (400, "InvalidUri"));
    // A block id that is not UTF-8 would merge the same way (`a%ff` = `a%fe`).
    let (status, code, _) = blob(
        &app,
        reqwest::Method::PUT,
        "c1/b.txt?comp=block&blockid=a%ff",
        b"x",
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "InvalidUri"));
    // Proper UTF-8 still works: `é` is %C3%A9, and the two names stay distinct blobs.
    let (status, _, text) = blob(&app, reqwest::Method::PUT, "c1/caf%C3%A9.txt", b"utf8").await;
    assert_eq!(status, 201, "{text}");
    let (status, _, text) = blob(&app, reqwest::Method::PUT, "c1/cafe.txt", b"ascii").await;
    assert_eq!(status, 201, "{text}");
    let (status, _, text) = blob(&app, reqwest::Method::GET, "c1/caf%C3%A9.txt", b"").await;
    assert_eq!((status, text.as_str()), (200, "utf8"));
}

#[tokio::test]
async fn arm_and_scoring_paths_that_are_not_utf8_are_400() {
    let app = TestApp::spawn().await;
    app.create_endpoint("ep-fs-u", json!({})).await;
    let want = ArmError::not_utf8();
    for path in [
        "/endpoints/ep-fs-u%ff/score".to_string(),
        "/endpoints/ep-fs-u/score?region=east%ff".to_string(),
        format!(
            "{}/onlineEndpoints/ep%fe?api-version=2024-04-01",
            app.ws_path()
        ),
    ] {
        let r = app.post(&path, Some(json!({}))).await;
        assert_eq!(r.status, 400, "{path}: {}", r.text);
        assert!(
            r.code() == want.code || r.code() == "InvalidResourceName",
            "{path}: {}",
            r.text
        );
    }
    let r = app
        .post("/endpoints/ep-fs-u%ff/score", Some(json!({})))
        .await;
    assert_eq!(r.message(), want.message);
}

/// The database and its WAL (every endpoint key, every blob) are readable by their owner only,
/// like the secret files (they were 0644), also after writes.
#[tokio::test]
async fn the_database_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::spawn_with(|c| c.in_memory = false).await;
    app.create_endpoint("ep-mode", json!({})).await;
    for name in ["amlite.db", "amlite.db-wal", "amlite.db-shm"] {
        let path = app.dir.path().join(name);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name}: {mode:o}");
    }
}

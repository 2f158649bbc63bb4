//! Restart safety (issue 2, SPEC §2 "nothing in memory that a restart would lose"): state on an
//! on-disk data folder survives a stop and start; an operation interrupted mid-flight ends
//! terminal after the restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use common::TestApp;
use serde_json::json;

#[tokio::test]
async fn resources_keys_traffic_and_blobs_survive_a_restart() {
    let app = TestApp::spawn_with(|c| c.in_memory = false).await;
    let ws2 = format!("/subscriptions/{}/resourceGroups/{}/providers/Microsoft.MachineLearningServices/workspaces/ws-keep", app.sub, app.rg);
    let r = app.put(&ws2, json!({ "location": "eastus" })).await;
    app.wait(&r).await;
    app.create_endpoint("ep-keep", json!({})).await;
    app.create_deployment("ep-keep", "blue", json!({}), 1).await;
    app.set_traffic("ep-keep", json!({ "blue": 100 })).await;
    let keys = app
        .post(&format!("{}/listKeys", app.ep_path("ep-keep")), None)
        .await
        .body;
    let blob = format!("{}/amlitestore/c1/dir/model.bin", app.base);
    let put = app
        .client
        .put(&blob)
        .header("x-ms-blob-type", "BlockBlob")
        .body(vec![7u8; 1000])
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 201);
    let ep_before = app.get(&app.ep_path("ep-keep")).await.body;

    let dir = app.stop().await;
    let app = TestApp::spawn_in(dir, |c| c.in_memory = false).await;

    assert_eq!(app.get(&ws2).await.status, 200);
    let ep = app.get(&app.ep_path("ep-keep")).await;
    assert_eq!(ep.status, 200);
    assert_eq!(ep.body["properties"]["traffic"], json!({ "blue": 100 }));
    assert_eq!(ep.body["systemData"], ep_before["systemData"]);
    let d = app
        .get(&format!("{}/deployments/blue", app.ep_path("ep-keep")))
        .await;
    assert_eq!(d.body["properties"]["provisioningState"], "Succeeded");
    let keys_after = app
        .post(&format!("{}/listKeys", app.ep_path("ep-keep")), None)
        .await
        .body;
    assert_eq!(keys, keys_after);
    let got = app
        .client
        .get(format!("{}/amlitestore/c1/dir/model.bin", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status().as_u16(), 200);
    assert_eq!(got.bytes().await.unwrap().as_ref(), &[7u8; 1000][..]);
    let key = keys_after["primaryKey"].as_str().unwrap();
    let s = app
        .score("ep-keep", Some(key), &[], json!({ "x": 1 }))
        .await;
    assert_eq!(s.status, 200, "{}", s.text);
    assert_eq!(s.body["deployment"], "blue");
}

#[tokio::test]
async fn an_interrupted_operation_ends_terminal_after_restart() {
    let app = TestApp::spawn_with(|c| {
        c.in_memory = false;
        c.provisioning_delay = std::time::Duration::from_secs(3600);
    })
    .await;
    let r = app
        .put(
            &app.ep_path("ep-mid"),
            json!({ "location": "eastus", "properties": { "authMode": "Key" } }),
        )
        .await;
    assert_eq!(r.status, 201);
    let url = r.header("azure-asyncoperation").unwrap();
    assert_eq!(app.get(&url).await.body["status"], "InProgress");
    let dir = app.stop().await;

    let app = TestApp::spawn_in(dir, |c| c.in_memory = false).await;
    let port = app.base.rsplit(':').next().unwrap().to_string();
    let url = url.replace(url.split("/subscriptions/").next().unwrap(), &app.base);
    assert!(url.contains(&port));
    let m = app.get(&url).await;
    let status = m.body["status"].as_str().unwrap_or("");
    assert!(
        status == "Succeeded" || status == "Failed",
        "stuck after restart: {}",
        m.text
    );
    let ps = app.get(&app.ep_path("ep-mid")).await.body["properties"]["provisioningState"].clone();
    assert!(ps == "Succeeded" || ps == "Failed", "{ps}");
}

/// Issue 10 ("startup owns background tasks with a shutdown guard"): once the server has
/// stopped, no background task (operation driver, janitor, python worker) still holds its
/// state, so none can touch the closed store or outlive a restart on the same folder.
#[tokio::test]
async fn a_stopped_server_leaves_no_background_task_holding_its_state() {
    let app = TestApp::spawn_with(|c| c.in_memory = false).await;
    let r = app.create_endpoint("ep-stop", json!({})).await;
    app.wait(&r).await;
    let state = app.state.clone();
    let _dir = app.stop().await;
    assert_eq!(
        std::sync::Arc::strong_count(&state),
        1,
        "something still holds the stopped server's state"
    );
}

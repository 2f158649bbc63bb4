//! Concurrency (issue 5): 64 parallel requests mixing reads and writes never produce a 500 or
//! `database is locked`; concurrent PUTs of one resource serialise (last writer wins, or 409
//! while an operation is in flight) and leave a consistent state.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use std::sync::Arc;

use common::{Resp, TestApp};
use futures::future::join_all;
use serde_json::json;

fn clean(what: &str, r: &Resp) {
    assert!(r.status < 500, "{what}: {} {}", r.status, r.text);
    assert!(!r.text.contains("database is locked"), "{what}: {}", r.text);
}

fn dep_body(app: &TestApp, tag: &str) -> serde_json::Value {
    json!({ "location": "eastus", "tags": { "v": tag }, "sku": { "name": "Default", "capacity": 1 }, "properties": {
        "endpointComputeType": "Managed", "instanceType": "Standard_DS3_v2", "model": format!("{}/models/m/versions/1", app.ws_path()) } })
}

async fn mixed_load(app: Arc<TestApp>) {
    app.create_endpoint("ep-shared", json!({})).await;
    app.create_deployment("ep-shared", "blue", json!({}), 1)
        .await;
    let tasks = (0..64).map(|i| {
        let app = app.clone();
        tokio::spawn(async move {
            let r = match i % 8 {
                0 => {
                    app.put(
                        &app.ep_path(&format!("ep-c{i}")),
                        json!({ "location": "eastus", "properties": { "authMode": "Key" } }),
                    )
                    .await
                }
                1 => {
                    app.put(
                        &format!("{}/deployments/d{i}", app.ep_path("ep-shared")),
                        dep_body(&app, "x"),
                    )
                    .await
                }
                2 => {
                    app.put(
                        &format!("{}/models/m{i}/versions/1", app.ws_path()),
                        json!({ "properties": { "modelUri": "azureml://x" } }),
                    )
                    .await
                }
                3 => {
                    app.patch(
                        &app.ep_path("ep-shared"),
                        json!({ "tags": { "i": i.to_string() } }),
                    )
                    .await
                }
                4 => {
                    app.post(&format!("{}/listKeys", app.ep_path("ep-shared")), None)
                        .await
                }
                5 => app.get(&format!("{}/onlineEndpoints", app.ws_path())).await,
                6 => {
                    app.get(&format!("{}/deployments", app.ep_path("ep-shared")))
                        .await
                }
                _ => {
                    let url = format!("{}/amlitestore/cc/b{i}.bin", app.base);
                    let put = app
                        .client
                        .put(url)
                        .header("x-ms-blob-type", "BlockBlob")
                        .body(vec![i as u8; 4096])
                        .send()
                        .await
                        .unwrap();
                    TestApp::read(put).await
                }
            };
            clean(&format!("request {i}"), &r);
            r.status
        })
    });
    let statuses: Vec<u16> = join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(
        statuses.iter().filter(|s| **s < 300).count() >= 48,
        "{statuses:?}"
    );
    // Everything written is readable and terminal.
    let eps = app.get(&format!("{}/onlineEndpoints", app.ws_path())).await;
    clean("list", &eps);
    for e in eps.body["value"].as_array().unwrap() {
        assert_eq!(e["properties"]["provisioningState"], "Succeeded", "{e}");
    }
}

#[tokio::test]
async fn sixty_four_parallel_requests_on_disk() {
    mixed_load(Arc::new(TestApp::spawn_with(|c| c.in_memory = false).await)).await;
}

#[tokio::test]
async fn sixty_four_parallel_requests_in_memory() {
    mixed_load(Arc::new(TestApp::spawn().await)).await;
}

#[tokio::test]
async fn concurrent_puts_of_one_endpoint_serialise() {
    let app = Arc::new(TestApp::spawn_with(|c| c.in_memory = false).await);
    app.create_endpoint("ep-race", json!({})).await;
    let tasks = (0..16).map(|i| {
        let app = app.clone();
        tokio::spawn(async move {
            let body = json!({ "location": "eastus", "tags": { "writer": i.to_string() }, "properties": { "authMode": "Key" } });
            let r = app.put(&app.ep_path("ep-race"), body).await;
            clean("put", &r);
            // An update PUT is 201 as Azure answers it (recorded: `test_online_endpoint_mir`).
            assert!(r.status == 201 || r.status == 409, "{} {}", r.status, r.text);
            (i, r.status)
        })
    });
    let results: Vec<(i32, u16)> = join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let written: Vec<String> = results
        .iter()
        .filter(|(_, s)| *s == 201)
        .map(|(i, _)| i.to_string())
        .collect();
    assert!(!written.is_empty());
    let ep = app.get(&app.ep_path("ep-race")).await;
    let tag = ep.body["tags"]["writer"].as_str().unwrap().to_string();
    assert!(
        written.contains(&tag),
        "final tag {tag} was never acknowledged: {written:?}"
    );
    assert_eq!(ep.body["properties"]["provisioningState"], "Succeeded");
}

#[tokio::test]
async fn concurrent_puts_while_an_operation_is_in_flight_get_409() {
    let app = Arc::new(
        TestApp::spawn_with(|c| c.provisioning_delay = std::time::Duration::from_millis(400)).await,
    );
    let r = app
        .put(
            &app.ep_path("ep-flight"),
            json!({ "location": "eastus", "properties": { "authMode": "Key" } }),
        )
        .await;
    assert_eq!(r.status, 201);
    app.wait(&r).await;
    let tasks = (0..8).map(|i| {
        let app = app.clone();
        tokio::spawn(async move {
            let body = json!({ "location": "eastus", "tags": { "writer": i.to_string() }, "properties": { "authMode": "Key" } });
            let r = app.put(&app.ep_path("ep-flight"), body).await;
            clean("put", &r);
            (i, r.status, r.header("azure-asyncoperation"))
        })
    });
    let results: Vec<_> = join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    // An update PUT is 201 as Azure answers it (recorded: `test_online_endpoint_mir`).
    let accepted: Vec<_> = results.iter().filter(|(_, s, _)| *s == 201).collect();
    assert_eq!(
        accepted.len(),
        1,
        "exactly one PUT may start the update: {:?}",
        results.iter().map(|r| r.1).collect::<Vec<_>>()
    );
    assert_eq!(results.iter().filter(|(_, s, _)| *s == 409).count(), 7);
    let (winner, _, url) = accepted[0];
    let mut last = String::new();
    for _ in 0..200 {
        let m = app.get(url.as_ref().unwrap()).await;
        last = m.body["status"].as_str().unwrap_or("").to_string();
        if last != "InProgress" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(last, "Succeeded");
    let ep = app.get(&app.ep_path("ep-flight")).await;
    assert_eq!(ep.body["tags"]["writer"], winner.to_string());
}

#[tokio::test]
async fn deployments_racing_their_endpoint_delete_stay_consistent() {
    let app = Arc::new(TestApp::spawn_with(|c| c.in_memory = false).await);
    for round in 0..3 {
        let ep = format!("ep-gone{round}");
        app.create_endpoint(&ep, json!({})).await;
        let mut tasks = Vec::new();
        for i in 0..12 {
            let (app, ep) = (app.clone(), ep.clone());
            tasks.push(tokio::spawn(async move {
                let r = if i == 6 {
                    app.delete(&app.ep_path(&ep)).await
                } else {
                    app.put(
                        &format!("{}/deployments/d{i}", app.ep_path(&ep)),
                        dep_body(&app, "x"),
                    )
                    .await
                };
                clean(&format!("{ep} request {i}"), &r);
            }));
        }
        for t in join_all(tasks).await {
            t.unwrap();
        }
        // Once the delete completes, no deployment outlives its endpoint.
        let mut gone = false;
        for _ in 0..200 {
            if app.get(&app.ep_path(&ep)).await.status == 404 {
                gone = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(gone, "{ep} never went away");
        let all = app.get("/_amlite/resources").await;
        let orphans: Vec<_> = all.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["id"].as_str().unwrap().contains(&format!("/{ep}/")))
            .collect();
        assert!(orphans.is_empty(), "{orphans:?}");
    }
}

/// The store's in-memory id index and write-through caches (issue 14) answer what the database
/// holds: after concurrent creates, updates and deletes (a delete cascades to deployments), every
/// GET answers the same as after a restart, when everything is read from SQLite again.
#[tokio::test]
async fn the_read_cache_agrees_with_the_database_after_concurrent_writes() {
    let app = Arc::new(TestApp::spawn_with(|c| c.in_memory = false).await);
    for e in 0..4 {
        app.create_endpoint(&format!("ep-k{e}"), json!({})).await;
        app.create_deployment(&format!("ep-k{e}"), "blue", json!({}), 1)
            .await;
        // Cached rows for the deployment a later endpoint delete removes by cascade.
        let d = app
            .get(&format!(
                "{}/deployments/blue",
                app.ep_path(&format!("ep-k{e}"))
            ))
            .await;
        assert_eq!(d.status, 200, "{}", d.text);
    }
    let tasks = (0..48).map(|i| {
        let app = app.clone();
        tokio::spawn(async move {
            let ep = app.ep_path(&format!("ep-k{}", i % 6));
            let r = match i % 4 {
                0 => app.delete(&ep).await,
                1 => {
                    let body = json!({ "location": "eastus", "tags": { "w": i.to_string() }, "properties": { "authMode": "Key" } });
                    app.put(&ep, body).await
                }
                2 => app.patch(&ep, json!({ "tags": { "w": i.to_string() } })).await,
                _ => app.get(&ep).await,
            };
            clean(&format!("request {i}"), &r);
            if r.header("azure-asyncoperation").is_some() || r.header("location").is_some() {
                app.wait(&r).await;
            }
        })
    });
    for t in join_all(tasks).await {
        t.unwrap();
    }
    let mut paths = Vec::new();
    for e in 0..6 {
        let ep = app.ep_path(&format!("ep-k{e}"));
        paths.push(format!("{ep}/deployments/blue"));
        paths.push(ep);
    }
    paths.push(format!("{}/onlineEndpoints", app.ws_path()));
    // Monitor URLs in bodies name the listener's port, which the restart changes.
    let text = |app: &TestApp, r: &Resp| r.text.replace(&app.base, "https://amlite");
    let mut before = Vec::new();
    for p in &paths {
        let r = app.get(p).await;
        before.push((r.status, text(&app, &r)));
    }
    let app = Arc::into_inner(app).expect("no task holds the app");
    let dir = app.stop().await;
    let app = TestApp::spawn_in(dir, |c| c.in_memory = false).await;
    for (p, (status, body)) in paths.iter().zip(before) {
        let r = app.get(p).await;
        assert_eq!((r.status, text(&app, &r)), (status, body), "GET {p}");
    }
}

/// A zero-delay mock deployment is provisioned in its PUT's transaction: its runtime starts only
/// once that transaction committed. Here another process holds the database's write lock past
/// the busy timeout, the update's commit fails (503), and the runtime's log (`getLogs`) shows no
/// start of the scoring script that was never stored. It did before the fix: the start came
/// before the commit.
#[tokio::test]
async fn a_deployment_update_that_fails_to_commit_starts_no_runtime() {
    use sqlx::{ConnectOptions, Connection};
    let app = TestApp::spawn_with(|c| c.in_memory = false).await;
    app.create_endpoint("ep-commit", json!({})).await;
    app.create_deployment("ep-commit", "blue", json!({}), 1)
        .await;
    let id = format!("{}/deployments/blue", app.ep_path("ep-commit"));
    let started = |script: &str| {
        app.state
            .runtimes
            .logs(&id)
            .iter()
            .any(|l| l.contains("mock runtime started") && l.contains(script))
    };
    assert!(started("score.py"), "{:?}", app.state.runtimes.logs(&id));

    let mut other = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(app.data_dir().join("amlite.db"))
        .connect()
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    let body = app.deployment_body(
        json!({ "codeConfiguration": {
            "codeId": format!("{}/codes/c/versions/1", app.ws_path()), "scoringScript": "other.py" } }),
        1,
    );
    let r = app.put(&id, body).await;
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    other.close().await.unwrap();
    assert_eq!(r.status, 503, "{}", r.text);
    assert!(!started("other.py"), "{:?}", app.state.runtimes.logs(&id));
    let stored = app.get(&id).await;
    assert!(
        stored.text.contains("score.py") && !stored.text.contains("other.py"),
        "{}",
        stored.text
    );
}

//! Concurrent writes lose nothing they acknowledged (`write_gate`): ARM writes read the
//! documents they change, and two that interleaved both read the old state, so the later
//! commit undid the earlier (found from outside: 5-11 of 30 outbound rules PUT at once were
//! missing, a key rotation racing tag PATCHes left the old key scoring, one endpoint name was
//! created in two workspaces at once, CP-1).
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::sync::Arc;

use futures::future::join_all;
use serde_json::json;

use crate::common::{Resp, TestApp};

fn conflict(r: &Resp) {
    assert_eq!((r.status, r.code()), (409, "Conflict"), "{}", r.text);
}

fn accepted(what: &str, r: &Resp) {
    assert!(r.status < 300, "{what}: {} {}", r.status, r.text);
}

async fn settled(app: &TestApp, r: &Resp) {
    if r.header("azure-asyncoperation").is_some() || r.header("location").is_some() {
        app.wait(r).await;
    }
}

#[tokio::test]
async fn outbound_rules_put_at_once_are_all_kept() {
    let app = Arc::new(TestApp::spawn().await);
    let ws = app.ws_path();
    let mode = json!({ "properties": { "managedNetwork": {
        "isolationMode": "AllowOnlyApprovedOutbound" } } });
    let r = app.patch(&ws, mode).await;
    accepted("isolation mode", &r);
    settled(&app, &r).await;
    let puts = (0..24).map(|i| {
        let (app, ws) = (app.clone(), ws.clone());
        tokio::spawn(async move {
            let body = json!({ "properties": { "type": "FQDN",
                "destination": format!("h{i}.example.com") } });
            let r = app.put(&format!("{ws}/outboundRules/rule-{i}"), body).await;
            accepted("rule PUT", &r);
            settled(&app, &r).await;
        })
    });
    for t in join_all(puts).await {
        t.expect("task");
    }
    let listed = app.get(&format!("{ws}/outboundRules")).await;
    let names: Vec<&str> = listed.body["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["name"].as_str())
        .collect();
    for i in 0..24 {
        assert!(
            names.contains(&format!("rule-{i}").as_str()),
            "rule-{i} missing from {names:?}"
        );
    }
}

#[tokio::test]
async fn a_key_rotation_racing_tag_patches_is_kept() {
    let app = Arc::new(TestApp::spawn().await);
    app.create_endpoint("rotating", json!({})).await;
    for round in 0..15 {
        let old = app.primary_key("rotating").await;
        let regenerate = {
            let app = app.clone();
            tokio::spawn(async move {
                let path = format!("{}/regenerateKeys", app.ep_path("rotating"));
                let r = app.post(&path, Some(json!({ "keyType": "Primary" }))).await;
                accepted("regenerateKeys", &r);
                settled(&app, &r).await;
            })
        };
        let patches = (0..6).map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                let tags = json!({ "tags": { "round": format!("{round}-{i}") } });
                let r = app.patch(&app.ep_path("rotating"), tags).await;
                accepted("tags PATCH", &r);
                settled(&app, &r).await;
            })
        });
        regenerate.await.expect("task");
        for t in join_all(patches).await {
            t.expect("task");
        }
        assert_ne!(app.primary_key("rotating").await, old, "round {round}");
    }
}

/// CP-1: an endpoint name is unique in its region, also when two workspaces create it at once.
#[tokio::test]
async fn one_endpoint_name_created_in_two_workspaces_at_once_is_created_once() {
    let app = Arc::new(TestApp::spawn().await);
    let second = app
        .ws_path()
        .replace("/workspaces/amlite-ws", "/workspaces/ws-two");
    let r = app
        .put(
            &second,
            json!({ "location": "eastus", "identity": { "type": "SystemAssigned" },
                "properties": {} }),
        )
        .await;
    accepted("second workspace", &r);
    settled(&app, &r).await;
    for round in 0..8 {
        let name = format!("unique-{round}");
        let body = json!({ "location": "eastus", "properties": { "authMode": "Key" } });
        let both = [app.ws_path(), second.clone()].map(|ws| {
            let (app, body, name) = (app.clone(), body.clone(), name.clone());
            tokio::spawn(async move {
                app.put(&format!("{ws}/onlineEndpoints/{name}"), body)
                    .await
                    .status
            })
        });
        let statuses: Vec<u16> = join_all(both)
            .await
            .into_iter()
            .map(|s| s.expect("task"))
            .collect();
        let created = statuses.iter().filter(|s| **s < 300).count();
        assert_eq!(created, 1, "round {round}: {statuses:?}");
    }
}

/// While a delete runs, the resource takes no other write: a PATCH or a key rotation of an
/// endpoint being deleted, or a PATCH of a deployment being deleted, is 409 as a PUT is (they
/// were 202 and turned `Deleting` back into `Updating`); and traffic cannot name a deployment
/// being deleted (CP-2: it would name a deployment that no longer exists once the delete ends).
#[tokio::test]
async fn a_resource_being_deleted_takes_no_other_write() {
    let app = TestApp::spawn().await;
    app.create_endpoint("doomed", json!({})).await;
    app.create_deployment("doomed", "blue", json!({}), 1).await;
    let deployment = format!("{}/deployments/blue", app.ep_path("doomed"));
    let manual = json!({ "resource": "onlineEndpoints/doomed/deployments/blue", "mode": "manual" });
    accepted("manual LRO", &app.post("/_amlite/lro", Some(manual)).await);
    accepted("deployment DELETE", &app.delete(&deployment).await);
    let got = app.get(&deployment).await;
    assert_eq!(got.body["properties"]["provisioningState"], "Deleting");
    let patch = app
        .patch(&deployment, json!({ "tags": { "x": "y" } }))
        .await;
    conflict(&patch);
    let traffic = json!({ "location": "eastus", "properties": { "authMode": "Key",
        "traffic": { "blue": 100 } } });
    let put = app.put(&app.ep_path("doomed"), traffic).await;
    assert_eq!(put.status, 400, "{}", put.text);
    let got = app.get(&deployment).await;
    assert_eq!(got.body["properties"]["provisioningState"], "Deleting");

    let manual = json!({ "resource": "onlineEndpoints/doomed", "mode": "manual" });
    accepted("manual LRO", &app.post("/_amlite/lro", Some(manual)).await);
    let dep_done = app
        .post(
            "/_amlite/lro/complete",
            Some(json!({ "resource": "onlineEndpoints/doomed/deployments/blue" })),
        )
        .await;
    accepted("complete", &dep_done);
    accepted("endpoint DELETE", &app.delete(&app.ep_path("doomed")).await);
    let patch = app
        .patch(&app.ep_path("doomed"), json!({ "tags": { "x": "y" } }))
        .await;
    conflict(&patch);
    let regenerate = app
        .post(
            &format!("{}/regenerateKeys", app.ep_path("doomed")),
            Some(json!({ "keyType": "Primary" })),
        )
        .await;
    assert_eq!(regenerate.status, 409, "{}", regenerate.text);
    let got = app.get(&app.ep_path("doomed")).await;
    assert_eq!(got.body["properties"]["provisioningState"], "Deleting");
}

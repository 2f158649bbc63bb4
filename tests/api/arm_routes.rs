//! Every control-plane route answers (issue 2, SPEC §2.1 and §3): ARM plumbing, workspaces,
//! endpoints, deployments and the asset routes the SDK needs, over real HTTPS.
//! (Split for length: the later tests are in `arm_routes_ml`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use base64::Engine;
use common::TestApp;
use serde_json::{json, Value};

fn jwt_claims(token: &str) -> Value {
    let part = token.split('.').nth(1).unwrap();
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&raw).unwrap()
}

#[tokio::test]
async fn metadata_is_an_object_by_default_and_an_array_for_2019_05_01() {
    let app = TestApp::spawn().await;
    let url = "/metadata/endpoints?api-version=2022-09-01";
    let r = app.get(url).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let rm = r.body["resourceManager"].as_str().unwrap();
    // The SDK keeps the cloud whose resourceManager is a substring of the metadata URL.
    assert!(
        format!("{}{url}", app.base).contains(rm.trim_end_matches('/')),
        "{rm}"
    );
    let r = app.get("/metadata/endpoints?api-version=2019-05-01").await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_array(), "{}", r.text);
    assert_eq!(r.body[0]["resourceManager"].as_str(), Some(rm));
}

#[tokio::test]
async fn msi_token_needs_the_identity_header_and_is_jwt_shaped() {
    let app = TestApp::spawn().await;
    let url = format!(
        "{}/msi/token?resource=https://management.azure.com/&api-version=2019-08-01",
        app.base
    );
    let r = TestApp::read(app.client.get(&url).send().await.unwrap()).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert!(r.body["error"]["code"].is_string());
    let r = TestApp::read(
        app.client
            .get(&url)
            .header("x-identity-header", "amlite")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["token_type"], "Bearer");
    assert!(r.body["expires_on"].is_string());
    let claims = jwt_claims(r.body["access_token"].as_str().unwrap());
    for c in ["tid", "oid", "aud"] {
        assert!(claims[c].is_string(), "claim {c} missing: {claims}");
    }
    assert_eq!(claims["aud"], "https://management.azure.com/");
}

#[tokio::test]
async fn subscriptions_and_resource_groups() {
    let app = TestApp::spawn().await;
    let r = app.get("/subscriptions").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["subscriptionId"] == app.sub.as_str()));
    let r = app.get(&format!("/subscriptions/{}", app.sub)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["subscriptionId"], app.sub.as_str());
    assert_eq!(
        app.get("/subscriptions/00000000-0000-0000-0000-00000000dead")
            .await
            .status,
        404
    );

    let rg = format!("/subscriptions/{}/resourcegroups/rg-new", app.sub);
    assert_eq!(app.get(&rg).await.code(), "ResourceGroupNotFound");
    let r = app.put(&rg, json!({ "location": "westeurope" })).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        app.put(&rg, json!({ "location": "westeurope" }))
            .await
            .status,
        200
    );
    let r = app.get(&rg).await;
    assert_eq!((r.status, r.body["name"].as_str()), (200, Some("rg-new")));
    let r = app
        .get(&format!("/subscriptions/{}/resourcegroups", app.sub))
        .await;
    let names: Vec<&str> = r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| g["name"].as_str())
        .collect();
    assert!(
        names.contains(&"rg-new") && names.contains(&app.rg.as_str()),
        "{names:?}"
    );
    // DELETE of a group that is not there is 404, as ARM answers `az group delete` (it was 200).
    assert_eq!(app.delete(&rg).await.status, 200);
    let r = app.delete(&rg).await;
    assert_eq!(
        (r.status, r.code()),
        (404, "ResourceGroupNotFound"),
        "{}",
        r.text
    );
    let want = amlite::error::ArmError::resource_group_not_found("rg-new").message;
    assert_eq!(r.message(), want);
}

#[tokio::test]
async fn template_deployment_creates_the_workspace() {
    let app = TestApp::spawn().await;
    let ws = format!("/subscriptions/{}/resourceGroups/{}/providers/Microsoft.MachineLearningServices/workspaces/ws-tpl", app.sub, app.rg);
    assert_eq!(
        app.get(&ws).await.status,
        404,
        "the SDK first GETs and expects 404"
    );
    let dep = format!("/subscriptions/{}/resourcegroups/{}/providers/Microsoft.Resources/deployments/d1?api-version=2020-06-01", app.sub, app.rg);
    let body = json!({ "properties": { "mode": "Incremental", "template": {}, "parameters": {
        "workspaceName": { "value": "ws-tpl" }, "location": { "value": "westus2" } } } });
    let r = app.put(&dep, body).await;
    assert!(r.status == 200 || r.status == 201, "{}", r.text);
    assert_eq!(
        app.get(&dep).await.body["properties"]["provisioningState"],
        "Succeeded"
    );
    let ops = format!(
        "/subscriptions/{}/resourcegroups/{}/deployments/d1/operations?api-version=2020-06-01",
        app.sub, app.rg
    );
    let r = app.get(&ops).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["value"].is_array());
    let r = app.get(&ws).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["name"].as_str(), r.body["location"].as_str()),
        (Some("ws-tpl"), Some("westus2"))
    );
}

#[tokio::test]
async fn workspaces_crud_and_lists() {
    let app = TestApp::spawn().await;
    let ws = format!("/subscriptions/{}/resourceGroups/{}/providers/Microsoft.MachineLearningServices/workspaces/ws-two", app.sub, app.rg);
    let r = app
        .put(
            &ws,
            json!({ "location": "eastus", "properties": { "friendlyName": "two" } }),
        )
        .await;
    assert!(r.status < 300, "{}", r.text);
    if r.status == 202 {
        assert_eq!(app.wait(&r).await.body["status"], "Succeeded");
    }
    assert_eq!(app.get(&ws).await.body["properties"]["friendlyName"], "two");
    let r = app.patch(&ws, json!({ "tags": { "a": "b" } })).await;
    assert!(r.status < 300, "{}", r.text);
    if r.header("location").is_some() {
        app.wait(&r).await;
    }
    assert_eq!(app.get(&ws).await.body["tags"]["a"], "b");
    let by_rg = app.get(&format!("/subscriptions/{}/resourceGroups/{}/providers/Microsoft.MachineLearningServices/workspaces", app.sub, app.rg)).await;
    let by_sub = app
        .get(&format!(
            "/subscriptions/{}/providers/Microsoft.MachineLearningServices/workspaces",
            app.sub
        ))
        .await;
    for l in [&by_rg, &by_sub] {
        assert_eq!(l.status, 200, "{}", l.text);
        assert!(
            l.body["value"]
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w["name"] == "ws-two"),
            "{}",
            l.text
        );
    }
    let r = app.delete(&ws).await;
    assert!(
        r.status == 200 || r.status == 202 || r.status == 204,
        "{}",
        r.text
    );
    if r.status == 202 {
        app.wait(&r).await;
    }
    assert_eq!(app.get(&ws).await.status, 404);
}

/// Two workspaces whose names derive the same storage account name (`collws1` and `coll-ws1`,
/// or one name in two resource groups) each get their own account and key: the Blob slice
/// addresses blobs by account, so they used to share blobs and `listSecrets` keys. The first
/// keeps the plain derived name.
#[tokio::test]
async fn workspaces_never_share_a_derived_storage_account() {
    let app = TestApp::spawn().await;
    let ws_path = |rg: &str, name: &str| {
        format!(
            "/subscriptions/{}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{name}",
            app.sub
        )
    };
    let body =
        json!({ "location": "eastus", "identity": { "type": "SystemAssigned" }, "properties": {} });
    let rg2 = "rg-two";
    let r = app
        .put(
            &format!("/subscriptions/{}/resourceGroups/{rg2}", app.sub),
            json!({ "location": "eastus" }),
        )
        .await;
    assert!(r.status < 300, "{}", r.text);
    let paths = [
        ws_path(&app.rg, "collws1"),
        ws_path(&app.rg, "coll-ws1"),
        ws_path(rg2, "collws1"),
    ];
    let (mut accounts, mut keys) = (Vec::new(), Vec::new());
    for p in &paths {
        let r = app.put(p, body.clone()).await;
        assert!(r.status < 300, "{p}: {}", r.text);
        let ws = app.get(p).await;
        let account = ws.body["properties"]["storageAccount"].as_str().unwrap();
        let name = account.rsplit('/').next().unwrap().to_string();
        assert!(name.len() <= 24, "{name}");
        accounts.push(name);
        let s = app
            .post(
                &format!("{p}/datastores/workspaceblobstore/listSecrets"),
                None,
            )
            .await;
        keys.push(s.body["key"].as_str().unwrap().to_string());
    }
    assert_eq!(accounts[0], "collws1store");
    assert_ne!(accounts[0], accounts[1]);
    assert_ne!(accounts[0], accounts[2]);
    assert_ne!(accounts[1], accounts[2]);
    assert_ne!(keys[0], keys[1]);
    assert_ne!(keys[0], keys[2]);
}

/// A subscription is only read here: PUT and DELETE are 405 `MethodNotAllowed`, not a 200 that
/// did nothing; the GET still answers.
#[tokio::test]
async fn subscription_put_and_delete_are_not_allowed() {
    let app = TestApp::spawn().await;
    let path = format!("/subscriptions/{}", app.sub);
    for r in [app.put(&path, json!({})).await, app.delete(&path).await] {
        assert_eq!(
            (r.status, r.code()),
            (405, "MethodNotAllowed"),
            "{}",
            r.text
        );
    }
    let r = app.delete("/subscriptions").await;
    assert_eq!(r.status, 405, "{}", r.text);
    assert_eq!(app.get(&path).await.status, 200);
}

/// `Resources - List` with `$top`: pages of at most `$top` resources, each with the `nextLink`
/// to the next while more remain (it was ignored: every resource on one page).
#[tokio::test]
async fn resource_lists_page_by_top() {
    let app = TestApp::spawn().await;
    let sub = format!("/subscriptions/{}", app.sub);
    let all = app
        .get(&format!("{sub}/resources?api-version=2021-04-01"))
        .await;
    let every: Vec<Value> = all.body["value"].as_array().cloned().unwrap_or_default();
    assert!(every.len() >= 3, "{}", all.text);
    assert!(all.body.get("nextLink").is_none());
    let mut seen = Vec::new();
    let mut url = format!("{sub}/resources?api-version=2021-04-01&$top=2");
    for _ in 0..every.len() {
        let page = app.get(&url).await;
        assert_eq!(page.status, 200, "{}", page.text);
        let items = page.body["value"].as_array().cloned().unwrap_or_default();
        assert!(!items.is_empty() && items.len() <= 2, "{}", page.text);
        seen.extend(items);
        match page.body["nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, every);
    let bad = app
        .get(&format!("{sub}/resources?api-version=2021-04-01&$top=0"))
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert_eq!(bad.message(), amlite::arm::errors::top_invalid("0").message);
}

/// A `Resources - List` page boundary does not move when a resource before it is deleted: the
/// `$skipToken` names where the last page stopped, not how many were served (an offset skipped
/// the resource after the deleted one).
#[tokio::test]
async fn resource_pages_do_not_shift_when_an_earlier_resource_is_deleted() {
    let app = TestApp::spawn().await;
    for n in ["v1", "v2", "v3", "v4"] {
        crate::network_resources::create_vnet(&app, n).await;
    }
    let sub = format!("/subscriptions/{}", app.sub);
    let filter = "$filter=resourceType eq 'Microsoft.Network/virtualNetworks'";
    let first = app
        .get(&format!(
            "{sub}/resources?api-version=2021-04-01&{filter}&$top=2"
        ))
        .await;
    let names = |r: &common::Resp| -> Vec<String> {
        r.body["value"]
            .as_array()
            .map(|v| {
                v.iter()
                    .filter_map(|x| x["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(names(&first), ["v1", "v2"], "{}", first.text);
    let del = app
        .delete(&crate::network_resources::vnet_path(&app, "v1"))
        .await;
    assert!(del.status == 200 || del.status == 202, "{}", del.text);
    let next = first.body["nextLink"].as_str().unwrap().to_string();
    let second = app.get(&next).await;
    assert_eq!(names(&second), ["v3", "v4"], "{}", second.text);
    let forged = app
        .get(&format!(
            "{sub}/resources?api-version=2021-04-01&$skipToken=abc"
        ))
        .await;
    assert_eq!(forged.status, 400, "{}", forged.text);
}

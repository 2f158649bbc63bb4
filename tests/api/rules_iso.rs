//! ISO rules a control-plane call can violate (SPEC §5), proven over HTTPS against the real
//! server: ISO-1, ISO-3, ISO-7, ISO-8, ISO-9 (ISO-11, ISO-13, ISO-14 in `rules_iso_11_14`).
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use crate::rules_common;

use common::TestApp;
use rules_common::*;
use serde_json::{json, Value};

/// Azure's texts, from the rule functions that answer them (tests do not copy them).
fn iso_1_text() -> String {
    amlite::rules::iso_1_v1_legacy_mode(true)
        .expect_err("ISO-1")
        .message
}

fn iso_7_text() -> String {
    use amlite::domain::{IsolationMode, PublicNetworkAccess};
    amlite::rules::iso_7_egress_flag_with_managed_network(
        IsolationMode::AllowOnlyApprovedOutbound,
        Some(PublicNetworkAccess::Disabled),
    )
    .expect_err("ISO-7")
    .message
}

fn iso_9_text() -> String {
    amlite::rules::iso_9_rule_type_allowed(
        amlite::domain::IsolationMode::AllowInternetOutbound,
        amlite::rules::OutboundRuleType::Fqdn,
    )
    .expect_err("ISO-9")
    .message
}

#[tokio::test]
async fn iso_1_v1_legacy_mode_refuses_endpoint_put() {
    let app = TestApp::spawn().await;
    app.create_endpoint("ep-before", json!({})).await;
    app.create_deployment("ep-before", "blue", json!({}), 1)
        .await;
    patch_ws(&app, json!({ "v1LegacyMode": true })).await;
    let r = app
        .put(
            &app.ep_path("ep-new"),
            json!({ "location": "eastus", "properties": { "authMode": "Key" } }),
        )
        .await;
    assert_error(&r, 400, "UserError", &iso_1_text());
    assert_eq!(r.message(), iso_1_text());
    let r = app
        .patch(&app.ep_path("ep-before"), json!({ "tags": { "a": "b" } }))
        .await;
    assert_error(&r, 400, "UserError", &iso_1_text());
    let r = put_deployment(&app, "ep-before", "green", json!({}), 1).await;
    assert_error(&r, 400, "UserError", &iso_1_text());
    let r = app
        .patch(
            &dep_path(&app, "ep-before", "blue"),
            json!({ "sku": { "capacity": 2 } }),
        )
        .await;
    assert_error(&r, 400, "UserError", &iso_1_text());
    // Reads still work.
    assert_eq!(app.get(&app.ep_path("ep-before")).await.status, 200);
    assert_eq!(
        app.get(&dep_path(&app, "ep-before", "blue")).await.status,
        200
    );
    assert_eq!(
        app.get(&format!("{}/onlineEndpoints", app.ws_path()))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn iso_3_associated_resource_in_another_subscription_is_refused() {
    let app = TestApp::spawn().await;
    let other = "/subscriptions/00000000-0000-0000-0000-00000000beef/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/elsewhere";
    let path = app.ws_path().replace(&app.ws, "ws-iso3");
    let r = app
        .put(
            &path,
            json!({ "location": "eastus", "properties": { "storageAccount": other } }),
        )
        .await;
    assert_error(&r, 400, "BadRequest", "properties.storageAccount");
    assert!(
        r.message().contains("00000000-0000-0000-0000-00000000beef")
            && r.message().contains("ISO-3"),
        "{}",
        r.text
    );
    assert_eq!(r.body["error"]["target"], "properties.storageAccount");
    assert_eq!(app.get(&path).await.status, 404, "nothing was created");
    let kv = "not-an-arm-id";
    let r = app
        .put(
            &path,
            json!({ "location": "eastus", "properties": { "keyVault": kv } }),
        )
        .await;
    assert_error(&r, 400, "LinkedInvalidPropertyId", "properties.keyVault");
    // Another resource group of the same subscription is fine.
    let same_sub = format!("/subscriptions/{}/resourceGroups/other-rg/providers/Microsoft.ContainerRegistry/registries/acr1", app.sub);
    let r = app
        .put(
            &path,
            json!({ "location": "eastus", "properties": { "containerRegistry": same_sub } }),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    app.wait(&r).await;
    assert_eq!(
        app.get(&path).await.body["properties"]["containerRegistry"],
        same_sub
    );
}

#[tokio::test]
async fn iso_7_egress_flag_refused_under_managed_network() {
    let app = TestApp::spawn().await;
    managed_ws(&app, "AllowInternetOutbound", true).await;
    app.create_endpoint("ep-iso7", json!({})).await;
    for value in ["Enabled", "disabled"] {
        let r = put_deployment(
            &app,
            "ep-iso7",
            "blue",
            json!({ "egressPublicNetworkAccess": value }),
            1,
        )
        .await;
        assert_error(&r, 400, "BadRequest", &iso_7_text());
        assert_eq!(r.message(), iso_7_text());
    }
    // Omitted: accepted, and reads back Enabled.
    let done = app.create_deployment("ep-iso7", "blue", json!({}), 1).await;
    assert_eq!(done.body["status"], "Succeeded", "{}", done.text);
    let g = app.get(&dep_path(&app, "ep-iso7", "blue")).await;
    assert_eq!(
        g.body["properties"]["egressPublicNetworkAccess"], "Enabled",
        "{}",
        g.text
    );
    // A legacy workspace (no managed network) still takes the flag.
    let legacy = TestApp::spawn().await;
    legacy.create_endpoint("ep-iso7", json!({})).await;
    let done = legacy
        .create_deployment(
            "ep-iso7",
            "blue",
            json!({ "egressPublicNetworkAccess": "Disabled" }),
            1,
        )
        .await;
    assert_eq!(done.body["status"], "Succeeded", "{}", done.text);
}

fn rules_of(ws: &Value) -> serde_json::Map<String, Value> {
    ws["properties"]["managedNetwork"]["outboundRules"]
        .as_object()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn iso_8_required_rules_have_category_required_and_user_rules_user_defined() {
    let app = TestApp::spawn().await;
    let r = patch_ws(
        &app,
        json!({ "managedNetwork": { "isolationMode": "AllowOnlyApprovedOutbound", "outboundRules": {
        "pypi": { "type": "FQDN", "destination": "pypi.org" }
    } } }),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let ws = app.get(&app.ws_path()).await;
    let rules = rules_of(&ws.body);
    let required: Vec<&String> = rules
        .iter()
        .filter(|(_, r)| r["category"] == "Required")
        .map(|(n, _)| n)
        .collect();
    assert!(
        required.iter().any(|n| n.contains("_blob")),
        "storage PE rule: {rules:?}"
    );
    assert!(
        required.iter().any(|n| n.contains("_vault")),
        "key vault PE rule: {rules:?}"
    );
    assert!(
        rules
            .values()
            .any(|r| r["category"] == "Required" && r["destination"] == "mcr.microsoft.com"),
        "MCR: {rules:?}"
    );
    assert_eq!(rules["pypi"]["category"], "UserDefined");
    assert_eq!(rules["pypi"]["type"], "FQDN");
    assert!(
        rules.values().all(|r| r["status"] == "Inactive"),
        "not provisioned yet: {rules:?}"
    );
    // The same rules through GET W/outboundRules.
    let list = app.get(&format!("{}/outboundRules", app.ws_path())).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let listed: Vec<(String, Value)> = list.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["properties"]["category"].clone(),
            )
        })
        .collect();
    assert_eq!(listed.len(), rules.len());
    assert!(listed
        .iter()
        .any(|(n, c)| n == "pypi" && c == "UserDefined"));
    assert_eq!(
        listed.iter().filter(|(_, c)| c == "Required").count(),
        required.len()
    );
    // A user rule via PUT W/outboundRules/{r}; Required rules cannot be changed or deleted.
    let pe = json!({ "properties": { "type": "PrivateEndpoint", "destination": {
        "serviceResourceId": format!("/subscriptions/{}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/data1", app.sub), "subresourceTarget": "blob" } } });
    let r = app
        .put(&format!("{}/outboundRules/data1", app.ws_path()), pe)
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let one = app
        .get(&format!("{}/outboundRules/data1", app.ws_path()))
        .await;
    assert_eq!(
        one.body["properties"]["category"], "UserDefined",
        "{}",
        one.text
    );
    let sys = required[0].clone();
    let r = app
        .delete(&format!("{}/outboundRules/{sys}", app.ws_path()))
        .await;
    assert_error(&r, 400, "BadRequest", "Required");
    // Provisioned: every rule Active.
    let p = app
        .post(
            &format!("{}/provisionManagedNetwork", app.ws_path()),
            Some(json!({})),
        )
        .await;
    app.wait(&p).await;
    let ws = app.get(&app.ws_path()).await;
    assert!(
        rules_of(&ws.body).values().all(|r| r["status"] == "Active"),
        "{}",
        ws.text
    );
    assert_eq!(
        ws.body["properties"]["managedNetwork"]["status"]["status"],
        "Active"
    );
}

#[tokio::test]
async fn iso_9_fqdn_and_service_tag_rules_refused_under_allow_internet_outbound() {
    let app = TestApp::spawn().await;
    managed_ws(&app, "AllowInternetOutbound", false).await;
    let fqdn = json!({ "properties": { "type": "FQDN", "destination": "pypi.org" } });
    let r = app
        .put(&format!("{}/outboundRules/pypi", app.ws_path()), fqdn)
        .await;
    assert_error(&r, 400, "BadRequest", &iso_9_text());
    assert_eq!(r.message(), iso_9_text());
    let tag = json!({ "properties": { "type": "ServiceTag", "destination": { "serviceTag": "AzureMonitor", "protocol": "TCP", "portRanges": "443" } } });
    let r = app
        .put(&format!("{}/outboundRules/monitor", app.ws_path()), tag)
        .await;
    assert_error(&r, 400, "BadRequest", &iso_9_text());
    let r = app.patch(&app.ws_path(), json!({ "properties": { "managedNetwork": { "outboundRules": { "pypi": { "type": "FQDN", "destination": "pypi.org" } } } } })).await;
    assert_error(&r, 400, "BadRequest", &iso_9_text());
    // Under AllowOnlyApprovedOutbound both are allowed.
    managed_ws(&app, "AllowOnlyApprovedOutbound", false).await;
    let fqdn = json!({ "properties": { "type": "FQDN", "destination": "pypi.org" } });
    assert_eq!(
        app.put(&format!("{}/outboundRules/pypi", app.ws_path()), fqdn)
            .await
            .status,
        202
    );
}

#[tokio::test]
async fn iso_9_isolation_mode_changes_go_one_way() {
    let app = TestApp::spawn().await;
    managed_ws(&app, "AllowInternetOutbound", false).await;
    let r = app
        .patch(
            &app.ws_path(),
            json!({ "properties": { "managedNetwork": { "isolationMode": "Disabled" } } }),
        )
        .await;
    assert_error(
        &r,
        400,
        "BadRequest",
        "cannot be changed from \"AllowInternetOutbound\" to \"Disabled\"",
    );
    assert_eq!(
        r.body["error"]["target"],
        "properties.managedNetwork.isolationMode"
    );
    managed_ws(&app, "AllowOnlyApprovedOutbound", false).await;
    let r = app.patch(&app.ws_path(), json!({ "properties": { "managedNetwork": { "isolationMode": "AllowInternetOutbound" } } })).await;
    assert_error(&r, 400, "BadRequest", "ISO-9");
    // The same mode again is fine; the workspace PUT path applies the same rule.
    managed_ws(&app, "allowonlyapprovedoutbound", false).await;
    let mut ws = app.get(&app.ws_path()).await.body;
    ws["properties"]["managedNetwork"]["isolationMode"] = json!("Disabled");
    let r = app.put(&app.ws_path(), ws).await;
    assert_error(&r, 400, "BadRequest", "ISO-9");
    let mode = &app.get(&app.ws_path()).await.body["properties"]["managedNetwork"]["isolationMode"];
    assert_eq!(mode, "AllowOnlyApprovedOutbound");
}

#[tokio::test]
async fn iso_9_deployment_fails_until_managed_network_is_provisioned() {
    let app = TestApp::spawn().await;
    managed_ws(&app, "AllowOnlyApprovedOutbound", false).await;
    app.create_endpoint("ep-iso9", json!({})).await;
    let monitor = app.create_deployment("ep-iso9", "blue", json!({}), 1).await;
    assert_provisioning_failed(
        &app,
        "ep-iso9",
        "blue",
        &monitor,
        "WorkspaceManagedNetworkNotReady",
        "provisionManagedNetwork",
    )
    .await;
    let p = app
        .post(
            &format!("{}/provisionManagedNetwork", app.ws_path()),
            Some(json!({})),
        )
        .await;
    assert_eq!(p.status, 202, "{}", p.text);
    assert_eq!(app.wait(&p).await.body["status"], "Succeeded");
    // Re-PUT of the failed deployment now succeeds.
    let monitor = app.create_deployment("ep-iso9", "blue", json!({}), 1).await;
    assert_eq!(monitor.body["status"], "Succeeded", "{}", monitor.text);
    // provisionManagedNetwork without a managed network is refused.
    let legacy = TestApp::spawn().await;
    let r = legacy
        .post(
            &format!("{}/provisionManagedNetwork", legacy.ws_path()),
            Some(json!({})),
        )
        .await;
    assert_error(&r, 400, "BadRequest", "isolationMode");
}

#[tokio::test]
async fn iso_9_auto_provision_network_config() {
    let app = TestApp::spawn_with(|c| c.auto_provision_network = true).await;
    managed_ws(&app, "AllowInternetOutbound", false).await;
    let ws = app.get(&app.ws_path()).await;
    assert_eq!(
        ws.body["properties"]["managedNetwork"]["status"]["status"], "Active",
        "{}",
        ws.text
    );
    app.create_endpoint("ep-auto", json!({})).await;
    let monitor = app.create_deployment("ep-auto", "blue", json!({}), 1).await;
    assert_eq!(monitor.body["status"], "Succeeded", "{}", monitor.text);
}

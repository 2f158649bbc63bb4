//! The workspace managed network as recorded real Azure answers it (issue 15; cassettes
//! `test_workspace_managednetwork_outbound_rule_operations`, `test_workspace_managednetwork_provision`,
//! `test_featurestore_managednetwork_provision` of az ml 2.41.1).
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use common::TestApp;
use serde_json::{json, Value};

/// Waits for a write that was accepted (`200`/`201`, or `202` and its operation).
async fn settle(app: &TestApp, r: common::Resp) {
    assert!(r.status < 300, "{}", r.text);
    if r.status == 202 {
        app.wait(&r).await;
    }
}

async fn set_mode(app: &TestApp, mode: &str) -> Value {
    let ws = app.ws_path();
    let body = json!({ "properties": { "managedNetwork": { "isolationMode": mode } } });
    settle(app, app.patch(&ws, body).await).await;
    app.get(&ws).await.body
}

/// `changeableIsolationModes` lists the modes the workspace may still move to: recorded
/// `['AllowOnlyApprovedOutbound']` under AllowInternetOutbound and `[]` under
/// AllowOnlyApprovedOutbound.
#[tokio::test]
async fn changeable_isolation_modes_are_the_modes_still_ahead() {
    let app = TestApp::spawn().await;
    let w = app.get(&app.ws_path()).await.body;
    assert_eq!(
        w["properties"]["managedNetwork"]["changeableIsolationModes"],
        json!(["AllowInternetOutbound", "AllowOnlyApprovedOutbound"])
    );
    let w = set_mode(&app, "AllowInternetOutbound").await;
    let mn = &w["properties"]["managedNetwork"];
    assert_eq!(
        mn["changeableIsolationModes"],
        json!(["AllowOnlyApprovedOutbound"])
    );
    // Azure shows no system rules under AllowInternetOutbound.
    let rules = mn["outboundRules"].as_object().cloned().unwrap_or_default();
    assert!(
        rules.keys().all(|n| !n.starts_with("__SYS_ST_")),
        "{rules:?}"
    );
    let w = set_mode(&app, "AllowOnlyApprovedOutbound").await;
    assert_eq!(
        w["properties"]["managedNetwork"]["changeableIsolationModes"],
        json!([])
    );
}

/// Under AllowOnlyApprovedOutbound Azure answers its system (`Required`) rules already before
/// provisioning: nine `__SYS_ST_` service tags (one the region's MicrosoftContainerRegistry) and
/// `__SYS_PE_` private endpoints to the workspace, its storage (blob, file) and key vault.
#[tokio::test]
async fn approved_outbound_shows_azures_system_rules() {
    let app = TestApp::spawn().await;
    let w = set_mode(&app, "AllowOnlyApprovedOutbound").await;
    let region = w["location"].as_str().unwrap().to_string();
    let guid8: String = w["properties"]["workspaceId"]
        .as_str()
        .unwrap()
        .chars()
        .take(8)
        .collect();
    let rules = w["properties"]["managedNetwork"]["outboundRules"].clone();
    assert_eq!(
        rules["__SYS_ST_AzureMachineLearning_UDP"],
        json!({ "type": "ServiceTag", "destination": { "serviceTag": "AzureMachineLearning",
            "protocol": "UDP", "portRanges": "5831", "action": "Allow", "addressPrefixes": [] },
            "status": "Inactive", "category": "Required" })
    );
    let mcr = format!("__SYS_ST_MicrosoftContainerRegistry.{region}_TCP");
    assert_eq!(
        rules[&mcr]["destination"]["serviceTag"],
        format!("MicrosoftContainerRegistry.{region}")
    );
    for n in [
        "AzureActiveDirectory_TCP",
        "AzureFrontDoor.FirstParty",
        "AzureMachineLearning_TCP",
        "AzureMonitor_TCP",
        "AzureResourceManager_TCP",
        "BatchNodeManagement_TCP",
        "VirtualNetwork",
    ] {
        assert_eq!(
            rules[format!("__SYS_ST_{n}")]["category"],
            "Required",
            "{n}"
        );
    }
    let ws_name = app.ws_path().rsplit('/').next().unwrap().to_string();
    let own = &rules[format!("__SYS_PE_{ws_name}_amlworkspace_{guid8}")];
    assert_eq!(
        own["destination"]["serviceResourceId"]
            .as_str()
            .unwrap()
            .to_lowercase(),
        w["id"].as_str().unwrap().to_lowercase()
    );
    assert_eq!(own["destination"]["sparkEnabled"], true);
    let storage = w["properties"]["storageAccount"].as_str().unwrap();
    let sa = storage.rsplit('/').next().unwrap();
    for sub in ["blob", "file"] {
        let r = &rules[format!("__SYS_PE_{sa}_{sub}_{guid8}")];
        assert_eq!(r["destination"]["serviceResourceId"], storage, "{sub}");
        assert_eq!(r["destination"]["sparkStatus"], "Inactive");
    }
    let kv = w["properties"]["keyVault"].as_str().unwrap();
    let vault = &rules[format!("__SYS_PE_{}_vault_{guid8}", kv.rsplit('/').next().unwrap())];
    assert_eq!(vault["destination"]["sparkEnabled"], false);

    // The same rules in the list and one by one; they are the service's: not changed or deleted.
    let ws = app.ws_path();
    let list = app.get(&format!("{ws}/outboundRules")).await.body;
    let listed = list["value"].as_array().unwrap();
    assert!(listed.iter().any(|r| r["name"] == mcr.as_str()), "{list}");
    let sys = format!("{ws}/outboundRules/__SYS_ST_VirtualNetwork");
    let one = app.get(&sys).await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.body["properties"]["destination"]["portRanges"], "*");
    let fqdn = json!({ "properties": { "type": "FQDN", "destination": "example.com" } });
    for r in [app.delete(&sys).await, app.put(&sys, fqdn).await] {
        assert_eq!(r.status, 400, "{}", r.text);
    }
    // Provisioned: Active.
    let p = app
        .post(&format!("{ws}/provisionManagedNetwork"), None)
        .await;
    app.wait(&p).await;
    let w = app.get(&app.ws_path()).await.body;
    assert_eq!(
        w["properties"]["managedNetwork"]["outboundRules"]["__SYS_ST_AzureMonitor_TCP"]["status"],
        "Active"
    );
}

/// A workspace PATCH with `managedNetwork.outboundRules` merges them into the rules the
/// workspace has (recorded: the rules the PATCH does not name stay, the ones it names are
/// added or replaced); a PUT of the workspace replaces them.
#[tokio::test]
async fn a_patch_merges_outbound_rules_a_put_replaces_them() {
    let app = TestApp::spawn().await;
    let ws = app.ws_path();
    let fqdn = |d: &str| json!({ "type": "FQDN", "category": "UserDefined", "destination": d });
    let mn = |rules: Value| {
        json!({ "properties": { "managedNetwork": {
        "isolationMode": "AllowOnlyApprovedOutbound", "outboundRules": rules } } })
    };
    for body in [
        mn(json!({ "first": fqdn("a.example.com") })),
        mn(json!({ "second": fqdn("b.example.com"), "first": fqdn("c.example.com") })),
    ] {
        settle(&app, app.patch(&ws, body).await).await;
    }
    let w = app.get(&ws).await.body;
    let rules = &w["properties"]["managedNetwork"]["outboundRules"];
    assert_eq!(rules["first"]["destination"], "c.example.com");
    assert_eq!(rules["second"]["destination"], "b.example.com");

    let mut put = mn(json!({ "third": fqdn("d.example.com") }));
    put["location"] = w["location"].clone();
    settle(&app, app.put(&ws, put).await).await;
    let w = app.get(&ws).await.body;
    let rules = &w["properties"]["managedNetwork"]["outboundRules"];
    assert!(
        rules.get("first").is_none() && rules.get("second").is_none(),
        "{rules}"
    );
    assert_eq!(rules["third"]["destination"], "d.example.com");
}

/// An outbound rule DELETE is accepted (202, `Azure-AsyncOperation` and `Location`) and its
/// `Location` result is the workspace, as a GET shows it (recorded).
#[tokio::test]
async fn an_outbound_rule_delete_results_in_the_workspace() {
    let app = TestApp::spawn().await;
    set_mode(&app, "AllowOnlyApprovedOutbound").await;
    let rule = format!("{}/outboundRules/pypi", app.ws_path());
    let body = json!({ "properties": { "type": "FQDN", "destination": "pypi.org" } });
    settle(&app, app.put(&rule, body).await).await;
    let del = app.delete(&rule).await;
    assert_eq!(del.status, 202, "{}", del.text);
    assert!(del.header("azure-asyncoperation").is_some());
    app.wait(&del).await;
    let result = app.get(&del.header("location").unwrap()).await;
    let w = app.get(&app.ws_path()).await.body;
    assert_eq!(result.status, 200, "{}", result.text);
    assert_eq!(result.body["id"], w["id"]);
    let rules = &result.body["properties"]["managedNetwork"]["outboundRules"];
    assert!(rules.get("pypi").is_none(), "{rules}");
    assert_eq!(
        result.body["properties"]["workspaceId"],
        w["properties"]["workspaceId"]
    );
}

/// `test_workspace_managednetwork_provision` (api-version 2023-08-01-preview): the workspace
/// shows the AI services it has not connected, none started, and no endpoint resources.
#[tokio::test]
async fn the_workspace_shows_its_unconnected_ai_services() {
    let app = TestApp::spawn().await;
    let version = "api-version=2023-08-01-preview";
    let w = app.get(&format!("{}?{version}", app.ws_path())).await.body;
    let p = &w["properties"];
    for k in [
        "azureOpenAI",
        "azureCognitiveSearch",
        "azureAIContentSafety",
    ] {
        assert_eq!(p[k]["provisioningState"], "NotStarted", "{k}");
        assert!(p[k]["resourceId"].is_null(), "{k}");
    }
    assert_eq!(p["azureOpenAI"]["deployedModels"], json!([]));
    assert_eq!(p["endpointResources"], json!({}));
}

/// Outbound rules are typed documents (issue 10): a destination whose fields do not have the
/// contract's types (`portRanges` is a string) is refused with the destination error, and the
/// fields a rule was given, known or not, are answered back.
#[tokio::test]
async fn outbound_rule_destinations_are_typed_and_echo_unknown_fields() {
    let app = TestApp::spawn().await;
    set_mode(&app, "AllowOnlyApprovedOutbound").await;
    let rule = format!("{}/outboundRules/storage", app.ws_path());
    let typed = |ports: Value| {
        json!({ "properties": { "type": "ServiceTag", "destination": {
        "serviceTag": "Storage", "protocol": "TCP", "portRanges": ports, "note": "kept" } } })
    };
    let bad = app.put(&rule, typed(json!(443))).await;
    let want = amlite::arm::errors::outbound_rule_destination_invalid(
        "properties.destination",
        "ServiceTag",
        "an object with 'serviceTag', 'protocol' and 'portRanges'",
    );
    assert_eq!(
        (bad.status, bad.code()),
        (400, "BadRequest"),
        "{}",
        bad.text
    );
    assert_eq!(bad.message(), want.message);
    settle(&app, app.put(&rule, typed(json!("443"))).await).await;
    let got = app.get(&rule).await;
    let dest = &got.body["properties"]["destination"];
    assert_eq!(
        (dest["portRanges"].clone(), dest["note"].clone()),
        (json!("443"), json!("kept"))
    );
    assert_eq!(dest["action"], "Allow", "{dest}");
}

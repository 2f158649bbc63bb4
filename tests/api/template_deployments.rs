//! ARM template deployments (issue 15): the template `workspaces.begin_create` sends is
//! evaluated, and the deployment body carries what Azure's does (recorded:
//! `test_workspace_managednetwork_provision`): typed `parameters` with defaults evaluated,
//! `providers`, `dependencies` without the resources whose condition was false, and the
//! deployed `outputResources`; the workspace gets the template's associated resource ids.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use common::TestApp;
use serde_json::{json, Value};

/// A small workspace template in the shape azure-ai-ml sends: optional registry, storage, key
/// vault and a workspace depending on them.
pub(crate) fn template() -> Value {
    json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {
            "workspaceName": {"type": "string"},
            "location": {"type": "string"},
            "registryOption": {"type": "string", "defaultValue": "none"},
            "storageName": {"type": "string", "defaultValue": "[concat('sa', uniqueString(resourceGroup().name, parameters('workspaceName')))]"}
        },
        "variables": {
            "storage": "[resourceId('Microsoft.Storage/storageAccounts', parameters('storageName'))]",
            "vault": "[resourceId('Microsoft.KeyVault/vaults', concat('kv', parameters('workspaceName')))]"
        },
        "resources": [
            {"condition": "[equals(parameters('registryOption'), 'new')]", "type": "Microsoft.ContainerRegistry/registries",
             "apiVersion": "2019-05-01", "name": "crx", "location": "[parameters('location')]"},
            {"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2019-04-01", "name": "[parameters('storageName')]",
             "location": "[parameters('location')]"},
            {"type": "Microsoft.KeyVault/vaults", "apiVersion": "2019-09-01", "name": "[concat('kv', parameters('workspaceName'))]",
             "location": "[parameters('location')]"},
            {"type": "Microsoft.MachineLearningServices/workspaces", "apiVersion": "2023-08-01-preview",
             "name": "[parameters('workspaceName')]", "location": "[parameters('location')]",
             "dependsOn": ["[variables('storage')]", "[variables('vault')]", "[resourceId('Microsoft.ContainerRegistry/registries', 'crx')]"],
             "properties": {"friendlyName": "[parameters('workspaceName')]", "storageAccount": "[variables('storage')]",
                            "keyVault": "[variables('vault')]",
                            "containerRegistry": "[if(equals(parameters('registryOption'), 'none'), json('null'), 'x')]"}}
        ]
    })
}

#[tokio::test]
async fn a_template_deployment_evaluates_the_template_as_arm_does() {
    let app = TestApp::spawn().await;
    let rg = format!("/subscriptions/{}/resourceGroups/{}", app.sub, app.rg);
    let dep = format!("{rg}/providers/Microsoft.Resources/deployments/d1?api-version=2020-06-01");
    let body = json!({"properties": {"mode": "Incremental", "template": template(), "parameters": {
        "workspaceName": {"value": "wstpl"}, "location": {"value": "westus2"}}}});
    let r = app.put(&dep, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let p = &r.body["properties"];
    assert_eq!(p["provisioningState"], "Accepted", "{}", r.text);
    assert!(p["templateHash"].as_str().unwrap().parse::<u64>().is_ok());
    assert_eq!(
        p["parameters"]["registryOption"],
        json!({"type": "String", "value": "none"})
    );
    let storage = p["parameters"]["storageName"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        storage.starts_with("sa") && storage.len() == 15,
        "{storage}"
    );
    assert_eq!(app.wait(&r).await.body["status"], "Succeeded");

    let r = app.get(&dep).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let p = &r.body["properties"];
    assert_eq!(p["provisioningState"], "Succeeded");
    let ids: Vec<&str> = p["outputResources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["id"].as_str())
        .collect();
    let storage_id = format!("{rg}/providers/Microsoft.Storage/storageAccounts/{storage}");
    let vault_id = format!("{rg}/providers/Microsoft.KeyVault/vaults/kvwstpl");
    let ws_id = format!("{rg}/providers/Microsoft.MachineLearningServices/workspaces/wstpl");
    assert_eq!(
        ids,
        vec![vault_id.as_str(), ws_id.as_str(), storage_id.as_str()]
    );
    let namespaces: Vec<&str> = p["providers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["namespace"].as_str())
        .collect();
    assert_eq!(
        namespaces,
        [
            "Microsoft.Storage",
            "Microsoft.KeyVault",
            "Microsoft.MachineLearningServices"
        ]
    );
    // The registry was not deployed: the workspace's dependency on it is not listed.
    let deps = p["dependencies"].as_array().unwrap();
    assert_eq!(deps.len(), 1, "{deps:?}");
    let on: Vec<&str> = deps[0]["dependsOn"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["id"].as_str())
        .collect();
    assert_eq!(on, vec![storage_id.as_str(), vault_id.as_str()]);

    // The workspace has the template's associated resources, and they exist as resources.
    let ws = app.get(&format!("{ws_id}?api-version=2024-04-01")).await;
    assert_eq!(ws.status, 200, "{}", ws.text);
    assert_eq!(ws.body["properties"]["storageAccount"], json!(storage_id));
    assert_eq!(ws.body["properties"]["keyVault"], json!(vault_id));
    let r = app
        .delete(&format!("{storage_id}?api-version=2023-01-01"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn a_template_arm_cannot_evaluate_is_invalid_template() {
    let app = TestApp::spawn().await;
    let dep = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Resources/deployments/bad?api-version=2020-06-01",
        app.sub, app.rg
    );
    let mut t = template();
    t["resources"][1]["name"] = json!("[nosuch(parameters('workspaceName'))]");
    let cases = [
        (t, json!({"workspaceName": {"value": "w"}, "location": {"value": "x"}}),
         "The template function 'nosuch' is not found or not supported by amlite."),
        (template(), json!({"workspaceName": {"value": "w"}}),
         "The value for the template parameter 'location' is not provided. Please see https://aka.ms/arm-create-parameter-file for usage details."),
    ];
    for (t, params, reason) in cases {
        let r = app
            .put(
                &dep,
                json!({"properties": {"mode": "Incremental", "template": t, "parameters": params}}),
            )
            .await;
        let want = amlite::arm::errors::invalid_template(reason);
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(r.body["error"]["code"], want.code, "{}", r.text);
        assert_eq!(
            r.body["error"]["message"],
            json!(want.message),
            "{}",
            r.text
        );
    }
    // Nothing was created.
    let r = app.get(&dep).await;
    assert_eq!(r.status, 404, "{}", r.text);
}

/// The feature store shape of the azure-ai-ml template: a nested deployment re-deploys the
/// workspace as `featurestore` with a user-assigned identity and settings, the workspace has a
/// connection child, and the storage account has a hierarchical namespace.
fn feature_store_template() -> Value {
    json!({
        "parameters": {"workspaceName": {"type": "string"}, "location": {"type": "string"}},
        "variables": {
            "storage": "[resourceId('Microsoft.Storage/storageAccounts', 'fsstore')]",
            "uai": "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'fs-uai')]"
        },
        "resources": [
            {"type": "Microsoft.ManagedIdentity/userAssignedIdentities", "name": "fs-uai", "location": "[parameters('location')]"},
            {"type": "Microsoft.Storage/storageAccounts", "name": "fsstore", "location": "[parameters('location')]",
             "properties": {"isHnsEnabled": "[equals('true', 'true')]"}},
            {"type": "Microsoft.MachineLearningServices/workspaces", "name": "[parameters('workspaceName')]",
             "location": "[parameters('location')]", "kind": "Default", "identity": {"type": "SystemAssigned"},
             "properties": {"storageAccount": "[variables('storage')]"},
             "resources": [
                {"type": "connections", "name": "OfflineStoreConnectionName", "identity": {"type": "SystemAssigned"},
                 "dependsOn": ["[resourceId('Microsoft.MachineLearningServices/workspaces', parameters('workspaceName'))]"],
                 "properties": {"category": "AzureDataLakeGen2", "authType": "ManagedIdentity",
                                "target": "[concat(variables('storage'), '/blobServices/default/containers/offline')]",
                                "credentials": {"resourceid": "[variables('uai')]",
                                                "clientid": "[reference(variables('uai'), '2018-11-30').clientId]"}}}
             ]},
            {"type": "Microsoft.Resources/deployments", "name": "[concat(parameters('workspaceName'), '-deploy-feature-store')]",
             "dependsOn": ["[resourceId('Microsoft.MachineLearningServices/workspaces', parameters('workspaceName'))]"],
             "properties": {"mode": "Incremental", "template": {"resources": [
                {"type": "Microsoft.MachineLearningServices/workspaces", "name": "[parameters('workspaceName')]",
                 "location": "[parameters('location')]", "kind": "featurestore",
                 "identity": {"type": "SystemAssigned,UserAssigned", "userAssignedIdentities": {"[variables('uai')]": {}}},
                 "properties": {"storageAccount": "[variables('storage')]",
                                "featureStoreSettings": {"computeruntime": {"SparkRuntimeVersion": "3.3"},
                                                         "offlinestoreconnectionname": "OfflineStoreConnectionName",
                                                         "onlinestoreconnectionname": ""}}}
             ]}}}
        ]
    })
}

#[tokio::test]
async fn a_feature_store_template_makes_a_feature_store_with_its_connection() {
    let app = TestApp::spawn().await;
    let rg = format!("/subscriptions/{}/resourceGroups/{}", app.sub, app.rg);
    let dep = format!("{rg}/providers/Microsoft.Resources/deployments/fs?api-version=2020-06-01");
    let body = json!({"properties": {"mode": "Incremental", "template": feature_store_template(), "parameters": {
        "workspaceName": {"value": "fs1"}, "location": {"value": "eastus"}}}});
    let r = app.put(&dep, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let ws_id = format!("{rg}/providers/Microsoft.MachineLearningServices/workspaces/fs1");
    let uai = format!("{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/fs-uai");
    let ws = app.get(&format!("{ws_id}?api-version=2024-04-01")).await;
    assert_eq!(ws.status, 200, "{}", ws.text);
    assert_eq!(ws.body["kind"], "FeatureStore");
    assert_eq!(ws.body["identity"]["type"], "SystemAssigned,UserAssigned");
    assert!(
        ws.body["identity"]["userAssignedIdentities"]
            .get(&uai)
            .is_some(),
        "{}",
        ws.text
    );
    assert_eq!(ws.body["properties"]["storageHnsEnabled"], true);
    assert_eq!(
        ws.body["properties"]["featureStoreSettings"],
        json!({"computeRuntime": {"sparkRuntimeVersion": "3.3"},
               "offlineStoreConnectionName": "OfflineStoreConnectionName", "onlineStoreConnectionName": ""})
    );

    let conn = format!("{ws_id}/connections/OfflineStoreConnectionName?api-version=2024-04-01");
    let r = app.get(&conn).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["type"],
        "Microsoft.MachineLearningServices/workspaces/connections"
    );
    let p = &r.body["properties"];
    assert_eq!(
        (p["category"].as_str(), p["authType"].as_str()),
        (Some("ADLSGen2"), Some("ManagedIdentity"))
    );
    assert_eq!(p["target"], json!(format!("{rg}/providers/Microsoft.Storage/storageAccounts/fsstore/blobServices/default/containers/offline")));
    assert_eq!(
        p["credentials"],
        Value::Null,
        "Azure never answers a connection's credentials"
    );
    assert_eq!(p["createdByWorkspaceArmId"], json!(ws_id));
    let list = app
        .get(&format!("{ws_id}/connections?api-version=2024-04-01"))
        .await;
    assert_eq!(
        list.body["value"].as_array().map(Vec::len),
        Some(1),
        "{}",
        list.text
    );
    assert_eq!(app.delete(&conn).await.status, 200);
    assert_eq!(app.delete(&conn).await.status, 204);
    let r = app.get(&conn).await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "ResourceNotFound");
}

#[tokio::test]
async fn a_missing_deployment_is_arms_deployment_not_found() {
    let app = TestApp::spawn().await;
    let rg = format!("/subscriptions/{}/resourceGroups/{}", app.sub, app.rg);
    let want = amlite::arm::errors::deployment_not_found("nope");
    for path in [
        format!("{rg}/providers/Microsoft.Resources/deployments/nope?api-version=2020-06-01"),
        format!("{rg}/providers/Microsoft.Resources/deployments/nope/operationStatuses/123?api-version=2020-06-01"),
        format!("{rg}/providers/Microsoft.Resources/deployments/nope/operations?api-version=2020-06-01"),
        format!("{rg}/deployments/nope/operations?api-version=2020-06-01"),
    ] {
        let r = app.get(&path).await;
        assert_eq!((r.status, r.code()), (404, want.code.as_str()), "{path}: {}", r.text);
        assert_eq!(r.body["error"]["message"], json!(want.message), "{path}");
    }
}

/// A workspace resource whose body names its properties in PascalCase is deployed as asked, as
/// the resource provider reads any request body (it succeeded with the properties dropped: the
/// workspace public, its tags lost).
#[tokio::test]
async fn a_template_workspace_in_pascal_case_gets_its_properties() {
    let app = TestApp::spawn().await;
    let rg = format!("/subscriptions/{}/resourceGroups/{}", app.sub, app.rg);
    let dep =
        format!("{rg}/providers/Microsoft.Resources/deployments/pascal?api-version=2020-06-01");
    let mut tpl = template();
    let resources = tpl["resources"].as_array_mut().unwrap();
    let ws = resources.last_mut().unwrap();
    let props = ws.as_object_mut().unwrap().remove("properties").unwrap();
    let mut props = props.as_object().unwrap().clone();
    props.insert("PublicNetworkAccess".into(), json!("Disabled"));
    ws["Properties"] = Value::Object(props);
    ws["Tags"] = json!({ "Team": "a" });
    let body = json!({"properties": {"mode": "Incremental", "template": tpl, "parameters": {
        "workspaceName": {"value": "wspascal"}, "location": {"value": "eastus"}}}});
    let r = app.put(&dep, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(app.wait(&r).await.body["status"], "Succeeded");
    let got = app
        .get(&format!(
            "{rg}/providers/Microsoft.MachineLearningServices/workspaces/wspascal"
        ))
        .await;
    assert_eq!(
        got.body["properties"]["publicNetworkAccess"], "Disabled",
        "{}",
        got.text
    );
    assert_eq!(got.body["tags"], json!({ "Team": "a" }), "{}", got.text);
}

//! The ARM plumbing bodies equal the `json!` bodies they replaced.
use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::*;

/// The ARM plumbing bodies equal the `json!` bodies they replaced (copied from `plumbing.rs`).
#[test]
fn platform_bodies_render_as_before() {
    assert_eq!(wire(&Status { status: "ok" }), json!({ "status": "ok" }));
    let base = "https://127.0.0.1:4443";
    let cloud = json!({
        "name": "amlite-4443", "portal": base, "resourceManager": format!("{base}/"),
        "authentication": { "loginEndpoint": format!("{base}/"), "audiences": [format!("{base}/")],
            "tenant": "common", "identityProvider": "AAD" },
        "media": format!("{base}/"), "graphAudience": format!("{base}/"), "graph": format!("{base}/"),
        "sqlManagement": format!("{base}/"), "microsoftGraphResourceId": format!("{base}/"),
        "activeDirectoryDataLake": format!("{base}/"), "batch": format!("{base}/"),
        "gallery": format!("{base}/"), "vmImageAliasDoc": format!("{base}/vmImageAliasDoc"),
        "suffixes": { "storage": "core.windows.net", "keyVaultDns": "vault.azure.net",
            "acrLoginServer": "azurecr.io", "sqlServerHostname": "database.windows.net",
            "azureDataLakeStoreFileSystem": "azuredatalakestore.net",
            "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net" }
    });
    assert_eq!(wire(&cloud_metadata(base)), cloud);
    assert_eq!(wire(&[cloud_metadata(base)]), json!([cloud]));
    let token = MsiToken {
        access_token: "t".into(),
        expires_on: 5.to_string(),
        resource: "r".into(),
        token_type: "Bearer",
        client_id: crate::identity::CLIENT_ID,
    };
    assert_eq!(
        wire(&token),
        json!({ "access_token": "t", "expires_on": "5", "resource": "r", "token_type": "Bearer",
            "client_id": crate::identity::CLIENT_ID })
    );
    let old_sub = |id: &str, doc: &Value| {
        let sid = id.rsplit('/').next().unwrap_or("");
        json!({
            "id": id, "subscriptionId": sid, "tenantId": TENANT,
            "displayName": doc.get("displayName").cloned().unwrap_or(json!(sid)),
            "state": "Enabled", "authorizationSource": "RoleBased",
            "subscriptionPolicies": { "locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01", "spendingLimit": "Off" }
        })
    };
    let docs = [json!({}), json!({ "displayName": "D" })];
    for doc in &docs {
        assert_eq!(
            wire(&subscription("/subscriptions/s1", TENANT, doc)),
            old_sub("/subscriptions/s1", doc)
        );
    }
    let subs = vec![subscription("/subscriptions/s1", TENANT, &docs[0])];
    assert_eq!(
        wire(&subscription_list(subs)),
        json!({ "value": [old_sub("/subscriptions/s1", &docs[0])], "count": { "type": "Total", "value": 1 } })
    );
    let rg_doc = ResourceGroupDoc {
        location: "westus".into(),
        tags: BTreeMap::from([("a".into(), "b".into())]),
    };
    assert_eq!(
        wire(&rg_doc),
        json!({ "location": "westus", "tags": { "a": "b" } })
    );
    for doc in [to_value(&rg_doc), json!({})] {
        assert_eq!(
            wire(&resource_group(
                "/subscriptions/s1/resourceGroups/g",
                "g",
                &doc
            )),
            json!({
                "id": "/subscriptions/s1/resourceGroups/g", "name": "g", "type": "Microsoft.Resources/resourceGroups",
                "location": doc.get("location").cloned().unwrap_or(json!("eastus")),
                "tags": doc.get("tags").cloned().unwrap_or(json!({})),
                "properties": { "provisioningState": "Succeeded" }
            })
        );
    }
    let t_doc = TemplateDeploymentDoc {
        timestamp: "now".into(),
        workspace: "/ws".into(),
        ..Default::default()
    };
    assert_eq!(
        wire(&t_doc),
        json!({ "timestamp": "now", "workspace": "/ws" })
    );
    let id = rg().child("providers/Microsoft.Resources/deployments", "d");
    // A row written before templates were evaluated: the workspace is its output resource.
    assert_eq!(
        wire(&template_deployment(&id, &t_doc, false)),
        json!({
            "id": id.as_str(), "name": id.name(), "type": "Microsoft.Resources/deployments",
            "properties": {
                "provisioningState": "Succeeded", "mode": "Incremental", "duration": "PT1S",
                "timestamp": "now", "outputResources": [{ "id": "/ws" }]
            }
        })
    );
    let accepted = wire(&template_deployment(&id, &t_doc, true));
    assert_eq!(accepted["properties"]["provisioningState"], "Accepted");
    assert_eq!(accepted["properties"].get("outputResources"), None);
    assert_eq!(wire(&list(Vec::<Value>::new())), json!({ "value": [] }));
    let entry = InventoryEntry {
        id: "/x".into(),
        kind: "workspace".into(),
    };
    assert_eq!(
        wire(&list(vec![entry])),
        json!({ "value": [{ "id": "/x", "kind": "workspace" }] })
    );
}

#[test]
fn provider_registrations_render_as_before() {
    const LOCS: &[&str] = &["East US", "West US"];
    const V1: &[&str] = &["2024-01-01", "2023-01-01"];
    const NONE: &[&str] = &[];
    let types = [("workspaces", V1), ("empty", NONE)];
    let sub = ResourceId::subscription("s1");
    let old: Vec<Value> = types
        .iter()
        .map(|(t, versions)| {
            json!({
                "resourceType": t, "locations": LOCS, "apiVersions": versions,
                "defaultApiVersion": versions.first(), "capabilities": "None"
            })
        })
        .collect();
    assert_eq!(
        wire(&provider_registration(&sub, "Microsoft.X", &types, LOCS)),
        json!({
            "id": format!("{sub}/providers/Microsoft.X"),
            "namespace": "Microsoft.X", "registrationState": "Registered",
            "registrationPolicy": "RegistrationRequired", "resourceTypes": old
        })
    );
}

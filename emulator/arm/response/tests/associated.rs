//! The associated resources' bodies equal the `json!` bodies they replaced (copied from
//! `arm/platform/associated.rs` before issue 10's typing).
use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::*;
use crate::domain::{AssociatedDoc, PrivateEndpointConnection, PublicNetworkAccess};

/// The removed renderer, verbatim (only `state.tenant_id` became `tenant`).
fn old_body(
    kind: ResourceKind,
    id: &ResourceId,
    d: &AssociatedDoc,
    tenant: &str,
    pecs: Vec<Value>,
) -> Value {
    let name = id.name();
    let pna = d.public_network_access.as_str();
    let created = crate::domain::arm_time(d.audit.created_at);
    let (extra, props) = match kind {
        ResourceKind::StorageAccount => (
            json!({ "kind": "StorageV2", "sku": { "name": "Standard_LRS", "tier": "Standard" } }),
            json!({
                "publicNetworkAccess": pna, "privateEndpointConnections": pecs, "creationTime": created,
                "primaryLocation": d.location, "statusOfPrimary": "available", "supportsHttpsTrafficOnly": true,
                "minimumTlsVersion": "TLS1_2", "allowBlobPublicAccess": false,
                "networkAcls": { "bypass": "AzureServices", "virtualNetworkRules": [], "ipRules": [], "defaultAction": "Allow" },
                "primaryEndpoints": {
                    "blob": format!("https://{name}.blob.core.windows.net/"), "file": format!("https://{name}.file.core.windows.net/"),
                    "queue": format!("https://{name}.queue.core.windows.net/"), "table": format!("https://{name}.table.core.windows.net/"),
                    "dfs": format!("https://{name}.dfs.core.windows.net/"), "web": format!("https://{name}.z13.web.core.windows.net/")
                }
            }),
        ),
        ResourceKind::KeyVault => (
            json!({}),
            json!({
                "publicNetworkAccess": pna, "privateEndpointConnections": pecs, "tenantId": tenant,
                "sku": { "family": "A", "name": "standard" }, "accessPolicies": [],
                "vaultUri": format!("https://{name}.vault.azure.net/"), "enableSoftDelete": true,
                "softDeleteRetentionInDays": 90, "enableRbacAuthorization": false
            }),
        ),
        ResourceKind::ContainerRegistry => (
            json!({ "sku": { "name": "Premium", "tier": "Premium" } }),
            json!({
                "publicNetworkAccess": pna, "privateEndpointConnections": pecs, "creationDate": created,
                "loginServer": format!("{}.azurecr.io", name.to_ascii_lowercase()), "adminUserEnabled": false,
                "networkRuleBypassOptions": "AzureServices"
            }),
        ),
        _ => (
            json!({ "kind": "web" }),
            json!({
                "ApplicationId": name, "AppId": d.guid, "Application_Type": "web", "InstrumentationKey": d.guid,
                "ConnectionString": format!("InstrumentationKey={};IngestionEndpoint=https://{}.in.applicationinsights.azure.com/", d.guid, d.location),
                "CreationDate": created, "publicNetworkAccessForIngestion": pna, "publicNetworkAccessForQuery": pna,
                "privateLinkScopedResources": []
            }),
        ),
    };
    let mut out = json!({
        "id": id.as_str(), "name": name, "type": kind.arm_type(), "location": d.location, "tags": d.tags,
        "systemData": wire(&system_data(&d.audit)),
    });
    if let (Some(o), Some(e)) = (out.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    let mut props = props;
    props["provisioningState"] = json!("Succeeded");
    out["properties"] = props;
    out
}

fn old_pec(kind: ResourceKind, id: &ResourceId, c: &PrivateEndpointConnection) -> Value {
    json!({
        "id": id.as_str(), "name": id.name(), "type": format!("{}/privateEndpointConnections", kind.arm_type()),
        "properties": {
            "privateEndpoint": { "id": c.private_endpoint_id },
            "privateLinkServiceConnectionState": { "status": c.status, "description": c.description, "actionRequired": "None" },
            "provisioningState": "Succeeded"
        }
    })
}

#[test]
fn associated_bodies_render_as_before() {
    let doc = AssociatedDoc {
        location: "eastus".into(),
        tags: BTreeMap::from([("k".to_string(), "v".to_string())]),
        public_network_access: PublicNetworkAccess::Disabled,
        workspace: ws_id().to_string(),
        guid: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0".into(),
        audit: audit(),
    };
    let pec = PrivateEndpointConnection {
        private_endpoint_id:
            "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Network/privateEndpoints/pe"
                .into(),
        subnet_id: None,
        status: "Approved".into(),
        description: "Auto-approved".into(),
        owner_deployment: None,
        audit: audit(),
    };
    for (kind, ty) in [
        (
            ResourceKind::StorageAccount,
            "Microsoft.Storage/storageAccounts",
        ),
        (ResourceKind::KeyVault, "Microsoft.KeyVault/vaults"),
        (
            ResourceKind::ContainerRegistry,
            "Microsoft.ContainerRegistry/registries",
        ),
        (
            ResourceKind::ApplicationInsights,
            "Microsoft.Insights/components",
        ),
    ] {
        let id = rg().child(&format!("providers/{ty}"), "Res1");
        let pec_id = id.child("privateEndpointConnections", "pe.1");
        let typed = associated(
            kind,
            &id,
            &doc,
            "tenant-1",
            vec![associated_pec(kind, &pec_id, &pec)],
        );
        let old = old_body(
            kind,
            &id,
            &doc,
            "tenant-1",
            vec![old_pec(kind, &pec_id, &pec)],
        );
        assert_eq!(wire(&typed), old, "{kind:?}");
        let link = associated_link_resource(kind, &id, "blob");
        assert_eq!(
            wire(&link),
            json!({
                "id": id.child("privateLinkResources", "blob").as_str(), "name": "blob",
                "type": format!("{}/privateLinkResources", kind.arm_type()),
                "properties": { "groupId": "blob", "requiredMembers": ["blob"], "requiredZoneNames": [] }
            })
        );
    }
}

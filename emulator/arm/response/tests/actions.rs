//! The action, container, datastore and secrets bodies equal the `json!` bodies they replaced.
use serde_json::{json, Value};

use super::*;

/// The action bodies, asset containers and the default datastore equal the `json!` bodies they
/// replaced (copied here from the handlers as they were).
#[test]
fn actions_containers_and_the_default_datastore_render_as_before() {
    let keys = EndpointKeys {
        primary: "p".into(),
        secondary: "s".into(),
    };
    assert_eq!(
        wire(&endpoint_keys(&keys)),
        json!({ "primaryKey": keys.primary, "secondaryKey": keys.secondary })
    );
    let (now, lifetime) = (1_700_000_000_i64, 3601_i64);
    assert_eq!(
        wire(&endpoint_token("t".into(), now, lifetime)),
        json!({ "accessToken": "t", "tokenType": "Bearer", "expiryTimeUtc": now + lifetime,
            "refreshAfterTimeUtc": now + lifetime / 2 })
    );
    let logs = DeploymentLogs {
        content: "a\nb".into(),
    };
    assert_eq!(wire(&logs), json!({ "content": "a\nb" }));
    assert_eq!(
        wire(&deployment_skus()),
        json!({ "value": [{
            "resourceType": ResourceKind::OnlineDeployment.arm_type(),
            "sku": { "name": "Default", "tier": "Standard" },
            "capacity": { "minimum": 1, "maximum": 50, "default": 1, "scaleType": "Manual" }
        }] })
    );
    let ws = ws_id();
    for (latest, next) in [(Some("3".to_string()), "4"), (None, "1")] {
        let (coll, name) = ("models", "m");
        assert_eq!(
            wire(&asset_container(
                &ws,
                coll,
                name,
                &crate::domain::AssetContainer::default(),
                (latest.clone(), next.into())
            )),
            json!({ "id": ws.child(coll, name).as_str(), "name": name,
                "type": format!("Microsoft.MachineLearningServices/workspaces/{coll}"),
                "properties": { "isArchived": false, "latestVersion": latest, "nextVersion": next,
                    "description": Value::Null, "tags": {}, "properties": {},
                    "provisioningState": "Succeeded" } })
        );
    }
    let store = default_datastore(&ws, "127.0.0.1:1/acct".into(), "c".into(), &audit());
    assert_eq!(
        wire(&store),
        json!({
            "id": ws.child("datastores", "workspaceblobstore").as_str(), "name": "workspaceblobstore",
            "type": ResourceKind::Datastore.arm_type(), "systemData": system_data_by_service(&audit()),
            "properties": {
                "datastoreType": "AzureBlob", "accountName": "127.0.0.1:1/acct",
                "containerName": "c", "endpoint": "core.windows.net", "protocol": "https",
                "isDefault": true, "credentials": { "credentialsType": "AccountKey", "secrets": { "secretsType": "AccountKey" } },
                "serviceDataAccessAuthIdentity": "WorkspaceSystemAssignedIdentity", "description": Value::Null, "tags": {}, "properties": {}
            }
        })
    );
}

/// The asset secrets bodies equal the `json!` bodies they replaced.
#[test]
fn asset_secrets_render_as_before() {
    let sas = DatastoreSecretsBody::Sas {
        sas_token: "sv=1".into(),
    };
    assert_eq!(
        wire(&sas),
        json!({ "secretsType": "Sas", "sasToken": "sv=1" })
    );
    let key = DatastoreSecretsBody::AccountKey { key: "k".into() };
    assert_eq!(
        wire(&key),
        json!({ "secretsType": "AccountKey", "key": "k" })
    );
    let blob_uri = "https://127.0.0.1:1/acct/code-1".to_string();
    let body = pending_upload(
        blob_uri.clone(),
        "/st".into(),
        "sig=x",
        "1".into(),
        "TemporaryBlobReference".into(),
    );
    assert_eq!(
        wire(&body),
        json!({
            "blobReferenceForConsumption": {
                "blobUri": blob_uri,
                "storageAccountArmId": "/st",
                "credential": { "credentialType": "SAS", "sasUri": format!("{blob_uri}?sig=x") }
            },
            "pendingUploadId": "1",
            "pendingUploadType": "TemporaryBlobReference",
        })
    );
}

//! A workspace asset version (model, code, environment) or datastore: the stored `properties`
//! echoed, without the declared fields whose type is wrong; an asset container; the default
//! datastore Azure ML creates in every workspace.
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::{system_data, system_data_by_service, Resource};
use crate::domain::{Asset, AssetContainer, ResourceId, ResourceKind};

/// An asset's `properties`: what the client sent (the SDK sends newer api-versions' fields and
/// may read them back), filtered by [`ASSET_FIELDS`].
pub type AssetProperties = Map<String, Value>;

/// JSON type a field of an asset version's `properties` has in `mfe.json`.
#[derive(Clone, Copy, PartialEq)]
enum Json {
    Str,
    Bool,
    StrMap,
    Object,
}

/// Fields of `ModelVersion`, `CodeVersion`, `EnvironmentVersion` (and their `AssetBase`) whose
/// type amlite checks before echoing them; `null` passes only for the `x-nullable` maps (the
/// nullable strings are dropped when null: omitting them is always valid).
const ASSET_FIELDS: &[(&str, Json)] = &[
    ("description", Json::Str),
    ("tags", Json::StrMap),
    ("properties", Json::StrMap),
    ("isAnonymous", Json::Bool),
    ("isArchived", Json::Bool),
    ("modelUri", Json::Str),
    ("modelType", Json::Str),
    ("jobName", Json::Str),
    ("stage", Json::Str),
    ("flavors", Json::Object),
    ("codeUri", Json::Str),
    ("image", Json::Str),
    ("condaFile", Json::Str),
    ("osType", Json::Str),
    ("build", Json::Object),
    ("inferenceConfig", Json::Object),
    ("autoRebuild", Json::Str),
];

/// An asset version's stored `properties` without the declared fields whose type is wrong (all
/// optional; the store keeps what a PUT sent, the contract's types must hold on the way out).
/// Unknown fields stay.
pub(super) fn asset_properties(stored: &Value) -> AssetProperties {
    let Some(map) = stored.as_object() else {
        return Map::new();
    };
    let mut props = map.clone();
    props.retain(|name, v| {
        let Some((_, kind)) = ASSET_FIELDS.iter().find(|(n, _)| n == name) else {
            return true;
        };
        match kind {
            Json::Str => v.is_string(),
            Json::Bool => v.is_boolean(),
            Json::Object => v.is_object(),
            Json::StrMap => {
                v.is_null()
                    || v.as_object()
                        .is_some_and(|m| m.values().all(Value::is_string))
            }
        }
    });
    props
}

/// A workspace asset version (model, code, environment) or datastore.
/// A datastore's `credentials.secrets` are write-only, as Azure keeps them: stored (a PUT sends
/// them), never answered by a PUT, GET or list (they were, in full, to anyone who could read
/// the workspace).
pub fn asset(id: &ResourceId, kind: ResourceKind, a: &Asset) -> Resource<AssetProperties> {
    let mut props = asset_properties(&a.properties);
    if kind == ResourceKind::Datastore {
        if let Some(Value::Object(credentials)) = props.get_mut("credentials") {
            credentials.retain(|k, _| !k.eq_ignore_ascii_case("secrets"));
        }
    }
    Resource {
        system_data: Some(system_data(&a.audit)),
        ..Resource::new(id, kind, props)
    }
}

/// An asset container's properties (`ModelContainer`, `CodeContainer`, ...).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AssetContainerProperties {
    /// `isArchived`.
    pub is_archived: bool,
    /// `latestVersion` (`null` when none).
    pub latest_version: Option<String>,
    /// `nextVersion`.
    pub next_version: String,
    /// `description` (`null` when never set, recorded: `test_model`).
    pub description: Option<String>,
    /// `tags`.
    pub tags: BTreeMap<String, String>,
    /// `properties`.
    pub properties: BTreeMap<String, String>,
    /// `provisioningState`: `Succeeded` (a container is written synchronously).
    pub provisioning_state: &'static str,
}

/// The container `name` of the collection `coll` (`models`, `codes`, `environments`) in the
/// workspace `ws`: its stored fields and the summary of its versions `(latest, next)`.
pub fn asset_container(
    ws: &ResourceId,
    coll: &str,
    name: &str,
    c: &AssetContainer,
    (latest_version, next_version): (Option<String>, String),
) -> Resource<AssetContainerProperties> {
    let props = AssetContainerProperties {
        is_archived: c.is_archived,
        latest_version,
        next_version,
        description: c.description.clone(),
        tags: c.tags.clone(),
        properties: c.properties.clone(),
        provisioning_state: "Succeeded",
    };
    let resource_type = format!("Microsoft.MachineLearningServices/workspaces/{coll}");
    Resource {
        system_data: c.audit.as_ref().map(system_data),
        ..Resource::with_type(&ws.child(coll, name), resource_type, props)
    }
}

/// The default datastore's properties (`AzureBlobDatastore`, account-key credentials, reached
/// with the workspace's identity).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DatastoreProperties {
    /// `datastoreType`: `AzureBlob`.
    pub datastore_type: &'static str,
    /// `accountName`.
    pub account_name: String,
    /// `containerName`.
    pub container_name: String,
    /// `endpoint`: `core.windows.net`.
    pub endpoint: &'static str,
    /// `protocol`: `https`.
    pub protocol: &'static str,
    /// `isDefault`: true.
    pub is_default: bool,
    /// `credentials`.
    pub credentials: DatastoreCredentials,
    /// `serviceDataAccessAuthIdentity`.
    pub service_data_access_auth_identity: &'static str,
    /// `description`: `null`.
    pub description: Option<String>,
    /// `tags`: empty.
    pub tags: Map<String, Value>,
    /// `properties`: empty.
    pub properties: Map<String, Value>,
}

/// `AccountKeyDatastoreCredentials` without the secret (never returned).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DatastoreCredentials {
    /// `credentialsType`: `AccountKey`.
    pub credentials_type: &'static str,
    /// `secrets`: only the type.
    pub secrets: DatastoreSecrets,
}

/// `AccountKeyDatastoreSecrets` without the key.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DatastoreSecrets {
    /// `secretsType`: `AccountKey`.
    pub secrets_type: &'static str,
}

/// `workspaceblobstore` of the workspace `ws`, created by Azure ML with it (`audit`):
/// `account_name` as the client must address it, `container_name` its blob container.
pub fn default_datastore(
    ws: &ResourceId,
    account_name: String,
    container_name: String,
    audit: &crate::domain::Audit,
) -> Resource<DatastoreProperties> {
    system_datastore(
        ws,
        "workspaceblobstore",
        account_name,
        container_name,
        audit,
    )
}

/// The container of `workspaceartifactstore`.
pub const ARTIFACT_CONTAINER: &str = "azureml";

/// `workspaceartifactstore`, the second blob datastore Azure ML creates with every workspace:
/// container `azureml`, not the default, reached with the account key (recorded:
/// `test_online_endpoint_datastore_uri`, `serviceDataAccessAuthIdentity: None`).
pub fn artifact_datastore(
    ws: &ResourceId,
    account_name: String,
    audit: &crate::domain::Audit,
) -> Resource<DatastoreProperties> {
    let mut store = system_datastore(
        ws,
        "workspaceartifactstore",
        account_name,
        ARTIFACT_CONTAINER.into(),
        audit,
    );
    store.properties.is_default = false;
    store.properties.service_data_access_auth_identity = "None";
    store
}

fn system_datastore(
    ws: &ResourceId,
    name: &str,
    account_name: String,
    container_name: String,
    audit: &crate::domain::Audit,
) -> Resource<DatastoreProperties> {
    let props = DatastoreProperties {
        datastore_type: "AzureBlob",
        account_name,
        container_name,
        endpoint: "core.windows.net",
        protocol: "https",
        is_default: true,
        credentials: DatastoreCredentials {
            credentials_type: "AccountKey",
            secrets: DatastoreSecrets {
                secrets_type: "AccountKey",
            },
        },
        service_data_access_auth_identity: "WorkspaceSystemAssignedIdentity",
        description: None,
        tags: Map::new(),
        properties: Map::new(),
    };
    let id = ws.child("datastores", name);
    Resource {
        system_data: Some(system_data_by_service(audit)),
        ..Resource::new(&id, ResourceKind::Datastore, props)
    }
}

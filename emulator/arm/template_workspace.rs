//! What amlite makes of an evaluated workspace template (`template_deployment`): the workspace
//! (its top-level resource with what a nested deployment sets over it: kind, identity,
//! `featureStoreSettings`, associated resource ids; `storageHnsEnabled` from its storage
//! account) and the workspace connections it deploys; without a template, the workspace named
//! by the parameters.
//!
//! Owns no rule; depends on `domain::template` and the store.
use serde_json::{Map, Value};

use super::body::resources::TemplateDeploymentRequest;
use crate::app::AppState;
use crate::domain::template::{field, Evaluation, Level};
use crate::domain::{Audit, ResourceId, ResourceKind, WorkspaceConnection};
use crate::error::ArmResult;

const WORKSPACES: &str = "Microsoft.MachineLearningServices/workspaces";

/// Workspace `properties` amlite takes from the template's workspace resource (the rest of what
/// the template sets, such as empty encryption settings, is not what Azure's GET shows).
const WORKSPACE_PROPERTIES: &[&str] = &[
    "friendlyName",
    "description",
    "publicNetworkAccess",
    "v1LegacyMode",
    "managedNetwork",
    "storageAccount",
    "keyVault",
    "applicationInsights",
    "containerRegistry",
];

/// The workspace a deployment creates.
pub struct WorkspaceToCreate {
    pub name: String,
    pub location: String,
    pub properties: Map<String, Value>,
    /// `kind` in Azure's casing (`FeatureStore` for `featurestore`).
    pub kind: Option<String>,
    pub identity: Option<Value>,
    /// Read-only properties that follow from the template (`storageHnsEnabled`).
    pub derived: Map<String, Value>,
}

/// Azure's spelling of a workspace `kind` (Azure answers `FeatureStore` to a template's
/// `featurestore`).
const KINDS: &[&str] = &["Default", "FeatureStore", "Hub", "Project"];

/// The template's workspace: its top-level resource, then what later resources of the same id
/// (a nested deployment's, as a feature store template has) set over it, as ARM applies them.
pub fn from_template(e: &Evaluation) -> ArmResult<WorkspaceToCreate> {
    let top = e
        .of_type(WORKSPACES)
        .find(|r| r.level == Level::Top)
        .ok_or_else(super::errors::template_without_workspace)?;
    if let Some(other) = e
        .of_type(WORKSPACES)
        .find(|r| !r.id.eq_ignore_ascii_case(&top.id))
    {
        return Err(super::errors::template_many_workspaces(
            &top.name,
            &other.name,
        ));
    }
    let mut properties = Map::new();
    let (mut kind, mut identity) = (None, None);
    for ws in e
        .of_type(WORKSPACES)
        .filter(|r| r.id.eq_ignore_ascii_case(&top.id))
    {
        if let Some(Value::Object(props)) = ws.body.get("properties") {
            for key in WORKSPACE_PROPERTIES {
                match field(props, key) {
                    None | Some(Value::Null) => {}
                    Some(Value::String(s)) if s.is_empty() => {}
                    Some(v) => {
                        properties.insert((*key).to_string(), v.clone());
                    }
                }
            }
            if let Some(fs) = props
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("featureStoreSettings"))
            {
                properties.insert("featureStoreSettings".into(), feature_store_settings(fs.1));
            }
        }
        if let Some(tags @ Value::Object(_)) = ws.body.get("tags") {
            properties.insert("tagValues".into(), tags.clone());
        }
        if let Some(Value::String(k)) = ws.body.get("kind") {
            kind = Some(
                KINDS
                    .iter()
                    .find(|x| x.eq_ignore_ascii_case(k))
                    .map_or(k.clone(), |x| (*x).to_string()),
            );
        }
        if let Some(v @ Value::Object(_)) = ws.body.get("identity") {
            identity = Some(v.clone());
        }
    }
    let mut derived = Map::new();
    let storage = properties
        .get("storageAccount")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let hns = e
        .of_type("Microsoft.Storage/storageAccounts")
        .find(|r| r.id.eq_ignore_ascii_case(storage))
        .and_then(|r| field(r.body.get("properties")?.as_object()?, "isHnsEnabled")?.as_bool());
    if let Some(hns) = hns {
        derived.insert("storageHnsEnabled".into(), Value::Bool(hns));
    }
    Ok(WorkspaceToCreate {
        name: top.name.clone(),
        location: top.location.clone().unwrap_or_else(|| "eastus".into()),
        properties,
        kind,
        identity,
        derived,
    })
}

/// `featureStoreSettings` in Azure's casing (the template writes `computeruntime`,
/// `SparkRuntimeVersion`, `offlinestoreconnectionname`; Azure answers camelCase).
fn feature_store_settings(v: &Value) -> Value {
    let get = |v: &Value, key: &str| {
        v.as_object()
            .and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)))
            .map(|(_, v)| v.clone())
    };
    let mut out = Map::new();
    if let Some(rt) = get(v, "computeRuntime") {
        let mut runtime = Map::new();
        if let Some(version) = get(&rt, "sparkRuntimeVersion") {
            runtime.insert("sparkRuntimeVersion".into(), version);
        }
        out.insert("computeRuntime".into(), Value::Object(runtime));
    }
    for key in ["offlineStoreConnectionName", "onlineStoreConnectionName"] {
        if let Some(x) = get(v, key) {
            out.insert(key.into(), x);
        }
    }
    Value::Object(out)
}

/// The workspace connections the template deploys (children of the workspace or of a nested
/// deployment), checked before anything is written: each must belong to workspace `ws` (the one
/// workspace amlite makes of a template) and have a safe name.
pub fn connections(
    e: &Evaluation,
    ws: &ResourceId,
) -> ArmResult<Vec<(ResourceId, WorkspaceConnection)>> {
    let now = chrono::Utc::now();
    let mut out = Vec::new();
    for c in e.of_type("Microsoft.MachineLearningServices/workspaces/connections") {
        // ARM types are case-insensitive (`Connections` names the same child type).
        let at = c.id.to_ascii_lowercase().rfind("/connections/");
        let (parent, name) = match at {
            Some(at) => (&c.id[..at], &c.id[at + "/connections/".len()..]),
            None => ("", c.name.as_str()),
        };
        if !parent.eq_ignore_ascii_case(ws.as_str()) {
            return Err(super::errors::template_connection_elsewhere(
                &c.name,
                ws.name(),
            ));
        }
        super::safe_name("connection", name)?;
        let prop = |k: &str| {
            c.body
                .get("properties")
                .and_then(|p| {
                    p.as_object()?
                        .iter()
                        .find(|(key, _)| key.eq_ignore_ascii_case(k))
                })
                .and_then(|(_, v)| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let category = prop("category");
        // Azure answers the template's `AzureDataLakeGen2` as `ADLSGen2` (recorded).
        let category = if category.eq_ignore_ascii_case("AzureDataLakeGen2") {
            "ADLSGen2".into()
        } else {
            category
        };
        let doc = WorkspaceConnection {
            category,
            target: prop("target"),
            auth_type: prop("authType"),
            audit: Audit::at(now),
        };
        out.push((ws.child("connections", name), doc));
    }
    Ok(out)
}

/// Stores the connections [`connections`] checked, under workspace `ws`.
pub async fn put_connections(
    state: &AppState,
    ws: &ResourceId,
    connections: &[(ResourceId, WorkspaceConnection)],
) -> ArmResult<()> {
    for (id, doc) in connections {
        state
            .store
            .put(id, ResourceKind::WorkspaceConnection, Some(ws), doc)
            .await?;
    }
    Ok(())
}

/// Without an inline template: `parameters.workspaceName`, `location` and the workspace
/// settings named like the template's parameters.
pub fn from_parameters(body: &TemplateDeploymentRequest) -> ArmResult<WorkspaceToCreate> {
    let param = |k: &str| body.parameter(k).cloned();
    let name = param("workspaceName")
        .and_then(|v| v.as_str().map(str::to_string))
        .ok_or_else(super::errors::template_without_workspace)?;
    let location = param("location")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "eastus".into());
    let mut properties = Map::new();
    for key in [
        "publicNetworkAccess",
        "friendlyName",
        "description",
        "v1LegacyMode",
        "managedNetwork",
        "tagValues",
    ] {
        if let Some(v) = param(key) {
            properties.insert(key.to_string(), v);
        }
    }
    Ok(WorkspaceToCreate {
        name,
        location,
        properties,
        kind: None,
        identity: None,
        derived: Map::new(),
    })
}

//! The resources a workspace depends on beyond its wire properties (SPEC 6.1): the
//! `publicNetworkAccess` of its storage account, key vault and container registry and of external
//! storage accounts (declared in fixtures; default `Enabled`), and where a deployment's model,
//! code and image live. These are the inputs of ISO-17/18, which `provision.rs` applies.
//!
//! Fixture declaration: amlite-only keys beside a fixture workspace's `properties`; they are kept
//! in `Workspace::resource_access` and never rendered on the wire (they are not Azure properties
//! of the workspace but of the other resources):
//! ```json
//! { "name": "ws", "properties": { "publicNetworkAccess": "Enabled" },
//!   "associatedResources": { "storageAccount": { "publicNetworkAccess": "Disabled" },
//!                            "keyVault": { "publicNetworkAccess": "Enabled" },
//!                            "containerRegistry": { "publicNetworkAccess": "Disabled" } },
//!   "externalStorageAccounts": [ { "name": "otheracct", "publicNetworkAccess": "Disabled" } ] }
//! ```
//! Declaring `containerRegistry` on a workspace without one gives it the registry
//! `{rg}/providers/Microsoft.ContainerRegistry/registries/{workspace}acr`.
use serde_json::Value;

use crate::app::AppState;
use crate::domain::{Asset, OnlineDeployment, PublicNetworkAccess, ResourceId, Workspace};
use crate::error::{ArmError, ArmResult};
use crate::rules::{self, ArtifactKind, ArtifactLocation, ArtifactSource};

use crate::domain::id::last_segment_lower;

/// The key of a storage account in `Workspace::resource_access`.
pub fn storage_key(account: &str) -> String {
    format!("storage:{}", account.to_ascii_lowercase())
}

/// The declared `publicNetworkAccess` under `key` (`Enabled` when undeclared, SPEC 6.1).
pub fn access_of(ws: &Workspace, key: &str) -> rules::PublicNetworkAccess {
    match ws.resource_access.get(key) {
        Some(PublicNetworkAccess::Disabled) => rules::PublicNetworkAccess::Disabled,
        _ => rules::PublicNetworkAccess::Enabled,
    }
}

fn declared_access(v: &Value, what: &str) -> ArmResult<PublicNetworkAccess> {
    let raw = v
        .get("publicNetworkAccess")
        .and_then(Value::as_str)
        .unwrap_or("Enabled");
    PublicNetworkAccess::parse(raw).ok_or_else(|| {
        ArmError::invalid_body(format!(
            "{what}.publicNetworkAccess '{raw}' must be 'Enabled' or 'Disabled'"
        ))
    })
}

/// Applies a fixture workspace's `associatedResources` and `externalStorageAccounts` (see the
/// module doc) to `ws`. Errors: 400 `InvalidRequestContent` naming the bad entry.
pub fn apply_declarations(
    ws: &mut Workspace,
    rg_prefix: &str,
    name: &str,
    fixture: &Value,
) -> ArmResult<()> {
    if let Some(assoc) = fixture
        .get("associatedResources")
        .and_then(Value::as_object)
    {
        for (role, decl) in assoc {
            let access = declared_access(decl, &format!("associatedResources.{role}"))?;
            let key = match role.as_str() {
                "storageAccount" => storage_key(&last_segment_lower(&ws.storage_account)),
                "keyVault" => format!("vault:{}", last_segment_lower(&ws.key_vault)),
                "containerRegistry" => {
                    let short: String = name.chars().filter(char::is_ascii_alphanumeric).take(16).collect::<String>().to_ascii_lowercase();
                    let id = ws.container_registry.get_or_insert_with(|| format!("{rg_prefix}/providers/Microsoft.ContainerRegistry/registries/{short}acr"));
                    format!("registry:{}", last_segment_lower(id))
                }
                other => return Err(ArmError::invalid_body(format!("associatedResources.{other} is not one of storageAccount, keyVault, containerRegistry"))),
            };
            ws.resource_access.insert(key, access);
        }
    }
    for ext in fixture
        .get("externalStorageAccounts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let account = ext
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty());
        let account = account.ok_or_else(|| {
            ArmError::invalid_body("an externalStorageAccounts entry needs a name")
        })?;
        ws.resource_access.insert(
            storage_key(account),
            declared_access(ext, "externalStorageAccounts")?,
        );
    }
    Ok(())
}

/// Where a deployment's model, code and image live, for the provisioning rules (ISO-17/18).
/// Model and code follow their asset's `modelUri`/`codeUri` (see [`rules::artifact_source`]);
/// anything amlite cannot tell is taken to be in the workspace's storage. The image is built
/// into the workspace's container registry.
pub async fn locate(
    state: &AppState,
    ws_id: &ResourceId,
    ws: &Workspace,
    d: &OnlineDeployment,
) -> ArmResult<Vec<ArtifactLocation>> {
    let mut out = Vec::new();
    if let Some(model) = &d.model {
        let source = asset_source(state, ws_id, model, "models", "modelUri").await?;
        out.push(place(state, ws_id, ws, ArtifactKind::Model, source).await?);
    }
    if let Some(code) = &d.code_id {
        let source = asset_source(state, ws_id, code, "codes", "codeUri").await?;
        out.push(place(state, ws_id, ws, ArtifactKind::Code, source).await?);
    }
    if d.environment_id.is_some() {
        let registry = ws
            .container_registry
            .as_deref()
            .map(last_segment_lower)
            .unwrap_or_default();
        out.push(ArtifactLocation {
            kind: ArtifactKind::Image,
            resource_id_or_host: ws
                .container_registry
                .clone()
                .unwrap_or_else(|| "the workspace container registry".into()),
            in_workspace_storage_or_registry: true,
            resource_public_network_access: access_of(ws, &format!("registry:{registry}")),
        });
    }
    Ok(out)
}

/// What a deployment's `model` / `codeId` reference points at: an asset id or `azureml:n:v`
/// is looked up and its URI property read; a URI is read directly.
async fn asset_source(
    state: &AppState,
    ws_id: &ResourceId,
    reference: &str,
    collection: &str,
    uri_prop: &str,
) -> ArmResult<ArtifactSource> {
    let r = reference.trim();
    let asset_id = if r.to_ascii_lowercase().starts_with("/subscriptions/") {
        Some(ResourceId::from_string(r.to_string()))
    } else if let Some(short) = r.strip_prefix("azureml:").filter(|s| !s.starts_with("//")) {
        short
            .split_once(':')
            .map(|(n, v)| ws_id.child(collection, n).child("versions", v))
    } else {
        return Ok(rules::artifact_source(r));
    };
    let Some(id) = asset_id else {
        return Ok(ArtifactSource::Unknown);
    };
    let Some(row) = state.store.get(&id).await? else {
        return Ok(ArtifactSource::Unknown);
    };
    let asset: Asset = row.doc()?;
    let uri = asset
        .properties
        .get(uri_prop)
        .or_else(|| asset.properties.get("path"))
        .and_then(Value::as_str);
    Ok(uri
        .map(rules::artifact_source)
        .unwrap_or(ArtifactSource::Unknown))
}

async fn place(
    state: &AppState,
    ws_id: &ResourceId,
    ws: &Workspace,
    kind: ArtifactKind,
    source: ArtifactSource,
) -> ArmResult<ArtifactLocation> {
    let ws_account = last_segment_lower(&ws.storage_account);
    let account = match source {
        ArtifactSource::StorageAccount(a) => a,
        ArtifactSource::Datastore(ds) => datastore_account(state, ws_id, &ds)
            .await?
            .unwrap_or_else(|| ws_account.clone()),
        ArtifactSource::Unknown => ws_account.clone(),
        ArtifactSource::Registry(r) => {
            return Ok(outside(
                kind,
                format!("azureml://registries/{r}"),
                access_of(ws, &format!("registry:{r}")),
            ))
        }
        ArtifactSource::Host(h) => {
            return Ok(outside(kind, h, rules::PublicNetworkAccess::Enabled))
        }
    };
    let in_ws = account == ws_account;
    Ok(ArtifactLocation {
        kind,
        resource_id_or_host: if in_ws {
            ws.storage_account.clone()
        } else {
            format!("storage account {account}")
        },
        in_workspace_storage_or_registry: in_ws,
        resource_public_network_access: access_of(ws, &storage_key(&account)),
    })
}

fn outside(
    kind: ArtifactKind,
    what: String,
    access: rules::PublicNetworkAccess,
) -> ArtifactLocation {
    ArtifactLocation {
        kind,
        resource_id_or_host: what,
        in_workspace_storage_or_registry: false,
        resource_public_network_access: access,
    }
}

/// The storage account of a user datastore (its `accountName`); `None` for the workspace's own
/// datastores and unknown ones (taken to be the workspace's storage).
async fn datastore_account(
    state: &AppState,
    ws_id: &ResourceId,
    ds: &str,
) -> ArmResult<Option<String>> {
    if rules::WORKSPACE_DATASTORES.contains(&ds) {
        return Ok(None);
    }
    let Some(row) = state.store.get(&ws_id.child("datastores", ds)).await? else {
        return Ok(None);
    };
    let asset: Asset = row.doc()?;
    let account = asset
        .properties
        .get("accountName")
        .and_then(Value::as_str)
        .map(rules::datastore_account);
    Ok(account.filter(|a| !a.is_empty()))
}

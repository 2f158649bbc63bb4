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
/// anything amlite cannot tell is taken to be in the workspace's storage. The image follows the
/// environment (see [`image_location`]).
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
    if let Some(env) = &d.environment_id {
        out.push(image_location(state, ws_id, ws, env).await?);
    }
    Ok(out)
}

/// Where the deployment pulls its environment's container image from (ISO-17/18). An environment
/// that only names an `image` (no `build` context, no `condaFile`) is pulled from that image's
/// registry; one Azure builds (a `build` context, or a conda file on a base image) is pushed to
/// the workspace's container registry first, and so is anything amlite cannot read (an unknown
/// environment). Curated environments (`azureml://registries/azureml/…`) are on
/// [`rules::MICROSOFT_CONTAINER_REGISTRY`]; another registry's are in that registry.
async fn image_location(
    state: &AppState,
    ws_id: &ResourceId,
    ws: &Workspace,
    environment: &str,
) -> ArmResult<ArtifactLocation> {
    let ws_registry = ws.container_registry.as_deref().map(last_segment_lower);
    // The registry Azure shows on the workspace (one on every workspace, SPEC 6.1).
    let shown_registry = last_segment_lower(&super::response::registry_id(ws_id, ws));
    let built = ArtifactLocation {
        kind: ArtifactKind::Image,
        resource_id_or_host: ws
            .container_registry
            .clone()
            .unwrap_or_else(|| "the workspace container registry".into()),
        in_workspace_storage_or_registry: true,
        resource_public_network_access: access_of(
            ws,
            &format!("registry:{}", ws_registry.as_deref().unwrap_or_default()),
        ),
    };
    if let ArtifactSource::Registry(r) = rules::artifact_source(environment) {
        if r == "azureml" {
            return Ok(ArtifactLocation {
                resource_id_or_host: rules::MICROSOFT_CONTAINER_REGISTRY.into(),
                resource_public_network_access: rules::PublicNetworkAccess::Enabled,
                ..built
            });
        }
        let access = access_of(ws, &format!("registry:{r}"));
        return Ok(outside(
            ArtifactKind::Image,
            format!("azureml://registries/{r}"),
            access,
        ));
    }
    let Some(env) = asset_doc(state, ws_id, environment, "environments").await? else {
        return Ok(built);
    };
    let props = &env.properties;
    let is_built = ["build", "condaFile"]
        .iter()
        .any(|k| props.get(*k).is_some_and(|v| !v.is_null()));
    let image = props
        .get("image")
        .and_then(Value::as_str)
        .filter(|i| !i.trim().is_empty());
    let Some(image) = image.filter(|_| !is_built) else {
        return Ok(built);
    };
    let (reference, host) = rules::image_reference(image);
    Ok(match rules::image_registry(&host, Some(&shown_registry)) {
        rules::ImageRegistry::Workspace => built,
        rules::ImageRegistry::Microsoft => ArtifactLocation {
            resource_id_or_host: reference,
            resource_public_network_access: rules::PublicNetworkAccess::Enabled,
            ..built
        },
        rules::ImageRegistry::OtherAzure(name) => outside(
            ArtifactKind::Image,
            reference,
            access_of(ws, &format!("registry:{name}")),
        ),
        rules::ImageRegistry::Other => outside(
            ArtifactKind::Image,
            reference,
            rules::PublicNetworkAccess::Enabled,
        ),
    })
}

/// The asset a deployment's reference names (an ARM id or `azureml:n:v` in `collection`);
/// `None` when it is not such a reference or not stored.
async fn asset_doc(
    state: &AppState,
    ws_id: &ResourceId,
    reference: &str,
    collection: &str,
) -> ArmResult<Option<Asset>> {
    let r = reference.trim();
    let asset_id = if r.to_ascii_lowercase().starts_with("/subscriptions/") {
        Some(ResourceId::from_string(r.to_string()))
    } else if let Some(short) = r.strip_prefix("azureml:").filter(|s| !s.starts_with("//")) {
        short
            .split_once(':')
            .map(|(n, v)| ws_id.child(collection, n).child("versions", v))
    } else {
        None
    };
    let Some(id) = asset_id else {
        return Ok(None);
    };
    match state.store.get(&id).await? {
        Some(row) => Ok(Some(row.doc()?)),
        None => Ok(None),
    }
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
    let is_reference = r.to_ascii_lowercase().starts_with("/subscriptions/")
        || r.strip_prefix("azureml:")
            .is_some_and(|s| !s.starts_with("//"));
    if !is_reference {
        return Ok(rules::artifact_source(r));
    }
    let Some(asset) = asset_doc(state, ws_id, r, collection).await? else {
        return Ok(ArtifactSource::Unknown);
    };
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

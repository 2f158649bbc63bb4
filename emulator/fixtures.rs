//! Fixtures: the world created at start-up (SPEC §2): subscriptions, resource groups,
//! workspaces, virtual networks and private endpoints, from `--fixtures FILE` or the built-in
//! copy of `fixtures/default.json`. Loading is idempotent: what already exists is left alone,
//! so a restart on the same data folder keeps user changes. A fixture that cannot be loaded
//! stops the start (or the reset) with a [`FixtureError`].
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::AppState;
use crate::domain::{ResourceId, ResourceKind};
use crate::egress::EgressError;
use crate::error::ArmError;

/// Why the fixture could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// The `--fixtures` file cannot be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// The file is not a fixture (JSON of the shape [`Fixture`]).
    #[error("invalid fixture: {0}")]
    Invalid(#[source] serde_json::Error),
    /// The data folder could not be read or written.
    #[error(transparent)]
    Store(#[from] sqlx::Error),
    /// A workspace, virtual network or private endpoint of the fixture was refused: the ARM
    /// error's message.
    #[error("{}", .0.message)]
    Resource(ArmError),
    /// An external service of the fixture was refused.
    #[error(transparent)]
    ExternalService(#[from] EgressError),
}

/// The tenant of every subscription unless a fixture says otherwise.
pub const TENANT_ID: &str = "6a6d6c69-7465-4000-8000-0000000000aa";

const DEFAULT: &str = include_str!("../fixtures/default.json");

/// The first subscription / resource group / workspace of the loaded fixture (what `env.sh`
/// exports as `AZURE_SUBSCRIPTION_ID`, `AZURE_RESOURCE_GROUP`, `AZUREML_WORKSPACE_NAME`).
#[derive(Debug, Clone, Default)]
pub struct Primary {
    /// Subscription id.
    pub subscription_id: String,
    /// Resource group.
    pub resource_group: String,
    /// Workspace.
    pub workspace: String,
}

/// A fixture file.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fixture {
    /// Tenant id (informational).
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// Subscriptions.
    #[serde(default)]
    pub subscriptions: Vec<FixtureSubscription>,
}

/// A subscription in a fixture.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FixtureSubscription {
    /// GUID.
    pub subscription_id: String,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Resource groups.
    #[serde(default)]
    pub resource_groups: Vec<FixtureResourceGroup>,
}

/// A resource group in a fixture.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FixtureResourceGroup {
    /// Name.
    pub name: String,
    /// Region.
    pub location: String,
    /// Workspaces: `{name, location, properties}` with wire `properties` (camelCase).
    #[serde(default)]
    pub workspaces: Vec<Value>,
    /// Virtual networks: `{name, location?, properties?}`.
    #[serde(default)]
    pub virtual_networks: Vec<Value>,
    /// Private endpoints: wire body plus optional `name`, `createdAt` (ISO-2) and `connectionStatus`.
    #[serde(default)]
    pub private_endpoints: Vec<Value>,
    /// External services (SPEC 6.1, 6.4): `{host, publicNetworkAccess?, url, resourceId?}`,
    /// see `egress::services`.
    #[serde(default)]
    pub external_services: Vec<Value>,
}

/// The built-in default fixture's primary names (used when nothing else is loaded).
pub fn defaults() -> Primary {
    serde_json::from_str::<Fixture>(DEFAULT)
        .ok()
        .as_ref()
        .and_then(primary_of)
        .unwrap_or_default()
}

fn primary_of(f: &Fixture) -> Option<Primary> {
    let s = f.subscriptions.first()?;
    let rg = s.resource_groups.first();
    Some(Primary {
        subscription_id: s.subscription_id.clone(),
        resource_group: rg.map(|r| r.name.clone()).unwrap_or_default(),
        workspace: rg
            .and_then(|r| r.workspaces.first())
            .and_then(|w| w.get("name"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    })
}

/// Loads the configured fixture and returns its primary names.
pub async fn load(state: &AppState) -> Result<Primary, FixtureError> {
    let text = match &state.config.fixtures {
        Some(path) => std::fs::read_to_string(path).map_err(|source| FixtureError::Read {
            path: path.clone(),
            source,
        })?,
        None if state.config.no_default_fixture => return Ok(Primary::default()),
        None => DEFAULT.to_string(),
    };
    let fixture: Fixture = serde_json::from_str(&text).map_err(FixtureError::Invalid)?;
    for sub in &fixture.subscriptions {
        load_subscription(state, sub).await?;
    }
    Ok(primary_of(&fixture).unwrap_or_default())
}

async fn load_subscription(
    state: &AppState,
    sub: &FixtureSubscription,
) -> Result<(), FixtureError> {
    let sid = ResourceId::subscription(&sub.subscription_id);
    if state.store.get(&sid).await?.is_none() {
        let doc = json!({ "displayName": sub.display_name.clone().unwrap_or_else(|| sub.subscription_id.clone()) });
        state
            .store
            .put(&sid, ResourceKind::Subscription, None, &doc)
            .await?;
    }
    for rg in &sub.resource_groups {
        let rid = ResourceId::resource_group(&sub.subscription_id, &rg.name);
        if state.store.get(&rid).await?.is_none() {
            let doc = json!({ "location": rg.location, "tags": {} });
            state
                .store
                .put(&rid, ResourceKind::ResourceGroup, Some(&sid), &doc)
                .await?;
        }
        for ws in &rg.workspaces {
            crate::arm::workspaces::ensure_from_fixture(
                state,
                &sub.subscription_id,
                &rg.name,
                &rg.location,
                ws,
            )
            .await
            .map_err(FixtureError::Resource)?;
        }
        for vnet in &rg.virtual_networks {
            crate::arm::network::vnet_from_fixture(
                state,
                &sub.subscription_id,
                &rg.name,
                &rg.location,
                vnet,
            )
            .await
            .map_err(FixtureError::Resource)?;
        }
        crate::egress::services::from_fixture(state, &sub.subscription_id, rg).await?;
        for pe in &rg.private_endpoints {
            crate::arm::network::pe_from_fixture(
                state,
                &sub.subscription_id,
                &rg.name,
                &rg.location,
                pe,
            )
            .await
            .map_err(FixtureError::Resource)?;
        }
    }
    Ok(())
}

//! Workspace `properties` (SPEC §3): Azure's defaults for a new workspace, applying a PUT or
//! PATCH body (ISO-3 associated resources, ISO-9 managed network mode and rule types) and the
//! `properties.managedNetwork` view on the wire (ISO-8 required rules, ISO-9 status).
use serde_json::{Map, Value};

use super::body::canonical_at;
use super::body::workspace::{ManagedNetworkBody, WorkspaceProperties};
use crate::domain::{Audit, ManagedNetwork, ProvisioningState, PublicNetworkAccess, Workspace};
use crate::error::ArmResult;
use crate::rules;

fn short_name(name: &str, len: usize) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(len)
        .collect::<String>()
        .to_lowercase()
}

fn default_ids(sub: &str, rg: &str, name: &str) -> (String, String, String) {
    let short = short_name(name, 16);
    let p = format!("/subscriptions/{sub}/resourceGroups/{rg}/providers");
    (
        format!("{p}/Microsoft.Storage/storageAccounts/{short}store"),
        format!("{p}/Microsoft.KeyVault/vaults/{short}kv"),
        format!("{p}/Microsoft.insights/components/{short}ai"),
    )
}

/// Gives a new workspace whose derived storage account another workspace already uses one of
/// its own: storage account names are global, and the Blob slice addresses blobs by account,
/// so `coll-ws1` and `collws1` (or the same name in two resource groups) shared their blobs
/// and keys. Azure names the accounts it makes with a random suffix; here it is a hash of the
/// workspace id (stable, 24 characters at most as Azure allows). A storage account the PUT
/// named itself is kept (two workspaces may share one).
pub fn own_default_storage(ws: &mut Workspace, sub: &str, rg: &str, name: &str, taken: &[String]) {
    use sha2::Digest;
    let (derived, _, _) = default_ids(sub, rg, name);
    if !ws.storage_account.eq_ignore_ascii_case(&derived)
        || !taken.contains(&ws.storage_account_name())
    {
        return;
    }
    let id = crate::domain::ResourceId::workspace(sub, rg, name);
    let digest = sha2::Sha256::digest(id.as_str().to_ascii_lowercase().as_bytes());
    let suffix = &hex::encode(digest)[..8];
    let p = format!("/subscriptions/{sub}/resourceGroups/{rg}/providers");
    ws.storage_account = format!(
        "{p}/Microsoft.Storage/storageAccounts/{}{suffix}store",
        short_name(name, 11)
    );
}

/// A new workspace document with Azure's defaults, then `props` (wire `properties`) applied.
pub fn new_workspace(
    sub: &str,
    rg: &str,
    name: &str,
    location: &str,
    props: &Map<String, Value>,
    auto_provision: bool,
) -> ArmResult<Workspace> {
    let (storage, kv, ai) = default_ids(sub, rg, name);
    let now = chrono::Utc::now();
    let mut ws = Workspace {
        location: location.to_string(),
        tags: Default::default(),
        kind: "Default".into(),
        workspace_guid: uuid::Uuid::new_v4().to_string(),
        public_network_access: PublicNetworkAccess::Enabled,
        v1_legacy_mode: false,
        storage_account: storage,
        key_vault: kv,
        container_registry: None,
        application_insights: Some(ai),
        managed_network: ManagedNetwork {
            isolation_mode: rules::IsolationMode::Disabled,
            provisioned: false,
            user_rules: Default::default(),
        },
        resource_access: Default::default(),
        extra: Map::new(),
        identity: None,
        sku: None,
        provisioning_state: ProvisioningState::Succeeded,
        audit: Audit::at(now),
    };
    apply_properties(&mut ws, sub, props, Write::Create, auto_provision)?;
    Ok(ws)
}

/// Read-only properties a client echoes back: neither applied nor stored. Besides the
/// contract's read-only ones, what Azure fills in by itself and the contract does not declare
/// (`arm::response::workspace_filled`: a sent `creationTime` or `sasGetterUri` was stored and
/// answered in place of the service's).
const READ_ONLY: &[&str] = &[
    "creationTime",
    "sasGetterUri",
    "softDeleteEnabled",
    "sdkTelemetryAppInsightsKey",
    "endpointResources",
    "azureOpenAI",
    "azureCognitiveSearch",
    "azureAIContentSafety",
    "acrSkuTier",
    "workspaceId",
    "provisioningState",
    "tenantId",
    "discoveryUrl",
    "mlFlowTrackingUri",
    "privateEndpointConnections",
    "privateLinkCount",
    "notebookInfo",
    "serviceProvisionedResourceGroup",
    "storageHnsEnabled",
];

/// Properties modelled by the workspace document (not kept in `extra`).
const MODELLED: &[&str] = &[
    "publicNetworkAccess",
    "v1LegacyMode",
    "storageAccount",
    "keyVault",
    "containerRegistry",
    "applicationInsights",
    "managedNetwork",
];

/// Which request writes a workspace's `properties`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// A new workspace (PUT, fixtures, the template deployment): any associated resource.
    Create,
    /// A PUT of an existing workspace: replaces the outbound rules it names.
    Put,
    /// A PATCH: merges the outbound rules it names.
    Patch,
}

/// Applies wire `properties` to a workspace (PUT and PATCH, fixtures, the template deployment).
/// They are decoded into [`WorkspaceProperties`] first, so a value of the wrong type is a 400
/// naming it; ISO-3 and ISO-9 are checked here; unmodelled properties are kept as sent. A PATCH
/// merges `managedNetwork.outboundRules` into the workspace's rules (recorded:
/// `test_workspace_managednetwork_outbound_rule_operations`, where rules a PATCH does not name
/// stay); a PUT replaces them.
pub fn apply_properties(
    ws: &mut Workspace,
    sub: &str,
    props: &Map<String, Value>,
    write: Write,
    auto_provision: bool,
) -> ArmResult<()> {
    let mut props = props.clone();
    let typed: WorkspaceProperties = canonical_at(&mut props, "properties")?;
    if let Some(v) = typed.public_network_access {
        ws.public_network_access = v;
    }
    if let Some(v) = typed.v1_legacy_mode {
        ws.v1_legacy_mode = v;
    }
    apply_associated_resources(ws, sub, &typed, write == Write::Create)?;
    if let Some(mn) = &typed.managed_network {
        apply_managed_network(ws, mn, write == Write::Patch, auto_provision)?;
    }
    let read_only = |k: &str| READ_ONLY.iter().any(|r| r.eq_ignore_ascii_case(k));
    for (k, v) in props {
        if !MODELLED.contains(&k.as_str()) && !read_only(&k) {
            ws.extra.insert(k, v);
        }
    }
    Ok(())
}

/// ISO-3: the associated resource ids of a PUT/PATCH must be in the workspace's subscription;
/// the storage account and key vault cannot change after creation.
fn apply_associated_resources(
    ws: &mut Workspace,
    sub: &str,
    props: &WorkspaceProperties,
    creating: bool,
) -> ArmResult<()> {
    for (key, value) in [
        ("storageAccount", &props.storage_account),
        ("keyVault", &props.key_vault),
        ("containerRegistry", &props.container_registry),
        ("applicationInsights", &props.application_insights),
    ] {
        let Some(v) = value.as_deref() else {
            continue;
        };
        let path = format!("properties.{key}");
        let fixed = match key {
            "storageAccount" => Some(&ws.storage_account),
            "keyVault" => Some(&ws.key_vault),
            _ => None,
        };
        if !creating && fixed.is_some_and(|now| !v.eq_ignore_ascii_case(now)) {
            return Err(super::errors::associated_resource_immutable(&path));
        }
        rules::workspace::iso_3_associated_resource(sub, &path, v)?;
        match key {
            "storageAccount" => ws.storage_account = v.to_string(),
            "keyVault" => ws.key_vault = v.to_string(),
            "containerRegistry" => ws.container_registry = Some(v.to_string()),
            _ => ws.application_insights = Some(v.to_string()),
        }
    }
    Ok(())
}

fn apply_managed_network(
    ws: &mut Workspace,
    mn: &ManagedNetworkBody,
    patch: bool,
    auto_provision: bool,
) -> ArmResult<()> {
    let current = ws.managed_network.isolation_mode;
    let mut mode = current;
    if let Some(raw) = &mn.isolation_mode {
        mode = rules::types::parse_property::<rules::IsolationMode>(
            "ISO-9",
            "properties.managedNetwork.isolationMode",
            raw,
        )?;
        rules::managed_network::iso_9_isolation_mode_transition(current, mode)?;
    }
    let mut user_rules = ws.managed_network.user_rules.clone();
    if let Some(rules_map) = &mn.outbound_rules {
        if !patch {
            user_rules.clear();
        }
        let mut named: Vec<&str> = Vec::new();
        for (name, rule) in rules_map {
            if let Some(first) = named.iter().find(|n| n.eq_ignore_ascii_case(name)) {
                return Err(super::errors::outbound_rule_named_twice(first, name));
            }
            named.push(name);
            let path = format!("properties.managedNetwork.outboundRules.{name}");
            let Some(rule) = rule else {
                return Err(super::errors::outbound_rule_type_required(&format!(
                    "{path}.type"
                )));
            };
            if rule
                .category
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case("Required"))
            {
                continue; // Required rules are the service's own (ISO-8); clients echo them back.
            }
            super::safe_name("outbound rule", name)?;
            let parsed = super::managed_network::parse_rule(mode, rule, &path)?;
            // One rule whatever the casing (as `…/outboundRules/{name}` finds it): a PATCH
            // naming `rulea` replaces a stored `RuleA` instead of keeping both.
            user_rules.retain(|k, _| !k.eq_ignore_ascii_case(name));
            user_rules.insert(name.clone(), parsed);
        }
    }
    if mode != current {
        ws.managed_network.provisioned = auto_provision && mode.is_managed();
    }
    ws.managed_network.isolation_mode = mode;
    ws.managed_network.user_rules = user_rules;
    Ok(())
}

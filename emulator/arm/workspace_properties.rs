//! Workspace `properties` (SPEC §3): Azure's defaults for a new workspace, applying a PUT or
//! PATCH body (ISO-3 associated resources, ISO-9 managed network mode and rule types) and the
//! `properties.managedNetwork` view on the wire (ISO-8 required rules, ISO-9 status).
use serde_json::{json, Map, Value};

use super::body::{check_shape, Shape};
use crate::domain::{Audit, ManagedNetwork, ProvisioningState, PublicNetworkAccess, Workspace};
use crate::error::{ArmError, ArmResult};
use crate::rules;

fn default_ids(sub: &str, rg: &str, name: &str) -> (String, String, String) {
    let short: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(16)
        .collect::<String>()
        .to_lowercase();
    let p = format!("/subscriptions/{sub}/resourceGroups/{rg}/providers");
    (
        format!("{p}/Microsoft.Storage/storageAccounts/{short}store"),
        format!("{p}/Microsoft.KeyVault/vaults/{short}kv"),
        format!("{p}/Microsoft.insights/components/{short}ai"),
    )
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
    apply_properties(&mut ws, sub, props, true, auto_provision)?;
    Ok(ws)
}

const READ_ONLY: &[&str] = &[
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

/// `encryption` (`EncryptionProperty`).
const ENCRYPTION: Shape = Shape::Obj(&[
    ("status", Shape::Enum(&["Enabled", "Disabled"])),
    ("cosmosDbResourceId", Shape::Str),
    ("searchAccountResourceId", Shape::Str),
    ("storageAccountResourceId", Shape::Str),
    (
        "identity",
        Shape::Obj(&[("userAssignedIdentity", Shape::Str)]),
    ),
    (
        "keyVaultProperties",
        Shape::Obj(&[
            ("keyVaultArmId", Shape::Str),
            ("keyIdentifier", Shape::Str),
            ("identityClientId", Shape::Str),
        ]),
    ),
]);

/// The contract's types (`WorkspaceProperties`, 2024-04-01-preview) of the wire properties amlite
/// keeps without modelling them: a value of another type is refused rather than echoed.
const UNMODELLED: &[(&str, Shape)] = &[
    ("allowPublicAccessWhenBehindVnet", Shape::Bool),
    ("associatedWorkspaces", Shape::StrArray),
    ("containerRegistries", Shape::StrArray),
    ("description", Shape::Str),
    ("enableDataIsolation", Shape::Bool),
    ("enableSoftwareBillOfMaterials", Shape::Bool),
    ("encryption", ENCRYPTION),
    ("existingWorkspaces", Shape::StrArray),
    (
        "featureStoreSettings",
        Shape::Obj(&[
            (
                "computeRuntime",
                Shape::Obj(&[("sparkRuntimeVersion", Shape::Str)]),
            ),
            ("offlineStoreConnectionName", Shape::Str),
            ("onlineStoreConnectionName", Shape::Str),
        ]),
    ),
    ("friendlyName", Shape::Str),
    ("hbiWorkspace", Shape::Bool),
    ("hubResourceId", Shape::Str),
    ("imageBuildCompute", Shape::Str),
    ("ipAllowlist", Shape::StrArray),
    ("keyVaults", Shape::StrArray),
    ("primaryUserAssignedIdentity", Shape::Str),
    (
        "serverlessComputeSettings",
        Shape::Obj(&[
            ("serverlessComputeCustomSubnet", Shape::Str),
            ("serverlessComputeNoPublicIP", Shape::Bool),
        ]),
    ),
    (
        "serviceManagedResourcesSettings",
        Shape::Obj(&[(
            "cosmosDb",
            Shape::Obj(&[("collectionsThroughput", Shape::Int32)]),
        )]),
    ),
    ("sharedPrivateLinkResources", Shape::ObjArray),
    ("softDeleteRetentionInDays", Shape::Int32),
    ("storageAccounts", Shape::StrArray),
    ("systemDatastoresAuthMode", Shape::Str),
    (
        "workspaceHubConfig",
        Shape::Obj(&[
            ("additionalWorkspaceStorageAccounts", Shape::StrArray),
            ("defaultWorkspaceResourceGroup", Shape::Str),
        ]),
    ),
];

/// Applies wire `properties` to a workspace (PUT and PATCH). ISO-3 and ISO-9 are checked here;
/// unmodelled properties must have the contract's type ([`UNMODELLED`]).
pub fn apply_properties(
    ws: &mut Workspace,
    sub: &str,
    props: &Map<String, Value>,
    creating: bool,
    auto_provision: bool,
) -> ArmResult<()> {
    if let Some(v) = super::body::str_of(props, "publicNetworkAccess", "properties")? {
        ws.public_network_access = PublicNetworkAccess::parse(v).ok_or_else(|| {
            ArmError::bad_property("properties.publicNetworkAccess", format!("The value '{v}' of 'properties.publicNetworkAccess' is not valid. Allowed values: 'Enabled', 'Disabled'."))
        })?;
    }
    match props.get("v1LegacyMode") {
        None | Some(Value::Null) => {}
        Some(Value::Bool(b)) => ws.v1_legacy_mode = *b,
        Some(_) => {
            return Err(ArmError::bad_property(
                "properties.v1LegacyMode",
                "The property 'properties.v1LegacyMode' must be true or false.",
            ))
        }
    }
    apply_associated_resources(ws, sub, props, creating)?;
    if let Some(mn) = props.get("managedNetwork").filter(|v| !v.is_null()) {
        apply_managed_network(ws, mn, auto_provision)?;
    }
    for (k, v) in props {
        let handled = matches!(
            k.as_str(),
            "publicNetworkAccess"
                | "v1LegacyMode"
                | "storageAccount"
                | "keyVault"
                | "containerRegistry"
                | "applicationInsights"
                | "managedNetwork"
        );
        if !handled && !READ_ONLY.contains(&k.as_str()) {
            if let Some((_, shape)) = UNMODELLED.iter().find(|(name, _)| name == k) {
                check_shape(v, &format!("properties.{k}"), *shape)?;
            }
            ws.extra.insert(k.clone(), v.clone());
        }
    }
    Ok(())
}

/// ISO-3: the associated resource ids of a PUT/PATCH must be in the workspace's subscription;
/// the storage account and key vault cannot change after creation.
fn apply_associated_resources(
    ws: &mut Workspace,
    sub: &str,
    props: &Map<String, Value>,
    creating: bool,
) -> ArmResult<()> {
    for key in [
        "storageAccount",
        "keyVault",
        "containerRegistry",
        "applicationInsights",
    ] {
        let Some(v) = super::body::str_of(props, key, "properties")? else {
            continue;
        };
        if !creating
            && matches!(key, "storageAccount" | "keyVault")
            && !v.eq_ignore_ascii_case(if key == "storageAccount" {
                &ws.storage_account
            } else {
                &ws.key_vault
            })
        {
            return Err(ArmError::bad_property(&format!("properties.{key}"), format!("The property 'properties.{key}' cannot be changed after the workspace is created.")));
        }
        rules::workspace::iso_3_associated_resource(sub, &format!("properties.{key}"), v)?;
        match key {
            "storageAccount" => ws.storage_account = v.to_string(),
            "keyVault" => ws.key_vault = v.to_string(),
            "containerRegistry" => ws.container_registry = Some(v.to_string()),
            _ => ws.application_insights = Some(v.to_string()),
        }
    }
    Ok(())
}

fn apply_managed_network(ws: &mut Workspace, mn: &Value, auto_provision: bool) -> ArmResult<()> {
    let mn = mn.as_object().ok_or_else(|| {
        ArmError::bad_property(
            "properties.managedNetwork",
            "The property 'properties.managedNetwork' must be an object.",
        )
    })?;
    let current = ws.managed_network.isolation_mode;
    let mut mode = current;
    if let Some(raw) = mn.get("isolationMode").filter(|v| !v.is_null()) {
        let raw = raw.as_str().ok_or_else(|| {
            ArmError::bad_property(
                "properties.managedNetwork.isolationMode",
                "isolationMode must be a string.",
            )
        })?;
        mode = rules::types::parse_property::<rules::IsolationMode>(
            "ISO-9",
            "properties.managedNetwork.isolationMode",
            raw,
        )?;
        rules::managed_network::iso_9_isolation_mode_transition(current, mode)?;
    }
    let mut user_rules = ws.managed_network.user_rules.clone();
    if let Some(rules_v) = mn.get("outboundRules").filter(|v| !v.is_null()) {
        let map = rules_v.as_object().ok_or_else(|| {
            ArmError::bad_property(
                "properties.managedNetwork.outboundRules",
                "outboundRules must be a map of rule name to rule.",
            )
        })?;
        user_rules.clear();
        for (name, rule) in map {
            if rule
                .get("category")
                .and_then(Value::as_str)
                .is_some_and(|c| c.eq_ignore_ascii_case("Required"))
            {
                continue; // Required rules are the service's own (ISO-8); clients echo them back.
            }
            super::safe_name("outbound rule", name)?;
            user_rules.insert(
                name.clone(),
                super::managed_network::parse_rule(
                    mode,
                    rule,
                    &format!("properties.managedNetwork.outboundRules.{name}"),
                )?,
            );
        }
    }
    if mode != current {
        ws.managed_network.provisioned = auto_provision && mode.is_managed();
    }
    ws.managed_network.isolation_mode = mode;
    ws.managed_network.user_rules = user_rules;
    Ok(())
}

/// `properties.managedNetwork` on the wire: isolation mode, the Required rules of ISO-8 plus user
/// rules, and `status` (`Active` once provisioned).
pub fn managed_network_wire(w: &Workspace) -> Value {
    let mode = w.managed_network.isolation_mode;
    let mut rules_map = Map::new();
    for (name, rule) in crate::rules::outbound_view::all_rules(w) {
        rules_map.insert(name, rule);
    }
    let changeable: Vec<&str> = rules::IsolationMode::ALL
        .iter()
        .filter(|m| m.rank() >= mode.rank())
        .map(|m| m.as_str())
        .collect();
    json!({
        "isolationMode": mode.as_str(),
        // The workspace id, as Azure answers it (recorded: `test_workspace_managednetwork_provision`).
        "networkId": w.workspace_guid,
        "outboundRules": rules_map,
        "status": { "status": if w.managed_network.provisioned { "Active" } else { "Inactive" }, "sparkReady": false },
        "changeableIsolationModes": changeable,
        "firewallSku": "Standard",
    })
}

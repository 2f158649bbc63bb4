//! `ManagedServiceIdentity` (common-types v3) as Azure answers it for workspaces and online
//! endpoints: `type` in Azure's casing and, for a system-assigned identity, the read-only
//! `principalId` and `tenantId` Azure fills in (recorded: `test_online_endpoint_mir`, every
//! workspace GET). amlite has no directory: principal and client ids are the stable ones
//! `domain::identity` derives from ARM ids, the same that the tokens a deployment's identity
//! endpoint issues carry (`oid`), and the tenant is the subscriptions' (tokens' `tid`).
use serde_json::{json, Value};

use crate::domain::ResourceId;

/// Identity types of common-types v3 `ManagedServiceIdentity`, in Azure's casing.
const IDENTITY_TYPES: [&str; 4] = [
    "None",
    "SystemAssigned",
    "UserAssigned",
    "SystemAssigned,UserAssigned",
];

/// `ManagedServiceIdentity` as Azure returns it: `type` required and in Azure's casing (the SDK
/// and users send e.g. `systemAssigned`), default `SystemAssigned`; `userAssignedIdentities`
/// keyed by the identities' ids, with the read-only fields amlite cannot know left out. Other
/// request fields (read-only `principalId`/`tenantId` a client echoed back) are not repeated.
pub fn identity(stored: Option<&Value>) -> Value {
    let requested = stored
        .and_then(|v| v.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("SystemAssigned");
    let compact: String = requested.chars().filter(|c| !c.is_whitespace()).collect();
    let kind = IDENTITY_TYPES
        .iter()
        .find(|t| t.eq_ignore_ascii_case(&compact))
        .copied()
        .unwrap_or("SystemAssigned");
    let mut out = json!({ "type": kind });
    if let Some(ids) = stored
        .and_then(|v| v.get("userAssignedIdentities"))
        .and_then(Value::as_object)
    {
        let ids: serde_json::Map<String, Value> = ids
            .keys()
            .map(|k| {
                let ua = crate::domain::identity::user_assigned(k);
                (
                    k.clone(),
                    json!({ "principalId": ua.principal_id, "clientId": ua.client_id }),
                )
            })
            .collect();
        out["userAssignedIdentities"] = Value::Object(ids);
    }
    out
}

/// Adds `principalId` / `tenantId` to a rendered identity whose type includes `SystemAssigned`.
pub fn with_principal(mut identity: Value, id: &ResourceId, tenant: &str) -> Value {
    let system = identity
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.starts_with("SystemAssigned"));
    if system {
        identity["principalId"] = json!(principal_id(id));
        identity["tenantId"] = json!(tenant);
    }
    identity
}

/// The system-assigned principal of the resource `id` (see the module header).
pub fn principal_id(id: &ResourceId) -> String {
    crate::domain::identity::system_assigned(id.as_str()).principal_id
}

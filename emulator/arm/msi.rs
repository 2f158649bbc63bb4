//! `ManagedServiceIdentity` (common-types v3) as Azure answers it for workspaces and online
//! endpoints: `type` in Azure's casing and, for a system-assigned identity, the read-only
//! `principalId` and `tenantId` Azure fills in (recorded: `test_online_endpoint_mir`, every
//! workspace GET). amlite has no directory: the principal is a stable GUID derived from the
//! resource id and creation time (the same for every read, new for a re-created resource), the
//! tenant is the subscriptions' (`env.sh` `AZURE_TENANT_ID` tokens' `tid`).
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

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
        let ids: serde_json::Map<String, Value> =
            ids.keys().map(|k| (k.clone(), json!({}))).collect();
        out["userAssignedIdentities"] = Value::Object(ids);
    }
    out
}

/// Adds `principalId` / `tenantId` to a rendered identity whose type includes `SystemAssigned`.
pub fn with_principal(
    mut identity: Value,
    id: &ResourceId,
    created: DateTime<Utc>,
    tenant: &str,
) -> Value {
    let system = identity
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.starts_with("SystemAssigned"));
    if system {
        identity["principalId"] = json!(principal_id(id, created));
        identity["tenantId"] = json!(tenant);
    }
    identity
}

/// A GUID (RFC 4122 v4 layout) from SHA-256 of the lower-cased id and the creation time.
pub fn principal_id(id: &ResourceId, created: DateTime<Utc>) -> String {
    let digest = Sha256::digest(format!(
        "{}|{}",
        id.as_str().to_ascii_lowercase(),
        created.timestamp_micros()
    ));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

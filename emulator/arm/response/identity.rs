//! `ManagedServiceIdentity` (common-types v3) as Azure answers it for workspaces and online
//! endpoints: `type` in Azure's casing and, for a system-assigned identity, the read-only
//! `principalId` and `tenantId` Azure fills in (recorded: `test_online_endpoint_mir`, every
//! workspace GET). amlite has no directory: principal and client ids are the stable ones
//! `domain::identity` derives from ARM ids, the same that the tokens a deployment's identity
//! endpoint issues carry (`oid`), and the tenant is the subscriptions' (tokens' `tid`).
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::domain::ResourceId;

/// Identity types of common-types v3 `ManagedServiceIdentity`, in Azure's casing.
const IDENTITY_TYPES: [&str; 4] = [
    "None",
    "SystemAssigned",
    "UserAssigned",
    "SystemAssigned,UserAssigned",
];

/// `ManagedServiceIdentity`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// `type`, in Azure's casing.
    #[serde(rename = "type")]
    pub identity_type: &'static str,
    /// The system-assigned principal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    /// The system-assigned principal's tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// User-assigned identities by id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_assigned_identities: Option<BTreeMap<String, UserAssignedIdentity>>,
}

/// A `UserAssignedIdentity` (amlite's derived ids).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UserAssignedIdentity {
    /// `principalId`.
    pub principal_id: String,
    /// `clientId`.
    pub client_id: String,
}

/// `ManagedServiceIdentity` as Azure returns it for the resource `id`: `type` required and in
/// Azure's casing (the SDK and users send e.g. `systemAssigned`), default `SystemAssigned`;
/// `userAssignedIdentities` keyed by the identities' ids, with the read-only fields amlite
/// cannot know left out. Other request fields (read-only `principalId`/`tenantId` a client
/// echoed back) are not repeated; a type that includes `SystemAssigned` gets amlite's principal
/// of `id` in `tenant`.
pub fn identity(stored: Option<&Value>, id: &ResourceId, tenant: &str) -> Identity {
    let mut out = requested(stored);
    if out.identity_type.starts_with("SystemAssigned") {
        out.principal_id = Some(principal_id(id));
        out.tenant_id = Some(tenant.to_string());
    }
    out
}

/// The identity as requested, normalised, without the system-assigned principal.
pub(super) fn requested(stored: Option<&Value>) -> Identity {
    let requested = stored
        .and_then(|v| v.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("SystemAssigned");
    let compact: String = requested.chars().filter(|c| !c.is_whitespace()).collect();
    let identity_type = IDENTITY_TYPES
        .iter()
        .find(|t| t.eq_ignore_ascii_case(&compact))
        .copied()
        .unwrap_or("SystemAssigned");
    let user_assigned_identities = stored
        .and_then(|v| v.get("userAssignedIdentities"))
        .and_then(Value::as_object)
        .map(|ids| {
            ids.keys()
                .map(|k| {
                    let ua = crate::domain::identity::user_assigned(k);
                    let out = UserAssignedIdentity {
                        principal_id: ua.principal_id,
                        client_id: ua.client_id,
                    };
                    (k.clone(), out)
                })
                .collect()
        });
    Identity {
        identity_type,
        principal_id: None,
        tenant_id: None,
        user_assigned_identities,
    }
}

/// The system-assigned principal of the resource `id` (see the module header).
pub fn principal_id(id: &ResourceId) -> String {
    crate::domain::identity::system_assigned(id.as_str()).principal_id
}

//! Managed identities of an online endpoint (issue 12): the system-assigned identity and the
//! user-assigned ones its `identity` names, with stable ids amlite derives from ARM ids (amlite
//! has no directory, so the same endpoint or identity always gets the same principal and client
//! id, across restarts), and which one a token request asks for.
//!
//! Token requests name an identity as Azure's identity endpoints accept it: `client_id` /
//! `clientid` (MSI 2017-09-01, App Service 2019-08-01), `object_id` / `principal_id`, or
//! `mi_res_id` / `msi_res_id` (the identity's ARM id). Without one, the system-assigned identity
//! answers, or the only user-assigned one.
use serde_json::Value;
use uuid::Uuid;

/// Namespace of amlite's derived identity ids (a fixed random UUID).
const NAMESPACE: Uuid = Uuid::from_u128(0x6a6d_6c69_7465_4a1d_8e1a_5d3c_2b9f_0c11);

/// One managed identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedIdentity {
    /// Object id of its service principal (`principalId`; a token's `oid`/`sub`).
    pub principal_id: String,
    /// Application id (`clientId`; a token's `appid`).
    pub client_id: String,
    /// ARM id of the identity (a token's `xms_mirid`): the endpoint for a system-assigned one.
    pub resource_id: String,
    /// Whether it is the endpoint's system-assigned identity.
    pub system_assigned: bool,
}

fn derived(kind: &str, id: &str) -> String {
    Uuid::new_v5(
        &NAMESPACE,
        format!("{kind}:{}", id.to_ascii_lowercase()).as_bytes(),
    )
    .to_string()
}

/// The system-assigned identity of the resource `resource_id` (an endpoint).
pub fn system_assigned(resource_id: &str) -> ManagedIdentity {
    ManagedIdentity {
        principal_id: derived("principal", resource_id),
        client_id: derived("client", resource_id),
        resource_id: resource_id.to_string(),
        system_assigned: true,
    }
}

/// The user-assigned identity `identity_id` (`…/Microsoft.ManagedIdentity/userAssignedIdentities/x`).
pub fn user_assigned(identity_id: &str) -> ManagedIdentity {
    ManagedIdentity {
        principal_id: derived("principal", identity_id),
        client_id: derived("client", identity_id),
        resource_id: identity_id.to_string(),
        system_assigned: false,
    }
}

/// The identities of the resource `resource_id` whose stored `identity` is `stored`: ARM's
/// default type is `SystemAssigned`; `None` has none.
pub fn identities(resource_id: &str, stored: Option<&Value>) -> Vec<ManagedIdentity> {
    let kind = stored
        .and_then(|v| v.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("SystemAssigned")
        .to_ascii_lowercase();
    let mut out = Vec::new();
    if kind.contains("systemassigned") {
        out.push(system_assigned(resource_id));
    }
    if kind.contains("userassigned") {
        if let Some(ids) = stored
            .and_then(|v| v.get("userAssignedIdentities"))
            .and_then(Value::as_object)
        {
            out.extend(ids.keys().map(|k| user_assigned(k)));
        }
    }
    out
}

/// Why no identity answers a token request (the text is the endpoint's 400 answer).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    /// The query names an identity (by `what`: client id, object id, resource id) that the
    /// endpoint does not have.
    #[error("No managed identity with {what} '{value}' is assigned to this endpoint.")]
    NotAssigned {
        /// `client id`, `object id` or `resource id`.
        what: &'static str,
        /// The value the query gave.
        value: String,
    },
    /// The endpoint has no identity at all.
    #[error("The endpoint has no managed identity (identity type None).")]
    NoIdentity,
    /// Several user-assigned identities, no system-assigned one, and the query names none.
    #[error("The endpoint has several user-assigned identities and no system-assigned one: name one with client_id, object_id or mi_res_id.")]
    Ambiguous,
}

/// The identity a token request's `query` asks for, or why none matches.
pub fn select<'a>(
    all: &'a [ManagedIdentity],
    query: &[(String, String)],
) -> Result<&'a ManagedIdentity, SelectionError> {
    let get = |names: &[&str]| {
        query
            .iter()
            .find(|(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
            .map(|(_, v)| v.as_str())
    };
    let asked = [
        (get(&["client_id", "clientid"]), "client id"),
        (get(&["object_id", "principal_id"]), "object id"),
        (get(&["mi_res_id", "msi_res_id"]), "resource id"),
    ];
    for (value, what) in asked {
        let Some(v) = value else { continue };
        let found = all.iter().find(|m| match what {
            "client id" => m.client_id.eq_ignore_ascii_case(v),
            "object id" => m.principal_id.eq_ignore_ascii_case(v),
            _ => m.resource_id.eq_ignore_ascii_case(v),
        });
        return found.ok_or_else(|| SelectionError::NotAssigned {
            what,
            value: v.to_string(),
        });
    }
    if let Some(system) = all.iter().find(|m| m.system_assigned) {
        return Ok(system);
    }
    match all {
        [only] => Ok(only),
        [] => Err(SelectionError::NoIdentity),
        _ => Err(SelectionError::Ambiguous),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const EP: &str = "/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w/onlineEndpoints/e";
    const UAI: &str = "/subscriptions/s/resourceGroups/r/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u";

    fn q(k: &str, v: &str) -> Vec<(String, String)> {
        vec![(k.to_string(), v.to_string())]
    }

    #[test]
    fn ids_are_stable_and_distinct() {
        let upper = system_assigned(&EP.to_uppercase());
        assert_eq!(system_assigned(EP).principal_id, upper.principal_id);
        assert_eq!(system_assigned(EP).client_id, upper.client_id);
        assert_ne!(
            system_assigned(EP).principal_id,
            user_assigned(UAI).principal_id
        );
        assert_ne!(
            system_assigned(EP).principal_id,
            system_assigned(EP).client_id
        );
    }

    #[test]
    fn selection_follows_the_query_then_the_system_identity() {
        let both = identities(
            EP,
            Some(
                &json!({"type": "SystemAssigned,UserAssigned", "userAssignedIdentities": {UAI: {}}}),
            ),
        );
        assert_eq!(both.len(), 2);
        let uai = user_assigned(UAI);
        assert_eq!(select(&both, &[]).map(|m| m.system_assigned), Ok(true));
        assert_eq!(select(&both, &q("clientid", &uai.client_id)), Ok(&uai));
        assert_eq!(select(&both, &q("mi_res_id", UAI)), Ok(&uai));
        assert_eq!(select(&both, &q("object_id", &uai.principal_id)), Ok(&uai));
        assert!(select(&both, &q("client_id", "nope")).is_err());
        let none = identities(EP, Some(&json!({"type": "None"})));
        assert!(none.is_empty() && select(&none, &[]).is_err());
        let default = identities(EP, None);
        assert_eq!(default, vec![system_assigned(EP)]);
        let only_uai = identities(
            EP,
            Some(&json!({"type": "UserAssigned", "userAssignedIdentities": {UAI: {}}})),
        );
        assert_eq!(select(&only_uai, &[]), Ok(&uai));
    }
}

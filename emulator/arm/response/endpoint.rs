//! An online endpoint as Azure answers it, and the entries Azure itself adds to the
//! `properties.properties` map of an online endpoint or deployment (recorded Azure: every
//! endpoint and deployment answer of the `test_online_*` cassettes, e.g.
//! `test_online_endpoint_update`):
//!
//! - `azureml.onlineendpointid` (endpoints): the endpoint's ARM id, lower-cased;
//! - `AzureAsyncOperationUri` (both): the `Azure-AsyncOperation` monitor URL of the operation
//!   that last created or changed the resource, with that request's api-version; a later PUT
//!   answers with its own operation's URL, whatever the request's map said.
//!
//! They are computed when rendering, from the resource and its [`OperationRef`], so a client that
//! echoes them back in a PUT (the SDK does) does not store them as its own.
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::{identity, system_data, Resource};
use crate::domain::{
    AuthMode, OnlineEndpoint, OperationRef, ProvisioningState, PublicNetworkAccess, ResourceId,
    ResourceKind,
};

/// Key of the endpoint's own id.
pub const ENDPOINT_ID: &str = "azureml.onlineendpointid";
/// Key of the last operation's monitor URL.
pub const OPERATION_URI: &str = "AzureAsyncOperationUri";

/// Whether `key` is one Azure fills in (a request's value for it is not kept).
pub fn is_server_key(key: &str) -> bool {
    key == ENDPOINT_ID || key == OPERATION_URI
}

/// `OnlineEndpoint` properties (`mfe.json`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointProperties {
    /// `authMode`.
    pub auth_mode: AuthMode,
    /// `description` (`null` when unset).
    pub description: Option<String>,
    /// `properties`: the client's entries and Azure's two.
    pub properties: BTreeMap<String, String>,
    /// `traffic`.
    pub traffic: BTreeMap<String, i64>,
    /// `mirrorTraffic`.
    pub mirror_traffic: BTreeMap<String, i64>,
    /// `publicNetworkAccess`.
    pub public_network_access: PublicNetworkAccess,
    /// `scoringUri`.
    pub scoring_uri: String,
    /// `swaggerUri`.
    pub swagger_uri: String,
    /// `provisioningState`.
    pub provisioning_state: ProvisioningState,
    /// `keys`: always `null` (use `listKeys`).
    pub keys: Option<Value>,
}

/// An online endpoint. `keys` are never returned (use `listKeys`); `scoringUri` names the
/// listener that served the request (`base`) (SPEC §4, §6.2).
pub fn endpoint(
    id: &ResourceId,
    e: &OnlineEndpoint,
    base: &str,
    tenant: &str,
) -> Resource<EndpointProperties> {
    let name = id.name();
    // SPEC §4's URI; `?region=` only for a name another region had first (issue 9).
    let region = if e.region_in_scoring_uri {
        let r = crate::rules::names::normalize_region(&e.location);
        format!(
            "?region={}",
            form_urlencoded::byte_serialize(r.as_bytes()).collect::<String>()
        )
    } else {
        String::new()
    };
    let mut properties = user_entries(&e.properties);
    properties.insert(ENDPOINT_ID.to_string(), id.as_str().to_ascii_lowercase());
    with_operation(&mut properties, id, e.operation.as_ref(), base);
    let props = EndpointProperties {
        auth_mode: e.auth_mode,
        description: e.description.clone(),
        properties,
        traffic: e.traffic.clone(),
        mirror_traffic: e.mirror_traffic.clone(),
        public_network_access: e.public_network_access,
        scoring_uri: format!("{base}/endpoints/{name}/score{region}"),
        swagger_uri: format!("{base}/endpoints/{name}/swagger.json{region}"),
        provisioning_state: e.provisioning_state,
        keys: None,
    };
    Resource {
        location: Some(e.location.clone()),
        tags: Some(e.tags.clone()),
        system_data: Some(system_data(&e.audit)),
        identity: Some(identity(e.identity.as_ref(), id, tenant)),
        // Azure answers `kind: Managed` for every managed endpoint, asked for or not (recorded:
        // `test_online_endpoint_mir`); Kubernetes endpoints are refused (CP-*).
        kind: Some(e.kind.clone().unwrap_or_else(|| "Managed".to_string())),
        ..Resource::new(id, ResourceKind::OnlineEndpoint, props)
    }
}

/// The client's entries of a `properties.properties` map, without the ones Azure fills in.
pub(super) fn user_entries(user: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    user.iter()
        .filter(|(k, _)| !is_server_key(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Adds `AzureAsyncOperationUri` for the last operation, if any.
pub(super) fn with_operation(
    out: &mut BTreeMap<String, String>,
    id: &ResourceId,
    op: Option<&OperationRef>,
    base: &str,
) {
    if let (Some(op), Some(sub)) = (op, id.subscription_id()) {
        let url = crate::lro::status_url_of(base, sub, &op.location, &op.name, &op.api_version);
        out.insert(OPERATION_URI.to_string(), url);
    }
}

//! The entries Azure itself adds to the `properties.properties` map of an online endpoint or
//! deployment (recorded Azure: every endpoint and deployment answer of the `test_online_*`
//! cassettes, e.g. `test_online_endpoint_update`):
//!
//! - `azureml.onlineendpointid` (endpoints): the endpoint's ARM id, lower-cased;
//! - `AzureAsyncOperationUri` (both): the `Azure-AsyncOperation` monitor URL of the operation
//!   that last created or changed the resource, with that request's api-version; a later PUT
//!   answers with its own operation's URL, whatever the request's map said.
//!
//! They are computed when rendering, from the resource and its [`OperationRef`], so a client that
//! echoes them back in a PUT (the SDK does) does not store them as its own.
use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::domain::{OperationRef, ResourceId};

/// Key of the endpoint's own id.
pub const ENDPOINT_ID: &str = "azureml.onlineendpointid";
/// Key of the last operation's monitor URL.
pub const OPERATION_URI: &str = "AzureAsyncOperationUri";

/// Whether `key` is one Azure fills in (a request's value for it is not kept).
pub fn is_server_key(key: &str) -> bool {
    key == ENDPOINT_ID || key == OPERATION_URI
}

fn with_operation(
    mut out: serde_json::Map<String, Value>,
    id: &ResourceId,
    op: Option<&OperationRef>,
    base: &str,
) -> Value {
    if let (Some(op), Some(sub)) = (op, id.subscription_id()) {
        let url = crate::lro::status_url_of(base, sub, &op.location, &op.name, &op.api_version);
        out.insert(OPERATION_URI.to_string(), json!(url));
    }
    Value::Object(out)
}

fn user_entries(user: &BTreeMap<String, String>) -> serde_json::Map<String, Value> {
    user.iter()
        .filter(|(k, _)| !is_server_key(k))
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect()
}

/// An endpoint's `properties.properties`: the client's entries and Azure's two.
pub fn endpoint(
    id: &ResourceId,
    user: &BTreeMap<String, String>,
    op: Option<&OperationRef>,
    base: &str,
) -> Value {
    let mut out = user_entries(user);
    out.insert(
        ENDPOINT_ID.to_string(),
        json!(id.as_str().to_ascii_lowercase()),
    );
    with_operation(out, id, op, base)
}

/// A deployment's `properties.properties`: the client's entries and `AzureAsyncOperationUri`.
pub fn deployment(
    id: &ResourceId,
    user: &BTreeMap<String, String>,
    op: Option<&OperationRef>,
    base: &str,
) -> Value {
    with_operation(user_entries(user), id, op, base)
}

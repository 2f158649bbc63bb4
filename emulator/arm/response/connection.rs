//! A workspace connection on the wire (`WorkspaceConnectionPropertiesV2BasicResource`), as
//! Azure answers one a template made (recorded: `test_featurestore_managednetwork_provision`):
//! `credentials` and `expiryTime` null, not shared, the creating workspace named.
use serde::Serialize;
use serde_json::{Map, Value};

use super::{system_data, Resource};
use crate::domain::{ResourceId, ResourceKind, WorkspaceConnection};

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionProperties {
    auth_type: String,
    credentials: Option<Value>,
    category: String,
    expiry_time: Option<String>,
    target: String,
    created_by_workspace_arm_id: String,
    is_shared_to_all: bool,
    shared_user_list: Vec<String>,
    metadata: Map<String, Value>,
}

/// The connection `id` of workspace `ws`.
pub fn connection(
    id: &ResourceId,
    ws: &ResourceId,
    c: &WorkspaceConnection,
) -> Resource<ConnectionProperties> {
    let props = ConnectionProperties {
        auth_type: c.auth_type.clone(),
        credentials: None,
        category: c.category.clone(),
        expiry_time: None,
        target: c.target.clone(),
        created_by_workspace_arm_id: ws.to_string(),
        is_shared_to_all: false,
        shared_user_list: Vec::new(),
        metadata: Map::new(),
    };
    Resource {
        system_data: Some(system_data(&c.audit)),
        ..Resource::new(id, ResourceKind::WorkspaceConnection, props)
    }
}

//! A workspace asset version (model, code, environment) or datastore: the stored `properties`
//! echoed, without the declared fields whose type is wrong.
use serde_json::{Map, Value};

use super::{system_data, Resource};
use crate::domain::{Asset, ResourceId, ResourceKind};

/// An asset's `properties`: what the client sent (the SDK sends newer api-versions' fields and
/// may read them back), filtered by [`ASSET_FIELDS`].
pub type AssetProperties = Map<String, Value>;

/// JSON type a field of an asset version's `properties` has in `mfe.json`.
#[derive(Clone, Copy, PartialEq)]
enum Json {
    Str,
    Bool,
    StrMap,
    Object,
}

/// Fields of `ModelVersion`, `CodeVersion`, `EnvironmentVersion` (and their `AssetBase`) whose
/// type amlite checks before echoing them; `null` passes only for the `x-nullable` maps (the
/// nullable strings are dropped when null: omitting them is always valid).
const ASSET_FIELDS: &[(&str, Json)] = &[
    ("description", Json::Str),
    ("tags", Json::StrMap),
    ("properties", Json::StrMap),
    ("isAnonymous", Json::Bool),
    ("isArchived", Json::Bool),
    ("modelUri", Json::Str),
    ("modelType", Json::Str),
    ("jobName", Json::Str),
    ("stage", Json::Str),
    ("flavors", Json::Object),
    ("codeUri", Json::Str),
    ("image", Json::Str),
    ("condaFile", Json::Str),
    ("osType", Json::Str),
    ("build", Json::Object),
    ("inferenceConfig", Json::Object),
    ("autoRebuild", Json::Str),
];

/// An asset version's stored `properties` without the declared fields whose type is wrong (all
/// optional; the store keeps what a PUT sent, the contract's types must hold on the way out).
/// Unknown fields stay.
pub(super) fn asset_properties(stored: &Value) -> AssetProperties {
    let Some(map) = stored.as_object() else {
        return Map::new();
    };
    let mut props = map.clone();
    props.retain(|name, v| {
        let Some((_, kind)) = ASSET_FIELDS.iter().find(|(n, _)| n == name) else {
            return true;
        };
        match kind {
            Json::Str => v.is_string(),
            Json::Bool => v.is_boolean(),
            Json::Object => v.is_object(),
            Json::StrMap => {
                v.is_null()
                    || v.as_object()
                        .is_some_and(|m| m.values().all(Value::is_string))
            }
        }
    });
    props
}

/// A workspace asset version (model, code, environment) or datastore.
pub fn asset(id: &ResourceId, kind: ResourceKind, a: &Asset) -> Resource<AssetProperties> {
    Resource {
        system_data: Some(system_data(&a.audit)),
        ..Resource::new(id, kind, asset_properties(&a.properties))
    }
}

//! Request validation of asset versions and datastores against the contract
//! (`EnvironmentVersion`, `ModelVersion`, `CodeVersion`, `DataVersionBase`, `ComponentVersion`,
//! `Datastore`, 2024-04-01): the typed bodies of `arm::body::assets` check enums, route ports and
//! JSON types, so a bad value is a 400 `BadRequest` naming the property instead of being stored
//! and echoed (SPEC §3). The properties are then stored as sent, with the names those types
//! know and the enums in Azure's casing (SPEC §2.1), and model flavors in their contract shape.
//!
//! Owns: the checks that go beyond types (required route fields, build context). Must not
//! depend on the store or other handlers.
use serde_json::{json, Map, Value};

use crate::arm::body::assets::{
    AssetBaseProperties, CodeVersionProperties, ComponentVersionProperties, DataVersionProperties,
    DatastoreProperties, EnvironmentVersionProperties, ModelVersionProperties, RouteBody,
};
use crate::arm::body::canonical_at;
use crate::arm::errors;
use crate::domain::conda_file;
use crate::error::ArmResult;

/// Checks (and normalises to Azure's casing) the `properties` of a version PUT in collection
/// `coll` (`environments`, `models`, ...). Errors: 400 `BadRequest` with the property path.
pub(super) fn check_version(coll: &str, props: &mut Map<String, Value>) -> ArmResult<()> {
    let _: AssetBaseProperties = decode(props)?;
    match coll {
        "environments" => check_environment(props),
        "models" => check_model(props),
        "codes" => decode::<CodeVersionProperties>(props).map(drop),
        "data" => decode::<DataVersionProperties>(props).map(drop),
        "components" => decode::<ComponentVersionProperties>(props).map(drop),
        _ => Ok(()),
    }
}

/// Checks (and names in Azure's casing) the `properties` of a datastore PUT.
pub(super) fn check_datastore(props: &mut Map<String, Value>) -> ArmResult<()> {
    decode::<DatastoreProperties>(props).map(drop)
}

/// `props` decoded into `T`, the names `T` knows renamed to its casing in `props`.
fn decode<T: serde::de::DeserializeOwned>(props: &mut Map<String, Value>) -> ArmResult<T> {
    canonical_at(props, "properties")
}

/// `ModelVersion`: `flavors` is stored as name → `{ "data": map<string, string> }` (numbers
/// and booleans in `data` are taken as their text, as ARM does for string maps).
fn check_model(props: &mut Map<String, Value>) -> ArmResult<()> {
    let typed: ModelVersionProperties = decode(props)?;
    if let Some(flavors) = typed.flavors {
        let out: Map<String, Value> = flavors
            .into_iter()
            .map(|(name, f)| {
                let v = f.map_or(Value::Null, |f| json!({ "data": f.data }));
                (name, v)
            })
            .collect();
        props.insert("flavors".into(), Value::Object(out));
    }
    Ok(())
}

/// `EnvironmentVersion`: `autoRebuild` and `osType` stored in Azure's casing, `condaFile` as the
/// sorted JSON Azure answers ([`conda_file::as_azure_stores_it`]); a `build` needs a
/// non-empty `contextUri`; each `inferenceConfig` route needs a `path` and a `port`.
fn check_environment(props: &mut Map<String, Value>) -> ArmResult<()> {
    let typed: EnvironmentVersionProperties = decode(props)?;
    if let Some(v) = typed.auto_rebuild {
        props.insert("autoRebuild".into(), json!(v.as_str()));
    }
    if let Some(v) = typed.os_type {
        props.insert("osType".into(), json!(v.as_str()));
    }
    if let Some(text) = typed.conda_file.as_deref() {
        let stored = conda_file::as_azure_stores_it(text)
            .map_err(|reason| errors::conda_file_unreadable(&reason))?;
        props.insert("condaFile".into(), Value::String(stored));
    }
    if typed
        .build
        .is_some_and(|b| b.context_uri.is_none_or(|u| u.is_empty()))
    {
        return Err(errors::build_context_required());
    }
    let Some(ic) = typed.inference_config else {
        return Ok(());
    };
    for (key, route) in [
        ("livenessRoute", ic.liveness_route),
        ("readinessRoute", ic.readiness_route),
        ("scoringRoute", ic.scoring_route),
    ] {
        if let Some(RouteBody { path, port }) = route {
            if port.is_none() || path.is_none_or(|p| p.is_empty()) {
                return Err(errors::route_incomplete(&format!(
                    "properties.inferenceConfig.{key}"
                )));
            }
        }
    }
    Ok(())
}

//! Request validation of asset versions against the contract (`EnvironmentVersion`,
//! `ModelVersion`, 2024-04-01): enums, route ports and JSON types are checked so a bad value is
//! a 400 `BadRequest` naming the property instead of being stored and echoed (SPEC §3).
use serde_json::{json, Map, Value};

use crate::arm::body::{check_shape, enum_of, int32_in, object, str_of, string_map, Shape};
use crate::error::{ArmError, ArmResult};

/// Checks (and normalises to Azure's casing) the `properties` of a version PUT in collection
/// `coll` (`environments`, `models`, ...). Errors: 400 `BadRequest` with the property path.
pub(super) fn check_version(coll: &str, props: &mut Map<String, Value>) -> ArmResult<()> {
    match coll {
        "environments" => check_environment(props),
        "models" => check_model(props),
        _ => Ok(()),
    }
}

/// `ModelVersion`: `jobName`/`modelType`/`modelUri`/`stage` strings; `flavors` a map of flavor
/// name to `{ "data": map<string, string> }` (numbers and booleans in `data` are taken as their
/// text, as ARM does for string maps).
fn check_model(props: &mut Map<String, Value>) -> ArmResult<()> {
    for key in ["jobName", "modelType", "modelUri", "stage", "description"] {
        str_of(props, key, "properties")?;
    }
    let Some(flavors) = object(props.get("flavors"), "properties.flavors")? else {
        return Ok(());
    };
    let mut out = Map::new();
    for (name, flavor) in flavors {
        let path = format!("properties.flavors.{name}");
        let Some(f) = object(Some(flavor), &path)? else {
            out.insert(name.clone(), Value::Null);
            continue;
        };
        let data = string_map(f.get("data"), &format!("{path}.data"))?;
        out.insert(name.clone(), json!({ "data": data }));
    }
    props.insert("flavors".into(), Value::Object(out));
    Ok(())
}

/// Validates an environment version's `properties` against the contract (`EnvironmentVersion`):
/// `autoRebuild` and `osType` within their enums (stored in Azure's casing), `inferenceConfig`
/// routes with a non-empty `path` and a `port` from 1 to 65535, strings and booleans typed.
/// Errors: 400 `BadRequest` with the property path as target.
fn check_environment(props: &mut Map<String, Value>) -> ArmResult<()> {
    const T: &str = "properties";
    for (key, allowed) in [
        ("autoRebuild", &["Disabled", "OnBaseImageUpdate"][..]),
        ("osType", &["Linux", "Windows"][..]),
    ] {
        if let Some(v) = enum_of(props, key, T, allowed)? {
            props.insert(key.into(), json!(v));
        }
    }
    const BUILD: Shape = Shape::Obj(&[("contextUri", Shape::Str), ("dockerfilePath", Shape::Str)]);
    for (key, shape) in [
        ("condaFile", Shape::Str),
        ("image", Shape::Str),
        ("description", Shape::Str),
        ("isAnonymous", Shape::Bool),
        ("isArchived", Shape::Bool),
        ("build", BUILD),
    ] {
        if let Some(v) = props.get(key) {
            check_shape(v, &format!("{T}.{key}"), shape)?;
        }
    }
    let build = object(props.get("build"), "properties.build")?;
    if build.is_some_and(|b| {
        b.get("contextUri")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
    }) {
        return Err(ArmError::bad_property(
            "properties.build.contextUri",
            "The property 'properties.build.contextUri' is required: a non-empty string (the URI of the Docker build context).",
        ));
    }
    let Some(ic) = object(props.get("inferenceConfig"), "properties.inferenceConfig")? else {
        return Ok(());
    };
    for key in ["livenessRoute", "readinessRoute", "scoringRoute"] {
        let path = format!("properties.inferenceConfig.{key}");
        if let Some(route) = object(ic.get(key), &path)? {
            check_route(route, &path)?;
        }
    }
    Ok(())
}

/// A `Route` (`path` non-empty string, `port` int32 from 1 to 65535, both required).
fn check_route(route: &Map<String, Value>, path: &str) -> ArmResult<()> {
    let port = int32_in(route, "port", path, 1, 65535)?;
    let route_path = str_of(route, "path", path)?;
    if port.is_none() || route_path.is_none_or(str::is_empty) {
        return Err(ArmError::bad_property(
            path,
            format!("The route '{path}' needs a non-empty string 'path' and an integer 'port' from 1 to 65535."),
        ));
    }
    Ok(())
}

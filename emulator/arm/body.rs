//! Typed reads of request-body JSON for the handlers: each accessor returns `None` for an absent
//! or null property and a 400 `BadRequest` naming the property for a value of the wrong type,
//! so a bad body never becomes a 500 (SPEC §3 error envelope).
use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::domain::Access;
use crate::error::{ArmError, ArmResult};

/// `v` as a JSON object.
pub fn object<'a>(v: Option<&'a Value>, target: &str) -> ArmResult<Option<&'a Map<String, Value>>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(ArmError::bad_property(
            target,
            format!("The property '{target}' must be an object."),
        )),
    }
}

/// `m[key]` as a string slice; `target` is the path of `m` (e.g. `properties`).
pub fn str_of<'a>(
    m: &'a Map<String, Value>,
    key: &str,
    target: &str,
) -> ArmResult<Option<&'a str>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ArmError::bad_property(
            &format!("{target}.{key}"),
            format!("The property '{target}.{key}' must be a string."),
        )),
    }
}

/// `m[key]` as an owned string.
pub fn string_of(m: &Map<String, Value>, key: &str, target: &str) -> ArmResult<Option<String>> {
    Ok(str_of(m, key, target)?.map(str::to_string))
}

/// A `map<string, string>` (tags, `properties.properties`, `environmentVariables`). Numbers and
/// booleans are taken as their text, as ARM does; objects and arrays are refused.
pub fn string_map(v: Option<&Value>, target: &str) -> ArmResult<Option<BTreeMap<String, String>>> {
    let Some(m) = object(v, target)? else {
        return Ok(None);
    };
    let mut out = BTreeMap::new();
    for (k, v) in m {
        let s = match v {
            Value::String(s) => s.clone(),
            Value::Number(_) | Value::Bool(_) => v.to_string(),
            _ => {
                return Err(ArmError::bad_property(
                    &format!("{target}.{k}"),
                    format!("'{target}.{k}' must be a string."),
                ))
            }
        };
        out.insert(k.clone(), s);
    }
    Ok(Some(out))
}

/// An `Enabled`/`Disabled` flag, any casing (the SDK sends the user's, SPEC §2.1).
pub fn access(v: Option<&Value>, target: &str) -> ArmResult<Option<Access>> {
    let invalid = |shown: String| {
        ArmError::bad_property(target, format!("The value {shown} of '{target}' is not valid. Allowed values: 'Enabled', 'Disabled'."))
    };
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Access::parse(s)
            .map(Some)
            .ok_or_else(|| invalid(format!("'{s}'"))),
        Some(other) => Err(invalid(other.to_string())),
    }
}

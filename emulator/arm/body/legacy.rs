//! Typed reads of request-body JSON for the handlers: each accessor returns `None` for an absent
//! or null property and a 400 `BadRequest` naming the property for a value of the wrong type,
//! so a bad body never becomes a 500 (SPEC §3 error envelope).
use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::domain::PublicNetworkAccess;
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
pub fn access(v: Option<&Value>, target: &str) -> ArmResult<Option<PublicNetworkAccess>> {
    let invalid = |shown: String| {
        ArmError::bad_property(target, format!("The value {shown} of '{target}' is not valid. Allowed values: 'Enabled', 'Disabled'."))
    };
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => PublicNetworkAccess::parse(s)
            .map(Some)
            .ok_or_else(|| invalid(format!("'{s}'"))),
        Some(other) => Err(invalid(other.to_string())),
    }
}

/// `m[key]` as one of `allowed` (any casing, as Azure's `modelAsString` enums are matched),
/// returned in Azure's casing; any other value or type is a 400 naming the allowed values.
pub fn enum_of(
    m: &Map<String, Value>,
    key: &str,
    target: &str,
    allowed: &[&'static str],
) -> ArmResult<Option<&'static str>> {
    let path = format!("{target}.{key}");
    let invalid = |shown: String| {
        let list: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
        ArmError::bad_property(
            &path,
            format!(
                "The value {shown} of '{path}' is not valid. Allowed values: {}.",
                list.join(", ")
            ),
        )
    };
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => allowed
            .iter()
            .find(|a| a.eq_ignore_ascii_case(s))
            .map(|a| Some(*a))
            .ok_or_else(|| invalid(format!("'{s}'"))),
        Some(other) => Err(invalid(other.to_string())),
    }
}

/// `m[key]` as an int32 in `min..=max`; a non-integer or a value outside the range is a 400
/// naming the property, the value and the range.
pub fn int32_in(
    m: &Map<String, Value>,
    key: &str,
    target: &str,
    min: i32,
    max: i32,
) -> ArmResult<Option<i32>> {
    let path = format!("{target}.{key}");
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .filter(|n| (min..=max).contains(n))
            .map(Some)
            .ok_or_else(|| {
                ArmError::bad_property(
                    &path,
                    format!("The value {v} of '{path}' is not valid: it must be an integer (int32) from {min} to {max}."),
                )
            }),
    }
}

/// `m[key]` as an ISO-8601 duration (`PT5S`, `PT0.5S`, `P1DT2H`), kept as sent; anything
/// [`crate::rules::limits::parse_iso8601_duration_ms`] refuses is a 400.
pub fn duration_of(m: &Map<String, Value>, key: &str, target: &str) -> ArmResult<Option<String>> {
    let path = format!("{target}.{key}");
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if crate::rules::limits::parse_iso8601_duration_ms(s).is_some() => {
            Ok(Some(s.clone()))
        }
        Some(v) => Err(ArmError::bad_property(
            &path,
            format!("The value {v} of '{path}' is not valid: it must be an ISO-8601 duration such as 'PT5S'."),
        )),
    }
}

/// The JSON type a request property must have (the contract's simple types), for checking
/// properties amlite stores without modelling them.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// A string.
    Str,
    /// `true` or `false`.
    Bool,
    /// An integer that fits in 32 bits.
    Int32,
    /// An array of strings.
    StrArray,
    /// One of the listed strings (any casing).
    Enum(&'static [&'static str]),
    /// An array of objects (contents not checked).
    ObjArray,
    /// An object whose listed fields have the given shapes (other fields are not checked).
    Obj(&'static [(&'static str, Shape)]),
}

/// Checks `v` (at property path `path`) against `shape`; null is accepted everywhere (absent).
/// Errors: 400 `BadRequest` with target `path` naming the property, the value and the type.
pub fn check_shape(v: &Value, path: &str, shape: Shape) -> ArmResult<()> {
    let ok = match (shape, v) {
        (_, Value::Null) | (Shape::Str, Value::String(_)) | (Shape::Bool, Value::Bool(_)) => true,
        (Shape::Int32, v) => v.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
        (Shape::StrArray, Value::Array(a)) => a.iter().all(Value::is_string),
        (Shape::ObjArray, Value::Array(a)) => a.iter().all(|x| x.is_object() || x.is_null()),
        (Shape::Enum(allowed), Value::String(s)) => {
            allowed.iter().any(|a| a.eq_ignore_ascii_case(s))
        }
        (Shape::Obj(fields), Value::Object(m)) => {
            for (key, inner) in fields {
                if let Some(x) = m.get(*key) {
                    check_shape(x, &format!("{path}.{key}"), *inner)?;
                }
            }
            true
        }
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let expected = match shape {
        Shape::Str => "a string".to_string(),
        Shape::Bool => "true or false".to_string(),
        Shape::Int32 => "an integer (int32)".to_string(),
        Shape::StrArray => "an array of strings".to_string(),
        Shape::ObjArray => "an array of objects".to_string(),
        Shape::Obj(_) => "an object".to_string(),
        Shape::Enum(allowed) => {
            let list: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
            format!("one of {}", list.join(", "))
        }
    };
    Err(ArmError::bad_property(
        path,
        format!("The value {v} of '{path}' is not valid: it must be {expected}."),
    ))
}

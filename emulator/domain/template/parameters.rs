//! The parameters a deployment gives its template: each declared by the template, of the
//! declared JSON type and, when the declaration lists them, one of its `allowedValues` (ARM's
//! `InvalidTemplate` texts). Applies to the deployment's template and to the template of an
//! inner-scope nested deployment alike.
//!
//! Pure: no IO.
use serde_json::{Map, Value};

use super::TemplateError;

/// Checks `given` (`{name: {value}}`) against `template`'s `parameters`.
pub(super) fn check(template: &Value, given: &Map<String, Value>) -> Result<(), TemplateError> {
    let declared = template.get("parameters").and_then(Value::as_object);
    let declaration =
        |name: &str| declared.and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)));
    if let Some(extra) = given.keys().find(|k| declaration(k).is_none()) {
        return Err(TemplateError(format!(
            "The template parameters '{extra}' in the parameters file are not valid; they are not present in the original template and can therefore not be provided at deployment time."
        )));
    }
    for (name, value) in given {
        let (Some((declared_name, d)), Some(value)) = (declaration(name), value.get("value"))
        else {
            continue;
        };
        let ty = d.get("type").and_then(Value::as_str).unwrap_or("string");
        check_given(declared_name, ty, value, Some(d))?;
    }
    Ok(())
}

/// A value the request gave must have its parameter's declared type (JSON types, no coercion:
/// `"true"` is not a bool) and be one of its `allowedValues` when it lists them. ARM's texts
/// (its `allowedValues` one also names the line and column of the declaration, which amlite
/// does not track).
fn check_given(
    name: &str,
    ty: &str,
    given: &Value,
    declared: Option<&Value>,
) -> Result<(), TemplateError> {
    const HELP: &str = "Please see https://aka.ms/arm-create-parameter-file for usage details.";
    let expected = match ty.to_ascii_lowercase().as_str() {
        "string" | "securestring" => ("String, Uri", given.is_string()),
        "int" => ("Integer", given.is_i64() || given.is_u64()),
        "bool" => ("Boolean", given.is_boolean()),
        "object" | "secureobject" => ("Object", given.is_object()),
        "array" => ("Array", given.is_array()),
        other => {
            return Err(TemplateError(format!(
                "The template parameter '{name}' has type '{other}': the types are 'string', 'securestring', 'int', 'bool', 'object', 'secureobject' and 'array'."
            )))
        }
    };
    if !expected.1 {
        let received = match given {
            Value::Null => "Null",
            Value::Bool(_) => "Boolean",
            Value::Number(n) if n.is_f64() => "Float",
            Value::Number(_) => "Integer",
            Value::String(_) => "String",
            Value::Array(_) => "Array",
            Value::Object(_) => "Object",
        };
        return Err(TemplateError(format!(
            "The provided value for the template parameter '{name}' is not valid. Expected a value of type '{}', but received a value of type '{received}'. {HELP}",
            expected.0
        )));
    }
    let Some(Value::Array(allowed)) = declared.and_then(|d| d.get("allowedValues")) else {
        return Ok(());
    };
    // Strings compare case-insensitively, as ARM compares names; an array parameter's items
    // must each be allowed.
    let allows = |v: &Value| {
        allowed.iter().any(|a| match (a, v) {
            (Value::String(a), Value::String(v)) => a.eq_ignore_ascii_case(v),
            _ => a == v,
        })
    };
    let fits = match given {
        Value::Array(items) => items.iter().all(allows),
        _ => allows(given),
    };
    if fits {
        return Ok(());
    }
    let shown = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let list: Vec<String> = allowed.iter().map(shown).collect();
    Err(TemplateError(format!(
        "The provided value '{}' for the template parameter '{name}' is not valid. The parameter value is not part of the allowed value(s): '{}'. {HELP}",
        shown(given),
        list.join(",")
    )))
}

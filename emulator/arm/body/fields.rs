//! The checked field types of typed request bodies, as `deserialize_with` functions for
//! `Option<_>` fields (`#[serde(default, deserialize_with = "fields::text")]`): absent and `null`
//! are `None`; a value of the wrong JSON type or outside its range is refused with a
//! [`Refusal`], which `body::decode` turns into a 400 naming the property path.
//!
//! ARM's conventions kept here: enums match any casing and come back in Azure's (SPEC §2.1);
//! `map<string, string>` values may be numbers or booleans, taken as their text.
//!
//! Pure: serde only; no handler, store or IO.
use std::collections::BTreeMap;

use serde::de::{self, Deserializer};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::domain::enums::AzureEnum;

/// Nested objects, arrays of them and maps of them: `body::nested`.
pub use super::nested::{list, object, object_map};

/// Why a property was refused; carried through serde's error text (the only channel a
/// `Deserialize` impl has) and decoded by `body::decode`.
#[derive(Debug, PartialEq)]
pub enum Refusal {
    /// The value does not have the type: `expected` is e.g. "a string".
    Type { expected: String, shown: String },
    /// The value is not one of an enum's values: `allowed` is `'A', 'B'`.
    Enum { allowed: String, shown: String },
    /// A `traffic`/`mirrorTraffic` weight that is not an integer (CP-2).
    Weight { shown: String },
    /// Anything serde itself refused (not expected with these field types).
    Other(String),
}

const SEP: char = '\u{1}';

impl Refusal {
    fn encode(&self) -> String {
        match self {
            Self::Type { expected, shown } => format!("{SEP}type{SEP}{expected}{SEP}{shown}"),
            Self::Enum { allowed, shown } => format!("{SEP}enum{SEP}{allowed}{SEP}{shown}"),
            Self::Weight { shown } => format!("{SEP}weight{SEP}{SEP}{shown}"),
            Self::Other(s) => s.clone(),
        }
    }

    /// The refusal an error text of [`Self::encode`] carries (`Other` for serde's own texts).
    pub fn decode(text: &str) -> Self {
        let mut parts = text.splitn(4, SEP);
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(""), Some(kind), Some(a), Some(shown)) => {
                let shown = shown.to_string();
                match kind {
                    "type" => Self::Type {
                        expected: a.to_string(),
                        shown,
                    },
                    "enum" => Self::Enum {
                        allowed: a.to_string(),
                        shown,
                    },
                    _ => Self::Weight { shown },
                }
            }
            _ => Self::Other(text.to_string()),
        }
    }

    fn err<E: de::Error>(self) -> E {
        E::custom(self.encode())
    }
}

/// A value as it appears in a message: strings quoted with `'`, anything else as JSON, cut to
/// 120 characters (a body can be large; the message names the value, not all of it).
pub fn shown(v: &Value) -> String {
    let text = match v {
        Value::String(s) => format!("'{s}'"),
        other => other.to_string(),
    };
    if text.chars().count() > 120 {
        let cut: String = text.chars().take(117).collect();
        format!("{cut}...")
    } else {
        text
    }
}

pub(super) fn refuse<E: de::Error>(expected: &str, v: &Value) -> E {
    Refusal::Type {
        expected: expected.to_string(),
        shown: shown(v),
    }
    .err()
}

/// The value of an optional field, `None` for `null`.
fn value<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Option::<Value>::deserialize(d)
}

/// A string.
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match value(d)? {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(refuse("a string", &v)),
    }
}

/// A string that may be `null` to clear it: `Some(None)` for `null` (absent stays `None`
/// through `#[serde(default)]`, since serde calls this only for a present field).
pub fn nullable_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    text(d).map(Some)
}

/// `true` or `false`.
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match value(d)? {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(v) => Err(refuse("true or false", &v)),
    }
}

/// Any integer (ranges checked by the rule that owns them, e.g. CP-5 for `sku.capacity`).
pub fn integer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match value(d)? {
        None => Ok(None),
        Some(v) => v.as_i64().map(Some).ok_or_else(|| refuse("an integer", &v)),
    }
}

/// A non-negative integer (a count such as `getLogs`' `tail`).
pub fn count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match value(d)? {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| refuse("a non-negative integer", &v)),
    }
}

/// An int32 in `MIN..=MAX` (the contract's `format: int32` with its documented range).
pub fn int32<'de, const MIN: i32, const MAX: i32, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<i32>, D::Error> {
    let Some(v) = value(d)? else {
        return Ok(None);
    };
    v.as_i64()
        .and_then(|n| i32::try_from(n).ok())
        .filter(|n| (MIN..=MAX).contains(n))
        .map(Some)
        .ok_or_else(|| {
            let expected = match (MIN, MAX) {
                (i32::MIN, i32::MAX) => "an integer (int32)".to_string(),
                (min, i32::MAX) => format!("an integer (int32) of at least {min}"),
                (min, max) => format!("an integer (int32) from {min} to {max}"),
            };
            refuse(&expected, &v)
        })
}

/// An ISO-8601 duration (`PT5S`, `PT0.5S`, `P1DT2H`), kept as sent.
pub fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match value(d)? {
        None => Ok(None),
        Some(Value::String(s)) if crate::rules::limits::parse_iso8601_duration_ms(&s).is_some() => {
            Ok(Some(s))
        }
        Some(v) => Err(refuse("an ISO-8601 duration such as 'PT5S'", &v)),
    }
}

/// One of an Azure enum's values, any casing (SPEC §2.1).
pub fn choice<'de, E: AzureEnum, D: Deserializer<'de>>(d: D) -> Result<Option<E>, D::Error> {
    let Some(v) = value(d)? else {
        return Ok(None);
    };
    v.as_str()
        .and_then(E::parse_azure)
        .map(Some)
        .ok_or_else(|| {
            Refusal::Enum {
                allowed: E::allowed(),
                shown: shown(&v),
            }
            .err()
        })
}

/// An array of strings.
pub fn texts<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    match value(d)? {
        None => Ok(None),
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => Ok(Some(
            a.into_iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
        )),
        Some(v) => Err(refuse("an array of strings", &v)),
    }
}

/// An array of objects (contents kept as sent).
pub fn objects<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Value>>, D::Error> {
    match value(d)? {
        None => Ok(None),
        Some(Value::Array(a)) if a.iter().all(|x| x.is_object() || x.is_null()) => Ok(Some(a)),
        Some(v) => Err(refuse("an array of objects", &v)),
    }
}

/// An object kept as sent (`identity`: amlite echoes it).
pub fn any_object<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Map<String, Value>>, D::Error> {
    match value(d)? {
        None => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(v) => Err(refuse("an object", &v)),
    }
}

/// A `map<string, string>` (tags, `properties.properties`, `environmentVariables`).
pub fn string_map<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<BTreeMap<String, String>>, D::Error> {
    Ok(object::<BTreeMap<String, MapText>, D>(d)?
        .map(|m| m.into_iter().map(|(k, v)| (k, v.0)).collect()))
}

/// A value of a `map<string, string>`: numbers and booleans are taken as their text, as ARM does.
struct MapText(String);

impl<'de> Deserialize<'de> for MapText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(Self(s)),
            v @ (Value::Number(_) | Value::Bool(_)) => Ok(Self(v.to_string())),
            v => Err(refuse("a string", &v)),
        }
    }
}

/// A `traffic`/`mirrorTraffic` map of deployment name → integer percent (CP-2 checks the sums).
pub fn weights<'de, D: Deserializer<'de>>(d: D) -> Result<Option<BTreeMap<String, i64>>, D::Error> {
    Ok(object::<BTreeMap<String, Weight>, D>(d)?
        .map(|m| m.into_iter().map(|(k, v)| (k, v.0)).collect()))
}

struct Weight(i64);

impl<'de> Deserialize<'de> for Weight {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        v.as_i64()
            .map(Self)
            .ok_or_else(|| Refusal::Weight { shown: shown(&v) }.err())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_survive_serde_error_text() {
        let r = Refusal::Type {
            expected: "a string".into(),
            shown: "5".into(),
        };
        assert_eq!(Refusal::decode(&r.encode()), r);
        assert_eq!(
            Refusal::decode("missing field"),
            Refusal::Other("missing field".into())
        );
    }

    #[test]
    fn long_values_are_cut() {
        let long = Value::String("x".repeat(500));
        assert!(shown(&long).chars().count() <= 120);
    }
}

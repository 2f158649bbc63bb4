//! Typed ARM request bodies (issue 10): each operation's body is a `#[derive(Deserialize)]`
//! struct ([`requests`]) whose fields use the checked field types of [`fields`]; [`parse`]
//! decodes a request into one with `serde_path_to_error`, so a wrong type or value becomes a
//! 400 `BadRequest` whose `target` is the property path (`properties.scaleSettings.minInstances`)
//! and whose text comes from the named constructors in `arm::errors` (SPEC §3 error envelope).
//!
//! Property names match in any casing, as Azure's resource provider reads them ([`casing`]);
//! objects nested in a body are decoded through [`nested`].
//!
//! Unknown properties are ignored, as ARM does. Properties amlite echoes without modelling them
//! (workspace `properties`) are read as a raw object (`fields::any_object`) and decoded with
//! [`canonical_at`], not flattened: serde's flatten would lose the property path of a nested
//! error.
//!
//! Owns: decoding and its error texts' assembly. Must not depend on handlers, the store or IO.
pub mod assets;
mod casing;
pub mod fields;
mod nested;
pub mod network;
pub mod requests;
pub mod resources;
pub mod workspace;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{ArmError, ArmResult};
use crate::http::Request;

/// The request body decoded into `T` (malformed JSON, duplicate keys, too deep or not an
/// object: 400 `InvalidRequestContent`; a property of the wrong type or value: 400 `BadRequest`
/// naming it).
pub fn parse<T: DeserializeOwned>(req: &Request) -> ArmResult<T> {
    decode(&Value::Object(req.json_object()?))
}

/// [`parse`] for operations whose body is optional (`getLogs`, `listKeys`): no body is `{}`.
pub fn parse_or_empty<T: DeserializeOwned>(req: &Request) -> ArmResult<T> {
    decode(&Value::Object(req.json_object_or_empty()?))
}

/// A raw object found at `prefix` of a request (workspace or asset `properties`, kept as sent
/// where unmodelled) decoded into `T`, errors naming the full path; the keys `T` names in
/// another casing are renamed in `object` to `T`'s, so what is kept is in Azure's casing
/// ([`casing`]).
pub fn canonical_at<T: DeserializeOwned>(
    object: &mut Map<String, Value>,
    prefix: &str,
) -> ArmResult<T> {
    let mut value = Value::Object(std::mem::take(object));
    let (decoded, renames) = casing::recording(|| decode_at::<T>(&value, prefix));
    if decoded.is_ok() {
        renames.apply(&mut value);
    }
    if let Value::Object(m) = value {
        *object = m;
    }
    decoded
}

/// `value` decoded into `T`; errors name the property path as [`parse`] does.
pub fn decode<T: DeserializeOwned>(value: &Value) -> ArmResult<T> {
    decode_at(value, "")
}

/// A raw object found at `prefix` (an `identity`, a workspace `sku`) checked as `T` and kept as
/// sent, with the names `T` knows in Azure's casing.
pub fn as_sent<T: DeserializeOwned>(mut raw: Map<String, Value>, prefix: &str) -> ArmResult<Value> {
    let _: T = canonical_at(&mut raw, prefix)?;
    Ok(Value::Object(raw))
}

/// [`decode`] for a value found at `prefix` in the request (`properties.managedNetwork.outboundRules.r1`),
/// so errors name the full path.
pub fn decode_at<T: DeserializeOwned>(value: &Value, prefix: &str) -> ArmResult<T> {
    let decoded: Result<nested::Whole<T>, _> = serde_path_to_error::deserialize(value);
    decoded.map(|w| w.0).map_err(|e| {
        let inner = e.path().to_string();
        let path = match (prefix.is_empty(), inner.as_str()) {
            (true, p) => p.to_string(),
            (false, ".") => prefix.to_string(),
            (false, p) => format!("{prefix}.{p}"),
        };
        fields::Refusal::decode(&e.into_inner().to_string()).into_error(&path)
    })
}

impl fields::Refusal {
    /// The named ARM error for this refusal of the property at `path`.
    fn into_error(self, path: &str) -> ArmError {
        use crate::arm::errors as e;
        match self {
            Self::Type { expected, shown } => e::property_invalid(path, &shown, &expected),
            Self::Enum { allowed, shown } => e::property_not_allowed(path, &shown, &allowed),
            Self::Weight { shown } => {
                let (parent, deployment) = path.rsplit_once('.').unwrap_or(("traffic", path));
                e::traffic_weight_not_integer(parent, deployment, &shown)
            }
            Self::Other(detail) if path.is_empty() || path == "." => ArmError::invalid_body(detail),
            Self::Other(detail) => ArmError::invalid_body(format!("{path}: {detail}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::network::VirtualNetworkRequest;
    use super::workspace::WorkspaceProperties;
    use super::*;

    fn refusal<T: DeserializeOwned + std::fmt::Debug>(v: Value, prefix: &str) -> (String, String) {
        let e = decode_at::<T>(&v, prefix).expect_err("refused");
        (e.target.unwrap_or_default(), e.message)
    }

    #[test]
    fn errors_name_the_property_path_through_arrays_and_maps() {
        let (target, message) = refusal::<VirtualNetworkRequest>(
            json!({ "properties": { "subnets": [{ "name": "a" }, { "name": 5 }] } }),
            "",
        );
        assert_eq!(target, "properties.subnets[1].name");
        assert!(message.contains("a string"), "{message}");
        let (target, message) = refusal::<VirtualNetworkRequest>(
            json!({ "properties": { "subnets": { "name": "a" } } }),
            "",
        );
        assert_eq!(target, "properties.subnets");
        assert!(message.contains("an array of objects"), "{message}");
        let (target, _) = refusal::<WorkspaceProperties>(
            json!({ "managedNetwork": { "outboundRules": { "r1": { "fqdns": [1] } } } }),
            "properties",
        );
        assert_eq!(target, "properties.managedNetwork.outboundRules.r1.fqdns");
    }

    #[test]
    fn null_entries_of_a_list_are_skipped() {
        let v = json!({ "properties": { "subnets": [null, { "name": "a" }] } });
        let b: VirtualNetworkRequest = decode(&v).expect("decoded");
        let subnets = b.properties.and_then(|p| p.subnets).unwrap_or_default();
        assert_eq!(subnets.len(), 1);
    }
}

//! Online endpoint request bodies (SPEC §3): the properties a PUT and a PATCH may carry (CP-7
//! compute, `publicNetworkAccess`, tags, identity, the add-only `properties` map), `authMode`, and
//! `traffic`/`mirrorTraffic` validated against the endpoint's deployments (CP-2, CP-3).
use std::collections::BTreeMap;

use serde_json::{Map, Value};

pub(super) use super::body::object;
use super::body::{access, string_map};
use crate::app::AppState;
use crate::domain::{AuthMode, OnlineEndpoint, ResourceId, ResourceKind};
use crate::error::{ArmError, ArmResult};
use crate::rules;

/// Parses a `traffic`-style map of deployment name → integer percent.
pub fn weights(v: Option<&Value>, target: &str) -> ArmResult<Option<BTreeMap<String, i64>>> {
    let Some(m) = object(v, target)? else {
        return Ok(None);
    };
    let mut out = BTreeMap::new();
    for (k, v) in m {
        let n = v.as_i64().ok_or_else(|| ArmError::bad_property(&format!("{target}.{k}"), format!("The weight of deployment '{k}' in '{target}' must be an integer, not {v} (CP-2).")))?;
        out.insert(k.clone(), n);
    }
    Ok(Some(out))
}

/// Applies the traffic-related properties and validates them against the endpoint's deployments
/// (CP-2, CP-3).
pub(super) async fn apply_traffic(
    state: &AppState,
    id: &ResourceId,
    ep: &mut OnlineEndpoint,
    props: &Map<String, Value>,
) -> ArmResult<()> {
    let traffic = weights(props.get("traffic"), "properties.traffic")?;
    let mirror = weights(props.get("mirrorTraffic"), "properties.mirrorTraffic")?;
    if traffic.is_none() && mirror.is_none() {
        return Ok(());
    }
    let names: Vec<String> = state
        .store
        .children(id, ResourceKind::OnlineDeployment)
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect();
    if let Some(t) = traffic {
        rules::traffic::cp_2_traffic(t.iter(), &names)?;
        ep.traffic = t;
    }
    if let Some(m) = mirror {
        ep.mirror_traffic = m;
    }
    rules::traffic::cp_3_mirror_traffic(ep.mirror_traffic.iter(), ep.traffic.iter(), &names)?;
    Ok(())
}

/// Parses `properties.authMode` (`Key`, `AMLToken`, `AADToken`, any casing), else 400.
pub(super) fn parse_auth(raw: &str) -> ArmResult<AuthMode> {
    AuthMode::parse(raw).ok_or_else(|| ArmError::bad_property("properties.authMode", format!("The value '{raw}' of 'properties.authMode' is not valid. Allowed values: 'Key', 'AMLToken', 'AADToken'.")))
}

/// Properties a PUT and a PATCH may both carry.
pub(super) fn apply_common(
    ep: &mut OnlineEndpoint,
    body: &Map<String, Value>,
    props: &Map<String, Value>,
) -> ArmResult<()> {
    rules::endpoint::cp_7_managed_endpoint_compute(props.get("compute").and_then(Value::as_str))?;
    if let Some(t) = string_map(body.get("tags"), "tags")? {
        ep.tags = t;
    }
    if let Some(identity) = body.get("identity").filter(|v| !v.is_null()) {
        if !identity.is_object() {
            return Err(ArmError::bad_property(
                "identity",
                "The property 'identity' must be an object.",
            ));
        }
        ep.identity = Some(identity.clone());
    }
    if let Some(kind) = body.get("kind").and_then(Value::as_str) {
        ep.kind = Some(kind.to_string());
    }
    if let Some(a) = access(
        props.get("publicNetworkAccess"),
        "properties.publicNetworkAccess",
    )? {
        ep.public_network_access = a;
    }
    if let Some(d) = props.get("description") {
        ep.description = d.as_str().map(str::to_string);
    }
    // "Properties can be added, but not removed or altered"; the SDK echoes createdBy/createdAt
    // copied from systemData (SPEC §2.1): accept and ignore those.
    if let Some(p) = string_map(props.get("properties"), "properties.properties")? {
        for (k, v) in p {
            if !matches!(
                k.as_str(),
                "createdBy" | "createdAt" | "lastModifiedAt" | "lastModifiedBy"
            ) {
                ep.properties.entry(k).or_insert(v);
            }
        }
    }
    Ok(())
}

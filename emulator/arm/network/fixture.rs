//! Client networks declared in fixtures (SPEC §2, §6.1). Loading is idempotent: an existing
//! VNet or PE is left alone. Listeners of fixture VNets start in `start_stored_listeners`.
//!
//! A fixture VNet is `{name, location?, tags?, properties?}` (wire `properties`); without
//! subnets it gets one subnet `default` (`10.0.0.0/24`) so private endpoints can use it.
//!
//! A fixture private endpoint is `{name, location?, tags?, properties?, createdAt?,
//! connectionStatus?}` where `properties` is the wire body, or the shorthand
//! `{name, virtualNetwork, subnet?, workspace, manual?}` (names in the same resource group, or
//! full ids). `createdAt` (`2022-04-15` or RFC 3339) is its creation time, shown as
//! `systemData.createdAt` and compared with 2022-05-24 (ISO-2). `connectionStatus`
//! (`Approved`/`Pending`/`Rejected`) is the initial status of the workspace connection.
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Map, Value};

use super::model::{self, SubnetDoc, VirtualNetworkDoc};
use crate::app::AppState;
use crate::domain::{Audit, ResourceId, ResourceKind};
use crate::error::{ArmError, ArmResult};
use crate::network::ConnectionStatus;

fn fixture_error(what: &str, message: impl std::fmt::Display) -> ArmError {
    ArmError::invalid_body(format!("fixture {what}: {message}"))
}

fn name_of<'a>(v: &'a Value, what: &str) -> ArmResult<&'a str> {
    let name = v
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| fixture_error(what, "needs a name"))?;
    crate::arm::safe_name(what, name)
}

/// Creates a fixture VNet unless it exists.
pub async fn vnet_from_fixture(
    state: &AppState,
    sub: &str,
    rg: &str,
    loc: &str,
    v: &Value,
) -> ArmResult<()> {
    let name = name_of(v, "virtual network")?;
    let id = ResourceId::provider_resource(sub, rg, "Microsoft.Network/virtualNetworks", name);
    if state.store.get(&id).await?.is_some() {
        return Ok(());
    }
    let body = v.as_object().cloned().unwrap_or_default();
    let mut b = model::parse_vnet(&body).map_err(|e| fixture_error(name, e.message))?;
    if !b.peerings.is_empty() {
        return Err(fixture_error(
            name,
            "virtual network peerings are not supported (ISO-15)",
        ));
    }
    if b.subnets.is_empty() {
        b.subnets.push(SubnetDoc {
            name: "default".into(),
            address_prefix: Some("10.0.0.0/24".into()),
        });
    }
    let doc = VirtualNetworkDoc {
        location: b.location.unwrap_or_else(|| loc.to_string()),
        tags: b.tags,
        address_prefixes: b.address_prefixes,
        subnets: b.subnets,
        resource_guid: uuid::Uuid::new_v4().to_string(),
        listener_port: None,
        audit: Audit::at(Utc::now()),
    };
    state
        .store
        .put(
            &id,
            ResourceKind::VirtualNetwork,
            Some(&ResourceId::resource_group(sub, rg)),
            &doc,
        )
        .await?;
    Ok(())
}

/// `createdAt` as `YYYY-MM-DD` (midnight UTC) or RFC 3339.
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s.trim()) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()?
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
}

/// A full id, or a name resolved in the fixture's resource group.
fn full_id(sub: &str, rg: &str, provider_type: &str, v: &str) -> String {
    if v.starts_with('/') {
        v.to_string()
    } else {
        ResourceId::provider_resource(sub, rg, provider_type, v).to_string()
    }
}

/// The wire body of a fixture PE: as given, or built from the shorthand keys.
fn pe_body(sub: &str, rg: &str, name: &str, v: &Value) -> ArmResult<Map<String, Value>> {
    let mut body = v.as_object().cloned().unwrap_or_default();
    if body.get("properties").is_some() {
        return Ok(body);
    }
    let vnet = v
        .get("virtualNetwork")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            fixture_error(
                name,
                "needs 'properties' or the shorthand 'virtualNetwork' + 'workspace'",
            )
        })?;
    let ws = v.get("workspace").and_then(Value::as_str).ok_or_else(|| {
        fixture_error(
            name,
            "needs 'workspace' (a name in this resource group, or an id)",
        )
    })?;
    let subnet = v.get("subnet").and_then(Value::as_str).unwrap_or("default");
    let vnet_id = full_id(sub, rg, "Microsoft.Network/virtualNetworks", vnet);
    let ws_id = full_id(sub, rg, "Microsoft.MachineLearningServices/workspaces", ws);
    let conn = json!([{ "name": name, "properties": { "privateLinkServiceId": ws_id, "groupIds": [model::WORKSPACE_GROUP_ID] } }]);
    let key = if v.get("manual").and_then(Value::as_bool).unwrap_or(false) {
        "manualPrivateLinkServiceConnections"
    } else {
        "privateLinkServiceConnections"
    };
    body.insert(
        "properties".into(),
        json!({ "subnet": { "id": format!("{vnet_id}/subnets/{subnet}") }, key: conn }),
    );
    Ok(body)
}

/// Creates a fixture private endpoint (and its workspace connection) unless it exists.
pub async fn pe_from_fixture(
    state: &AppState,
    sub: &str,
    rg: &str,
    loc: &str,
    v: &Value,
) -> ArmResult<()> {
    let name = name_of(v, "private endpoint")?;
    let id = ResourceId::provider_resource(sub, rg, "Microsoft.Network/privateEndpoints", name);
    if state.store.get(&id).await?.is_some() {
        return Ok(());
    }
    let created_at = match v.get("createdAt").and_then(Value::as_str) {
        None => Utc::now(),
        Some(s) => parse_time(s).ok_or_else(|| {
            fixture_error(
                name,
                format!("createdAt '{s}' is not a date (YYYY-MM-DD) or an RFC 3339 time"),
            )
        })?,
    };
    let status = match v.get("connectionStatus").and_then(Value::as_str) {
        None => None,
        Some(s) => Some(
            ConnectionStatus::parse(s)
                .filter(|c| *c != ConnectionStatus::Disconnected)
                .ok_or_else(|| {
                    fixture_error(
                        name,
                        format!("connectionStatus '{s}' is not Approved, Pending or Rejected"),
                    )
                })?,
        ),
    };
    let body = pe_body(sub, rg, name, v)?;
    let b = model::parse_pe(&body, name).map_err(|e| fixture_error(name, e.message))?;
    super::pe::create(state, &id, b, loc, created_at, status)
        .await
        .map_err(|e| fixture_error(name, e.message))?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn created_at_takes_dates_and_rfc3339() {
        assert_eq!(
            parse_time("2022-04-15").map(|t| t.to_rfc3339()),
            Some("2022-04-15T00:00:00+00:00".into())
        );
        assert!(parse_time("2022-04-15T09:30:00Z").is_some());
        assert!(parse_time("April").is_none());
    }

    #[test]
    fn shorthand_builds_the_wire_body() {
        let v = json!({ "name": "pe1", "virtualNetwork": "v1", "workspace": "ws" });
        let b = pe_body("s", "rg", "pe1", &v).unwrap();
        let pe = model::parse_pe(&b, "pe1").unwrap();
        assert!(pe
            .subnet_id
            .ends_with("/virtualNetworks/v1/subnets/default"));
        assert!(pe.connection.target_id.ends_with("/workspaces/ws"));
    }
}

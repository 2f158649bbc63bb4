//! The workspace managed network and private endpoint connections on the wire (SPEC §3,
//! ISO-8, ISO-9): `W/outboundRules[/{rule}]`, `W/provisionManagedNetwork`,
//! `W/privateEndpointConnections[/{name}]` (PUT approves or rejects).
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::body::workspace::{
    OutboundDestinationBody, OutboundRuleBody, OutboundRuleResourceBody,
    PrivateEndpointConnectionBody,
};
use super::WsPath;
use crate::app::AppState;
use crate::arm::response::{
    list, outbound_rule as rule_resource, workspace_link_resources, workspace_pec,
};
use crate::domain::{
    OutboundDestination, OutboundRule, PrivateEndpointConnection, ResourceKind, Workspace,
};
use crate::error::{ArmError, ArmResult};
use crate::http::{ok, Request};
use crate::lro::Action;
use crate::rules;

/// Validates one user outbound rule (`{type, destination, ...}`) for isolation mode `mode`
/// (ISO-9: only `PrivateEndpoint` under `AllowInternetOutbound`) and returns it normalised
/// with category `UserDefined`.
pub fn parse_rule(
    mode: rules::IsolationMode,
    rule: &OutboundRuleBody,
    target: &str,
) -> ArmResult<OutboundRule> {
    let raw_type = rule
        .rule_type
        .as_deref()
        .ok_or_else(|| super::errors::outbound_rule_type_required(&format!("{target}.type")))?;
    let rule_type = rules::types::parse_property::<rules::OutboundRuleType>(
        "ISO-8",
        &format!("{target}.type"),
        raw_type,
    )?;
    if !mode.is_managed() {
        return Err(super::errors::outbound_rules_need_managed_network(target));
    }
    rules::managed_network::iso_9_rule_type_allowed(mode, rule_type)?;
    let mut dest = match rule.destination.clone() {
        Some(Value::Object(m)) => {
            super::body::as_sent::<OutboundDestinationBody>(m, &format!("{target}.destination"))?
        }
        other => other.unwrap_or(Value::Null),
    };
    if rule_type == rules::OutboundRuleType::PrivateEndpoint {
        spark_enabled_as_boolean(&mut dest, &format!("{target}.destination.sparkEnabled"))?;
    }
    let dest_ok = match rule_type {
        rules::OutboundRuleType::Fqdn => dest.as_str().is_some_and(|s| !s.trim().is_empty()),
        rules::OutboundRuleType::PrivateEndpoint => dest
            .get("serviceResourceId")
            .and_then(Value::as_str)
            .is_some(),
        rules::OutboundRuleType::ServiceTag => {
            dest.get("serviceTag").and_then(Value::as_str).is_some()
        }
    };
    let invalid = || {
        let want = match rule_type {
            rules::OutboundRuleType::Fqdn => "a host name string such as 'pypi.org'",
            rules::OutboundRuleType::PrivateEndpoint => {
                "an object with 'serviceResourceId' and 'subresourceTarget'"
            }
            rules::OutboundRuleType::ServiceTag => {
                "an object with 'serviceTag', 'protocol' and 'portRanges'"
            }
        };
        super::errors::outbound_rule_destination_invalid(
            &format!("{target}.destination"),
            rule_type.as_str(),
            want,
        )
    };
    if !dest_ok {
        return Err(invalid());
    }
    let destination = match dest {
        Value::String(host) => OutboundDestination::Fqdn(host),
        // The contract's destination fields are strings (`addressPrefixes` a list of them,
        // `sparkEnabled` a boolean): a destination that does not read as one is refused as a
        // whole, as a wrong type of its required fields is.
        other => OutboundDestination::Object(serde_json::from_value(other).map_err(|_| invalid())?),
    };
    Ok(OutboundRule {
        rule_type,
        category: rules::RuleCategory::UserDefined,
        status: None,
        destination,
        // `fqdns` of a PrivateEndpoint rule (e.g. an application gateway's host names) are kept
        // and answered back (recorded: `test_workspace_managednetwork_outbound_rule_operations`).
        fqdns: rule
            .fqdns
            .clone()
            .filter(|_| rule_type == rules::OutboundRuleType::PrivateEndpoint),
    })
}

/// `sparkEnabled` is a boolean (contract `PrivateEndpointDestination`); azure-ai-ml 1.35 sends the
/// CLI's `--spark-enabled false` as the string `"false"`, which Azure reads as the boolean (JSON
/// string-to-boolean conversion), so amlite stores and answers `false`. Any other string is refused.
fn spark_enabled_as_boolean(dest: &mut Value, target: &str) -> ArmResult<()> {
    let Some(flag) = dest.get_mut("sparkEnabled") else {
        return Ok(());
    };
    if let Some(raw) = flag.as_str() {
        let parsed = match raw.trim().to_ascii_lowercase().as_str() {
            "true" => true,
            "false" => false,
            _ => return Err(super::errors::spark_enabled_invalid(target, raw)),
        };
        *flag = Value::Bool(parsed);
    }
    Ok(())
}

/// Dispatch for the managed-network and private-endpoint-connection routes.
pub async fn route(
    state: &AppState,
    req: &Request,
    w: &WsPath,
    rest: &[&str],
) -> ArmResult<Response> {
    let mut ws = super::workspaces::load(state, w).await?;
    let m = &req.method;
    match rest {
        ["outboundrules"] if m == Method::GET => Ok(ok(&super::wire::list(
            rules::outbound_view::wire_rules(&ws, w.id.as_str())
                .iter()
                .map(|(n, r)| rule_resource(&w.id, n, r))
                .collect(),
        ))),
        ["outboundrules", _] => {
            let name = super::safe_name("outbound rule", w.seg(req, 1))?;
            outbound_rule(state, req, w, &mut ws, name).await
        }
        ["provisionmanagednetwork"] if m == Method::POST => {
            if !ws.managed_network.isolation_mode.is_managed() {
                return Err(ArmError::bad_property("properties.managedNetwork.isolationMode", "The workspace has no managed network (isolationMode is Disabled): set it to 'AllowInternetOutbound' or 'AllowOnlyApprovedOutbound' before provisioning (ISO-9)."));
            }
            super::workspaces::save_with_op(state, req, w, &ws, Action::ProvisionManagedNetwork)
                .await
        }
        ["privateendpointconnections"] if m == Method::GET => {
            let rows = state
                .store
                .children(&w.id, ResourceKind::PrivateEndpointConnection)
                .await?;
            let mut value = Vec::new();
            for r in rows {
                value.push(workspace_pec(&r.resource_id(), &r.doc()?, &ws.location));
            }
            Ok(ok(&list(value)))
        }
        ["privateendpointconnections", _] => private_endpoint_connection(state, req, w, &ws).await,
        ["privatelinkresources"] if m == Method::GET => Ok(ok(&workspace_link_resources(&w.id))),
        _ => Err(ArmError::method_not_allowed(m.as_str(), &req.path)),
    }
}

async fn outbound_rule(
    state: &AppState,
    req: &Request,
    w: &WsPath,
    ws: &mut Workspace,
    name: &str,
) -> ArmResult<Response> {
    let existing = rules::outbound_view::wire_rules(ws, w.id.as_str())
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name));
    match req.method {
        Method::GET => {
            let (n, r) = existing.ok_or_else(|| ArmError::not_found("outboundRules", name))?;
            Ok(ok(&rule_resource(&w.id, &n, &r)))
        }
        Method::PUT => {
            if existing
                .as_ref()
                .is_some_and(|(_, r)| r.category == rules::RuleCategory::Required)
            {
                return Err(super::errors::required_rule_immutable(name, "changed"));
            }
            let body: OutboundRuleResourceBody = super::body::parse(req)?;
            let props = body
                .properties
                .ok_or_else(super::errors::outbound_rule_properties_required)?;
            let mode = ws.managed_network.isolation_mode;
            let rule = parse_rule(mode, &props, "properties")?;
            ws.managed_network
                .user_rules
                .retain(|k, _| !k.eq_ignore_ascii_case(name));
            ws.managed_network.user_rules.insert(name.to_string(), rule);
            let action = Action::OutboundRule {
                name: name.to_string(),
            };
            super::workspaces::save_with_op(state, req, w, ws, action).await
        }
        Method::DELETE => {
            match existing {
                None => return Ok(StatusCode::NO_CONTENT.into_response()),
                Some((_, r)) if r.category == rules::RuleCategory::Required => {
                    return Err(super::errors::required_rule_immutable(name, "deleted"));
                }
                Some(_) => {}
            }
            ws.managed_network
                .user_rules
                .retain(|k, _| !k.eq_ignore_ascii_case(name));
            let action = Action::OutboundRule {
                name: name.to_string(),
            };
            super::workspaces::save_with_op(state, req, w, ws, action).await
        }
        _ => Err(ArmError::method_not_allowed(req.method.as_str(), &req.path)),
    }
}

async fn private_endpoint_connection(
    state: &AppState,
    req: &Request,
    w: &WsPath,
    ws: &Workspace,
) -> ArmResult<Response> {
    let name = w.seg(req, 1);
    let id = w.id.child("privateEndpointConnections", name);
    let row = state.store.get(&id).await?;
    match req.method {
        Method::GET => {
            let row = row.ok_or_else(|| ArmError::not_found("privateEndpointConnections", name))?;
            Ok(ok(&workspace_pec(
                &row.resource_id(),
                &row.doc()?,
                &ws.location,
            )))
        }
        Method::PUT => {
            let row = row.ok_or_else(|| ArmError::not_found("privateEndpointConnections", name))?;
            let mut c: PrivateEndpointConnection = row.doc()?;
            let body: PrivateEndpointConnectionBody = super::body::parse(req)?;
            let st = body
                .properties
                .and_then(|p| p.private_link_service_connection_state);
            let status = st
                .as_ref()
                .and_then(|s| s.status)
                .ok_or_else(super::errors::connection_status_required)?;
            c.status = status.as_str().to_string();
            if let Some(d) = st.and_then(|s| s.description) {
                c.description = d;
            }
            c.audit.modified_at = chrono::Utc::now();
            state
                .store
                .put(
                    &row.resource_id(),
                    ResourceKind::PrivateEndpointConnection,
                    Some(&w.id),
                    &c,
                )
                .await?;
            Ok(ok(&workspace_pec(&row.resource_id(), &c, &ws.location)))
        }
        Method::DELETE => {
            if row.is_some() {
                state.store.delete(&id).await?;
                Ok(StatusCode::OK.into_response())
            } else {
                Ok(StatusCode::NO_CONTENT.into_response())
            }
        }
        _ => Err(ArmError::method_not_allowed(req.method.as_str(), &req.path)),
    }
}

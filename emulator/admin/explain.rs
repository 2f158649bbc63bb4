//! `GET /_amlite/explain` (what `amlite explain` prints), from the very functions the data
//! paths call:
//! - `?from=internet|VNET&endpoint=NAME[&region=R]`: the scoring route is loaded as scoring
//!   loads it (`scoring::load::route`) and decided by `network::explain::explain_inbound`,
//!   which calls `network::decide` (SPEC 6.3), plus the changes that would allow a refusal.
//! - `?egress=[ENDPOINT/]DEPLOYMENT&to=HOST[:PORT]`: the plan the deployment's egress proxy
//!   would make for that connection (`egress::DeploymentResolver`, SPEC 6.4).
//!
//! Nothing is recorded in the decision journal: explaining is not deciding.
use serde_json::{json, Value};

use crate::app::{Network, State};
use crate::domain::{ResourceId, ResourceKind};
use crate::egress::Plan;
use crate::error::{ArmError, ArmResult};
use crate::http::Request;
use crate::network::{explain::explain_inbound, InboundDecision, Path};

/// The explanation as JSON.
pub async fn explain(state: &State, req: &Request) -> ArmResult<Value> {
    if let Some(dep) = req.q("egress").filter(|s| !s.is_empty()) {
        let to = req
            .q("to")
            .filter(|s| !s.is_empty())
            .ok_or_else(|| super::errors::missing_parameter("to", "HOST[:PORT]"))?;
        return egress(state, dep, req.q("endpoint"), to).await;
    }
    let endpoint = req
        .q("endpoint")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| super::errors::missing_parameter("endpoint", "NAME"))?;
    let from = req.q("from").unwrap_or("internet");
    inbound(state, endpoint, from, req.q("region")).await
}

async fn inbound(
    state: &State,
    endpoint: &str,
    from: &str,
    region: Option<&str>,
) -> ArmResult<Value> {
    let caller = if from.eq_ignore_ascii_case("internet") {
        Network::Internet
    } else {
        let row = crate::arm::network::listeners::find_vnet(state, from.trim()).await?;
        Network::Vnet { id: row.id }
    };
    let region = region
        .filter(|r| !r.is_empty())
        .map(crate::rules::names::normalize_region);
    let route =
        crate::scoring::load::route(state, &endpoint.to_ascii_lowercase(), region.as_deref())
            .await?;
    let e = explain_inbound(
        &caller,
        &route.private_endpoints,
        &route.workspace_id,
        route.public_network_access,
        route.workspace_public_network_access,
    );
    let (allowed, path, pe) = match &e.decision {
        InboundDecision::Allowed { path: Path::Public } => (true, "public", Value::Null),
        InboundDecision::Allowed {
            path: Path::Private { pe_id },
        } => (true, "private", json!(pe_id)),
        InboundDecision::Refused(_) => (false, "none", Value::Null),
    };
    let changes: Vec<Value> = e
        .changes
        .iter()
        .map(|c| json!({ "rule": c.rule, "change": c.change }))
        .collect();
    Ok(json!({
        "kind": "inbound",
        "endpoint": route.name,
        "endpointId": route.id,
        "from": super::journal::network_name(&caller),
        "allowed": allowed,
        "status": if allowed { 200 } else { 403 },
        "rule": e.rule,
        "path": path,
        "privateEndpoint": pe,
        "reason": e.reason,
        "changes": changes,
    }))
}

async fn egress(
    state: &State,
    deployment: &str,
    endpoint: Option<&str>,
    to: &str,
) -> ArmResult<Value> {
    let (ep, dep) = match deployment.split_once('/') {
        Some((e, d)) => (Some(e), d),
        None => (endpoint.filter(|e| !e.is_empty()), deployment),
    };
    let rows: Vec<crate::store::Row> = state
        .store
        .by_kind_and_name(ResourceKind::OnlineDeployment, dep)
        .await?
        .into_iter()
        .filter(|r| {
            ep.is_none_or(|e| {
                r.resource_id()
                    .parent()
                    .is_some_and(|p| p.name().eq_ignore_ascii_case(e))
            })
        })
        .collect();
    let id = match rows.as_slice() {
        [one] => one.resource_id(),
        [] => {
            return Err(ArmError::not_found(
                "onlineEndpoints/deployments",
                deployment,
            ))
        }
        _ => return Err(super::errors::ambiguous_deployment(dep)),
    };
    let (host, port) = host_port(to)?;
    let resolver =
        crate::egress::DeploymentResolver::new(std::sync::Arc::downgrade(state), id.clone());
    let plan = resolver.decide(&host, port).await;
    Ok(egress_body(&id, &host, port, &plan))
}

fn host_port(to: &str) -> ArmResult<(String, u16)> {
    let to = to.trim();
    let to = to
        .strip_prefix("https://")
        .or_else(|| to.strip_prefix("http://"))
        .unwrap_or(to);
    let authority = to.split('/').next().unwrap_or(to);
    match authority.rsplit_once(':') {
        Some((h, p)) => p
            .parse::<u16>()
            .map(|p| (h.to_string(), p))
            .map_err(|_| super::errors::missing_parameter("to", "HOST[:PORT] with a numeric port")),
        None => Ok((authority.to_string(), 443)),
    }
}

fn egress_body(id: &ResourceId, host: &str, port: u16, plan: &Plan) -> Value {
    let (allowed, status, rule, reason, served) = match plan {
        Plan::Refused { rule, message } => (false, 403, rule.to_string(), message.clone(), "refused"),
        Plan::Forward { via, upstream } => (
            true,
            200,
            via.to_string(),
            format!("Allowed by {via}; amlite forwards it to {upstream}."),
            "forwarded",
        ),
        Plan::NotEmulated { via } => (
            true,
            502,
            via.to_string(),
            format!("Allowed by {via}; the destination is on the internet, which amlite does not reach: the proxy answers 502 with x-amlite-egress: allowed."),
            "internet",
        ),
        Plan::Unavailable(m) => (false, 503, "Unavailable".to_string(), m.clone(), "unavailable"),
    };
    json!({
        "kind": "egress",
        "deployment": id.as_str(),
        "to": format!("{host}:{port}"),
        "allowed": allowed,
        "status": status,
        "rule": rule,
        "outcome": served,
        "reason": reason,
    })
}

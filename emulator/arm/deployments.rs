//! Online deployments (SPEC §3): GET/PUT/PATCH/DELETE, list, `getLogs`, `skus`. Rules applied
//! at request time: ISO-1, ISO-7, ISO-13, CP-1, CP-4, CP-5, CP-6, CP-8. Provisioning-time rules
//! (ISO-9 readiness, ISO-14, ISO-16/17/18) run in `provision.rs`.
use std::collections::BTreeMap;

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use super::convert;
use super::request::{async_operation_reply, location_reply, ok, ArmRequest};
use super::WsPath;
use crate::app::AppState;
use crate::domain::{Access, Audit, OnlineDeployment, OnlineEndpoint, ProvisioningState, RequestSettings, ResourceId, ResourceKind};
use crate::error::{ArmError, ArmResult};
use crate::lro::Action;
use crate::rules;

fn ids(w: &WsPath, req: &ArmRequest) -> (ResourceId, ResourceId) {
    let ep = w.id.child("onlineEndpoints", w.seg(req, 1));
    let d = ep.child("deployments", w.seg(req, 3));
    (ep, d)
}

/// Reads a deployment or fails with Azure ML's 404 `UserError` (SPEC §3).
pub async fn load(state: &AppState, w: &WsPath, ep: &ResourceId, id: &ResourceId) -> ArmResult<OnlineDeployment> {
    let row = state.store.get(id).await?.ok_or_else(|| ArmError::deployment_not_found(id.name(), ep.name(), &w.ws))?;
    Ok(row.doc()?)
}

/// `GET W/onlineEndpoints/{e}/deployments`.
pub async fn list(state: &AppState, req: &ArmRequest, w: &WsPath) -> ArmResult<Response> {
    let (ep, _) = ids(w, req);
    super::endpoints::load(state, &ep).await?;
    let value = super::endpoints::deployments_of(state, &ep).await?.iter().map(|(id, d)| super::wire::deployment(id, d)).collect();
    Ok(ok(&super::wire::list(value)))
}

/// `GET|PUT|PATCH|DELETE W/onlineEndpoints/{e}/deployments/{d}`.
pub async fn route(state: &AppState, req: &ArmRequest, w: &WsPath) -> ArmResult<Response> {
    let (ep_id, id) = ids(w, req);
    match req.method {
        Method::GET => {
            super::endpoints::load(state, &ep_id).await?;
            Ok(ok(&super::wire::deployment(&id, &load(state, w, &ep_id, &id).await?)))
        }
        Method::PUT => put(state, req, w, &ep_id, &id).await,
        Method::PATCH => patch(state, req, w, &ep_id, &id).await,
        Method::DELETE => delete(state, req, w, &ep_id, &id).await,
        _ => Err(ArmError::method_not_allowed(req.method.as_str(), &req.path)),
    }
}

fn obj<'a>(v: Option<&'a Value>, target: &str) -> ArmResult<Option<&'a Map<String, Value>>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(ArmError::bad_property(target, format!("The property '{target}' must be an object."))),
    }
}

fn opt_str(m: &Map<String, Value>, key: &str, target: &str) -> ArmResult<Option<String>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ArmError::bad_property(&format!("{target}.{key}"), format!("The property '{target}.{key}' must be a string."))),
    }
}

fn string_map(v: Option<&Value>, target: &str) -> ArmResult<Option<BTreeMap<String, String>>> {
    let Some(m) = obj(v, target)? else { return Ok(None) };
    let mut out = BTreeMap::new();
    for (k, v) in m {
        let s = match v {
            Value::String(s) => s.clone(),
            Value::Number(_) | Value::Bool(_) => v.to_string(),
            _ => return Err(ArmError::bad_property(&format!("{target}.{k}"), format!("'{target}.{k}' must be a string."))),
        };
        out.insert(k.clone(), s);
    }
    Ok(Some(out))
}

fn capacity(body: &Map<String, Value>) -> ArmResult<Option<i64>> {
    let Some(sku) = obj(body.get("sku"), "sku")? else { return Ok(None) };
    match sku.get("capacity") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_i64().map(Some).ok_or_else(|| ArmError::bad_property("sku.capacity", format!("sku.capacity must be an integer, not {v}."))),
    }
}

fn default_probe() -> Value {
    json!({ "failureThreshold": 30, "successThreshold": 1, "timeout": "PT2S", "period": "PT10S", "initialDelay": "PT10S" })
}

fn request_settings(props: &Map<String, Value>, current: &RequestSettings) -> ArmResult<RequestSettings> {
    let Some(rs) = obj(props.get("requestSettings"), "properties.requestSettings")? else { return Ok(current.clone()) };
    let mut out = current.clone();
    if let Some(raw) = opt_str(rs, "requestTimeout", "properties.requestSettings")? {
        out.request_timeout_ms = rules::limits::cp_5_request_timeout_iso(Some(&raw))?;
    }
    if let Some(v) = rs.get("maxConcurrentRequestsPerInstance").filter(|v| !v.is_null()) {
        out.max_concurrent_requests_per_instance = v.as_u64().filter(|n| (1..=1000).contains(n)).and_then(|n| u32::try_from(n).ok()).ok_or_else(|| {
            ArmError::bad_property("properties.requestSettings.maxConcurrentRequestsPerInstance", format!("maxConcurrentRequestsPerInstance must be an integer from 1 to 1000, not {v}."))
        })?;
    }
    if let Some(q) = opt_str(rs, "maxQueueWait", "properties.requestSettings")? {
        out.max_queue_wait = q;
    }
    Ok(out)
}

/// Applies the deployment `properties` of a PUT to `d`; `requested_egress` is what the request
/// said about `egressPublicNetworkAccess` (ISO-7, ISO-13 need to know whether it was sent).
fn apply_props(d: &mut OnlineDeployment, props: &Map<String, Value>) -> ArmResult<()> {
    let t = "properties";
    if let Some(ct) = opt_str(props, "endpointComputeType", t)? {
        let ct = rules::types::parse_property::<rules::EndpointComputeType>("CP-7", "properties.endpointComputeType", &ct)?;
        if ct != rules::EndpointComputeType::Managed {
            return Err(ArmError::bad_property("properties.endpointComputeType", format!("The endpoint is a managed online endpoint: its deployments must have endpointComputeType 'Managed', not '{}' (CP-7).", ct.as_str())));
        }
    }
    d.model = opt_str(props, "model", t)?.or(d.model.take());
    if let Some(cc) = obj(props.get("codeConfiguration"), "properties.codeConfiguration")? {
        let script = opt_str(cc, "scoringScript", "properties.codeConfiguration")?.filter(|s| !s.is_empty());
        d.scoring_script = Some(script.ok_or_else(|| ArmError::bad_property("properties.codeConfiguration.scoringScript", "codeConfiguration.scoringScript is required and must not be empty."))?);
        d.code_id = opt_str(cc, "codeId", "properties.codeConfiguration")?;
    }
    d.environment_id = opt_str(props, "environmentId", t)?.or(d.environment_id.take());
    if let Some(ev) = string_map(props.get("environmentVariables"), "properties.environmentVariables")? {
        d.environment_variables = ev;
    }
    if let Some(it) = opt_str(props, "instanceType", t)? {
        d.instance_type = it;
    }
    if let Some(v) = props.get("appInsightsEnabled").filter(|v| !v.is_null()) {
        d.app_insights_enabled = v.as_bool().ok_or_else(|| ArmError::bad_property("properties.appInsightsEnabled", "appInsightsEnabled must be true or false."))?;
    }
    if let Some(ss) = obj(props.get("scaleSettings"), "properties.scaleSettings")? {
        let st = ss.get("scaleType").and_then(Value::as_str).unwrap_or("Default");
        if !st.eq_ignore_ascii_case("Default") && !st.eq_ignore_ascii_case("TargetUtilization") {
            return Err(ArmError::bad_property("properties.scaleSettings.scaleType", format!("The value '{st}' of scaleType is not valid. Allowed values: 'Default', 'TargetUtilization'.")));
        }
        d.scale_settings = Value::Object(ss.clone());
    }
    d.request_settings = request_settings(props, &d.request_settings)?;
    for (key, slot) in [("livenessProbe", &mut d.liveness_probe), ("readinessProbe", &mut d.readiness_probe)] {
        if let Some(p) = obj(props.get(key), &format!("properties.{key}"))? {
            *slot = Value::Object(p.clone());
        }
    }
    if let Some(desc) = opt_str(props, "description", t)? {
        d.description = Some(desc);
    }
    if let Some(p) = string_map(props.get("properties"), "properties.properties")? {
        for (k, v) in p {
            d.properties.entry(k).or_insert(v);
        }
    }
    Ok(())
}

fn new_deployment(location: &str) -> OnlineDeployment {
    OnlineDeployment {
        location: location.to_string(),
        tags: Default::default(),
        sku_name: "Default".into(),
        instance_count: 1,
        instance_type: "Standard_F4s_v2".into(),
        model: None,
        code_id: None,
        scoring_script: None,
        environment_id: None,
        environment_variables: Default::default(),
        egress_public_network_access: Access::Enabled,
        app_insights_enabled: false,
        scale_settings: json!({ "scaleType": "Default" }),
        request_settings: RequestSettings::default(),
        liveness_probe: default_probe(),
        readiness_probe: default_probe(),
        description: None,
        properties: Default::default(),
        provisioning_state: ProvisioningState::Creating,
        failure: None,
        logs: Vec::new(),
        audit: Audit::at(chrono::Utc::now()),
    }
}

async fn put(state: &AppState, req: &ArmRequest, w: &WsPath, ep_id: &ResourceId, id: &ResourceId) -> ArmResult<Response> {
    let ws = super::workspaces::load(state, w).await?;
    rules::workspace::iso_1_v1_legacy_mode(ws.v1_legacy_mode)?;
    let ep: OnlineEndpoint = super::endpoints::load(state, ep_id).await?;
    let body = req.json_object()?;
    let props = obj(body.get("properties"), "properties")?.cloned().unwrap_or_default();
    let existing = state.store.get(id).await?;
    let creating = existing.is_none();
    let requested_egress = opt_str(&props, "egressPublicNetworkAccess", "properties")?;
    rules::managed_network::iso_7_egress_flag_with_managed_network(convert::isolation(&ws.managed_network.isolation_mode), requested_egress.as_deref())?;
    let mut d = match existing {
        Some(row) => {
            let d: OnlineDeployment = row.doc()?;
            if d.provisioning_state.is_busy() && state.store.busy(id.as_str()).await? {
                return Err(ArmError::conflict(format!("Deployment {} is in {} provisioning state; wait for the operation to finish.", id.name(), d.provisioning_state.as_str())));
            }
            rules::legacy_egress::iso_13_egress_flag_immutable(convert::pna(d.egress_public_network_access), requested_egress.as_deref())?;
            d
        }
        None => {
            rules::names::cp_1_deployment_name(id.name())?;
            rules::endpoint::cp_6_endpoint_state_allows_deployment(ep_id.name(), convert::state(ep.provisioning_state))?;
            let count = state.store.children(ep_id, ResourceKind::OnlineDeployment).await?.len();
            rules::limits::cp_5_deployments_per_endpoint(count, true)?;
            let mut d = new_deployment(&ep.location);
            if let Some(e) = &requested_egress {
                d.egress_public_network_access = Access::parse(e).ok_or_else(|| ArmError::bad_property("properties.egressPublicNetworkAccess", format!("The value '{e}' of 'properties.egressPublicNetworkAccess' is not valid. Allowed values: 'Enabled', 'Disabled'.")))?;
            }
            d
        }
    };
    apply_props(&mut d, &props)?;
    apply_sku_and_tags(&mut d, &body)?;
    check_capacity_and_quota(state, w, id, &d).await?;
    d.provisioning_state = if creating { ProvisioningState::Creating } else { ProvisioningState::Updating };
    d.failure = None;
    d.audit.modified_at = chrono::Utc::now();
    let op = save_with_op(state, ep_id, id, &d, Action::ProvisionDeployment).await?;
    let status = if creating { StatusCode::CREATED } else { StatusCode::OK };
    Ok(async_operation_reply(status, &super::wire::deployment(id, &d), req, &w.sub, &op))
}

fn apply_sku_and_tags(d: &mut OnlineDeployment, body: &Map<String, Value>) -> ArmResult<()> {
    if let Some(c) = capacity(body)? {
        rules::limits::cp_5_instance_count(c, rules::EndpointComputeType::Managed)?;
        d.instance_count = u32::try_from(c).map_err(|_| ArmError::bad_property("sku.capacity", "sku.capacity is out of range."))?;
    }
    if let Some(name) = obj(body.get("sku"), "sku")?.and_then(|s| s.get("name")).and_then(Value::as_str) {
        d.sku_name = name.to_string();
    }
    if let Some(t) = string_map(body.get("tags"), "tags")? {
        d.tags = t;
    }
    Ok(())
}

/// CP-8: the instance type must be known and the subscription's regional core budget must hold
/// this deployment besides every other one.
async fn check_capacity_and_quota(state: &AppState, w: &WsPath, id: &ResourceId, d: &OnlineDeployment) -> ArmResult<()> {
    rules::quota::cp_8_instance_type(&d.instance_type)?;
    let prefix = format!("/subscriptions/{}/", w.sub);
    let mut usage = 0u64;
    for row in state.store.by_kind_under(ResourceKind::OnlineDeployment, &prefix).await? {
        if row.resource_id() == *id {
            continue;
        }
        let other: OnlineDeployment = row.doc()?;
        if rules::names::normalize_region(&other.location) == rules::names::normalize_region(&d.location) {
            let cores = rules::quota::instance_cores(&other.instance_type).unwrap_or(0);
            usage += rules::quota::cores_needed(cores, i64::from(other.instance_count));
        }
    }
    let q = rules::quota::QuotaRequest {
        subscription_id: &w.sub,
        region: &d.location,
        instance_type: &d.instance_type,
        instance_count: i64::from(d.instance_count),
        current_usage: usage,
        limit: u64::from(state.config.core_quota),
    };
    rules::quota::cp_8_quota(&q)?;
    Ok(())
}

async fn save_with_op(state: &AppState, ep_id: &ResourceId, id: &ResourceId, d: &OnlineDeployment, action: Action) -> ArmResult<crate::store::OperationRow> {
    let op = state.lro.new_operation(id.as_str(), &action, &d.location, chrono::Utc::now());
    let mut tx = state.store.begin().await?;
    crate::store::resources::put_in(&mut tx, id, ResourceKind::OnlineDeployment, Some(ep_id), d).await?;
    crate::store::operations::insert_in(&mut tx, &op).await?;
    tx.commit().await?;
    state.lro.scheduled(op.due_at_ms);
    state.changed();
    Ok(op)
}

async fn patch(state: &AppState, req: &ArmRequest, w: &WsPath, ep_id: &ResourceId, id: &ResourceId) -> ArmResult<Response> {
    let ws = super::workspaces::load(state, w).await?;
    rules::workspace::iso_1_v1_legacy_mode(ws.v1_legacy_mode)?;
    let mut d = load(state, w, ep_id, id).await?;
    let body = req.json_object()?;
    if let Some(props) = obj(body.get("properties"), "properties")? {
        let requested = opt_str(props, "egressPublicNetworkAccess", "properties")?;
        rules::legacy_egress::iso_13_egress_flag_immutable(convert::pna(d.egress_public_network_access), requested.as_deref())?;
    }
    apply_sku_and_tags(&mut d, &body)?;
    check_capacity_and_quota(state, w, id, &d).await?;
    d.provisioning_state = ProvisioningState::Updating;
    d.audit.modified_at = chrono::Utc::now();
    let op = save_with_op(state, ep_id, id, &d, Action::ProvisionDeployment).await?;
    Ok(location_reply(req, &w.sub, &op))
}

async fn delete(state: &AppState, req: &ArmRequest, w: &WsPath, ep_id: &ResourceId, id: &ResourceId) -> ArmResult<Response> {
    let ep = super::endpoints::load(state, ep_id).await?;
    let Some(row) = state.store.get(id).await? else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    rules::traffic::cp_4_delete_deployment(id.name(), ep.traffic.iter())?;
    let mut d: OnlineDeployment = row.doc()?;
    d.provisioning_state = ProvisioningState::Deleting;
    let op = save_with_op(state, ep_id, id, &d, Action::DeleteDeployment).await?;
    Ok(location_reply(req, &w.sub, &op))
}

/// `POST …/deployments/{d}/getLogs` `{tail?, containerType?}` → `{"content": "..."}`.
pub async fn get_logs(state: &AppState, req: &ArmRequest, w: &WsPath) -> ArmResult<Response> {
    let (ep_id, id) = ids(w, req);
    super::endpoints::load(state, &ep_id).await?;
    let d = load(state, w, &ep_id, &id).await?;
    let body = req.json_object_or_empty()?;
    let tail = match body.get("tail") {
        None | Some(Value::Null) => 5000,
        Some(v) => v.as_u64().ok_or_else(|| ArmError::bad_property("tail", "tail must be a non-negative integer."))? as usize,
    };
    let container = body.get("containerType").and_then(Value::as_str).unwrap_or("InferenceServer");
    if !container.eq_ignore_ascii_case("InferenceServer") && !container.eq_ignore_ascii_case("StorageInitializer") {
        return Err(ArmError::bad_property("containerType", format!("The value '{container}' of containerType is not valid. Allowed values: 'StorageInitializer', 'InferenceServer'.")));
    }
    let mut lines = if container.eq_ignore_ascii_case("StorageInitializer") {
        vec![format!("Downloading model {} ...", d.model.as_deref().unwrap_or("(none)")), "Storage initializer finished.".to_string()]
    } else {
        let mut l = d.logs.clone();
        l.extend(state.runtimes.logs(id.as_str()));
        l
    };
    let skip = lines.len().saturating_sub(tail);
    lines.drain(..skip);
    Ok(ok(&json!({ "content": lines.join("\n") })))
}

/// `GET …/deployments/{d}/skus`.
pub async fn skus(state: &AppState, req: &ArmRequest, w: &WsPath) -> ArmResult<Response> {
    let (ep_id, id) = ids(w, req);
    super::endpoints::load(state, &ep_id).await?;
    load(state, w, &ep_id, &id).await?;
    Ok(ok(&json!({ "value": [{
        "resourceType": ResourceKind::OnlineDeployment.arm_type(),
        "sku": { "name": "Default", "tier": "Standard" },
        "capacity": { "minimum": 1, "maximum": 50, "default": 1, "scaleType": "Manual" }
    }], "nextLink": Value::Null })))
}

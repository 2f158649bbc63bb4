//! Online deployment request bodies (SPEC §3): parsing `properties`, `sku` and `tags` into the
//! deployment document with Azure's defaults, and the request-time limits that depend on them:
//! CP-5 (request timeout, instance count) and CP-8 (instance type, cores quota).
use serde_json::{json, Map, Value};

use super::body::{
    duration_of, enum_of, int32_in, object as obj, string_map, string_of as opt_str,
};
use super::WsPath;
use crate::app::AppState;
use crate::domain::{
    Audit, OnlineDeployment, ProvisioningState, PublicNetworkAccess, RequestSettings, ResourceId,
    ResourceKind,
};
use crate::error::{ArmError, ArmResult};
use crate::rules;

/// A path into the deployment's code must stay inside it (`domain::path`).
fn code_path(target: &str, value: &str) -> ArmResult<()> {
    crate::domain::path::relative_segments(value)
        .map(|_| ())
        .map_err(|why| ArmError::invalid_code_path(target, value, why.reason()))
}

fn capacity(body: &Map<String, Value>) -> ArmResult<Option<i64>> {
    let Some(sku) = obj(body.get("sku"), "sku")? else {
        return Ok(None);
    };
    match sku.get("capacity") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_i64().map(Some).ok_or_else(|| {
            ArmError::bad_property(
                "sku.capacity",
                format!("sku.capacity must be an integer, not {v}."),
            )
        }),
    }
}

/// `OnlineScaleSettings` of a request: `scaleType` `Default` or `TargetUtilization`; the
/// latter's instance counts and target percentage are int32 ≥ 0 with `minInstances` ≤
/// `maxInstances`, `pollingInterval` an ISO-8601 duration. Returns only the contract's fields.
fn scale_settings(ss: &Map<String, Value>) -> ArmResult<Value> {
    let t = "properties.scaleSettings";
    let st = enum_of(ss, "scaleType", t, &["Default", "TargetUtilization"])?.unwrap_or("Default");
    let mut out = Map::new();
    out.insert("scaleType".into(), json!(st));
    if st == "Default" {
        return Ok(Value::Object(out));
    }
    let mut counts = [None, None];
    for (i, key) in [
        "minInstances",
        "maxInstances",
        "targetUtilizationPercentage",
    ]
    .into_iter()
    .enumerate()
    {
        if let Some(n) = int32_in(ss, key, t, 0, i32::MAX)? {
            out.insert(key.into(), json!(n));
            if let Some(slot) = counts.get_mut(i) {
                *slot = Some(n);
            }
        }
    }
    if let [Some(min), Some(max)] = counts {
        if min > max {
            return Err(ArmError::bad_property(&format!("{t}.minInstances"), format!("The value {min} of '{t}.minInstances' is not valid: it must not exceed maxInstances ({max}).")));
        }
    }
    if let Some(p) = duration_of(ss, "pollingInterval", t)? {
        out.insert("pollingInterval".into(), json!(p));
    }
    Ok(Value::Object(out))
}

/// `ProbeSettings` of a request at `path`: thresholds int32 ≥ 1, `timeout`/`period`/
/// `initialDelay` ISO-8601 durations. Returns only the contract's fields, Azure's defaults for
/// those not sent.
fn probe(p: &Map<String, Value>, path: &str) -> ArmResult<Value> {
    let mut out = match default_probe() {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    for key in ["failureThreshold", "successThreshold"] {
        if let Some(n) = int32_in(p, key, path, 1, i32::MAX)? {
            out.insert(key.into(), json!(n));
        }
    }
    for key in ["timeout", "period", "initialDelay"] {
        if let Some(d) = duration_of(p, key, path)? {
            out.insert(key.into(), json!(d));
        }
    }
    Ok(Value::Object(out))
}

fn default_probe() -> Value {
    json!({ "failureThreshold": 30, "successThreshold": 1, "timeout": "PT2S", "period": "PT10S", "initialDelay": "PT10S" })
}

fn request_settings(
    props: &Map<String, Value>,
    current: &RequestSettings,
) -> ArmResult<RequestSettings> {
    let Some(rs) = obj(props.get("requestSettings"), "properties.requestSettings")? else {
        return Ok(current.clone());
    };
    let mut out = current.clone();
    if let Some(raw) = opt_str(rs, "requestTimeout", "properties.requestSettings")? {
        out.request_timeout_ms = rules::limits::cp_5_request_timeout_iso(Some(&raw))?;
    }
    if let Some(v) = rs
        .get("maxConcurrentRequestsPerInstance")
        .filter(|v| !v.is_null())
    {
        out.max_concurrent_requests_per_instance = v.as_u64().filter(|n| (1..=1000).contains(n)).and_then(|n| u32::try_from(n).ok()).ok_or_else(|| {
            ArmError::bad_property("properties.requestSettings.maxConcurrentRequestsPerInstance", format!("maxConcurrentRequestsPerInstance must be an integer from 1 to 1000, not {v}."))
        })?;
    }
    if let Some(q) = duration_of(rs, "maxQueueWait", "properties.requestSettings")? {
        out.max_queue_wait = q;
    }
    Ok(out)
}

/// Applies the deployment `properties` of a PUT to `d`; `requested_egress` is what the request
/// said about `egressPublicNetworkAccess` (ISO-7, ISO-13 need to know whether it was sent).
pub(super) fn apply_props(d: &mut OnlineDeployment, props: &Map<String, Value>) -> ArmResult<()> {
    let t = "properties";
    if let Some(ct) = opt_str(props, "endpointComputeType", t)? {
        let ct = rules::types::parse_property::<rules::EndpointComputeType>(
            "CP-7",
            "properties.endpointComputeType",
            &ct,
        )?;
        if ct != rules::EndpointComputeType::Managed {
            return Err(ArmError::bad_property("properties.endpointComputeType", format!("The endpoint is a managed online endpoint: its deployments must have endpointComputeType 'Managed', not '{}' (CP-7).", ct.as_str())));
        }
    }
    d.model = opt_str(props, "model", t)?.or(d.model.take());
    if let Some(cc) = obj(
        props.get("codeConfiguration"),
        "properties.codeConfiguration",
    )? {
        let script =
            opt_str(cc, "scoringScript", "properties.codeConfiguration")?.filter(|s| !s.is_empty());
        let script = script.ok_or_else(|| {
            ArmError::bad_property(
                "properties.codeConfiguration.scoringScript",
                "codeConfiguration.scoringScript is required and must not be empty.",
            )
        })?;
        // Issue 9: the runtime joins it to the code folder; refuse what could leave it.
        code_path("properties.codeConfiguration.scoringScript", &script)?;
        d.scoring_script = Some(script);
        d.code_id = opt_str(cc, "codeId", "properties.codeConfiguration")?;
    }
    d.environment_id = opt_str(props, "environmentId", t)?.or(d.environment_id.take());
    if let Some(ev) = string_map(
        props.get("environmentVariables"),
        "properties.environmentVariables",
    )? {
        for var in crate::runtime::materialize::CODE_PATH_VARIABLES {
            if let Some(v) = ev.get(*var) {
                code_path(&format!("properties.environmentVariables.{var}"), v)?;
            }
        }
        d.environment_variables = ev;
    }
    if let Some(it) = opt_str(props, "instanceType", t)? {
        d.instance_type = it;
    }
    apply_settings(d, props)
}

/// The settings half of [`apply_props`]: app insights, scale and request settings (CP-5), probes,
/// description and the add-only `properties` map.
fn apply_settings(d: &mut OnlineDeployment, props: &Map<String, Value>) -> ArmResult<()> {
    let t = "properties";
    if let Some(v) = props.get("appInsightsEnabled").filter(|v| !v.is_null()) {
        d.app_insights_enabled = v.as_bool().ok_or_else(|| {
            ArmError::bad_property(
                "properties.appInsightsEnabled",
                "appInsightsEnabled must be true or false.",
            )
        })?;
    }
    if let Some(ss) = obj(props.get("scaleSettings"), "properties.scaleSettings")? {
        d.scale_settings = scale_settings(ss)?;
    }
    d.request_settings = request_settings(props, &d.request_settings)?;
    for (key, slot) in [
        ("livenessProbe", &mut d.liveness_probe),
        ("readinessProbe", &mut d.readiness_probe),
    ] {
        if let Some(p) = obj(props.get(key), &format!("properties.{key}"))? {
            *slot = probe(p, &format!("properties.{key}"))?;
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

/// A new deployment document with Azure's defaults (1 instance of `Standard_F4s_v2`, egress
/// `Enabled`, default probes and request settings).
pub(super) fn new_deployment(location: &str) -> OnlineDeployment {
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
        egress_public_network_access: PublicNetworkAccess::Enabled,
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

/// Applies `sku.capacity` (CP-5: 1–50), `sku.name` and `tags` of a PUT/PATCH body.
pub(super) fn apply_sku_and_tags(
    d: &mut OnlineDeployment,
    body: &Map<String, Value>,
) -> ArmResult<()> {
    if let Some(c) = capacity(body)? {
        rules::limits::cp_5_instance_count(c, rules::EndpointComputeType::Managed)?;
        d.instance_count = u32::try_from(c)
            .map_err(|_| ArmError::bad_property("sku.capacity", "sku.capacity is out of range."))?;
    }
    if let Some(name) = obj(body.get("sku"), "sku")?
        .and_then(|s| s.get("name"))
        .and_then(Value::as_str)
    {
        d.sku_name = name.to_string();
    }
    if let Some(t) = string_map(body.get("tags"), "tags")? {
        d.tags = t;
    }
    Ok(())
}

/// CP-8: the instance type must be known and the subscription's regional core budget must hold
/// this deployment besides every other one.
pub(super) async fn check_capacity_and_quota(
    state: &AppState,
    w: &WsPath,
    id: &ResourceId,
    d: &OnlineDeployment,
) -> ArmResult<()> {
    rules::quota::cp_8_instance_type(&d.instance_type)?;
    let prefix = format!("/subscriptions/{}/", w.sub);
    let mut usage = 0u64;
    for row in state
        .store
        .by_kind_under(ResourceKind::OnlineDeployment, &prefix)
        .await?
    {
        if row.resource_id() == *id {
            continue;
        }
        let other: OnlineDeployment = row.doc()?;
        // A deployment whose provisioning failed holds no cores (its quota is released).
        if other.provisioning_state == ProvisioningState::Failed {
            continue;
        }
        if rules::names::normalize_region(&other.location)
            == rules::names::normalize_region(&d.location)
        {
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

//! Online deployment request bodies (SPEC §3): parsing `properties`, `sku` and `tags` into the
//! deployment document with Azure's defaults, and the request-time limits that depend on them:
//! CP-5 (request timeout, instance count) and CP-8 (instance type, cores quota).
use serde_json::{json, Map, Value};

use super::body::requests::{
    DeploymentBody, DeploymentProperties, ProbeBody, RequestSettingsBody, ScaleSettingsBody,
};
use super::WsPath;
use crate::app::AppState;
use crate::domain::enums::ScaleType;
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

/// `OnlineScaleSettings` of a request: the latter's counts with `minInstances` ≤
/// `maxInstances` (types and ranges are the body's). Returns only the contract's fields.
fn scale_settings(ss: &ScaleSettingsBody) -> ArmResult<Value> {
    let st = ss.scale_type.unwrap_or(ScaleType::Default);
    let mut out = Map::new();
    out.insert("scaleType".into(), json!(st.as_str()));
    if st == ScaleType::Default {
        return Ok(Value::Object(out));
    }
    for (key, n) in [
        ("minInstances", ss.min_instances),
        ("maxInstances", ss.max_instances),
        (
            "targetUtilizationPercentage",
            ss.target_utilization_percentage,
        ),
    ] {
        if let Some(n) = n {
            out.insert(key.into(), json!(n));
        }
    }
    if let (Some(min), Some(max)) = (ss.min_instances, ss.max_instances) {
        if min > max {
            return Err(super::errors::min_instances_above_max(min, max));
        }
    }
    if let Some(p) = &ss.polling_interval {
        out.insert("pollingInterval".into(), json!(p));
    }
    Ok(Value::Object(out))
}

/// `ProbeSettings` of a request: the contract's fields, Azure's defaults for those not sent.
fn probe(p: &ProbeBody) -> Value {
    let mut out = match default_probe() {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    for (key, n) in [
        ("failureThreshold", p.failure_threshold),
        ("successThreshold", p.success_threshold),
    ] {
        if let Some(n) = n {
            out.insert(key.into(), json!(n));
        }
    }
    for (key, d) in [
        ("timeout", &p.timeout),
        ("period", &p.period),
        ("initialDelay", &p.initial_delay),
    ] {
        if let Some(d) = d {
            out.insert(key.into(), json!(d));
        }
    }
    Value::Object(out)
}

fn default_probe() -> Value {
    json!({ "failureThreshold": 30, "successThreshold": 1, "timeout": "PT2S", "period": "PT10S", "initialDelay": "PT10S" })
}

fn request_settings(
    rs: &RequestSettingsBody,
    current: &RequestSettings,
) -> ArmResult<RequestSettings> {
    let mut out = current.clone();
    if let Some(raw) = &rs.request_timeout {
        out.request_timeout_ms = rules::limits::cp_5_request_timeout_iso(Some(raw))?;
    }
    if let Some(n) = rs.max_concurrent_requests_per_instance {
        // The body's type holds it to 1..=1000.
        out.max_concurrent_requests_per_instance = n.unsigned_abs();
    }
    if let Some(q) = &rs.max_queue_wait {
        out.max_queue_wait = q.clone();
    }
    Ok(out)
}

/// Applies the deployment `properties` of a PUT to `d`.
pub(super) fn apply_props(d: &mut OnlineDeployment, props: &DeploymentProperties) -> ArmResult<()> {
    if let Some(ct) = props.endpoint_compute_type {
        if ct != rules::EndpointComputeType::Managed {
            return Err(super::errors::deployment_compute_not_managed(ct.as_str()));
        }
    }
    if let Some(m) = &props.model {
        d.model = Some(m.clone());
    }
    if let Some(cc) = &props.code_configuration {
        let script = cc
            .scoring_script
            .clone()
            .filter(|s| !s.is_empty())
            .ok_or_else(super::errors::scoring_script_required)?;
        // Issue 9: the runtime joins it to the code folder; refuse what could leave it.
        code_path("properties.codeConfiguration.scoringScript", &script)?;
        d.scoring_script = Some(script);
        d.code_id = cc.code_id.clone();
    }
    if let Some(e) = &props.environment_id {
        d.environment_id = Some(e.clone());
    }
    if let Some(ev) = &props.environment_variables {
        for var in crate::runtime::materialize::CODE_PATH_VARIABLES {
            if let Some(v) = ev.get(*var) {
                code_path(&format!("properties.environmentVariables.{var}"), v)?;
            }
        }
        d.environment_variables = ev.clone();
    }
    if let Some(it) = &props.instance_type {
        d.instance_type = it.clone();
    }
    apply_settings(d, props)
}

/// The settings half of [`apply_props`]: app insights, scale and request settings (CP-5), probes,
/// description and the add-only `properties` map.
fn apply_settings(d: &mut OnlineDeployment, props: &DeploymentProperties) -> ArmResult<()> {
    if let Some(b) = props.app_insights_enabled {
        d.app_insights_enabled = b;
    }
    if let Some(ss) = &props.scale_settings {
        d.scale_settings = scale_settings(ss)?;
    }
    if let Some(rs) = &props.request_settings {
        d.request_settings = request_settings(rs, &d.request_settings)?;
    }
    if let Some(p) = &props.liveness_probe {
        d.liveness_probe = probe(p);
    }
    if let Some(p) = &props.readiness_probe {
        d.readiness_probe = probe(p);
    }
    if let Some(desc) = &props.description {
        d.description = Some(desc.clone());
    }
    if let Some(p) = &props.properties {
        for (k, v) in p {
            d.properties.entry(k.clone()).or_insert_with(|| v.clone());
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
        operation: None,
    }
}

/// Applies `sku.capacity` (CP-5: 1–50), `sku.name` and `tags` of a PUT/PATCH body.
pub(super) fn apply_sku_and_tags(d: &mut OnlineDeployment, body: &DeploymentBody) -> ArmResult<()> {
    if let Some(sku) = &body.sku {
        if let Some(c) = sku.capacity {
            rules::limits::cp_5_instance_count(c, rules::EndpointComputeType::Managed)?;
            d.instance_count = u32::try_from(c).map_err(|_| {
                super::errors::property_invalid("sku.capacity", &c.to_string(), "from 1 to 50")
            })?;
        }
        if let Some(name) = &sku.name {
            d.sku_name = name.clone();
        }
    }
    if let Some(t) = &body.tags {
        d.tags = t.clone();
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
    // The running total of the subscription and region (one row, issue 14), less what this
    // deployment already holds there.
    let total = state
        .store
        .usage(ResourceKind::OnlineDeployment, &w.sub, &d.location)
        .await?
        .units;
    let own = match state.store.get(id).await? {
        Some(row) => {
            let stored: OnlineDeployment = row.doc()?;
            if crate::store::usage::scope(&w.sub, &stored.location)
                == crate::store::usage::scope(&w.sub, &d.location)
            {
                crate::store::usage::cores_held(
                    &stored.instance_type,
                    stored.instance_count,
                    stored.provisioning_state,
                )
            } else {
                0
            }
        }
        None => 0,
    };
    let usage = total.saturating_sub(own);
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

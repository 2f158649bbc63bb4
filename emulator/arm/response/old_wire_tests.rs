#![allow(dead_code)]
//! The json!-built renderers before `response` (frozen copy), for the equivalence test.
use serde_json::{json, Value};

use crate::app::Listener;
use crate::domain::{
    arm_time, Asset, Audit, OnlineDeployment, OnlineEndpoint, ResourceId, ResourceKind, Workspace,
};

pub use super::old_msi::identity;
use super::old_msi::with_principal;

/// `systemData` for an audit record.
pub fn system_data(a: &Audit) -> Value {
    json!({
        "createdAt": arm_time(a.created_at), "createdBy": "amlite-user", "createdByType": "User",
        "lastModifiedAt": arm_time(a.modified_at), "lastModifiedBy": "amlite-user", "lastModifiedByType": "User"
    })
}

/// The application Azure ML itself acts as when it creates a resource on the user's behalf (the
/// default datastores: recorded `createdBy` of every `workspaceblobstore` GET, e.g.
/// `test_online_deployment_get_logs`).
pub const SERVICE_APPLICATION_ID: &str = "779301c0-18b2-4cdc-801b-a0a3368fee0a";

/// `systemData` of a resource Azure ML created itself (`createdByType: Application`).
pub fn system_data_by_service(a: &Audit) -> Value {
    json!({
        "createdAt": arm_time(a.created_at), "createdBy": SERVICE_APPLICATION_ID, "createdByType": "Application",
        "lastModifiedAt": arm_time(a.modified_at), "lastModifiedBy": SERVICE_APPLICATION_ID, "lastModifiedByType": "Application"
    })
}

fn map<T: serde::Serialize>(m: &T) -> Value {
    serde_json::to_value(m).unwrap_or_else(|_| json!({}))
}

/// A workspace (`Workspace`, network-isolation view of §4.1 of the ARM research note).
pub fn workspace(id: &ResourceId, w: &Workspace, tenant: &str, internet_base: &str) -> Value {
    let mut props = serde_json::Map::new();
    for (k, v) in &w.extra {
        props.insert(k.clone(), v.clone());
    }
    let set = |props: &mut serde_json::Map<String, Value>, k: &str, v: Value| {
        props.insert(k.to_string(), v);
    };
    set(&mut props, "workspaceId", json!(w.workspace_guid));
    set(
        &mut props,
        "provisioningState",
        json!(w.provisioning_state.as_str()),
    );
    set(
        &mut props,
        "publicNetworkAccess",
        json!(w.public_network_access.as_str()),
    );
    set(&mut props, "v1LegacyMode", json!(w.v1_legacy_mode));
    set(&mut props, "storageAccount", json!(w.storage_account));
    set(&mut props, "keyVault", json!(w.key_vault));
    // Omitted rather than null when unset: `workspaceRP.json` (2024-04-01-preview) does not
    // declare them nullable.
    if let Some(acr) = &w.container_registry {
        set(&mut props, "containerRegistry", json!(acr));
    }
    if let Some(ai) = &w.application_insights {
        set(&mut props, "applicationInsights", json!(ai));
    }
    set(&mut props, "tenantId", json!(tenant));
    set(
        &mut props,
        "discoveryUrl",
        json!(format!("{}/discovery", internet_base)),
    );
    set(
        &mut props,
        "mlFlowTrackingUri",
        json!(format!(
            "azureml://{}.api.azureml.ms/mlflow/v1.0{}",
            w.location, id
        )),
    );
    set(&mut props, "hbiWorkspace", json!(false));
    props.entry("enableDataIsolation").or_insert(json!(false));
    set(
        &mut props,
        "managedNetwork",
        crate::arm::workspace_properties::managed_network_wire(w),
    );
    props
        .entry("friendlyName")
        .or_insert_with(|| json!(id.name()));
    json!({
        "id": id.as_str(), "name": id.name(), "type": ResourceKind::Workspace.arm_type(),
        "location": w.location, "kind": w.kind, "tags": map(&w.tags),
        "identity": with_principal(identity(w.identity.as_ref()), id, tenant),
        "sku": workspace_sku(w.sku.as_ref()),
        "systemData": system_data(&w.audit),
        "properties": Value::Object(props),
    })
}

/// Workspace `sku` (common-types v3 `Sku`): `name` required (default `Basic`), `tier` one of
/// `Free|Basic|Standard|Premium` in Azure's casing (left out when the request's was not one),
/// `size`/`family` strings, `capacity` int32; nothing else.
pub fn workspace_sku(stored: Option<&Value>) -> Value {
    const TIERS: [&str; 4] = ["Free", "Basic", "Standard", "Premium"];
    let get = |k: &str| stored.and_then(|s| s.get(k));
    let mut sku = json!({ "name": get("name").and_then(Value::as_str).unwrap_or("Basic") });
    let tier = match stored {
        None => Some("Basic"),
        Some(_) => get("tier")
            .and_then(Value::as_str)
            .and_then(|t| TIERS.iter().find(|x| x.eq_ignore_ascii_case(t)).copied()),
    };
    if let Some(t) = tier {
        sku["tier"] = json!(t);
    }
    for k in ["size", "family"] {
        if let Some(v) = get(k).filter(|v| v.is_string()) {
            sku[k] = v.clone();
        }
    }
    if let Some(c) = get("capacity")
        .and_then(Value::as_i64)
        .filter(|c| i32::try_from(*c).is_ok())
    {
        sku["capacity"] = json!(c);
    }
    sku
}

/// An online endpoint. `keys` are never returned (use `listKeys`); `scoringUri` names the
/// listener that served the request (SPEC §4, §6.2).
pub fn endpoint(id: &ResourceId, e: &OnlineEndpoint, listener: &Listener, tenant: &str) -> Value {
    let name = id.name();
    let base = &listener.base_url;
    // SPEC §4's URI; `?region=` only for a name another region had first (issue 9).
    let region = if e.region_in_scoring_uri {
        let r = crate::rules::names::normalize_region(&e.location);
        format!(
            "?region={}",
            form_urlencoded::byte_serialize(r.as_bytes()).collect::<String>()
        )
    } else {
        String::new()
    };
    let mut body = json!({
        "id": id.as_str(), "name": name, "type": ResourceKind::OnlineEndpoint.arm_type(),
        "location": e.location, "tags": map(&e.tags), "systemData": system_data(&e.audit),
        "identity": with_principal(identity(e.identity.as_ref()), id, tenant),
        "properties": {
            "authMode": e.auth_mode.as_str(),
            "description": e.description,
            "properties": super::old_server_properties::endpoint(id, &e.properties, e.operation.as_ref(), base),
            "traffic": map(&e.traffic),
            "mirrorTraffic": map(&e.mirror_traffic),
            "publicNetworkAccess": e.public_network_access.as_str(),
            "scoringUri": format!("{base}/endpoints/{name}/score{region}"),
            "swaggerUri": format!("{base}/endpoints/{name}/swagger.json{region}"),
            "provisioningState": e.provisioning_state.as_str(),
            "keys": Value::Null,
        }
    });
    // Azure answers `kind: Managed` for every managed endpoint, asked for or not (recorded:
    // `test_online_endpoint_mir`); Kubernetes endpoints are refused (CP-*).
    body["kind"] = json!(e.kind.as_deref().unwrap_or("Managed"));
    body
}

/// An online deployment (`ManagedOnlineDeployment`), with the server-filled fields the SDK
/// needs (`endpointComputeType`, `scaleSettings.scaleType`, `sku.capacity`).
pub fn deployment(id: &ResourceId, d: &OnlineDeployment, base: &str) -> Value {
    let rs = &d.request_settings;
    json!({
        "id": id.as_str(), "name": id.name(), "type": ResourceKind::OnlineDeployment.arm_type(),
        "location": d.location, "tags": map(&d.tags), "systemData": system_data(&d.audit),
        "kind": "Managed",
        "sku": { "name": d.sku_name, "tier": "Standard", "capacity": d.instance_count },
        "properties": {
            "endpointComputeType": "Managed",
            "description": d.description,
            "properties": super::old_server_properties::deployment(id, &d.properties, d.operation.as_ref(), base),
            "model": d.model,
            "codeConfiguration": d.scoring_script.as_ref().map(|s| json!({ "codeId": d.code_id, "scoringScript": s })),
            "environmentId": d.environment_id,
            "environmentVariables": map(&d.environment_variables),
            "instanceType": d.instance_type,
            "egressPublicNetworkAccess": d.egress_public_network_access.as_str(),
            "appInsightsEnabled": d.app_insights_enabled,
            "scaleSettings": scale_settings(&d.scale_settings),
            "requestSettings": {
                "requestTimeout": format_duration_ms(rs.request_timeout_ms),
                "maxConcurrentRequestsPerInstance": rs.max_concurrent_requests_per_instance,
                "maxQueueWait": if is_duration(&rs.max_queue_wait) { rs.max_queue_wait.as_str() } else { crate::domain::resources::DEFAULT_MAX_QUEUE_WAIT },
            },
            "livenessProbe": typed_fields(&d.liveness_probe, PROBE_FIELDS),
            "readinessProbe": typed_fields(&d.readiness_probe, PROBE_FIELDS),
            "provisioningState": d.provisioning_state.as_str(),
        }
    })
}

/// A deployment as the given api-version shows it: `2022-02-01-preview` (its `mfe.json`) also has
/// `properties.privateNetworkConnection`, true when egress is `Disabled` (recorded Azure:
/// `test_mir_deployment_private_feature`, `test_online_endpoint_invoke`); the 2021-10-01
/// answers recorded (`test_online_deployment_list`) and the later contracts do not have it.
pub fn deployment_for(
    id: &ResourceId,
    d: &OnlineDeployment,
    api_version: Option<&str>,
    base: &str,
) -> Value {
    let mut body = deployment(id, d, base);
    if api_version.is_some_and(|v| v.eq_ignore_ascii_case("2022-02-01-preview")) {
        body["properties"]["privateNetworkConnection"] =
            json!(d.egress_public_network_access.as_str() == "Disabled");
    }
    body
}

/// How a field of a nested settings object is typed on the wire (`mfe.json`).
#[derive(Clone, Copy)]
enum Field {
    /// `integer` / `int32`.
    Int32,
    /// `string` / `duration` (ISO-8601).
    Duration,
    /// `string` / `duration`, `x-nullable`.
    NullableDuration,
}

/// `ProbeSettings` (additionalProperties: false).
const PROBE_FIELDS: &[(&str, Field)] = &[
    ("failureThreshold", Field::Int32),
    ("successThreshold", Field::Int32),
    ("timeout", Field::Duration),
    ("period", Field::Duration),
    ("initialDelay", Field::NullableDuration),
];

/// `TargetUtilizationScaleSettings` beyond `scaleType` (additionalProperties: false).
const TARGET_UTILIZATION_FIELDS: &[(&str, Field)] = &[
    ("minInstances", Field::Int32),
    ("maxInstances", Field::Int32),
    ("pollingInterval", Field::Duration),
    ("targetUtilizationPercentage", Field::Int32),
];

/// The fields of a stored settings object that the contract declares, with the declared type;
/// anything else a request carried (unknown keys, wrong types) is not echoed back, because the
/// schemas are closed (`additionalProperties: false`).
fn typed_fields(stored: &Value, fields: &[(&str, Field)]) -> Value {
    let mut out = serde_json::Map::new();
    for (name, kind) in fields {
        let Some(v) = stored.get(*name) else { continue };
        let keep = match kind {
            Field::Int32 => v.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
            Field::Duration => v.as_str().is_some_and(is_duration),
            Field::NullableDuration => v.is_null() || v.as_str().is_some_and(is_duration),
        };
        if keep {
            out.insert((*name).to_string(), v.clone());
        }
    }
    Value::Object(out)
}

/// `OnlineScaleSettings` (discriminator `scaleType`) in Azure's casing; `Default` has no other
/// fields.
fn scale_settings(stored: &Value) -> Value {
    let st = stored
        .get("scaleType")
        .and_then(Value::as_str)
        .unwrap_or("Default");
    if st.eq_ignore_ascii_case("TargetUtilization") {
        let mut out = typed_fields(stored, TARGET_UTILIZATION_FIELDS);
        out["scaleType"] = json!("TargetUtilization");
        out
    } else {
        json!({ "scaleType": "Default" })
    }
}

/// Whether `s` is an ISO-8601 duration as the contracts' `format: duration` means it
/// (`PT5S`, `PT0.5S`, `P1DT2H`, `-PT1M`): `P`, date parts `nY nM nW nD`, then `T` and time parts
/// `nH nM nS` in that order, at least one part, decimals allowed.
pub fn is_duration(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let Some(rest) = s.strip_prefix('P') else {
        return false;
    };
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return false,
        None => (rest, None),
    };
    let parts = |text: &str, units: &[char]| -> Option<usize> {
        let (mut count, mut next_unit, mut number) = (0, 0, String::new());
        for c in text.chars() {
            if c.is_ascii_digit() || (c == '.' && !number.is_empty() && !number.contains('.')) {
                number.push(c);
                continue;
            }
            let pos = units.iter().skip(next_unit).position(|u| *u == c)? + next_unit;
            if number.is_empty() || number.ends_with('.') {
                return None;
            }
            (next_unit, count) = (pos + 1, count + 1);
            number.clear();
        }
        number.is_empty().then_some(count)
    };
    let d = parts(date, &['Y', 'M', 'W', 'D']);
    let t = time.map_or(Some(0), |t| parts(t, &['H', 'M', 'S']));
    matches!((d, t), (Some(a), Some(b)) if a + b > 0)
}

/// Milliseconds as an ISO-8601 duration (`PT5S`, `PT0.5S`).
pub fn format_duration_ms(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("PT{}S", ms / 1000)
    } else {
        format!("PT{}S", ms as f64 / 1000.0)
    }
}

/// JSON type a field of an asset version's `properties` has in `mfe.json`.
#[derive(Clone, Copy, PartialEq)]
enum Json {
    Str,
    Bool,
    StrMap,
    Object,
}

/// Fields of `ModelVersion`, `CodeVersion`, `EnvironmentVersion` (and their `AssetBase`) whose
/// type amlite checks before echoing them; `null` passes only for the `x-nullable` maps (the
/// nullable strings are dropped when null: omitting them is always valid).
const ASSET_FIELDS: &[(&str, Json)] = &[
    ("description", Json::Str),
    ("tags", Json::StrMap),
    ("properties", Json::StrMap),
    ("isAnonymous", Json::Bool),
    ("isArchived", Json::Bool),
    ("modelUri", Json::Str),
    ("modelType", Json::Str),
    ("jobName", Json::Str),
    ("stage", Json::Str),
    ("flavors", Json::Object),
    ("codeUri", Json::Str),
    ("image", Json::Str),
    ("condaFile", Json::Str),
    ("osType", Json::Str),
    ("build", Json::Object),
    ("inferenceConfig", Json::Object),
    ("autoRebuild", Json::Str),
];

/// An asset version's stored `properties` without the declared fields whose type is wrong (all
/// optional; the store keeps what a PUT sent, the contract's types must hold on the way out).
/// Unknown fields stay: the SDK sends newer api-versions' fields and may read them back.
fn asset_properties(stored: &Value) -> Value {
    let mut props = stored.clone();
    let Some(map) = props.as_object_mut() else {
        return json!({});
    };
    map.retain(|name, v| {
        let Some((_, kind)) = ASSET_FIELDS.iter().find(|(n, _)| n == name) else {
            return true;
        };
        match kind {
            Json::Str => v.is_string(),
            Json::Bool => v.is_boolean(),
            Json::Object => v.is_object(),
            Json::StrMap => {
                v.is_null()
                    || v.as_object()
                        .is_some_and(|m| m.values().all(Value::is_string))
            }
        }
    });
    props
}

/// A workspace asset version (model, code, environment) or datastore.
pub fn asset(id: &ResourceId, kind: ResourceKind, a: &Asset) -> Value {
    json!({
        "id": id.as_str(), "name": id.name(), "type": kind.arm_type(),
        "systemData": system_data(&a.audit), "properties": asset_properties(&a.properties),
    })
}

/// A `{ "value": [...] }` list page: every item on one page, so no `nextLink` (the contracts do
/// not declare it nullable; Azure omits it on the last page).
pub fn list(value: Vec<Value>) -> Value {
    json!({ "value": value })
}

/// A `{ "value": [...] }` list page that more follow: `nextLink` is the URL of the next one.
pub fn list_page(value: Vec<Value>, next_link: Option<String>) -> Value {
    match next_link {
        Some(next) => json!({ "value": value, "nextLink": next }),
        None => list(value),
    }
}

//! An online deployment (`ManagedOnlineDeployment`) as Azure answers it, with the server-filled
//! fields the SDK needs (`endpointComputeType`, `scaleSettings.scaleType`, `sku.capacity`). The
//! nested settings are closed schemas (`additionalProperties: false` in `mfe.json`): only the
//! declared fields with the declared type are echoed.
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::durations::{format_duration_ms, is_duration};
use super::endpoint::{user_entries, with_operation};
use super::{system_data, Resource, Sku};
use crate::domain::{
    OnlineDeployment, ProvisioningState, PublicNetworkAccess, ResourceId, ResourceKind,
};

/// `ManagedOnlineDeployment` properties.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentProperties {
    /// `endpointComputeType`: always `Managed`.
    pub endpoint_compute_type: &'static str,
    /// `description` (`null` when unset).
    pub description: Option<String>,
    /// `properties`: the client's entries and `AzureAsyncOperationUri`.
    pub properties: BTreeMap<String, String>,
    /// `model` (`null` when unset).
    pub model: Option<String>,
    /// `codeConfiguration` (`null` without a scoring script).
    pub code_configuration: Option<CodeConfiguration>,
    /// `environmentId` (`null` when unset).
    pub environment_id: Option<String>,
    /// `environmentVariables`.
    pub environment_variables: BTreeMap<String, String>,
    /// `instanceType`.
    pub instance_type: String,
    /// `egressPublicNetworkAccess`.
    pub egress_public_network_access: PublicNetworkAccess,
    /// `appInsightsEnabled`.
    pub app_insights_enabled: bool,
    /// `scaleSettings`.
    pub scale_settings: ScaleSettings,
    /// `requestSettings`.
    pub request_settings: RequestSettings,
    /// `livenessProbe`.
    pub liveness_probe: ProbeSettings,
    /// `readinessProbe`.
    pub readiness_probe: ProbeSettings,
    /// `provisioningState`.
    pub provisioning_state: ProvisioningState,
    /// `privateNetworkConnection`: `2022-02-01-preview` only (see [`deployment_for`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_network_connection: Option<bool>,
}

/// `CodeConfiguration`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CodeConfiguration {
    /// `codeId` (`null` when unset).
    pub code_id: Option<String>,
    /// `scoringScript`.
    pub scoring_script: String,
}

/// `OnlineRequestSettings`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RequestSettings {
    /// `requestTimeout` (ISO-8601).
    pub request_timeout: String,
    /// `maxConcurrentRequestsPerInstance`.
    pub max_concurrent_requests_per_instance: u32,
    /// `maxQueueWait` (ISO-8601).
    pub max_queue_wait: String,
}

/// `ProbeSettings`: the stored fields of the declared type; the rest left out.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ProbeSettings {
    /// `failureThreshold` (int32).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_threshold: Option<i64>,
    /// `successThreshold` (int32).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_threshold: Option<i64>,
    /// `timeout` (duration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// `period` (duration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// `initialDelay` (duration, `x-nullable`: `Some(None)` is an explicit `null`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_delay: Option<Option<String>>,
}

/// `OnlineScaleSettings` (discriminator `scaleType`) in Azure's casing; `Default` has no other
/// fields, `TargetUtilization` the stored ones of the declared type.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ScaleSettings {
    /// `Default` or `TargetUtilization`.
    pub scale_type: &'static str,
    /// `minInstances` (int32).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_instances: Option<i64>,
    /// `maxInstances` (int32).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_instances: Option<i64>,
    /// `pollingInterval` (duration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub polling_interval: Option<String>,
    /// `targetUtilizationPercentage` (int32).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_utilization_percentage: Option<i64>,
}

/// An online deployment (`ManagedOnlineDeployment`).
pub fn deployment(
    id: &ResourceId,
    d: &OnlineDeployment,
    base: &str,
) -> Resource<DeploymentProperties> {
    let rs = &d.request_settings;
    let mut properties = user_entries(&d.properties);
    with_operation(&mut properties, id, d.operation.as_ref(), base);
    let max_queue_wait = if is_duration(&rs.max_queue_wait) {
        rs.max_queue_wait.clone()
    } else {
        crate::domain::resources::DEFAULT_MAX_QUEUE_WAIT.to_string()
    };
    let props = DeploymentProperties {
        endpoint_compute_type: "Managed",
        description: d.description.clone(),
        properties,
        model: d.model.clone(),
        code_configuration: d.scoring_script.as_ref().map(|s| CodeConfiguration {
            code_id: d.code_id.clone(),
            scoring_script: s.clone(),
        }),
        environment_id: d.environment_id.clone(),
        environment_variables: d.environment_variables.clone(),
        instance_type: d.instance_type.clone(),
        egress_public_network_access: d.egress_public_network_access,
        app_insights_enabled: d.app_insights_enabled,
        scale_settings: scale_settings(&d.scale_settings),
        request_settings: RequestSettings {
            request_timeout: format_duration_ms(rs.request_timeout_ms),
            max_concurrent_requests_per_instance: rs.max_concurrent_requests_per_instance,
            max_queue_wait,
        },
        liveness_probe: probe(&d.liveness_probe),
        readiness_probe: probe(&d.readiness_probe),
        provisioning_state: d.provisioning_state,
        private_network_connection: None,
    };
    Resource {
        location: Some(d.location.clone()),
        tags: Some(d.tags.clone()),
        system_data: Some(system_data(&d.audit)),
        kind: Some("Managed".to_string()),
        sku: Some(Sku {
            name: d.sku_name.clone(),
            tier: Some("Standard"),
            size: None,
            family: None,
            capacity: Some(i64::from(d.instance_count)),
        }),
        ..Resource::new(id, ResourceKind::OnlineDeployment, props)
    }
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
) -> Resource<DeploymentProperties> {
    let mut body = deployment(id, d, base);
    if api_version.is_some_and(|v| v.eq_ignore_ascii_case("2022-02-01-preview")) {
        body.properties.private_network_connection =
            Some(d.egress_public_network_access == PublicNetworkAccess::Disabled);
    }
    body
}

/// A stored `integer`/`int32` field.
fn int32(stored: &Value, name: &str) -> Option<i64> {
    stored
        .get(name)
        .and_then(Value::as_i64)
        .filter(|n| i32::try_from(*n).is_ok())
}

/// A stored `string`/`duration` field.
fn duration(stored: &Value, name: &str) -> Option<String> {
    stored
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| is_duration(s))
        .map(str::to_string)
}

/// `ProbeSettings` of a stored probe.
pub(super) fn probe(stored: &Value) -> ProbeSettings {
    let initial_delay = match stored.get("initialDelay") {
        Some(Value::Null) => Some(None),
        Some(_) => duration(stored, "initialDelay").map(Some),
        None => None,
    };
    ProbeSettings {
        failure_threshold: int32(stored, "failureThreshold"),
        success_threshold: int32(stored, "successThreshold"),
        timeout: duration(stored, "timeout"),
        period: duration(stored, "period"),
        initial_delay,
    }
}

/// `OnlineScaleSettings` of the stored ones.
pub(super) fn scale_settings(stored: &Value) -> ScaleSettings {
    let st = stored
        .get("scaleType")
        .and_then(Value::as_str)
        .unwrap_or("Default");
    if st.eq_ignore_ascii_case("TargetUtilization") {
        ScaleSettings {
            scale_type: "TargetUtilization",
            min_instances: int32(stored, "minInstances"),
            max_instances: int32(stored, "maxInstances"),
            polling_interval: duration(stored, "pollingInterval"),
            target_utilization_percentage: int32(stored, "targetUtilizationPercentage"),
        }
    } else {
        ScaleSettings {
            scale_type: "Default",
            min_instances: None,
            max_instances: None,
            polling_interval: None,
            target_utilization_percentage: None,
        }
    }
}

//! The data plane (SPEC §4, §6.3): `POST {scoringUri}` and `GET …/swagger.json`.
//! Order: resolve the endpoint → inbound network decision (ISO-2/ISO-5) → auth → choose a
//! deployment (header or traffic weights) → concurrency limit (429) → call the runtime with
//! the request timeout (408) → pass the model's answer (200) or wrap its failure (424) →
//! mirror a share of weight-routed requests (copies count against the mirror deployment's
//! concurrency and end at its request timeout; copies over the limit are dropped and logged).
pub mod auth;
pub mod cache;
mod load;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::arm::ArmRequest;
use crate::domain::ProvisioningState;
use crate::error::ArmError;
use crate::network::{self, InboundDecision};
use cache::{DeploymentRoute, EndpointRoute};

/// `(endpoint, region)` when the Host header is `{endpoint}.{region}.inference.ml.azure.com`.
pub fn host_form(host: &str) -> Option<(String, String)> {
    network::parse_inference_host(host)
}

/// Handles one scoring request; every failure is an ARM-style error body.
pub async fn handle(state: &AppState, req: ArmRequest) -> Response {
    let client_id = sanitized(req.header("x-ms-client-request-id"));
    // SPEC §4: amlite generates the GUID; like Azure's inference server it keeps a caller's
    // `x-request-id` only when that is itself a GUID.
    let request_id = req
        .header("x-request-id")
        .and_then(|v| uuid::Uuid::parse_str(v.trim()).ok())
        .unwrap_or_else(uuid::Uuid::new_v4)
        .to_string();
    let mut resp = match score(state, &req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    let h = resp.headers_mut();
    put(h, "x-request-id", &request_id);
    if !client_id.is_empty() {
        put(h, "x-ms-client-request-id", &client_id);
    }
    resp
}

fn sanitized(v: Option<&str>) -> String {
    v.unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        .take(128)
        .collect()
}

fn put(h: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        h.insert(name, v);
    }
}

/// Which endpoint a request is for: `(endpoint, swagger?, region)`, the region from the
/// Host-header form or the `?region=` a `scoringUri` carries (see `load::route`).
fn target(req: &ArmRequest) -> Result<(String, bool, Option<String>), ArmError> {
    let l: Vec<&str> = req.lower.iter().map(String::as_str).collect();
    let host = req.header("host").unwrap_or("");
    let region = req
        .q("region")
        .filter(|r| !r.is_empty())
        .map(crate::rules::names::normalize_region);
    match l.as_slice() {
        ["endpoints", _, "score"] => Ok((req.lower[1].clone(), false, region)),
        ["endpoints", _, "swagger.json"] => Ok((req.lower[1].clone(), true, region)),
        ["score"] | ["swagger.json"] => match host_form(host) {
            Some((ep, host_region)) => Ok((
                ep.to_ascii_lowercase(),
                l == ["swagger.json"],
                Some(crate::rules::names::normalize_region(&host_region)),
            )),
            None => Err(ArmError::new(
                StatusCode::NOT_FOUND,
                "NotFound",
                "Unknown scoring path.",
            )),
        },
        _ => Err(ArmError::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!(
                "Unknown scoring path {}: use {{scoringUri}} from the endpoint.",
                req.path
            ),
        )),
    }
}

async fn score(state: &AppState, req: &ArmRequest) -> Result<Response, ArmError> {
    crate::arm::provision::settle(state).await?;
    let (name, swagger, region) = target(req)?;
    let route = load::route(state, &name, region.as_deref()).await?;
    inbound(state, req, &route)?;
    let now = chrono::Utc::now().timestamp();
    // Under --auth strict an AADToken must be signed by amlite (issue 9); the key is loaded only
    // for those endpoints.
    let strict_aad = state.config.auth == crate::config::AuthCheck::Strict
        && route.auth_mode == crate::domain::AuthMode::AadToken;
    let key = if strict_aad {
        Some(state.keys.get().await?)
    } else {
        None
    };
    let issuer = crate::identity::issuer(&state.internet_base, &state.tenant_id);
    let aad = match &key {
        Some(key) => auth::AadCheck::Signed {
            key,
            issuer: &issuer,
        },
        None => auth::AadCheck::Claims,
    };
    auth::check(
        route.auth_mode,
        req.header("authorization"),
        &route.id,
        &route.keys,
        now,
        aad,
    )?;
    if swagger {
        return Ok(axum::Json(swagger_doc(&route.name)).into_response());
    }
    if req.method != Method::POST {
        return Err(ArmError::method_not_allowed(req.method.as_str(), &req.path));
    }
    let named = req
        .header("azureml-model-deployment")
        .filter(|s| !s.is_empty());
    let deployment = choose(&route, named)?;
    let resp = invoke(state, &route, deployment, &req.body).await?;
    if named.is_none() {
        mirror(state, &route, deployment, &req.body);
    }
    Ok(resp)
}

fn inbound(state: &AppState, req: &ArmRequest, route: &EndpointRoute) -> Result<(), ArmError> {
    let decision = network::decide(
        &req.listener.network,
        &route.private_endpoints,
        &route.workspace_id,
        route.public_network_access,
        route.workspace_public_network_access,
    );
    match decision {
        InboundDecision::Allowed { .. } => Ok(()),
        InboundDecision::Refused(r) => {
            let _ = state;
            tracing::info!(endpoint = %route.name, rule = r.rule, "scoring refused by the inbound decision");
            // The body names the refusing rule and the change that would let the call through
            // (the message of `network::decide`); the header lets scripts test for the rule.
            Err(ArmError::forbidden(
                r.code,
                format!("{} (refused by rule {}, SPEC 6.3)", r.message, r.rule),
            )
            .with_target("properties.publicNetworkAccess")
            .with_header("x-amlite-isolation-rule", r.rule))
        }
    }
}

/// Picks the deployment: the header's (any weight, must be `Succeeded`), else by traffic weights
/// with a counter so that every 100 requests split exactly as the weights say.
fn choose<'a>(
    route: &'a EndpointRoute,
    named: Option<&str>,
) -> Result<&'a DeploymentRoute, ArmError> {
    if let Some(n) = named {
        let d = route.deployments.iter().find(|d| d.name.eq_ignore_ascii_case(n)).ok_or_else(|| {
            ArmError::new(StatusCode::NOT_FOUND, "NotFound", format!("Deployment {n} not found in endpoint {}: check the azureml-model-deployment header.", route.name))
        })?;
        return routable(d);
    }
    let live: Vec<(&DeploymentRoute, i64)> = route
        .deployments
        .iter()
        .filter_map(|d| {
            route
                .traffic
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&d.name))
                .map(|(_, w)| (d, *w))
        })
        .filter(|(_, w)| *w > 0)
        .collect();
    let total: i64 = live.iter().map(|(_, w)| w).sum();
    if total <= 0 {
        return Err(ArmError::no_valid_deployments());
    }
    let tick = i64::try_from(route.counter.fetch_add(1, Ordering::Relaxed) % 100).unwrap_or(0)
        * total
        / 100;
    let mut acc = 0;
    for (d, w) in &live {
        acc += w;
        if tick < acc {
            return routable(d);
        }
    }
    Err(ArmError::no_valid_deployments())
}

fn routable(d: &DeploymentRoute) -> Result<&DeploymentRoute, ArmError> {
    match d.state {
        ProvisioningState::Succeeded => Ok(d),
        ProvisioningState::Creating | ProvisioningState::Updating => Err(ArmError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            format!(
                "Deployment {} is {} and cannot take requests yet.",
                d.name,
                d.state.as_str()
            ),
        )),
        other => Err(ArmError::new(
            StatusCode::BAD_GATEWAY,
            "BadGateway",
            format!(
                "Deployment {} is {}: it is not running.",
                d.name,
                other.as_str()
            ),
        )),
    }
}

struct InFlight(Arc<std::sync::atomic::AtomicUsize>);
impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn invoke(
    state: &AppState,
    route: &EndpointRoute,
    d: &DeploymentRoute,
    body: &bytes::Bytes,
) -> Result<Response, ArmError> {
    let limit = 2
        * d.request_settings.max_concurrent_requests_per_instance as usize
        * d.instance_count.max(1) as usize;
    let before = d.in_flight.fetch_add(1, Ordering::SeqCst);
    let _guard = InFlight(d.in_flight.clone());
    if before >= limit {
        return Err(ArmError::new(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests", format!("Too many pending requests for deployment {}: more than {limit} (2 × maxConcurrentRequestsPerInstance × instanceCount) are in flight.", d.name))
            .with_header("ms-azureml-model-error-reason", "too_many_pending_request")
            .with_header("azureml-model-deployment", d.name.clone()));
    }
    let timeout = Duration::from_millis(d.request_settings.request_timeout_ms);
    let target = model_target(state, d)?;
    let call = call_model(&d.name, target, body.clone());
    let answer = match tokio::time::timeout(timeout, call).await {
        Ok(a) => a,
        Err(_) => {
            return Err(ArmError::new(StatusCode::REQUEST_TIMEOUT, "RequestTimeout", format!("The model of deployment {} did not answer within requestSettings.requestTimeout ({} ms).", d.name, d.request_settings.request_timeout_ms))
                .with_header("azureml-model-deployment", d.name.clone()));
        }
    };
    state.runtimes.log(
        &d.id,
        format!(
            "{} POST /score {} (endpoint {})",
            crate::domain::arm_time(chrono::Utc::now()),
            answer.status,
            route.name
        ),
    );
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut resp = if status == StatusCode::OK {
        (
            StatusCode::OK,
            [("content-type", "application/json")],
            answer.body,
        )
            .into_response()
    } else {
        let mut r = (
            StatusCode::FAILED_DEPENDENCY,
            [("content-type", "application/json")],
            answer.body,
        )
            .into_response();
        put(
            r.headers_mut(),
            "ms-azureml-model-error-statuscode",
            &answer.status.to_string(),
        );
        put(
            r.headers_mut(),
            "ms-azureml-model-error-reason",
            "model_error",
        );
        r
    };
    put(resp.headers_mut(), "azureml-model-deployment", &d.name);
    Ok(resp)
}

/// Sends a copy of a weight-routed request to the mirror deployment for its configured share;
/// the answer is discarded (SPEC §4).
fn mirror(state: &AppState, route: &EndpointRoute, live: &DeploymentRoute, body: &bytes::Bytes) {
    let Some((name, pct)) = route.mirror_traffic.iter().find(|(_, p)| **p > 0) else {
        return;
    };
    let Some(d) = route
        .deployments
        .iter()
        .find(|d| d.name.eq_ignore_ascii_case(name))
    else {
        return;
    };
    if d.name.eq_ignore_ascii_case(&live.name) || d.state != ProvisioningState::Succeeded {
        return;
    }
    let tick =
        i64::try_from(route.mirror_counter.fetch_add(1, Ordering::Relaxed) % 100).unwrap_or(0);
    if tick >= *pct {
        return;
    }
    let Ok(target) = model_target(state, d) else {
        return;
    };
    // A copy takes a slot of the mirror deployment's own concurrency (maxConcurrentRequests-
    // PerInstance × instanceCount, shared with requests sent to it directly) and ends at its
    // requestTimeout, so copies to a slow deployment cannot pile up (issue 9); one over the
    // limit is dropped and logged, as the answer of a copy is discarded anyway.
    let limit = d.request_settings.max_concurrent_requests_per_instance as usize
        * d.instance_count.max(1) as usize;
    let before = d.in_flight.fetch_add(1, Ordering::SeqCst);
    let guard = InFlight(d.in_flight.clone());
    let now = crate::domain::arm_time(chrono::Utc::now());
    if before >= limit {
        drop(guard);
        tracing::warn!(deployment = %d.name, endpoint = %route.name, limit, "mirrored copy dropped: the mirror deployment is at its concurrency limit");
        state.runtimes.log(
            &d.id,
            format!("{now} POST /score: mirror copy from {} dropped, {limit} requests in flight (maxConcurrentRequestsPerInstance × instanceCount)", live.name),
        );
        return;
    }
    let (dname, did, body) = (d.name.clone(), d.id.clone(), body.clone());
    state.runtimes.log(
        &did,
        format!("{now} POST /score (mirrored from {})", live.name),
    );
    let timeout = Duration::from_millis(d.request_settings.request_timeout_ms);
    tokio::spawn(async move {
        let _guard = guard;
        if tokio::time::timeout(timeout, call_model(&dname, target, body))
            .await
            .is_err()
        {
            tracing::info!(deployment = %dname, "mirrored copy ended at requestTimeout");
        }
    });
}

/// What answers for a deployment: the mock, or its running python processes.
enum ModelTarget {
    Mock(crate::runtime::MockSettings),
    Python(
        Arc<crate::runtime::python::PythonDeployment>,
        reqwest::Client,
    ),
}

fn model_target(state: &AppState, d: &DeploymentRoute) -> Result<ModelTarget, ArmError> {
    match d.runtime {
        crate::runtime::RuntimeKind::Mock => Ok(ModelTarget::Mock(d.mock.clone())),
        crate::runtime::RuntimeKind::Python => match state.runtimes.python(&d.id) {
            Some(p) => Ok(ModelTarget::Python(p, state.runtimes.client().clone())),
            None => Err(ArmError::new(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", format!("Deployment {} is not running (its python runtime is starting or stopped); see getLogs.", d.name))),
        },
    }
}

async fn call_model(
    name: &str,
    target: ModelTarget,
    body: bytes::Bytes,
) -> crate::runtime::ModelResponse {
    match target {
        ModelTarget::Mock(settings) => crate::runtime::invoke_mock(name, &settings, &body).await,
        ModelTarget::Python(p, client) => p.invoke(&client, &body, "application/json").await,
    }
}

fn swagger_doc(endpoint: &str) -> serde_json::Value {
    serde_json::json!({
        "openapi": "3.0.1",
        "info": { "title": format!("amlite endpoint {endpoint}"), "version": "1.0" },
        "paths": { "/score": { "post": { "requestBody": { "content": { "application/json": {} } }, "responses": { "200": { "description": "OK" } } } } }
    })
}

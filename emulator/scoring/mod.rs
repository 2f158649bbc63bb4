//! The data plane (SPEC §4, §6.3): `POST {scoringUri}` and `GET …/swagger.json`.
//! Order: resolve the endpoint → inbound network decision (ISO-2/ISO-5) → auth → choose a
//! deployment (header or traffic weights) → concurrency limit (429) → call the runtime with
//! the request timeout (408) → pass the model's answer (2xx) or wrap its failure (424) →
//! mirror a share of weight-routed requests (copies count against the mirror deployment's
//! concurrency and end at its request timeout; copies over the limit are dropped and logged)
//! ([`model`]). A python deployment gets the caller's request as it came ([`forward`], issue
//! 12) and serves its own swagger. Every request logs one INFO line (SPEC §2).
pub mod auth;
pub mod cache;
pub mod errors;
pub mod forward;
pub mod load;
mod model;

use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::http::{HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::domain::ProvisioningState;
use crate::error::ArmError;
use crate::http::Request;
use crate::network::{self, InboundDecision};
use cache::{DeploymentRoute, EndpointRoute};

/// `(endpoint, region)` when the Host header is `{endpoint}.{region}.inference.ml.azure.com`.
pub fn host_form(host: &str) -> Option<(String, String)> {
    network::parse_inference_host(host)
}

/// Handles one scoring request; every failure is an ARM-style error body.
pub async fn handle(state: &AppState, req: Request) -> Response {
    let started = Instant::now();
    let client_id = sanitized(req.header("x-ms-client-request-id"));
    // SPEC §4: the request's one id (`telemetry::assign_request_id`).
    let request_id = req.request_id.clone();
    let mut resp = match score(state, &req, &request_id).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    let h = resp.headers_mut();
    put(h, "x-request-id", &request_id);
    if !client_id.is_empty() {
        put(h, "x-ms-client-request-id", &client_id);
    }
    // SPEC §2: one line per request at the default level (issue 12).
    let deployment = resp
        .headers()
        .get("azureml-model-deployment")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    tracing::info!(
        method = %req.method,
        path = %req.path,
        status = resp.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        request_id = %request_id,
        deployment = %deployment,
        "scoring request"
    );
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

/// Which endpoint a request is for: `(endpoint, route, region)`, the region from the
/// Host-header form or the `?region=` a `scoringUri` carries (see `load::route`).
fn target(req: &Request) -> Result<(String, forward::Route, Option<String>), ArmError> {
    let l: Vec<&str> = req.lower.iter().map(String::as_str).collect();
    let host = req.header("host").unwrap_or("");
    let region = req
        .q("region")
        .filter(|r| !r.is_empty())
        .map(crate::rules::names::normalize_region);
    match l.as_slice() {
        ["endpoints", _, "score", ..] => Ok((
            req.lower[1].clone(),
            forward::Route::Score(forward::score_path(&req.path, 2)),
            region,
        )),
        ["endpoints", _, "swagger.json"] => {
            Ok((req.lower[1].clone(), forward::Route::Swagger, region))
        }
        ["score", ..] | ["swagger.json"] => match host_form(host) {
            Some((ep, host_region)) => Ok((
                ep.to_ascii_lowercase(),
                if l == ["swagger.json"] {
                    forward::Route::Swagger
                } else {
                    forward::Route::Score(forward::score_path(&req.path, 0))
                },
                Some(crate::rules::names::normalize_region(&host_region)),
            )),
            None => Err(errors::unknown_scoring_path(None)),
        },
        _ => Err(errors::unknown_scoring_path(Some(&req.path))),
    }
}

async fn score(state: &AppState, req: &Request, request_id: &str) -> Result<Response, ArmError> {
    crate::lro::settle(state).await?;
    let (name, path, region) = target(req)?;
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
    let named = req
        .header("azureml-model-deployment")
        .filter(|s| !s.is_empty());
    let python = |d: &DeploymentRoute| d.runtime == crate::runtime::RuntimeKind::Python;
    if path == forward::Route::Swagger {
        // Issue 12: a python deployment serves its inference server's swagger (2.0, or 3 with
        // `?version=3`), as Azure does; the mock has amlite's own document.
        return match choose(&route, named) {
            Ok(d) if python(d) => {
                let call = forward::model_request(req, &path, request_id);
                model::invoke(state, &route, d, &call).await
            }
            _ => Ok(axum::Json(swagger_doc(&route.name)).into_response()),
        };
    }
    let only_post =
        |d: Option<&DeploymentRoute>| req.method != Method::POST && !d.is_some_and(python);
    // The mock takes POST only; a python deployment's server decides (its /score takes GET,
    // POST and OPTIONS).
    if only_post(None) && !route.deployments.iter().any(python) {
        return Err(ArmError::method_not_allowed(req.method.as_str(), &req.path));
    }
    let deployment = choose(&route, named)?;
    if only_post(Some(deployment)) {
        return Err(ArmError::method_not_allowed(req.method.as_str(), &req.path));
    }
    let call = forward::model_request(req, &path, request_id);
    let resp = model::invoke(state, &route, deployment, &call).await?;
    if named.is_none() {
        model::mirror(state, &route, deployment, &call);
    }
    Ok(resp)
}

fn inbound(state: &AppState, req: &Request, route: &EndpointRoute) -> Result<(), ArmError> {
    let decision = network::decide(
        &req.listener.network,
        &route.private_endpoints,
        &route.workspace_id,
        route.public_network_access,
        route.workspace_public_network_access,
    );
    state
        .admin
        .journal
        .inbound(&route.name, &req.listener.network, &decision);
    match decision {
        InboundDecision::Allowed { .. } => Ok(()),
        InboundDecision::Refused(r) => {
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
        let d = route
            .deployments
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(n))
            .ok_or_else(|| errors::deployment_not_in_endpoint(n, &route.name))?;
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
        return Err(errors::no_valid_deployments());
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
    Err(errors::no_valid_deployments())
}

fn routable(d: &DeploymentRoute) -> Result<&DeploymentRoute, ArmError> {
    match d.state {
        ProvisioningState::Succeeded => Ok(d),
        ProvisioningState::Creating | ProvisioningState::Updating => {
            Err(errors::deployment_not_ready(&d.name, d.state.as_str()))
        }
        other => Err(errors::deployment_not_running(&d.name, other.as_str())),
    }
}

fn swagger_doc(endpoint: &str) -> serde_json::Value {
    serde_json::json!({
        "openapi": "3.0.1",
        "info": { "title": format!("amlite endpoint {endpoint}"), "version": "1.0" },
        "paths": { "/score": { "post": { "requestBody": { "content": { "application/json": {} } }, "responses": { "200": { "description": "OK" } } } } }
    })
}

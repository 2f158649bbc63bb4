//! Calling a deployment's model (SPEC §4): the concurrency limit (429), the request timeout
//! (408), the model's answer (2xx passed through with its headers, anything else wrapped in 424)
//! and mirrored copies of weight-routed requests.
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::cache::{DeploymentRoute, EndpointRoute};
use super::put;
use crate::app::AppState;
use crate::domain::ProvisioningState;
use crate::error::ArmError;
use crate::runtime::ModelRequest;

struct InFlight(Arc<std::sync::atomic::AtomicUsize>);
impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Calls deployment `d` with `req` within its concurrency limit and request timeout.
pub async fn invoke(
    state: &AppState,
    route: &EndpointRoute,
    d: &DeploymentRoute,
    req: &ModelRequest,
) -> Result<Response, ArmError> {
    let limit = 2
        * d.request_settings.max_concurrent_requests_per_instance as usize
        * d.instance_count.max(1) as usize;
    let before = d.in_flight.fetch_add(1, Ordering::SeqCst);
    let _guard = InFlight(d.in_flight.clone());
    if before >= limit {
        return Err(super::errors::too_many_pending_requests(&d.name, limit));
    }
    let timeout = Duration::from_millis(d.request_settings.request_timeout_ms);
    let target = model_target(state, d)?;
    let call = call_model(&d.name, target, req.clone());
    let answer = match tokio::time::timeout(timeout, call).await {
        Ok(a) => a,
        Err(_) => {
            return Err(super::errors::model_timeout(
                &d.name,
                d.request_settings.request_timeout_ms,
            ));
        }
    };
    state.runtimes.log(
        &d.id,
        format!(
            "{} {} {} {} (endpoint {})",
            crate::domain::arm_time(chrono::Utc::now()),
            req.method,
            req.path_and_query,
            answer.status,
            route.name
        ),
    );
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
    // Issue 12: the server's own headers (content type, `x-ms-run-fn-exec-ms`, what an
    // `AMLResponse` set) reach the caller; the mock sets none and answers JSON.
    let mut headers = super::forward::response_headers(&answer.headers);
    if !headers.contains_key("content-type") {
        headers.insert(
            "content-type",
            axum::http::HeaderValue::from_static("application/json"),
        );
    }
    let mut resp = if status.is_success() {
        (status, headers, answer.body).into_response()
    } else {
        let mut r = (StatusCode::FAILED_DEPENDENCY, headers, answer.body).into_response();
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
pub fn mirror(state: &AppState, route: &EndpointRoute, live: &DeploymentRoute, req: &ModelRequest) {
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
    let (dname, did, req) = (d.name.clone(), d.id.clone(), req.clone());
    state.runtimes.log(
        &did,
        format!(
            "{now} {} {} (mirrored from {})",
            req.method, req.path_and_query, live.name
        ),
    );
    let timeout = Duration::from_millis(d.request_settings.request_timeout_ms);
    tokio::spawn(async move {
        let _guard = guard;
        if tokio::time::timeout(timeout, call_model(&dname, target, req))
            .await
            .is_err()
        {
            tracing::info!(deployment = %dname, "mirrored copy ended at requestTimeout");
        }
    });
}

/// What answers for a deployment: the mock, or its running python processes.
pub enum ModelTarget {
    Mock(crate::runtime::MockSettings),
    Python(
        Arc<crate::runtime::python::PythonDeployment>,
        reqwest::Client,
    ),
}

pub fn model_target(state: &AppState, d: &DeploymentRoute) -> Result<ModelTarget, ArmError> {
    match d.runtime {
        crate::runtime::RuntimeKind::Mock => Ok(ModelTarget::Mock(d.mock.clone())),
        crate::runtime::RuntimeKind::Python => match state.runtimes.python(&d.id) {
            Some(p) => Ok(ModelTarget::Python(p, state.runtimes.client().clone())),
            None => Err(super::errors::runtime_not_running(&d.name)),
        },
    }
}

/// Sends `req` to the target: the mock reads only the body, python gets the whole request.
pub async fn call_model(
    name: &str,
    target: ModelTarget,
    req: ModelRequest,
) -> crate::runtime::ModelResponse {
    match target {
        ModelTarget::Mock(settings) => {
            crate::runtime::invoke_mock(name, &settings, &req.body).await
        }
        ModelTarget::Python(p, client) => p.invoke(&client, &req).await,
    }
}

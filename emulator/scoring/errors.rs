//! The scoring data plane's named errors (SPEC §4): Azure's texts where Azure documents them,
//! amlite's where it has to say what to change. Every scoring refusal is built here.
use axum::http::StatusCode;

use crate::error::ArmError;

/// 404 for a scoring request to an endpoint name that does not exist (SPEC §4).
pub fn scoring_endpoint_not_found(name: &str) -> ArmError {
    ArmError::new(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!("Endpoint {name} not found."),
    )
}

/// 404 for a scoring request naming a region (host or `?region=`) where no endpoint of
/// that name exists; `regions` lists where it does.
pub fn endpoint_not_in_region(name: &str, region: &str, regions: &str) -> ArmError {
    let known = if regions.is_empty() {
        String::new()
    } else {
        format!(" It exists in: {regions}; use the scoringUri of the endpoint you mean.")
    };
    ArmError::new(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!("Endpoint {name} not found in region {region}.{known}"),
    )
}

/// 404 for a scoring request without a region to a name several regions have and none
/// was first (the first one was deleted): the caller must name the region.
pub fn endpoint_ambiguous(name: &str, regions: &str) -> ArmError {
    ArmError::new(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!("Endpoint {name} exists in several regions ({regions}): use its scoringUri, which names the region (?region=...)."),
    )
}

/// 404 when no deployment can take a scoring request (SPEC §4).
pub fn no_valid_deployments() -> ArmError {
    ArmError::new(
        StatusCode::NOT_FOUND,
        "NotFound",
        "No valid deployments to route to. Please check that the endpoint has at least one deployment with positive weight values or use a deployment specific header to route.",
    )
}

/// 404 for a path under the scoring host that is not `/score` or `/swagger.json`.
pub fn unknown_scoring_path(path: Option<&str>) -> ArmError {
    let message = match path {
        None => "Unknown scoring path.".to_string(),
        Some(p) => format!("Unknown scoring path {p}: use {{scoringUri}} from the endpoint."),
    };
    ArmError::new(StatusCode::NOT_FOUND, "NotFound", message)
}

/// 404 for an `azureml-model-deployment` header naming no deployment of the endpoint.
pub fn deployment_not_in_endpoint(deployment: &str, endpoint: &str) -> ArmError {
    ArmError::new(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!("Deployment {deployment} not found in endpoint {endpoint}: check the azureml-model-deployment header."),
    )
}

/// 503 for a deployment still `Creating` or `Updating`.
pub fn deployment_not_ready(deployment: &str, state: &str) -> ArmError {
    ArmError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "ServiceUnavailable",
        format!("Deployment {deployment} is {state} and cannot take requests yet."),
    )
}

/// 502 for a deployment that `Failed`, was `Canceled` or is being deleted.
pub fn deployment_not_running(deployment: &str, state: &str) -> ArmError {
    ArmError::new(
        StatusCode::BAD_GATEWAY,
        "BadGateway",
        format!("Deployment {deployment} is {state}: it is not running."),
    )
}

/// 429 when more than 2 × maxConcurrentRequestsPerInstance × instanceCount requests are in
/// flight (Azure's `too_many_pending_request` reason header).
pub fn too_many_pending_requests(deployment: &str, limit: usize) -> ArmError {
    ArmError::new(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests", format!("Too many pending requests for deployment {deployment}: more than {limit} (2 × maxConcurrentRequestsPerInstance × instanceCount) are in flight."))
        .with_header("ms-azureml-model-error-reason", "too_many_pending_request")
        .with_header("azureml-model-deployment", deployment.to_string())
}

/// 408 when the model does not answer within `requestSettings.requestTimeout`.
pub fn model_timeout(deployment: &str, timeout_ms: u64) -> ArmError {
    ArmError::new(StatusCode::REQUEST_TIMEOUT, "RequestTimeout", format!("The model of deployment {deployment} did not answer within requestSettings.requestTimeout ({timeout_ms} ms)."))
        .with_header("azureml-model-deployment", deployment.to_string())
}

/// 503 when a python deployment's inference server is starting or stopped.
pub fn runtime_not_running(deployment: &str) -> ArmError {
    ArmError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "ServiceUnavailable",
        format!("Deployment {deployment} is not running (its python runtime is starting or stopped); see getLogs."),
    )
}

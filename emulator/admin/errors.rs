//! The admin API's own errors (not Azure's, but in the ARM envelope like every amlite error).
use axum::http::StatusCode;

use crate::error::ArmError;

/// 400 `MissingParameter`: the query parameter `name` (of the form `form`) is required.
pub fn missing_parameter(name: &str, form: &str) -> ArmError {
    ArmError::new(
        StatusCode::BAD_REQUEST,
        "MissingParameter",
        format!("The query parameter '{name}' is required: {name}={form}."),
    )
    .with_target(name)
}

/// 400 `InvalidAdminRequest`: a body the admin route cannot use, and why.
pub fn invalid_body(route: &str, why: impl std::fmt::Display) -> ArmError {
    ArmError::new(
        StatusCode::BAD_REQUEST,
        "InvalidAdminRequest",
        format!("{route}: {why}"),
    )
}

/// 400 `AmbiguousDeployment`: several endpoints have a deployment of this name.
pub fn ambiguous_deployment(name: &str) -> ArmError {
    ArmError::new(
        StatusCode::BAD_REQUEST,
        "AmbiguousDeployment",
        format!("More than one endpoint has a deployment named '{name}': pass ENDPOINT/{name}."),
    )
}

/// 404 `OperationNotParked`: the operation is not waiting for `complete` (unknown, finished,
/// or not under a `manual`/`afterPolls` policy).
pub fn not_parked(id: &str) -> ArmError {
    ArmError::new(
        StatusCode::NOT_FOUND,
        "OperationNotParked",
        format!("Operation '{id}' is not waiting to be completed: it is unknown, already finished, or was not created under a manual or afterPolls policy (POST /_amlite/lro)."),
    )
}

/// The error an armed fault rule (`POST /_amlite/faults`) answers with: the rule's status, code
/// and message, and its `Retry-After` when it names one.
pub fn injected(status: u16, code: &str, message: String, retry_after: Option<u32>) -> ArmError {
    let mut e = ArmError::new(
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        code,
        message,
    );
    if let Some(s) = retry_after {
        e = e.with_header("retry-after", s.to_string());
    }
    e
}

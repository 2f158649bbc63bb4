//! `ArmError`: the ONE place that maps failures to an HTTP status and the ARM error envelope
//! `{"error":{"code","message","target","details":[],"additionalInfo":[]}}` (SPEC §3).
//!
//! Every Azure error amlite returns is a named constructor of this module carrying Azure's
//! status, code and message, so tests can assert exact strings and handlers never pick status
//! codes themselves: the ARM platform and request errors in `named`, the authentication ones in
//! `auth`; `convert` turns rule violations and store/file-system failures into them. This
//! file owns the type and its envelope. Depends on `rules` (the `Violation` it converts) and
//! `store` (what a failure of the data folder means), on nothing of the services.
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

mod auth;
mod convert;
mod named;

/// An error rendered as the ARM envelope.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ArmError {
    /// HTTP status.
    pub status: StatusCode,
    /// ARM error code, e.g. `ResourceNotFound`.
    pub code: String,
    /// Human readable message.
    pub message: String,
    /// The property or resource the error is about.
    pub target: Option<String>,
    /// Inner error code (Azure ML's `innerError.code`), when Azure gives one.
    pub inner_code: Option<String>,
    /// Extra response headers (e.g. `x-ms-error-code` for Blob Storage).
    pub headers: Vec<(&'static str, String)>,
    /// `details[]` entries `(code, message)` (empty for most errors).
    pub details: Vec<(String, String)>,
}

/// Result alias for handlers.
pub type ArmResult<T> = Result<T, ArmError>;

impl ArmError {
    /// A new error with the given status, code and message.
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> Self {
        ArmError {
            status,
            code: code.into(),
            message: message.into(),
            target: None,
            inner_code: None,
            headers: Vec::new(),
            details: Vec::new(),
        }
    }

    /// Sets the target property.
    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
    /// The envelope body.
    pub fn body(&self) -> Value {
        serde_json::to_value(self.envelope()).unwrap_or_default()
    }

    /// The envelope, typed.
    pub fn envelope(&self) -> ErrorResponse<'_> {
        let details = self
            .details
            .iter()
            .map(|(code, message)| ErrorDetail::of(code, message))
            .collect();
        ErrorResponse {
            error: ErrorDetail {
                target: self.target.as_deref(),
                details,
                inner_error: self.inner_code.as_deref().map(|code| InnerError { code }),
                ..ErrorDetail::of(&self.code, &self.message)
            },
        }
    }
}

/// The ARM error envelope `{"error": ErrorDetail}`.
#[derive(Debug, Serialize)]
pub struct ErrorResponse<'a> {
    /// The error.
    pub error: ErrorDetail<'a>,
}

/// common-types `ErrorDetail`, with Azure ML's `innerError`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail<'a> {
    /// Error code.
    pub code: &'a str,
    /// Message.
    pub message: &'a str,
    /// The property or resource it is about: a non-nullable string in common-types, omitted
    /// when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<&'a str>,
    /// Nested errors.
    pub details: Vec<ErrorDetail<'a>>,
    /// `additionalInfo`: always empty.
    pub additional_info: Vec<Value>,
    /// `innerError`, when Azure gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inner_error: Option<InnerError<'a>>,
}

impl<'a> ErrorDetail<'a> {
    fn of(code: &'a str, message: &'a str) -> Self {
        ErrorDetail {
            code,
            message,
            target: None,
            details: Vec::new(),
            additional_info: Vec::new(),
            inner_error: None,
        }
    }
}

/// Azure ML's `innerError`.
#[derive(Debug, Serialize)]
pub struct InnerError<'a> {
    /// Inner code.
    pub code: &'a str,
}

impl IntoResponse for ArmError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, axum::Json(self.envelope())).into_response();
        let h = resp.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&self.code) {
            h.insert("x-ms-error-code", v);
        }
        for (name, value) in &self.headers {
            if let Ok(v) = HeaderValue::from_str(value) {
                h.insert(*name, v);
            }
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_is_common_types_error_detail() {
        let plain = ArmError::conflict("busy");
        assert_eq!(
            plain.body(),
            serde_json::json!({ "error": { "code": "Conflict", "message": "busy",
                "details": [], "additionalInfo": [] } })
        );
        let mut full = ArmError::bad_property("properties.x", "bad").with_target("properties.y");
        full.inner_code = Some("Inner".into());
        full.details = vec![("C".into(), "m".into())];
        let body = full.body();
        assert_eq!(body["error"]["target"], "properties.y");
        assert_eq!(
            body["error"]["innerError"],
            serde_json::json!({ "code": "Inner" })
        );
        assert_eq!(
            body["error"]["details"],
            serde_json::json!([{ "code": "C", "message": "m", "details": [], "additionalInfo": [] }])
        );
        assert_eq!(body["error"].as_object().map(|o| o.len()), Some(6));
    }
}

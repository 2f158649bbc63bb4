//! The Blob Storage errors of request authorization (issue 9), with Azure Storage's codes and
//! texts ("Common REST API error codes", "SAS error codes"): the XML body carries the message
//! followed by `RequestId:` and `Time:` lines, and `AuthenticationFailed` an
//! `<AuthenticationErrorDetail>`, as the service sends them.
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// `AuthenticationFailed` (403): a Shared Key or SAS that does not verify.
pub const AUTHENTICATION_FAILED: &str = "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.";
/// `AuthorizationPermissionMismatch` (403): the SAS lacks the permission the operation needs.
pub const PERMISSION_MISMATCH: &str =
    "This request is not authorized to perform this operation using this permission.";
/// `AuthorizationResourceTypeMismatch` (403): the account SAS lacks the resource type.
pub const RESOURCE_TYPE_MISMATCH: &str =
    "This request is not authorized to perform this operation using this resource type.";
/// `AuthorizationServiceMismatch` (403): the account SAS is not for the Blob service.
pub const SERVICE_MISMATCH: &str =
    "This request is not authorized to perform this operation using this service.";
/// `AuthorizationProtocolMismatch` (403): the SAS allows only HTTP; amlite serves HTTPS.
pub const PROTOCOL_MISMATCH: &str =
    "This request is not authorized to perform this operation using this protocol.";
/// `ResourceNotFound` (404): what Azure answers a request with no credentials on a private
/// container, so that anonymous callers cannot tell which containers exist.
pub const RESOURCE_NOT_FOUND: &str = "The specified resource does not exist.";

/// A refused Blob request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// HTTP status.
    pub status: StatusCode,
    /// `x-ms-error-code`.
    pub code: &'static str,
    /// Message (without the RequestId/Time lines).
    pub message: &'static str,
    /// `AuthenticationErrorDetail`, when Azure gives one.
    pub detail: Option<String>,
}

impl Refusal {
    /// 403 `AuthenticationFailed` with its detail.
    pub fn authentication_failed(detail: impl Into<String>) -> Self {
        Self::forbidden(
            "AuthenticationFailed",
            AUTHENTICATION_FAILED,
            Some(detail.into()),
        )
    }
    /// 403 `AuthorizationPermissionMismatch`.
    pub fn permission_mismatch() -> Self {
        Self::forbidden("AuthorizationPermissionMismatch", PERMISSION_MISMATCH, None)
    }
    /// 403 `AuthorizationResourceTypeMismatch`.
    pub fn resource_type_mismatch() -> Self {
        Self::forbidden(
            "AuthorizationResourceTypeMismatch",
            RESOURCE_TYPE_MISMATCH,
            None,
        )
    }
    /// 403 `AuthorizationServiceMismatch`.
    pub fn service_mismatch() -> Self {
        Self::forbidden("AuthorizationServiceMismatch", SERVICE_MISMATCH, None)
    }
    /// 403 `AuthorizationProtocolMismatch`.
    pub fn protocol_mismatch() -> Self {
        Self::forbidden("AuthorizationProtocolMismatch", PROTOCOL_MISMATCH, None)
    }
    /// 404 `ResourceNotFound` for a request without credentials.
    pub fn anonymous() -> Self {
        Refusal {
            status: StatusCode::NOT_FOUND,
            code: "ResourceNotFound",
            message: RESOURCE_NOT_FOUND,
            detail: None,
        }
    }

    fn forbidden(code: &'static str, message: &'static str, detail: Option<String>) -> Self {
        Refusal {
            status: StatusCode::FORBIDDEN,
            code,
            message,
            detail,
        }
    }

    /// The XML response; `x-ms-request-id` matches the `RequestId:` line.
    pub fn into_response(self, now: chrono::DateTime<chrono::Utc>, request_id: &str) -> Response {
        // Storage prints seven fractional digits (`2016-08-08T08:11:13.7348778Z`).
        let time = format!(
            "{}.{:07}Z",
            now.format("%Y-%m-%dT%H:%M:%S"),
            now.timestamp_subsec_nanos() / 100
        );
        let detail = self
            .detail
            .as_deref()
            .map(|d| {
                format!(
                    "<AuthenticationErrorDetail>{}</AuthenticationErrorDetail>",
                    super::xml_escape(d)
                )
            })
            .unwrap_or_default();
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{}</Code><Message>{}\nRequestId:{request_id}\nTime:{time}</Message>{detail}</Error>",
            self.code,
            super::xml_escape(self.message)
        );
        let mut r = (self.status, [("content-type", "application/xml")], body).into_response();
        let h = r.headers_mut();
        h.insert("x-ms-error-code", HeaderValue::from_static(self.code));
        if let Ok(v) = HeaderValue::from_str(request_id) {
            h.insert("x-ms-request-id", v);
        }
        h.insert("x-ms-version", HeaderValue::from_static(super::API_VERSION));
        r
    }
}

//! `ArmError`: the ONE place that maps failures to an HTTP status and the ARM error envelope
//! `{"error":{"code","message","target","details":[],"additionalInfo":[]}}` (SPEC §3).
//!
//! Every Azure error amlite returns is a named constructor here carrying Azure's status, code and
//! message, so tests can assert exact strings and handlers never pick status codes themselves.
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::rules::Violation;

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

    /// 400 `MissingApiVersionParameter` (ARM platform behaviour).
    pub fn missing_api_version() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
        .with_target("api-version")
    }

    /// 400 `InvalidApiVersionParameter` (only with `--api-versions strict`).
    pub fn invalid_api_version(v: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidApiVersionParameter",
            format!("The api-version '{v}' is invalid. The supported versions are listed in amlite's README."),
        )
        .with_target("api-version")
    }

    /// 404 `ResourceNotFound` for an ARM resource type and name.
    pub fn not_found(kind: &str, name: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!("The Resource '{kind}/{name}' under the given scope was not found."),
        )
    }

    /// 404 `ResourceNotFound` as ARM's gateway answers it for a missing resource under a
    /// resource group: the provider, every type/name pair after `providers/`, and the group.
    /// Recorded Azure traffic (`test_online_endpoint_delete_nonexisting_endpoint`,
    /// `test_online_endpoint_invoke`: workspaces, endpoints and deployments alike) answers
    /// `The Resource 'Microsoft.MachineLearningServices/workspaces/{ws}/onlineEndpoints/{e}'
    /// under resource group '{rg}' was not found. For more details please go to
    /// https://aka.ms/ARMResourceNotFoundFix` (SPEC §3's `UserError` for deployments is wrong).
    pub fn resource_not_found(id: &str) -> Self {
        let lower = id.to_ascii_lowercase();
        let rg_at = lower
            .find("/resourcegroups/")
            .map(|i| i + "/resourcegroups/".len());
        let (rg, chain) = match rg_at {
            Some(start) => {
                let rest = &id[start..];
                let rg = rest.split('/').next().unwrap_or_default();
                let chain = lower[start..]
                    .find("/providers/")
                    .map(|i| &rest[i + "/providers/".len()..])
                    .unwrap_or(rest);
                (rg, chain)
            }
            None => ("", id.trim_start_matches('/')),
        };
        Self::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!("The Resource '{chain}' under resource group '{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"),
        )
    }

    /// 404 `UserError` for a missing asset container (`models/{n}`, `environments/{n}`,
    /// `codes/{n}`): Azure ML answers these itself, not ARM. Texts as recorded by the Azure CLI
    /// `ml` tests (`test_model_*`: "The specified resource was not found."; `test_environment_*`:
    /// "No environment exists for name: {n}, version: , label: ").
    pub fn asset_not_found(collection: &str, name: &str) -> Self {
        let message = if collection.eq_ignore_ascii_case("environments") {
            format!("No environment exists for name: {name}, version: , label: ")
        } else {
            "The specified resource was not found.".to_string()
        };
        Self::new(StatusCode::NOT_FOUND, "UserError", message)
    }

    /// 404 `ResourceGroupNotFound`.
    pub fn resource_group_not_found(rg: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "ResourceGroupNotFound",
            format!("Resource group '{rg}' could not be found."),
        )
    }

    /// 404 `SubscriptionNotFound`.
    pub fn subscription_not_found(s: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "SubscriptionNotFound",
            format!("The subscription '{s}' could not be found."),
        )
    }

    /// 400 `InvalidFilterInQueryString`: a resource list `$filter` ARM (or amlite: `eq` clauses
    /// on `resourceGroup`, `resourceType`, `name`, `location` joined by `and`) does not take.
    pub fn invalid_filter(filter: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidFilterInQueryString",
            format!("Invalid $filter '{filter}' specified in the query string."),
        )
    }

    /// 404 `InvalidResourceNamespace`: a provider namespace ARM does not know (amlite: one it
    /// does not serve).
    pub fn invalid_resource_namespace(ns: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "InvalidResourceNamespace",
            format!("The resource namespace '{ns}' is invalid."),
        )
    }

    /// 404 for a path amlite does not serve.
    pub fn no_route(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NoRegisteredProviderFound",
            format!("No route for {method} {path}: amlite does not emulate this operation."),
        )
    }

    /// 400 `NoRegisteredProviderFound` for a path that is neither ARM, scoring nor Blob Storage
    /// (Azure's sentence, then where amlite serves what).
    pub fn no_registered_provider(first_segment: &str, api_version: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "NoRegisteredProviderFound",
            format!("No registered resource provider found for location 'global' and API version '{api_version}' for type '{first_segment}'. amlite serves ARM under /subscriptions/, scoring under /endpoints/{{name}}/score, Blob Storage under /{{storage account}}/{{container}}/ and its admin API under /_amlite/."),
        )
    }

    /// 405 for a known path with a method it does not take.
    pub fn method_not_allowed(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("The method {method} is not allowed on {path}."),
        )
    }

    /// 400 `InvalidRequestContent` for a body that is not the JSON the operation takes.
    pub fn invalid_body(detail: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: {detail}"),
        )
    }

    /// 400 `BadRequest` for a property with a wrong value.
    pub fn bad_property(target: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequest", message).with_target(target)
    }

    /// 400 `BadRequest` for a `codeConfiguration.scoringScript` (or another path into the
    /// deployment's code) that could name a file outside the code folder. Azure documents the
    /// value as "the scoring script file path relative to the code directory" (azure-ai-ml
    /// `CodeConfiguration`; REST: "The script to execute on startup. eg. \"score.py\"").
    pub fn invalid_code_path(target: &str, value: &str, why: &str) -> Self {
        let value: String = value
            .chars()
            .filter(|c| !c.is_control())
            .take(260)
            .collect();
        Self::bad_property(
            target,
            format!("The value '{value}' of '{target}' is invalid: {why}. It must be a file path relative to the code directory, such as 'score.py' or 'src/score.py'."),
        )
    }

    /// 400 `InvalidResourceName` for a name with path separators or other characters ARM refuses.
    pub fn invalid_name(kind: &str, name: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidResourceName",
            format!("The {kind} name '{name}' is invalid: it must not be empty or contain '/', '\\', '..', '?', '#' or control characters."),
        )
    }

    /// 400 `InvalidResourceName` for a path or query whose percent-decoding is not UTF-8
    /// (ARM and scoring paths; Blob Storage answers `blob::invalid_uri`).
    pub fn not_utf8() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidResourceName",
            "The request path or query is not valid UTF-8 once percent-decoded: encode names as UTF-8 (e.g. 'é' is %C3%A9).",
        )
    }

    /// 405 for `CONNECT`: amlite's listeners serve ARM, scoring and Blob Storage, they are not
    /// HTTP proxies (each python deployment has its own egress proxy in `HTTP_PROXY`).
    pub fn connect_not_supported() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The method CONNECT is not allowed: amlite's listeners are not proxies. Send ARM, scoring and Blob Storage requests to them directly.",
        )
    }

    /// 409 `Conflict` while another long-running operation on the resource is in flight.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "Conflict", message)
    }

    /// 413 for a body over the configured limit.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            format!("The request body is larger than the limit of {limit} bytes."),
        )
    }

    /// 408 `RequestTimeout` for a request body that stopped arriving (`--idle-timeout`); the
    /// connection is closed.
    pub fn body_timeout(idle: std::time::Duration) -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "RequestTimeout",
            format!(
                "The request body did not arrive: the client sent nothing for {} (--idle-timeout).",
                humantime::format_duration(idle)
            ),
        )
        .with_header("connection", "close")
    }

    /// 507 when the data folder's file system is full (`SQLITE_FULL`, `ENOSPC`): nothing of
    /// the request was stored, and amlite recovers by itself once space is freed (issue 9).
    pub fn storage_full() -> Self {
        Self::new(
            StatusCode::INSUFFICIENT_STORAGE,
            "InsufficientStorage",
            "amlite could not store this request: the file system holding its data folder is full (database or disk is full). Nothing of this request was stored; free space there and retry.",
        )
        .with_header("retry-after", "10")
    }

    /// 503 when the data folder cannot be read or written (`SQLITE_IOERR`, other I/O errors):
    /// nothing of the request was stored; the client may retry.
    pub fn storage_unavailable(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "data folder I/O error");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            format!("amlite could not store this request: the data folder failed an I/O operation ({detail}). Nothing of this request was stored; check the file system holding the data folder and retry."),
        )
        .with_header("retry-after", "10")
    }

    /// The envelope for a data-folder file-system error (507 when full, 503 otherwise).
    pub fn from_io(e: &std::io::Error) -> Self {
        match crate::store::StorageFailure::from_io(e) {
            crate::store::StorageFailure::Full => Self::storage_full(),
            crate::store::StorageFailure::Io => Self::storage_unavailable(e),
        }
    }

    /// 401 for a failed data-plane authentication (SPEC §4). `reason` is Azure's reason token,
    /// e.g. `key_auth_access_denied`.
    pub fn unauthorized(reason: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, reason, message)
    }

    /// 401 `AuthenticationFailed`: no bearer token on a control-plane call (`--auth strict`).
    pub fn authentication_failed() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing: send 'Authorization: Bearer <token>' (amlite runs with --auth strict).",
        )
    }

    /// 401 `InvalidAuthenticationToken`: a bearer token amlite did not issue (unsigned, signed by
    /// another key, not a JWT, another tenant, no integer `exp`).
    pub fn invalid_token(why: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            format!("The access token is invalid: {why}. Get one from amlite's token endpoint (AZURE_CLIENT_ID / AZURE_CLIENT_SECRET in env.sh) or managed-identity route (IDENTITY_ENDPOINT), or use --auth lenient."),
        )
    }

    /// 401 `ExpiredAuthenticationToken` with ARM's text (times as ARM prints them).
    pub fn expired_token(exp: i64, now: i64) -> Self {
        let show = |t: i64| {
            chrono::DateTime::from_timestamp(t, 0)
                .map(|d| d.format("%-m/%-d/%Y %-I:%M:%S %p").to_string())
                .unwrap_or_else(|| t.to_string())
        };
        Self::new(
            StatusCode::UNAUTHORIZED,
            "ExpiredAuthenticationToken",
            format!(
                "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
                show(exp),
                show(now)
            ),
        )
    }

    /// 401 `InvalidAuthenticationTokenAudience` with ARM's text.
    pub fn wrong_audience(aud: &str, allowed: &[String]) -> Self {
        let list: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
        Self::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationTokenAudience",
            format!("The access token has been obtained for wrong audience or resource '{aud}'. It should exactly match with one of the allowed audiences {}.", list.join(",")),
        )
    }

    /// 401 `InvalidAuthenticationTokenTenant`: the token's issuer is not amlite's (ARM's text).
    pub fn wrong_issuer(iss: &str, expected: &str, authority: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationTokenTenant",
            format!("The access token is from the wrong issuer '{iss}'. It must match the tenant '{expected}' associated with this subscription. Please use the authority (URL) '{authority}' to get the token."),
        )
    }

    /// 403 when the inbound decision refuses a scoring call (SPEC §6.3, ISO-2/ISO-5).
    pub fn forbidden(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    /// 500 for a failure inside amlite (database, file system). Never for bad input.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            format!("amlite failed internally: {detail}"),
        )
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The envelope body.
    pub fn body(&self) -> Value {
        let details: Vec<Value> = self
            .details
            .iter()
            .map(|(code, message)| {
                json!({ "code": code, "message": message, "details": [], "additionalInfo": [] })
            })
            .collect();
        let mut error = json!({
            "code": self.code,
            "message": self.message,
            "details": details,
            "additionalInfo": [],
        });
        // `ErrorDetail.target` is a non-nullable string in common-types: omit it when unset.
        if let Some(target) = &self.target {
            error["target"] = json!(target);
        }
        if let Some(inner) = &self.inner_code {
            error["innerError"] = json!({ "code": inner });
        }
        json!({ "error": error })
    }
}

impl From<Violation> for ArmError {
    /// A rule violation keeps the status, code and message the rule gives (SPEC §5).
    fn from(v: Violation) -> Self {
        let status = StatusCode::from_u16(v.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut e = ArmError::new(status, v.code, v.message);
        e.target = v.target;
        e.inner_code = v.inner_code.map(str::to_string);
        e.details = v
            .detail
            .map(|(code, message)| vec![(code.to_string(), message)])
            .unwrap_or_default();
        e
    }
}

impl From<sqlx::Error> for ArmError {
    /// A constraint the database enforces lost a race with a concurrent request (a second
    /// update while one is in flight, a parent deleted while a child was being written): 409
    /// `Conflict`, never a 500. Anything else is amlite's own failure.
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            match db.kind() {
                // migrations/0002: one create/update operation in flight per resource.
                sqlx::error::ErrorKind::UniqueViolation => {
                    return ArmError::conflict("Another operation on this resource is in progress; wait for it to finish and retry.");
                }
                sqlx::error::ErrorKind::ForeignKeyViolation => {
                    return ArmError::conflict("The parent resource was deleted by a concurrent request; retry the request.");
                }
                _ => {}
            }
        }
        match crate::store::storage_failure(&e) {
            Some(crate::store::StorageFailure::Full) => ArmError::storage_full(),
            Some(crate::store::StorageFailure::Io) => ArmError::storage_unavailable(&e),
            None => ArmError::internal(e),
        }
    }
}

impl IntoResponse for ArmError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, axum::Json(self.body())).into_response();
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

//! The named ARM errors of the platform and of request handling: api-version, missing
//! resources, routing, bodies, names, size and time limits, the data folder, amlite's own
//! failures. Azure's status, code and text, once.
use axum::http::StatusCode;

use super::ArmError;

impl ArmError {
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

    /// 400 `InvalidRequestContent` for a body that could not be read as HTTP (a malformed
    /// chunk); hyper closes the connection after it.
    pub fn body_unreadable(detail: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            format!("The request body could not be read: {detail}"),
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

    /// 500 for a failure inside amlite (database, file system). Never for bad input.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            format!("amlite failed internally: {detail}"),
        )
    }
}

//! The replies that start or report a long-running operation (SPEC §3): `Azure-AsyncOperation`,
//! `Location`, `Retry-After` and `x-ms-async-operation-timeout`, as ARM sends them.
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::http::{json_reply, Request};
use crate::store::OperationRow;

fn set(h: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        h.insert(name, v);
    }
}

/// An `Azure-AsyncOperation` reply (endpoint/deployment PUT with the body).
pub fn async_operation_reply(
    body: &Value,
    req: &Request,
    sub: &str,
    op: &OperationRow,
) -> Response {
    let api = req.q("api-version").unwrap_or(super::DEFAULT_API_VERSION);
    // Azure answers 201 to every PUT of an online endpoint or deployment, an update too, with
    // `Location` naming the resource (recorded: `test_online_endpoint_mir`,
    // `test_online_endpoint_invoke`).
    let mut resp = json_reply(StatusCode::CREATED, body);
    let h = resp.headers_mut();
    set(
        h,
        "azure-asyncoperation",
        &super::status_url(&req.listener.base_url, sub, op, api),
    );
    set(h, "location", &resource_url(body, req, api));
    set(h, "x-ms-async-operation-timeout", "PT1H");
    set(h, "retry-after", "1");
    resp
}

/// The URL of the resource `body` renders (its `id`, else the request's path) at `api`.
fn resource_url(body: &Value, req: &Request, api: &str) -> String {
    let path = body.get("id").and_then(Value::as_str).unwrap_or(&req.path);
    format!("{}{path}?api-version={api}", req.listener.base_url)
}

/// A synchronous create: 201 with the body and `Location` naming the new resource (recorded
/// Azure: model, code and environment version PUTs, e.g. `test_online_deployment_get_logs`).
pub fn created_reply(body: &Value, req: &Request) -> Response {
    let api = req.q("api-version").unwrap_or(super::DEFAULT_API_VERSION);
    let mut resp = json_reply(StatusCode::CREATED, body);
    set(
        resp.headers_mut(),
        "location",
        &resource_url(body, req, api),
    );
    resp
}

/// A `Location` reply (PATCH, DELETE, POST actions: 202 with no body).
pub fn location_reply(req: &Request, sub: &str, op: &OperationRow) -> Response {
    let api = req.q("api-version").unwrap_or(super::DEFAULT_API_VERSION);
    let mut resp = StatusCode::ACCEPTED.into_response();
    let h = resp.headers_mut();
    set(
        h,
        "location",
        &super::result_url(&req.listener.base_url, sub, op, api),
    );
    set(
        h,
        "azure-asyncoperation",
        &super::status_url(&req.listener.base_url, sub, op, api),
    );
    set(h, "retry-after", "1");
    set(h, "x-ms-async-operation-timeout", "PT1H");
    resp
}

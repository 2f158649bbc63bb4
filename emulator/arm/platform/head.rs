//! `HEAD` on a resource group or any resource id (`az group exists`, `check_existence`,
//! `check_existence_by_id`): ARM answers 204 when the `GET` of the same path would succeed and
//! 404 when it would not, with no body either way; other refusals (a missing api-version, a
//! failed token check) keep their status.
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::ArmResult;
use crate::http::Request;

/// The `GET` that a `HEAD` asks about: the same path, query, headers and listener, no body.
pub fn as_get(req: &Request) -> Request {
    Request {
        method: Method::GET,
        path: req.path.clone(),
        segs: req.segs.clone(),
        lower: req.lower.clone(),
        query: req.query.clone(),
        headers: req.headers.clone(),
        body: axum::body::Bytes::new(),
        listener: req.listener.clone(),
        request_id: req.request_id.clone(),
        create_only: req.create_only,
    }
}

/// The `HEAD` answer for what the `GET` gave: 204 for a success, the bare status otherwise.
pub fn answer(get: ArmResult<Response>) -> Response {
    let status = match get {
        Ok(r) if r.status().is_success() => StatusCode::NO_CONTENT,
        Ok(r) => r.status(),
        Err(e) => e.status,
    };
    status.into_response()
}

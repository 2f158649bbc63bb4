//! What the scoring front end hands a python deployment's inference server, and what it hands
//! back (issue 12, SPEC §4): like Azure's front end it passes the caller's method, path below
//! `score`, query, body and headers through unchanged (a `multipart/form-data` body keeps its
//! boundary), adds its own request id (`x-request-id`, `x-ms-request-id`), and answers with the
//! server's headers and body.
//!
//! Not passed: hop-by-hop headers (RFC 9110 §7.6.1), `Host`/`Content-Length` (set for the new
//! connection), `Authorization` (the endpoint's key or token is consumed by the front end and is
//! not the user code's to see) and amlite's own `?region=` routing parameter of a `scoringUri`.
use axum::http::{HeaderMap, HeaderName, HeaderValue};

use crate::http::Request;
use crate::runtime::ModelRequest;

/// Headers that describe one connection, never forwarded either way.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

/// Which document of the inference server a request is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `…/score` and anything below it: the path the server sees (`/score`, `/score/x`).
    Score(String),
    /// `…/swagger.json` (`?version=2|3` passed through).
    Swagger,
}

impl Route {
    /// The server's path for this route.
    pub fn path(&self) -> &str {
        match self {
            Route::Score(p) => p,
            Route::Swagger => "/swagger.json",
        }
    }
}

/// The raw path below the segment at `index` (0-based, of the decoded segments) of `raw_path`,
/// as `/score` + the rest (`/score/a/b`): raw, so percent-encoding reaches the server unchanged.
pub fn score_path(raw_path: &str, index: usize) -> String {
    let rest: Vec<&str> = raw_path
        .trim_start_matches('/')
        .split('/')
        .skip(index + 1)
        .collect();
    if rest.iter().all(|s| s.is_empty()) {
        "/score".into()
    } else {
        format!("/score/{}", rest.join("/"))
    }
}

/// The request for the inference server: the caller's, plus amlite's request id.
pub fn model_request(req: &Request, route: &Route, request_id: &str) -> ModelRequest {
    let mut headers = HeaderMap::new();
    for (name, value) in &req.headers {
        if !HOP_BY_HOP.contains(&name.as_str()) && name != "authorization" {
            headers.append(name.clone(), value.clone());
        }
    }
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert(HeaderName::from_static("x-request-id"), v.clone());
        headers.insert(HeaderName::from_static("x-ms-request-id"), v);
    }
    let query: Vec<&(String, String)> = req
        .query
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("region"))
        .collect();
    let mut path_and_query = route.path().to_string();
    if !query.is_empty() {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in query {
            s.append_pair(k, v);
        }
        path_and_query = format!("{path_and_query}?{}", s.finish());
    }
    ModelRequest {
        method: req.method.clone(),
        path_and_query,
        headers,
        body: req.body.clone(),
    }
}

/// The server's response headers worth passing to the caller (not hop-by-hop, not the length
/// of a body the front end re-frames).
pub fn response_headers(from: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (name, value) in from {
        if !HOP_BY_HOP.contains(&name.as_str()) && name != "date" && name != "server" {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_below_score_is_kept_raw() {
        assert_eq!(score_path("/endpoints/ep/score", 2), "/score");
        assert_eq!(score_path("/endpoints/ep/score/", 2), "/score");
        assert_eq!(
            score_path("/endpoints/ep/score/a%20b/c", 2),
            "/score/a%20b/c"
        );
        assert_eq!(score_path("/score/x", 0), "/score/x");
    }

    #[test]
    fn hop_by_hop_and_credentials_are_not_forwarded() {
        let mut h = HeaderMap::new();
        h.insert("connection", HeaderValue::from_static("close"));
        h.insert("x-custom", HeaderValue::from_static("1"));
        h.insert("content-length", HeaderValue::from_static("3"));
        let out = response_headers(&h);
        assert!(out.get("connection").is_none() && out.get("content-length").is_none());
        assert_eq!(out.get("x-custom").map(|v| v.as_bytes()), Some(&b"1"[..]));
    }
}

//! The single entry point of every listener: classifies each request by host and path into
//! scoring, Blob Storage, amlite's Entra routes or the control plane, and hands it over parsed.
//!
//! **Routing decision:** ARM paths and resource names are case-insensitive, axum's router is
//! not. So every request lands in [`dispatch`], which percent-decodes the path into segments,
//! lower-cases a copy, and the services match slices of it. Handlers receive both copies: the
//! lower-cased one to match, the original to store and echo. All services share one port per
//! listener, which is why the choice is made here and not by the router. This module owns the
//! request-level limits (body size, idle body, UTF-8, separators), the request id headers,
//! which non-reserved paths are Blob Storage (`blob::addressing`) and the admin API's fault
//! rules on ARM requests.
use axum::body::Body;
use axum::extract::State;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::Extension;

use crate::app::{Listener, State as AppStateRef};
use crate::error::{ArmError, ArmResult};
use crate::http::Request;

/// First path segments that belong to amlite itself or ARM; anything else is Blob Storage.
const RESERVED_ROOTS: &[&str] = &[
    "subscriptions",
    "metadata",
    "msi",
    "health",
    "endpoints",
    "score",
    "swagger.json",
    "providers",
    "tenants",
    "_amlite",
    "",
];

/// Entry point of every listener (see the module doc for why routing is done here).
pub async fn dispatch(
    State(state): State<AppStateRef>,
    Extension(listener): Extension<Listener>,
    req: axum::extract::Request,
) -> Response {
    let request_id = req
        .extensions()
        .get::<crate::telemetry::RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let path = req.uri().path().to_string();
    let (parts, body) = req.into_parts();
    let mut body = Some(body);
    let answer = handle(&state, listener, parts, &mut body, &request_id).await;
    // A request refused before its body was read (CONNECT, an unknown root, a path that is not
    // UTF-8, strict Blob auth) still has the body in the connection: read it (bounded)
    // so the connection stays usable, as Azure's front door keeps it; one too large or too slow
    // to read is answered with `Connection: close`, so the client does not send its next request
    // into a connection hyper is about to drop (seen as an SSL EOF by the next request).
    let reusable = match body.take() {
        Some(left) => drain(left, state.config.max_body, state.config.idle_timeout).await,
        // A body refused while it was read (too large, too slow) is still partly unread.
        None => !matches!(&answer, Err(e) if matches!(e.status.as_u16(), 408 | 413)),
    };
    let mut resp = match answer {
        Ok(r) => r,
        // Every envelope names a target (a string, as common-types wants): the property when
        // the handler knows it, else the path the request addressed.
        Err(mut e) => {
            if e.target.is_none() {
                e.target = Some(path);
            }
            e.into_response()
        }
    };
    if let Ok(v) = axum::http::HeaderValue::from_str(&request_id) {
        let h = resp.headers_mut();
        // A handler that already named the request (Blob errors quote it in their body) keeps it.
        if !h.contains_key("x-ms-request-id") {
            h.insert("x-ms-request-id", v.clone());
        }
        h.insert("x-ms-correlation-request-id", v.clone());
        if !h.contains_key("x-request-id") {
            h.insert("x-request-id", v);
        }
    }
    if !reusable {
        resp.headers_mut().insert(
            axum::http::header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
    }
    resp
}

/// HTTP/2 names the host in `:authority` (the request URI), not in a `Host` header: without one,
/// the URI's authority stands in for it, so everything that reads `Host` (the scoring host form,
/// Blob's account addressing, the URLs documents name) sees the same under HTTP/2 as under
/// HTTP/1.1 (host-form scoring over HTTP/2 was 404).
fn with_host_from_authority(parts: &mut axum::http::request::Parts) {
    if parts.headers.contains_key(axum::http::header::HOST) {
        return;
    }
    let host = parts
        .uri
        .authority()
        .and_then(|a| axum::http::HeaderValue::from_str(a.as_str()).ok());
    if let Some(h) = host {
        parts.headers.insert(axum::http::header::HOST, h);
    }
}

/// Routes one request. `body` is taken only once the request is accepted for reading; what is
/// left in it when this returns is drained by [`dispatch`].
async fn handle(
    state: &AppStateRef,
    listener: Listener,
    mut parts: axum::http::request::Parts,
    body: &mut Option<Body>,
    request_id: &str,
) -> ArmResult<Response> {
    with_host_from_authority(&mut parts);
    if parts.method == Method::CONNECT {
        // amlite is not a proxy (a deployment's egress proxy is): a clean 405, not a tunnel.
        tracing::info!(target_authority = %parts.uri, "CONNECT refused: amlite's listeners are not proxies");
        return Err(ArmError::connect_not_supported());
    }
    let path = crate::arm::platform::paths::normalise(parts.uri.path()).into_owned();
    // Issue 9: invalid UTF-8 is refused, never decoded lossily (`a%ff` and `a%fe` would be
    // the same name); `utf8` is checked once the kind of path is known, for its error shape.
    let decoded: Vec<Option<String>> = path
        .split('/')
        .skip(1)
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .ok()
                .map(std::borrow::Cow::into_owned)
        })
        .collect();
    let utf8 = decoded.iter().all(Option::is_some) && query_is_utf8(parts.uri.query());
    let segs: Vec<String> = decoded.into_iter().map(Option::unwrap_or_default).collect();
    let lower: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    let query = parts
        .uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let first = lower.first().map(String::as_str).unwrap_or("");
    let host = parts
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let is_scoring = first == "endpoints" || crate::scoring::host_form(host).is_some();
    let is_blob = !is_scoring
        && !RESERVED_ROOTS.contains(&first)
        && !crate::identity::routes::is_identity_path(&lower, &state.tenant_id);
    // Outside the reserved roots only what looks like Blob Storage is answered in Storage XML;
    // `/foo` or `/Subscription/…` get ARM's JSON `NoRegisteredProviderFound` (issue 13).
    if is_blob
        && !crate::blob::addressing::is_storage_request(
            state,
            &parts.headers,
            parts.uri.query(),
            &segs,
            first,
        )
        .await?
    {
        let api = crate::blob::addressing::api_version(parts.uri.query());
        return Err(ArmError::no_registered_provider(first, &api));
    }
    if !utf8 {
        tracing::info!(path = %path, "refused a path or query that is not UTF-8");
        return if is_blob {
            Ok(crate::blob::invalid_uri())
        } else {
            Err(ArmError::not_utf8())
        };
    }
    if first == "subscriptions" {
        check_segments(path.as_str(), &segs)?;
    }
    let limit = if is_blob {
        state.config.max_blob_body
    } else {
        state.config.max_body
    };
    let mut create_only = false;
    if is_blob {
        // Under --auth strict, Blob requests are authorized before their body is read (issue 9).
        match crate::blob::auth::check(
            state,
            &parts.method,
            &parts.uri,
            &parts.headers,
            &segs,
            request_id,
        )
        .await?
        {
            Ok(grant) => create_only = grant == crate::blob::auth::Grant::CreateOnly,
            Err(refused) => return Ok(refused),
        }
    }
    let Some(unread) = body.take() else {
        return Err(ArmError::internal("the request body was already read"));
    };
    let body = read_body(unread, &parts.headers, limit, state.config.idle_timeout).await?;
    let req = Request {
        method: parts.method,
        path,
        segs,
        lower,
        query,
        headers: parts.headers,
        body,
        listener,
        request_id: request_id.to_string(),
        create_only,
    };
    if is_scoring {
        return Ok(crate::scoring::handle(state, req).await);
    }
    if is_blob {
        return crate::blob::handle(state, req).await;
    }
    // A failure completing *another* operation must not fail this request (nor every later
    // one): it is logged and retried by the background provisioner.
    if crate::identity::routes::is_identity_path(&req.lower, &state.tenant_id) {
        return crate::identity::routes::handle(state, &req).await;
    }
    if let Err(e) = crate::lro::settle(state).await {
        tracing::error!(error = %e, "completing due operations failed");
    }
    if req.lower.first().is_some_and(|f| f == "subscriptions") {
        // Fault rules of the admin API (`POST /_amlite/faults`) apply to ARM requests only.
        crate::admin::apply_faults(state, &req).await?;
    }
    if matches!(req.method, Method::GET | Method::HEAD) {
        return crate::arm::handle(state, req).await;
    }
    // A write reads what it changes: it holds the write gate from its first read to its commit.
    state.writes.run(crate::arm::handle(state, req)).await
}

/// ARM resource names never contain separators once decoded: a segment such as `..%2F..%2Fx`,
/// `a%5Cb`, `..`, a control character or invalid UTF-8 is refused with 400
/// `InvalidResourceName` before any handler sees it (issue 5 input hardening), so no handler can
/// build an id that points somewhere else.
fn check_segments(raw_path: &str, segs: &[String]) -> ArmResult<()> {
    let last = segs.len().saturating_sub(1);
    for (i, (seg, raw)) in segs.iter().zip(raw_path.split('/').skip(1)).enumerate() {
        if seg.is_empty() && i == last {
            continue;
        }
        let utf8 = percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .is_ok();
        if !utf8 || !crate::domain::is_safe_name(seg) {
            return Err(ArmError::invalid_name("resource", seg));
        }
    }
    Ok(())
}

/// True when every percent-decoded name and value of the query is UTF-8.
fn query_is_utf8(query: Option<&str>) -> bool {
    query.is_none_or(|q| {
        q.split('&').flat_map(|p| p.split('=')).all(|part| {
            percent_encoding::percent_decode_str(part)
                .decode_utf8()
                .is_ok()
        })
    })
}

/// Reads and discards what is left of a refused request's body: true when it ended within
/// `limit` bytes, without a silence longer than `idle` (at most 5 s) and within 10 s in all (the
/// connection can take another request). Nothing is kept: a refused client costs no memory.
async fn drain(body: Body, limit: usize, idle: std::time::Duration) -> bool {
    use futures::StreamExt as _;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut stream = body.into_data_stream();
    let mut seen = 0usize;
    loop {
        let wait = idle
            .min(std::time::Duration::from_secs(5))
            .min(deadline.saturating_duration_since(tokio::time::Instant::now()));
        match tokio::time::timeout(wait, stream.next()).await {
            Ok(None) => return true,
            Ok(Some(Ok(chunk))) => {
                seen += chunk.len();
                if seen > limit {
                    return false;
                }
            }
            Err(_) | Ok(Some(Err(_))) => return false,
        }
    }
}

/// Reads a request body of at most `limit` bytes; a client silent for `idle` between two
/// chunks gets 408 and the connection is closed (issue 9: slow bodies must not hold it forever).
async fn read_body(
    body: Body,
    headers: &axum::http::HeaderMap,
    limit: usize,
    idle: std::time::Duration,
) -> ArmResult<axum::body::Bytes> {
    use futures::StreamExt as _;
    let declared = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ArmError::too_large(limit));
    }
    let mut stream = body.into_data_stream();
    let mut out = bytes::BytesMut::new();
    loop {
        match tokio::time::timeout(idle, stream.next()).await {
            Err(_) => return Err(ArmError::body_timeout(idle)),
            Ok(None) => return Ok(out.freeze()),
            // The connection broke off or sent a body that is not HTTP (a chunk size that is not
            // hexadecimal): nothing larger than the limit was seen, so not 413.
            Ok(Some(Err(e))) => return Err(ArmError::body_unreadable(e)),
            Ok(Some(Ok(chunk))) => {
                if out.len() + chunk.len() > limit {
                    return Err(ArmError::too_large(limit));
                }
                out.extend_from_slice(&chunk);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::with_host_from_authority;

    fn parts(uri: &str, host: Option<&str>) -> axum::http::request::Parts {
        let mut b = axum::http::Request::builder().uri(uri);
        if let Some(h) = host {
            b = b.header("host", h);
        }
        b.body(()).unwrap().into_parts().0
    }

    /// An HTTP/2 request (`:authority`, no `Host`) reads as the HTTP/1.1 one with `Host`.
    #[test]
    fn the_authority_stands_in_for_a_missing_host() {
        let mut p = parts("https://ep.eastus.inference.ml.azure.com/score", None);
        with_host_from_authority(&mut p);
        assert_eq!(p.headers["host"], "ep.eastus.inference.ml.azure.com");
    }

    /// A `Host` the caller sent is never replaced, and a path-only URI adds none.
    #[test]
    fn a_sent_host_stays_and_a_path_adds_none() {
        let mut p = parts("https://a.example/score", Some("b.example"));
        with_host_from_authority(&mut p);
        assert_eq!(p.headers["host"], "b.example");
        let mut p = parts("/score", None);
        with_host_from_authority(&mut p);
        assert!(!p.headers.contains_key("host"));
    }
}

//! Logging set-up: `tracing-subscriber` with `RUST_LOG` honoured and `--log-format json|pretty`
//! (SPEC §2). Request lines are produced by the `TraceLayer` in `startup.rs`; every request gets
//! one id first ([`assign_request_id`]), which its span, its response headers
//! (`x-ms-request-id`, `x-request-id`) and every log line under the span carry.
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber; a second call is a no-op.
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}

/// The id of one request, set before its span is made.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Middleware: gives the request its id. SPEC §4: amlite generates a GUID; like Azure's
/// inference server it keeps a caller's `x-request-id` only when that is itself a GUID (so no
/// caller text reaches logs or headers unchecked).
pub async fn assign_request_id(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| uuid::Uuid::parse_str(v.trim()).ok())
        .unwrap_or_else(uuid::Uuid::new_v4)
        .to_string();
    req.extensions_mut().insert(RequestId(id));
    next.run(req).await
}

/// The span of one request: its id, method, path and the `x-ms-client-request-id` /
/// correlation id the client sent (never keys or tokens).
pub fn request_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let header = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    tracing::info_span!(
        "request",
        request_id = %req.extensions().get::<RequestId>().map(|r| r.0.as_str()).unwrap_or(""),
        method = %req.method(),
        path = %req.uri().path(),
        client_request_id = %header("x-ms-client-request-id"),
        correlation_id = %header("x-ms-correlation-request-id"),
    )
}

//! Logging set-up: `tracing-subscriber` with `RUST_LOG` honoured and `--log-format json|pretty`
//! (SPEC §2). Request lines are produced by the `TraceLayer` in `startup.rs`.
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

/// The span of one request: method, path and the `x-ms-client-request-id` / correlation id the
/// client sent (never keys or tokens).
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
        method = %req.method(),
        path = %req.uri().path(),
        client_request_id = %header("x-ms-client-request-id"),
        correlation_id = %header("x-ms-correlation-request-id"),
    )
}

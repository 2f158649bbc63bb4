//! Logging set-up: `tracing-subscriber` with `RUST_LOG` honoured and `--log-format json|pretty`
//! (SPEC §2). Request lines are produced by the `TraceLayer` in `startup.rs`; every request gets
//! one id first ([`assign_request_id`]), which its span, its response headers
//! (`x-ms-request-id`, `x-request-id`) and every log line under the span carry.
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogFormat;

/// What is logged when `RUST_LOG` is unset or not a filter.
const DEFAULT_FILTER: &str = "info,sqlx=warn";

/// Installs the global subscriber; a second call is a no-op.
pub fn init(format: LogFormat) {
    let filter = filter(std::env::var("RUST_LOG").ok().as_deref());
    // The subscriber's own level is the filter's highest, not TRACE: the global maximum is the
    // higher of the two, and every `debug!`/`trace!` below it is then skipped by one comparison
    // (in hyper and h2 too) instead of a per-callsite lookup.
    let builder = tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_max_level(highest_level(&filter))
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().finish().with(filter).try_init(),
        LogFormat::Pretty => builder.compact().finish().with(filter).try_init(),
    };
}

/// The most verbose level `filter` lets through anywhere.
fn highest_level(filter: &Targets) -> tracing::level_filters::LevelFilter {
    filter
        .iter()
        .map(|(_, level)| level)
        .chain(filter.default_level())
        .max()
        .unwrap_or(tracing::level_filters::LevelFilter::OFF)
}

/// `RUST_LOG` as comma-separated `target=level` directives and a bare default level (the
/// `env_logger` syntax most users write); unset, empty or unreadable gives [`DEFAULT_FILTER`].
fn filter(rust_log: Option<&str>) -> Targets {
    rust_log
        .filter(|v| !v.trim().is_empty())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| DEFAULT_FILTER.parse().unwrap_or_default())
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

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::level_filters::LevelFilter;

    #[test]
    fn rust_log_directives_set_levels_per_target_and_a_bad_value_keeps_the_default() {
        let f = filter(Some("info,sqlx=warn,tower_http=debug"));
        assert!(f.would_enable("tower_http::trace", &tracing::Level::DEBUG));
        assert!(!f.would_enable("sqlx::query", &tracing::Level::INFO));
        assert!(f.would_enable("amlite::arm", &tracing::Level::INFO));
        assert!(!f.would_enable("amlite::arm", &tracing::Level::DEBUG));
        assert_eq!(highest_level(&f), LevelFilter::DEBUG);
        assert_eq!(highest_level(&filter(None)), LevelFilter::INFO);
        for unusable in [None, Some(""), Some("sqlx=loud")] {
            let d = filter(unusable);
            assert_eq!(d.default_level(), Some(LevelFilter::INFO), "{unusable:?}");
            assert!(
                !d.would_enable("sqlx::query", &tracing::Level::INFO),
                "{unusable:?}"
            );
        }
    }
}

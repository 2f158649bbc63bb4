//! Fault injection (`POST /_amlite/faults`, not Azure): the next `count` ARM requests matching
//! a method and a path fragment fail with a given ARM error code (and status), or are answered
//! late, so users can test their retry and timeout logic. Rules live in memory, are consumed in
//! the order they were added, and a reset forgets them.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::ArmError;

/// Longest latency a rule may add (keeps a mistaken rule from hanging a test run).
pub const MAX_LATENCY_MS: u64 = 60_000;

/// One rule, as posted and as listed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fault {
    /// Assigned by amlite.
    #[serde(default)]
    pub id: u64,
    /// HTTP method to match (any case); absent: every method.
    #[serde(default)]
    pub method: Option<String>,
    /// Case-insensitive fragment of the decoded path, e.g. `/onlineEndpoints/`; absent: every
    /// ARM path.
    #[serde(default)]
    pub path: Option<String>,
    /// How many matching requests it applies to (default 1).
    #[serde(default = "one")]
    pub count: u32,
    /// ARM error code to answer, e.g. `TooManyRequests`; absent: no error (latency only).
    #[serde(default)]
    pub code: Option<String>,
    /// HTTP status of the error (default from the code: 429 `TooManyRequests`, 409 `Conflict`,
    /// 503 `ServiceUnavailable`, 504 `GatewayTimeout`, 404 `*NotFound`, else 500).
    #[serde(default)]
    pub status: Option<u16>,
    /// Error message (default names the fault).
    #[serde(default)]
    pub message: Option<String>,
    /// `Retry-After` seconds on the error.
    #[serde(default)]
    pub retry_after: Option<u32>,
    /// Milliseconds to wait before answering (then the error, or the real answer).
    #[serde(default)]
    pub latency_ms: u64,
}

fn one() -> u32 {
    1
}

/// The status a code gets when the rule names none.
pub fn default_status(code: &str) -> u16 {
    match code {
        "TooManyRequests" => 429,
        "Conflict" => 409,
        "ServiceUnavailable" => 503,
        "GatewayTimeout" => 504,
        c if c.ends_with("NotFound") => 404,
        _ => 500,
    }
}

/// Why a posted rule is refused (the text of the `400 InvalidAdminRequest`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    /// Neither an error to answer nor a latency to add.
    #[error("A fault needs a `code` (an ARM error code to answer) or a `latencyMs`.")]
    NoEffect,
    /// A latency above [`MAX_LATENCY_MS`].
    #[error("latencyMs is at most {MAX_LATENCY_MS}.")]
    LatencyTooLong,
    /// A status outside 400-599.
    #[error("status {0} is not an error status (400-599).")]
    NotAnErrorStatus(u16),
    /// A count of 0.
    #[error("count must be at least 1.")]
    ZeroCount,
}

/// What a matching rule does to a request.
#[derive(Debug)]
pub struct Hit {
    /// Wait this long first.
    pub latency: Duration,
    /// Then fail with this, if any.
    pub error: Option<ArmError>,
}

/// The rules.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<Fault>>,
    next: AtomicU64,
}

impl Faults {
    /// Adds a rule after checking it; returns it with its id. Errors are the 400 message.
    pub fn add(&self, mut f: Fault) -> Result<Fault, FaultError> {
        if f.code.is_none() && f.latency_ms == 0 {
            return Err(FaultError::NoEffect);
        }
        if f.latency_ms > MAX_LATENCY_MS {
            return Err(FaultError::LatencyTooLong);
        }
        if let Some(s) = f.status.filter(|s| !(400..=599).contains(s)) {
            return Err(FaultError::NotAnErrorStatus(s));
        }
        if f.count == 0 {
            return Err(FaultError::ZeroCount);
        }
        f.id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        if let Ok(mut r) = self.rules.lock() {
            r.push(f.clone());
        }
        Ok(f)
    }

    /// The rules still armed.
    pub fn list(&self) -> Vec<Fault> {
        self.rules.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Removes every rule.
    pub fn clear(&self) {
        if let Ok(mut r) = self.rules.lock() {
            r.clear();
        }
    }

    /// The first armed rule matching `method` and `path` (decoded), consumed by one.
    pub fn take(&self, method: &str, path: &str) -> Option<Hit> {
        let mut rules = self.rules.lock().ok()?;
        let lower = path.to_ascii_lowercase();
        let i = rules.iter().position(|f| {
            f.method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
                && f.path
                    .as_deref()
                    .is_none_or(|p| lower.contains(&p.to_ascii_lowercase()))
        })?;
        let f = rules[i].clone();
        if f.count <= 1 {
            rules.remove(i);
        } else {
            rules[i].count -= 1;
        }
        drop(rules);
        Some(Hit {
            latency: Duration::from_millis(f.latency_ms),
            error: f.code.as_deref().map(|code| error_of(&f, code)),
        })
    }
}

fn error_of(f: &Fault, code: &str) -> ArmError {
    let status = f.status.unwrap_or_else(|| default_status(code));
    let message = f.message.clone().unwrap_or_else(|| {
        format!(
            "amlite injected this failure (fault {} from POST /_amlite/faults).",
            f.id
        )
    });
    super::errors::injected(status, code, message, f.retry_after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(json: serde_json::Value) -> Fault {
        serde_json::from_value(json).expect("a fault")
    }

    #[test]
    fn a_rule_fails_its_next_count_matching_requests_then_is_gone() {
        let f = Faults::default();
        f.add(fault(serde_json::json!({ "method": "put", "path": "/onlineEndpoints/", "count": 2, "code": "TooManyRequests", "retryAfter": 1 })))
            .expect("valid");
        assert!(
            f.take("GET", "/x/onlineEndpoints/e").is_none(),
            "method differs"
        );
        assert!(f.take("PUT", "/x/models/m").is_none(), "path differs");
        let hit = f.take("PUT", "/x/ONLINEENDPOINTS/e").expect("matches");
        let e = hit.error.expect("an error");
        assert_eq!(
            (e.status.as_u16(), e.code.as_str()),
            (429, "TooManyRequests")
        );
        assert!(f.take("PUT", "/x/onlineEndpoints/e").is_some());
        assert!(f.take("PUT", "/x/onlineEndpoints/e").is_none(), "used up");
    }

    #[test]
    fn invalid_rules_are_refused_and_latency_only_rules_carry_no_error() {
        let f = Faults::default();
        assert!(f.add(fault(serde_json::json!({}))).is_err());
        assert!(f
            .add(fault(serde_json::json!({ "code": "X", "status": 200 })))
            .is_err());
        assert!(f
            .add(fault(serde_json::json!({ "latencyMs": 999_999 })))
            .is_err());
        f.add(fault(serde_json::json!({ "latencyMs": 5 })))
            .expect("valid");
        let hit = f.take("GET", "/").expect("matches");
        assert!(hit.error.is_none());
        assert_eq!(hit.latency, Duration::from_millis(5));
        assert_eq!(default_status("ResourceNotFound"), 404);
    }
}

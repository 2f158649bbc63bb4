//! [`Violation`]: a refused request as every rule returns it, the SPEC rule id plus the status,
//! ARM error code and message Azure answers (`error::convert` turns it into the ARM envelope).
//! Pure: `std` only.
use std::fmt;

/// The HTTP status Azure answers a refused request with (every rule refuses with one of these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 400: the request is invalid as sent.
    BadRequest,
    /// 409: the request conflicts with the current state.
    Conflict,
}

impl Status {
    /// The numeric status.
    pub fn code(self) -> u16 {
        match self {
            Status::BadRequest => 400,
            Status::Conflict => 409,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// A refused request: which SPEC rule refused it and what Azure answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// SPEC id, e.g. `"ISO-7"`.
    pub rule: &'static str,
    /// HTTP status Azure uses.
    pub status: Status,
    /// ARM error code, e.g. `"UserError"`, `"BadRequest"`, `"BadArgument"`.
    pub code: &'static str,
    /// Human message (exact SPEC text where the SPEC gives one).
    pub message: String,
    /// The offending property, e.g. `"properties.egressPublicNetworkAccess"`.
    pub target: Option<String>,
    /// Inner error code (Azure ML's `innerError.code` / first `details[].code`).
    pub inner_code: Option<&'static str>,
    /// One `details[]` entry `(code, message)`, where Azure wraps another service's answer
    /// (e.g. `InferencingClientCallFailed`).
    pub detail: Option<(&'static str, String)>,
}

impl Violation {
    /// A violation with no target and no inner code.
    pub fn new(
        rule: &'static str,
        status: Status,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Violation {
            rule,
            status,
            code,
            message: message.into(),
            target: None,
            inner_code: None,
            detail: None,
        }
    }

    /// 400 `BadRequest`.
    pub fn bad_request(rule: &'static str, message: impl Into<String>) -> Self {
        Self::new(rule, Status::BadRequest, "BadRequest", message)
    }

    /// 400 `UserError` (Azure ML's own validation code).
    pub fn user_error(rule: &'static str, message: impl Into<String>) -> Self {
        Self::new(rule, Status::BadRequest, "UserError", message)
    }

    /// 409 `Conflict`.
    pub fn conflict(rule: &'static str, message: impl Into<String>) -> Self {
        Self::new(rule, Status::Conflict, "Conflict", message)
    }

    /// Sets the offending property.
    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Sets the inner error code.
    pub fn with_inner(mut self, inner_code: &'static str) -> Self {
        self.inner_code = Some(inner_code);
        self
    }

    /// Adds a `details[]` entry.
    pub fn with_detail(mut self, code: &'static str, message: impl Into<String>) -> Self {
        self.detail = Some((code, message.into()));
        self
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}: {}",
            self.rule, self.status, self.code, self.message
        )
    }
}

impl std::error::Error for Violation {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violation_builders() {
        let v = Violation::bad_request("CP-8", "no quota")
            .with_target("properties.instanceType")
            .with_inner("InferencingClientCreateDeploymentFailed");
        assert_eq!(v.status.code(), 400);
        assert_eq!(v.code, "BadRequest");
        assert_eq!(v.target.as_deref(), Some("properties.instanceType"));
        assert_eq!(
            v.inner_code,
            Some("InferencingClientCreateDeploymentFailed")
        );
        assert_eq!(v.to_string(), "CP-8 400 BadRequest: no quota");
        assert_eq!(Violation::conflict("CP-1", "x").status.code(), 409);
        assert_eq!(Violation::user_error("ISO-1", "x").code, "UserError");
    }
}

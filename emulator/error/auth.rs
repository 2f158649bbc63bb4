//! The named authentication and authorisation errors (ARM's texts for bearer tokens, the
//! data plane's 401/403).
use axum::http::StatusCode;

use super::ArmError;

impl ArmError {
    /// 401 for a failed data-plane authentication (SPEC §4). `reason` is Azure's reason token,
    /// e.g. `key_auth_access_denied`.
    pub fn unauthorized(reason: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, reason, message)
    }

    /// 401 `AuthenticationFailed`: no bearer token on a control-plane call (`--auth strict`).
    pub fn authentication_failed() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing: send 'Authorization: Bearer <token>' (amlite runs with --auth strict).",
        )
    }

    /// 401 `InvalidAuthenticationToken`: a bearer token amlite did not issue (unsigned, signed by
    /// another key, not a JWT, another tenant, no integer `exp`).
    pub fn invalid_token(why: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            format!("The access token is invalid: {why}. Get one from amlite's token endpoint (AZURE_CLIENT_ID / AZURE_CLIENT_SECRET in env.sh) or managed-identity route (IDENTITY_ENDPOINT), or use --auth lenient."),
        )
    }

    /// 401 `ExpiredAuthenticationToken` with ARM's text (times as ARM prints them).
    pub fn expired_token(exp: i64, now: i64) -> Self {
        let show = |t: i64| {
            chrono::DateTime::from_timestamp(t, 0)
                .map(|d| d.format("%-m/%-d/%Y %-I:%M:%S %p").to_string())
                .unwrap_or_else(|| t.to_string())
        };
        Self::new(
            StatusCode::UNAUTHORIZED,
            "ExpiredAuthenticationToken",
            format!(
                "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
                show(exp),
                show(now)
            ),
        )
    }

    /// 401 `InvalidAuthenticationTokenAudience` with ARM's text.
    pub fn wrong_audience(aud: &str, allowed: &[String]) -> Self {
        let list: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
        Self::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationTokenAudience",
            format!("The access token has been obtained for wrong audience or resource '{aud}'. It should exactly match with one of the allowed audiences {}.", list.join(",")),
        )
    }

    /// 401 `InvalidAuthenticationTokenTenant`: the token's issuer is not amlite's (ARM's text).
    pub fn wrong_issuer(iss: &str, expected: &str, authority: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationTokenTenant",
            format!("The access token is from the wrong issuer '{iss}'. It must match the tenant '{expected}' associated with this subscription. Please use the authority (URL) '{authority}' to get the token."),
        )
    }

    /// 403 when the inbound decision refuses a scoring call (SPEC §6.3, ISO-2/ISO-5).
    pub fn forbidden(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }
}

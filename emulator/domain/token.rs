//! Reading bearer tokens: the `Authorization: Bearer <token>` header and the claims of a
//! JWT-shaped token (decoded, never verified cryptographically: amlite has no keys to verify
//! against; SPEC §2.1, §4).
use base64::Engine;

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
pub fn bearer(header: Option<&str>) -> Option<&str> {
    let (scheme, token) = header?.trim().split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}

/// The claims (payload) of a `header.payload.signature` token, if it decodes as JSON.
pub fn jwt_claims(token: &str) -> Option<serde_json::Value> {
    let mut parts = token.split('.');
    let (_h, payload, _s) = (parts.next()?, parts.next()?, parts.next()?);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

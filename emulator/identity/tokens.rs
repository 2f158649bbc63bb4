//! Issuing and verifying amlite's tokens: RS256 JWTs signed with the data folder's key
//! ([`super::keys`]), with the claims Entra puts in app-only access tokens.
use jsonwebtoken::{Algorithm, Header, Validation};
use serde_json::{json, Value};

use super::keys::SigningKey;
use crate::error::ArmError;

/// A signed access token for `audience`, valid `lifetime_secs` from `now`; returns it with its
/// `exp`.
pub fn issue(
    key: &SigningKey,
    issuer: &str,
    tenant: &str,
    audience: &str,
    lifetime_secs: i64,
    now: i64,
) -> Result<(String, i64), ArmError> {
    let exp = now + lifetime_secs;
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(key.kid.clone());
    let claims = json!({
        "aud": audience, "iss": issuer, "iat": now, "nbf": now, "exp": exp,
        "tid": tenant, "oid": super::PRINCIPAL_ID, "sub": super::PRINCIPAL_ID,
        "appid": super::CLIENT_ID, "azp": super::CLIENT_ID, "idtyp": "app", "ver": "2.0"
    });
    let token = jsonwebtoken::encode(&header, &claims, &key.encoding)
        .map_err(|e| ArmError::internal(format!("signing a token: {e}")))?;
    Ok((token, exp))
}

/// The claims of `token` if it is an RS256 JWT whose signature verifies with amlite's key; else
/// why not (an unsigned `alg: none` token, another algorithm, another key, not a JWT). Claims
/// are checked separately (`domain::token::check_claims`) so every mode shares those checks.
pub fn verify_signature(key: &SigningKey, token: &str) -> Result<Value, String> {
    let mut v = Validation::new(Algorithm::RS256);
    v.validate_exp = false;
    v.validate_nbf = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    match jsonwebtoken::decode::<Value>(token, &key.decoding, &v) {
        Ok(data) => Ok(data.claims),
        Err(e) => Err(match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                "its signature does not verify with amlite's signing key".to_string()
            }
            jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => {
                "it is not signed with RS256 by amlite".to_string()
            }
            _ => {
                "it is not a JWT signed by amlite (unsigned, 'alg: none' or malformed)".to_string()
            }
        }),
    }
}

//! Issuing and verifying amlite's tokens: RS256 JWTs signed with the data folder's key
//! ([`super::keys`]), with the claims Entra puts in app-only access tokens.
use jsonwebtoken::{Algorithm, Header, Validation};
use serde_json::{json, Value};

use super::keys::SigningKey;
use super::SignatureError;
use crate::error::ArmError;

/// A signed access token for `audience`, valid `lifetime_secs` from `now`; returns it with its
/// `exp`. Issued to amlite's development client ([`super::CLIENT_ID`]).
pub fn issue(
    key: &SigningKey,
    issuer: &str,
    tenant: &str,
    audience: &str,
    lifetime_secs: i64,
    now: i64,
) -> Result<(String, i64), ArmError> {
    let subject = Subject {
        object_id: super::PRINCIPAL_ID,
        app_id: super::CLIENT_ID,
        mi_resource_id: None,
    };
    issue_as(key, issuer, tenant, audience, lifetime_secs, now, &subject)
}

/// Who a token is issued to.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// `oid` and `sub`: the service principal's object id.
    pub object_id: &'a str,
    /// `appid` and `azp`: the application (client) id.
    pub app_id: &'a str,
    /// `xms_mirid`: the ARM id of a managed identity, as Entra puts in its tokens.
    pub mi_resource_id: Option<&'a str>,
}

/// [`issue`] for `subject` (a managed identity's tokens, issue 12).
pub fn issue_as(
    key: &SigningKey,
    issuer: &str,
    tenant: &str,
    audience: &str,
    lifetime_secs: i64,
    now: i64,
    subject: &Subject<'_>,
) -> Result<(String, i64), ArmError> {
    let exp = now + lifetime_secs;
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(key.kid.clone());
    let mut claims = json!({
        "aud": audience, "iss": issuer, "iat": now, "nbf": now, "exp": exp,
        "tid": tenant, "oid": subject.object_id, "sub": subject.object_id,
        "appid": subject.app_id, "azp": subject.app_id, "idtyp": "app", "ver": "2.0"
    });
    if let Some(mirid) = subject.mi_resource_id {
        claims["xms_mirid"] = json!(mirid);
    }
    let token = jsonwebtoken::encode(&header, &claims, &key.encoding)
        .map_err(|e| ArmError::internal(format!("signing a token: {e}")))?;
    Ok((token, exp))
}

/// The claims of `token` if it is an RS256 JWT whose signature verifies with amlite's key; else
/// why not (an unsigned `alg: none` token, another algorithm, another key, not a JWT). Claims
/// are checked separately (`domain::token::check_claims`) so every mode shares those checks.
pub fn verify_signature(key: &SigningKey, token: &str) -> Result<Value, SignatureError> {
    let mut v = Validation::new(Algorithm::RS256);
    v.validate_exp = false;
    v.validate_nbf = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    match jsonwebtoken::decode::<Value>(token, &key.decoding, &v) {
        Ok(data) => Ok(data.claims),
        Err(e) => Err(match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => SignatureError::OtherKey,
            jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => SignatureError::NotRs256,
            _ => SignatureError::NotAmliteJwt,
        }),
    }
}

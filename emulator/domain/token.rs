//! Reading bearer tokens: the `Authorization: Bearer <token>` header, the claims of a
//! JWT-shaped token, and the pure checks of those claims (audience, issuer, `exp`/`nbf`; SPEC
//! §2.1, §4, issue 9). Signatures are verified in `identity::tokens`, which owns the key.
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{EndpointKeys, ResourceId};

const AML_PREFIX: &str = "amlt";

/// The signature of an AML token: HMAC-SHA256 of the lower-cased endpoint id and `exp` under
/// the endpoint's primary key (regenerating the key revokes every token).
fn aml_signature(key: &str, endpoint_id: &str, exp: i64) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.as_bytes()) else {
        return String::new();
    };
    mac.update(endpoint_id.to_ascii_lowercase().as_bytes());
    mac.update(b"|");
    mac.update(exp.to_string().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// An AML token for an endpoint (`POST …/token`, SPEC §4), valid until `exp` (Unix seconds).
pub fn issue_aml_token(endpoint_id: &ResourceId, keys: &EndpointKeys, exp: i64) -> String {
    format!(
        "{AML_PREFIX}.{exp}.{}",
        aml_signature(&keys.primary, endpoint_id.as_str(), exp)
    )
}

/// The `exp` of an AML token issued for `endpoint_id` under its current primary key; `None`
/// when the token is not one (wrong format, endpoint or key). Expiry is the caller's check.
pub fn aml_token_expiry(token: &str, endpoint_id: &str, keys: &EndpointKeys) -> Option<i64> {
    let mut parts = token.splitn(3, '.');
    let (prefix, exp, sig) = (
        parts.next()?,
        parts.next()?.parse::<i64>().ok()?,
        parts.next()?,
    );
    (prefix == AML_PREFIX && sig == aml_signature(&keys.primary, endpoint_id, exp)).then_some(exp)
}

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

/// What a token's claims must satisfy (issue 9): one of `audiences`, the `issuer` when given,
/// an integer `exp` in the future, and an integer `nbf` (when present) not in the future when
/// `check_nbf` is set.
#[derive(Debug, Clone)]
pub struct Expect<'a> {
    /// Accepted `aud` values (compared exactly).
    pub audiences: &'a [String],
    /// Required `iss`, if any.
    pub issuer: Option<&'a str>,
    /// Whether `nbf` is checked.
    pub check_nbf: bool,
}

/// Why a token's claims are refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimProblem {
    /// `exp` is missing or not an integer (a string, a float): RFC 7519 NumericDate.
    ExpNotInteger,
    /// `exp` is not after `now`.
    Expired(i64),
    /// `nbf` is present but not an integer.
    NbfNotInteger,
    /// `nbf` is after `now`.
    NotYetValid(i64),
    /// `aud` is none of the accepted audiences (the token's value, as text).
    Audience(String),
    /// `iss` is not the required issuer (the token's value).
    Issuer(String),
}

/// Checks the claims of a (decoded, possibly verified) token at time `now` (Unix seconds).
pub fn check_claims(
    claims: &serde_json::Value,
    expect: &Expect<'_>,
    now: i64,
) -> Result<(), ClaimProblem> {
    let exp = claims
        .get("exp")
        .and_then(serde_json::Value::as_i64)
        .ok_or(ClaimProblem::ExpNotInteger)?;
    if exp <= now {
        return Err(ClaimProblem::Expired(exp));
    }
    if expect.check_nbf {
        if let Some(nbf) = claims.get("nbf") {
            let nbf = nbf.as_i64().ok_or(ClaimProblem::NbfNotInteger)?;
            if nbf > now {
                return Err(ClaimProblem::NotYetValid(nbf));
            }
        }
    }
    let aud = claims
        .get("aud")
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    let ok = |a: &serde_json::Value| {
        a.as_str()
            .is_some_and(|a| expect.audiences.iter().any(|x| x == a))
    };
    let aud_ok = match &aud {
        serde_json::Value::Array(all) => all.iter().any(ok),
        other => ok(other),
    };
    if !aud_ok {
        let text = aud.as_str().map(str::to_string).unwrap_or(aud.to_string());
        return Err(ClaimProblem::Audience(text));
    }
    if let Some(want) = expect.issuer {
        let iss = claims.get("iss").and_then(serde_json::Value::as_str);
        if iss != Some(want) {
            return Err(ClaimProblem::Issuer(iss.unwrap_or("").to_string()));
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn expect(aud: &[String]) -> Expect<'_> {
        Expect {
            audiences: aud,
            issuer: Some("https://amlite/t/v2.0"),
            check_nbf: true,
        }
    }

    #[test]
    fn exp_must_be_an_integer_in_the_future() {
        let a = vec!["a".to_string()];
        let base = json!({ "aud": "a", "iss": "https://amlite/t/v2.0" });
        for bad in [
            json!("9999999999"),
            json!(9999999999.5),
            serde_json::Value::Null,
        ] {
            let mut c = base.clone();
            c["exp"] = bad;
            assert_eq!(
                check_claims(&c, &expect(&a), 10),
                Err(ClaimProblem::ExpNotInteger)
            );
        }
        let mut c = base.clone();
        c["exp"] = json!(10);
        assert_eq!(
            check_claims(&c, &expect(&a), 10),
            Err(ClaimProblem::Expired(10))
        );
        c["exp"] = json!(11);
        assert_eq!(check_claims(&c, &expect(&a), 10), Ok(()));
        c["nbf"] = json!(12);
        assert_eq!(
            check_claims(&c, &expect(&a), 10),
            Err(ClaimProblem::NotYetValid(12))
        );
        c["nbf"] = json!("1");
        assert_eq!(
            check_claims(&c, &expect(&a), 10),
            Err(ClaimProblem::NbfNotInteger)
        );
    }

    #[test]
    fn audience_and_issuer_must_match() {
        let a = vec!["a".to_string()];
        let c = json!({ "aud": "b", "iss": "https://amlite/t/v2.0", "exp": 99 });
        assert_eq!(
            check_claims(&c, &expect(&a), 1),
            Err(ClaimProblem::Audience("b".into()))
        );
        let c = json!({ "aud": ["x", "a"], "iss": "https://evil/t/v2.0", "exp": 99 });
        assert_eq!(
            check_claims(&c, &expect(&a), 1),
            Err(ClaimProblem::Issuer("https://evil/t/v2.0".into()))
        );
    }
}

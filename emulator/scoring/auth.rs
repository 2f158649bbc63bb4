//! Data-plane authentication (SPEC §4): `Key` (primary or secondary key), `AMLToken` (tokens from
//! `POST …/token`, signed with the endpoint's primary key so regenerating it revokes them), and
//! `AADToken` (a JWT for audience `https://ml.azure.com`; signatures are not verified).
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::token::{bearer, jwt_claims};
use crate::domain::{AuthMode, EndpointKeys, ResourceId};
use crate::error::ArmError;

const AML_PREFIX: &str = "amlt";

fn sign(key: &str, endpoint_id: &str, exp: i64) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.as_bytes()) else {
        return String::new();
    };
    mac.update(endpoint_id.to_ascii_lowercase().as_bytes());
    mac.update(b"|");
    mac.update(exp.to_string().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// An AML token for an endpoint, valid until `exp` (Unix seconds).
pub fn issue_aml_token(endpoint_id: &ResourceId, keys: &EndpointKeys, exp: i64) -> String {
    format!(
        "{AML_PREFIX}.{exp}.{}",
        sign(&keys.primary, endpoint_id.as_str(), exp)
    )
}

/// Checks the `Authorization` header of a scoring request against the endpoint's auth mode.
pub fn check(
    mode: AuthMode,
    header: Option<&str>,
    endpoint_id: &str,
    keys: &EndpointKeys,
    now: i64,
) -> Result<(), ArmError> {
    let Some(token) = bearer(header) else {
        return Err(ArmError::unauthorized(
            "key_auth_bad_header_forbidden",
            "Missing or malformed Authorization header: send 'Authorization: Bearer <credential>' (key_auth_bad_header_forbidden).",
        ));
    };
    match mode {
        AuthMode::Key => {
            if token == keys.primary || token == keys.secondary {
                Ok(())
            } else {
                Err(ArmError::unauthorized("key_auth_access_denied", "The key is not valid for this endpoint (key_auth_access_denied): use a current key from listKeys."))
            }
        }
        AuthMode::AmlToken => {
            let mut parts = token.splitn(3, '.');
            let (p, exp, sig) = (
                parts.next(),
                parts.next().and_then(|e| e.parse::<i64>().ok()),
                parts.next(),
            );
            match (p, exp, sig) {
                (Some(AML_PREFIX), Some(exp), Some(sig)) if sig == sign(&keys.primary, endpoint_id, exp) => {
                    if exp > now {
                        Ok(())
                    } else {
                        Err(ArmError::unauthorized("aml_token_expired", "The AML token has expired: get a new one with POST .../token."))
                    }
                }
                _ => Err(ArmError::unauthorized("aml_token_auth_access_denied", "The credential is not a valid AML token for this endpoint (authMode AMLToken): get one with POST .../token.")),
            }
        }
        AuthMode::AadToken => {
            let claims = jwt_claims(token).ok_or_else(|| ArmError::unauthorized("aad_token_auth_access_denied", "The credential is not a Microsoft Entra token (authMode AADToken): request one for the resource https://ml.azure.com."))?;
            let aud = claims.get("aud").and_then(|a| a.as_str()).unwrap_or("");
            if aud.trim_end_matches('/') != "https://ml.azure.com" {
                return Err(ArmError::unauthorized(
                    "aad_token_auth_access_denied",
                    format!("The Entra token's audience is '{aud}', not https://ml.azure.com."),
                ));
            }
            if claims
                .get("exp")
                .and_then(|e| e.as_i64())
                .is_some_and(|exp| exp <= now)
            {
                return Err(ArmError::unauthorized(
                    "aad_token_expired",
                    "The Entra token has expired.",
                ));
            }
            Ok(())
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn keys() -> EndpointKeys {
        EndpointKeys {
            primary: "p".repeat(32),
            secondary: "s".repeat(32),
        }
    }

    #[test]
    fn key_mode_takes_either_key_and_refuses_others() {
        let k = keys();
        assert!(check(
            AuthMode::Key,
            Some(&format!("Bearer {}", k.primary)),
            "/e",
            &k,
            0
        )
        .is_ok());
        assert!(check(
            AuthMode::Key,
            Some(&format!("bearer {}", k.secondary)),
            "/e",
            &k,
            0
        )
        .is_ok());
        assert_eq!(
            check(AuthMode::Key, Some("Bearer nope"), "/e", &k, 0)
                .unwrap_err()
                .code,
            "key_auth_access_denied"
        );
        assert_eq!(
            check(AuthMode::Key, None, "/e", &k, 0).unwrap_err().code,
            "key_auth_bad_header_forbidden"
        );
        assert_eq!(
            check(AuthMode::Key, Some("Basic x"), "/e", &k, 0)
                .unwrap_err()
                .code,
            "key_auth_bad_header_forbidden"
        );
    }

    #[test]
    fn aml_tokens_expire_and_are_bound_to_the_endpoint() {
        let k = keys();
        let id = ResourceId::from_string("/a/onlineEndpoints/e".into());
        let t = issue_aml_token(&id, &k, 100);
        assert!(check(
            AuthMode::AmlToken,
            Some(&format!("Bearer {t}")),
            id.as_str(),
            &k,
            99
        )
        .is_ok());
        assert_eq!(
            check(
                AuthMode::AmlToken,
                Some(&format!("Bearer {t}")),
                id.as_str(),
                &k,
                100
            )
            .unwrap_err()
            .code,
            "aml_token_expired"
        );
        assert!(check(
            AuthMode::AmlToken,
            Some(&format!("Bearer {t}")),
            "/a/onlineEndpoints/other",
            &k,
            1
        )
        .is_err());
        assert!(check(
            AuthMode::AmlToken,
            Some(&format!("Bearer {}", k.primary)),
            id.as_str(),
            &k,
            1
        )
        .is_err());
    }

    #[test]
    fn aad_tokens_need_the_ml_audience() {
        let k = keys();
        let (good, _) = crate::arm::plumbing::jwt("https://ml.azure.com", "t", 3600);
        let (bad, _) = crate::arm::plumbing::jwt("https://management.azure.com", "t", 3600);
        assert!(check(
            AuthMode::AadToken,
            Some(&format!("Bearer {good}")),
            "/e",
            &k,
            0
        )
        .is_ok());
        assert!(check(
            AuthMode::AadToken,
            Some(&format!("Bearer {bad}")),
            "/e",
            &k,
            0
        )
        .is_err());
        assert!(check(
            AuthMode::AadToken,
            Some(&format!("Bearer {}", k.primary)),
            "/e",
            &k,
            0
        )
        .is_err());
    }
}

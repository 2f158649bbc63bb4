//! Data-plane authentication (SPEC §4): `Key` (primary or secondary key), `AMLToken` (tokens from
//! `POST …/token`, signed with the endpoint's primary key so regenerating it revokes them; the
//! format is `domain::token`'s, shared with the control plane that issues them), and
//! `AADToken` (a JWT for audience `https://ml.azure.com` with an integer, unexpired `exp`; under
//! `--auth strict` also signed by amlite's key with amlite's issuer, issue 9).
use crate::domain::token::{aml_token_expiry, bearer, jwt_claims};
use crate::domain::{AuthMode, EndpointKeys};
use crate::error::ArmError;
use crate::identity::ML_AUDIENCE;

/// Checks the `Authorization` header of a scoring request against the endpoint's auth mode.
pub fn check(
    mode: AuthMode,
    header: Option<&str>,
    endpoint_id: &str,
    keys: &EndpointKeys,
    now: i64,
    aad: AadCheck<'_>,
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
        AuthMode::AmlToken => match aml_token_expiry(token, endpoint_id, keys) {
            Some(exp) if exp > now => Ok(()),
            Some(_) => Err(ArmError::unauthorized("aml_token_expired", "The AML token has expired: get a new one with POST .../token.")),
            None => Err(ArmError::unauthorized("aml_token_auth_access_denied", "The credential is not a valid AML token for this endpoint (authMode AMLToken): get one with POST .../token.")),
        },
        AuthMode::AadToken => check_aad(token, aad, now),
    }
}

/// How AADToken scoring tokens are checked: claims only (`--auth lenient`), or also signed by
/// amlite's key with amlite's issuer (`--auth strict`, issue 9).
#[derive(Clone, Copy)]
pub enum AadCheck<'a> {
    /// Audience and an integer, unexpired `exp`.
    Claims,
    /// Plus an RS256 signature by `key`, `iss == issuer` and `nbf`.
    Signed {
        /// amlite's signing key.
        key: &'a crate::identity::keys::SigningKey,
        /// amlite's issuer.
        issuer: &'a str,
    },
}

fn aad_denied(message: impl Into<String>) -> ArmError {
    ArmError::unauthorized("aad_token_auth_access_denied", message)
}

fn check_aad(token: &str, aad: AadCheck<'_>, now: i64) -> Result<(), ArmError> {
    use crate::domain::token::{check_claims, ClaimProblem, Expect};
    let not_entra = || {
        aad_denied("The credential is not a Microsoft Entra token (authMode AADToken): request one for the resource https://ml.azure.com.")
    };
    let (claims, issuer) = match aad {
        AadCheck::Claims => (jwt_claims(token).ok_or_else(not_entra)?, None),
        AadCheck::Signed { key, issuer } => (
            crate::identity::tokens::verify_signature(key, token)
                .map_err(|why| aad_denied(format!("The Entra token is not valid: {why}.")))?,
            Some(issuer),
        ),
    };
    let audiences = [ML_AUDIENCE.to_string(), format!("{ML_AUDIENCE}/")];
    let expect = Expect {
        audiences: &audiences,
        issuer,
        check_nbf: issuer.is_some(),
    };
    check_claims(&claims, &expect, now).map_err(|p| match p {
        ClaimProblem::Audience(aud) => aad_denied(format!(
            "The Entra token's audience is '{aud}', not {ML_AUDIENCE}."
        )),
        ClaimProblem::ExpNotInteger => aad_denied(
            "The Entra token's 'exp' claim is missing or not an integer (seconds since 1970-01-01).",
        ),
        ClaimProblem::Expired(_) => {
            ArmError::unauthorized("aad_token_expired", "The Entra token has expired.")
        }
        ClaimProblem::NbfNotInteger => aad_denied("The Entra token's 'nbf' claim is not an integer."),
        ClaimProblem::NotYetValid(_) => aad_denied("The Entra token is not valid yet ('nbf' is in the future)."),
        ClaimProblem::Issuer(iss) => aad_denied(format!(
            "The Entra token's issuer is '{iss}', not amlite's."
        )),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::domain::token::issue_aml_token;
    use crate::domain::ResourceId;
    use base64::Engine;

    fn chk(
        mode: AuthMode,
        header: Option<&str>,
        id: &str,
        keys: &EndpointKeys,
        now: i64,
    ) -> Result<(), ArmError> {
        check(mode, header, id, keys, now, AadCheck::Claims)
    }

    /// An unsigned JWT-shaped token (lenient AADToken checks read claims only).
    fn unsigned(aud: &str, exp: serde_json::Value) -> String {
        let b = |v: serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        format!(
            "{}.{}.x",
            b(serde_json::json!({ "alg": "RS256" })),
            b(serde_json::json!({ "aud": aud, "exp": exp }))
        )
    }

    fn keys() -> EndpointKeys {
        EndpointKeys {
            primary: "p".repeat(32),
            secondary: "s".repeat(32),
        }
    }

    #[test]
    fn key_mode_takes_either_key_and_refuses_others() {
        let k = keys();
        assert!(chk(
            AuthMode::Key,
            Some(&format!("Bearer {}", k.primary)),
            "/e",
            &k,
            0,
        )
        .is_ok());
        assert!(chk(
            AuthMode::Key,
            Some(&format!("bearer {}", k.secondary)),
            "/e",
            &k,
            0,
        )
        .is_ok());
        assert_eq!(
            chk(AuthMode::Key, Some("Bearer nope"), "/e", &k, 0)
                .unwrap_err()
                .code,
            "key_auth_access_denied"
        );
        assert_eq!(
            chk(AuthMode::Key, None, "/e", &k, 0).unwrap_err().code,
            "key_auth_bad_header_forbidden"
        );
        assert_eq!(
            chk(AuthMode::Key, Some("Basic x"), "/e", &k, 0)
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
        assert!(chk(
            AuthMode::AmlToken,
            Some(&format!("Bearer {t}")),
            id.as_str(),
            &k,
            99
        )
        .is_ok());
        assert_eq!(
            chk(
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
        assert!(chk(
            AuthMode::AmlToken,
            Some(&format!("Bearer {t}")),
            "/a/onlineEndpoints/other",
            &k,
            1
        )
        .is_err());
        assert!(chk(
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
        let good = unsigned("https://ml.azure.com", serde_json::json!(3600));
        let bad = unsigned("https://management.azure.com", serde_json::json!(3600));
        assert!(chk(
            AuthMode::AadToken,
            Some(&format!("Bearer {good}")),
            "/e",
            &k,
            0,
        )
        .is_ok());
        assert!(chk(
            AuthMode::AadToken,
            Some(&format!("Bearer {bad}")),
            "/e",
            &k,
            0,
        )
        .is_err());
        assert!(chk(
            AuthMode::AadToken,
            Some(&format!("Bearer {}", k.primary)),
            "/e",
            &k,
            0,
        )
        .is_err());
    }
}

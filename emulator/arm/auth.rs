//! `--auth strict` on the control plane and the admin API (SPEC §2.1, issue 9): which bearer
//! tokens ARM accepts. Lenient mode never calls this (any bearer, or none, is accepted).
use crate::app::State as AppStateRef;
use crate::error::{ArmError, ArmResult};
use crate::http::Request;

/// The audiences an ARM token may carry: amlite's URL (as env.sh names it, as this listener
/// and as a loopback `Host` names it, e.g. `localhost`, with or without the trailing slash) and
/// ARM's own. Any other `Host` adds nothing: a caller that sends `Host: storage.azure.com` must
/// not make a Storage token an ARM one.
fn arm_audiences(state: &AppStateRef, req: &Request) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let bases = [
        Some(state.internet_base.clone()),
        Some(req.listener.base_url.clone()),
        req.loopback_base_from_host(),
    ];
    for base in bases.into_iter().flatten() {
        for a in [format!("{base}/"), base] {
            if !out.contains(&a) {
                out.push(a);
            }
        }
    }
    out.extend(crate::identity::ARM_AUDIENCES.iter().map(|a| a.to_string()));
    out
}

/// `--auth strict` (issue 9): a control-plane or admin call needs a bearer JWT that amlite signed
/// (RS256, the data folder's key; `alg: none` and other keys are refused), of amlite's tenant
/// and issuer, for an ARM audience, with an integer `exp` in the future and `nbf` not ahead.
pub async fn check_arm_token(state: &AppStateRef, req: &Request) -> ArmResult<()> {
    use crate::domain::token::{check_claims, ClaimProblem, Expect};
    let token = crate::domain::token::bearer(req.header("authorization"))
        .ok_or_else(ArmError::authentication_failed)?;
    let key = state.keys.get().await?;
    let claims =
        crate::identity::tokens::verify_signature(&key, token).map_err(ArmError::invalid_token)?;
    if claims.get("tid").and_then(serde_json::Value::as_str) != Some(state.tenant_id.as_str()) {
        return Err(ArmError::invalid_token("its tenant (tid) is not amlite's"));
    }
    let audiences = arm_audiences(state, req);
    let issuer = crate::identity::issuer(&state.internet_base, &state.tenant_id);
    let expect = Expect {
        audiences: &audiences,
        issuer: Some(&issuer),
        check_nbf: true,
    };
    let now = chrono::Utc::now().timestamp();
    check_claims(&claims, &expect, now).map_err(|p| match p {
        ClaimProblem::ExpNotInteger => ArmError::invalid_token(
            "its 'exp' claim is missing or not an integer (seconds since 1970-01-01)",
        ),
        ClaimProblem::Expired(exp) => ArmError::expired_token(exp, now),
        ClaimProblem::NbfNotInteger => ArmError::invalid_token("its 'nbf' claim is not an integer"),
        ClaimProblem::NotYetValid(_) => {
            ArmError::invalid_token("it is not valid yet (its 'nbf' is in the future)")
        }
        ClaimProblem::Audience(aud) => ArmError::wrong_audience(&aud, &audiences),
        ClaimProblem::Issuer(iss) => ArmError::wrong_issuer(
            &iss,
            &issuer,
            &format!(
                "{}/{}",
                state.internet_base,
                crate::identity::AUTHORITY_TENANT
            ),
        ),
    })
}

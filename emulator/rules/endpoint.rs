//! Endpoint-level control-plane rules: CP-6 (no deployment while the endpoint is busy) and CP-7
//! (managed endpoints take no `compute`; which auth modes allow `listKeys` and `token`).
//!
//! Source: Azure docs ("online endpoints" concepts, "authenticate clients for online
//! endpoints") and field reports for CP-6's message. Pure: no IO, no other amlite module.

use super::{AuthMode, ProvisioningState, Violation};

/// CP-6: "A deployment cannot be created while its endpoint is `Creating`, `Updating` or
/// `Deleting`: `Cannot create a deployment in endpoint {e} because it is in {state} provisioning
/// state.`"
///
/// Source: Azure ML's answer as reported by users (azure-sdk-for-net issue 36961). Status 400
/// `BadRequest`: the reports do not show the status; 400 is what Azure ML uses for its other
/// validation errors. Only creation is refused; updating an existing deployment is not covered
/// by this rule.
///
/// Input: endpoint name and its current provisioning state.
/// Error: 400 `BadRequest` with the SPEC text.
pub fn cp_6_endpoint_state_allows_deployment(
    endpoint: &str,
    state: ProvisioningState,
) -> Result<(), Violation> {
    let busy = matches!(
        state,
        ProvisioningState::Creating | ProvisioningState::Updating | ProvisioningState::Deleting
    );
    if !busy {
        return Ok(());
    }
    Err(Violation::bad_request(
        "CP-6",
        format!(
            "Cannot create a deployment in endpoint {endpoint} because it is in {state} \
             provisioning state."
        ),
    ))
}

/// CP-7 (a): "Managed endpoints take no `compute`." (`compute` is the ARM id of a Kubernetes
/// compute; Azure accepts it and makes a `kind: K8S` endpoint, as the az ml recordings
/// `test_online_endpoint_k8s*` show. Kubernetes online endpoints are out of amlite's scope, so
/// the refusal says so rather than pretending Azure refuses.)
///
/// Input: `properties.compute` as sent (`None`, empty or blank = not set).
/// Error: 400 `BadRequest`, target `properties.compute`.
pub fn cp_7_managed_endpoint_compute(compute: Option<&str>) -> Result<(), Violation> {
    match compute.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(()),
        Some(c) => Err(Violation::bad_request(
            "CP-7",
            format!(
                "amlite emulates managed online endpoints only: properties.compute '{c}' would \
                 make this a Kubernetes online endpoint, which amlite does not emulate (CP-7). \
                 Remove properties.compute to create a managed online endpoint."
            ),
        )
        .with_target("properties.compute")),
    }
}

/// CP-7 (b): "`authMode` `AADToken` is for managed endpoints only."
///
/// Input: the requested auth mode and whether the endpoint is managed (always `true` in
/// amlite; kept so the rule reads like the SPEC).
/// Error: 400 `BadRequest`, target `properties.authMode`.
pub fn cp_7_auth_mode(auth_mode: AuthMode, managed: bool) -> Result<(), Violation> {
    if managed || auth_mode != AuthMode::AadToken {
        return Ok(());
    }
    Err(Violation::bad_request(
        "CP-7",
        "authMode 'AADToken' is supported only for managed online endpoints (CP-7). Use 'Key' \
         or 'AMLToken'.",
    )
    .with_target("properties.authMode"))
}

/// CP-7 (c): "`listKeys` only for `Key` endpoints."
///
/// Input: the endpoint's auth mode.
/// Error: 400 `BadRequest` naming the auth mode.
pub fn cp_7_list_keys_allowed(auth_mode: AuthMode) -> Result<(), Violation> {
    if auth_mode == AuthMode::Key {
        return Ok(());
    }
    Err(Violation::bad_request(
        "CP-7",
        format!(
            "Keys are available only for endpoints with authMode 'Key'; this endpoint uses \
             authMode '{auth_mode}' (CP-7). {}",
            credential_hint(auth_mode)
        ),
    ))
}

/// CP-7 (d): "`token` only for `AMLToken` endpoints."
///
/// Input: the endpoint's auth mode.
/// Error: 400 `BadRequest` naming the auth mode.
pub fn cp_7_token_allowed(auth_mode: AuthMode) -> Result<(), Violation> {
    if auth_mode == AuthMode::AmlToken {
        return Ok(());
    }
    Err(Violation::bad_request(
        "CP-7",
        format!(
            "Tokens are available only for endpoints with authMode 'AMLToken'; this endpoint \
             uses authMode '{auth_mode}' (CP-7). {}",
            credential_hint(auth_mode)
        ),
    ))
}

fn credential_hint(auth_mode: AuthMode) -> &'static str {
    match auth_mode {
        AuthMode::Key => "Use listKeys to get its keys.",
        AuthMode::AmlToken => "Use the token operation to get a token.",
        AuthMode::AadToken => "Use a Microsoft Entra token with audience https://ml.azure.com.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AuthMode::{AadToken, AmlToken, Key};

    #[test]
    fn cp_6_endpoint_state_allows_deployment_table() {
        for state in ProvisioningState::ALL {
            let busy = matches!(
                state,
                ProvisioningState::Creating
                    | ProvisioningState::Updating
                    | ProvisioningState::Deleting
            );
            let got = cp_6_endpoint_state_allows_deployment("my-ep", *state);
            assert_eq!(got.is_err(), busy, "{state}");
            if let Err(v) = got {
                let want = format!(
                    "Cannot create a deployment in endpoint my-ep because it is in {state} provisioning state."
                );
                assert_eq!(v.message, want);
                assert_eq!((v.status.code(), v.code), (400, "BadRequest"));
            }
        }
    }

    #[test]
    fn cp_7_managed_endpoint_compute_table() {
        assert!(cp_7_managed_endpoint_compute(None).is_ok());
        assert!(cp_7_managed_endpoint_compute(Some("")).is_ok());
        assert!(cp_7_managed_endpoint_compute(Some("  ")).is_ok());
        let v = cp_7_managed_endpoint_compute(Some("/subscriptions/s/computes/k8s")).err();
        assert_eq!(
            v.and_then(|v| v.target),
            Some("properties.compute".to_string())
        );
    }

    #[test]
    fn cp_7_auth_modes_table() {
        // (mode, managed, auth ok, listKeys ok, token ok)
        let cases = [
            (Key, true, true, true, false),
            (AmlToken, true, true, false, true),
            (AadToken, true, true, false, false),
            (AadToken, false, false, false, false),
            (Key, false, true, true, false),
        ];
        for (mode, managed, auth_ok, keys_ok, token_ok) in cases {
            assert_eq!(
                cp_7_auth_mode(mode, managed).is_ok(),
                auth_ok,
                "{mode} {managed}"
            );
            assert_eq!(cp_7_list_keys_allowed(mode).is_ok(), keys_ok, "{mode}");
            assert_eq!(cp_7_token_allowed(mode).is_ok(), token_ok, "{mode}");
        }
        let msg = cp_7_list_keys_allowed(AmlToken)
            .err()
            .map(|v| v.message)
            .unwrap_or_default();
        assert!(msg.contains("'AMLToken'"), "{msg}");
        let msg = cp_7_token_allowed(Key)
            .err()
            .map(|v| v.message)
            .unwrap_or_default();
        assert!(msg.contains("'Key'") && msg.contains("listKeys"), "{msg}");
    }
}

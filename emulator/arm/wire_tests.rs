//! Unit tests of `wire.rs`: the normalisations that keep responses inside the contract.
use super::*;

#[test]
fn durations_follow_iso_8601() {
    for ok in [
        "PT5S",
        "PT0.5S",
        "P1D",
        "P1DT2H",
        "PT1H30M",
        "-PT1M",
        "P1Y2M3W4D",
    ] {
        assert!(is_duration(ok), "{ok}");
    }
    for bad in [
        "", "P", "PT", "5S", "PT5", "PTS", "PT5H5H", "PT5S5M", "P1DT", "abc", "PT.5S", "PT5.S",
    ] {
        assert!(!is_duration(bad), "{bad}");
    }
}

#[test]
fn settings_keep_only_declared_fields() {
    let ss = scale_settings(
        &json!({ "scaleType": "targetutilization", "minInstances": 1, "x": 2, "pollingInterval": "1s" }),
    );
    assert_eq!(
        ss,
        json!({ "scaleType": "TargetUtilization", "minInstances": 1 })
    );
    assert_eq!(
        scale_settings(&json!({ "scaleType": "Default", "": 1 })),
        json!({ "scaleType": "Default" })
    );
    let probe = typed_fields(
        &json!({ "period": "PT10S", "timeout": 3, "failureThreshold": 4_294_967_296_i64, "initialDelay": null }),
        PROBE_FIELDS,
    );
    assert_eq!(probe, json!({ "period": "PT10S", "initialDelay": null }));
}

#[test]
fn workspace_sku_is_a_valid_sku() {
    assert_eq!(
        workspace_sku(None),
        json!({ "name": "Basic", "tier": "Basic" })
    );
    let sku = workspace_sku(Some(
        &json!({ "name": "Basic", "tier": "__not_in_enum__", "capacity": "2", "x": 1 }),
    ));
    assert_eq!(sku, json!({ "name": "Basic" }));
    assert_eq!(
        workspace_sku(Some(&json!({ "tier": "standard", "capacity": 2 }))),
        json!({ "name": "Basic", "tier": "Standard", "capacity": 2 })
    );
}

#[test]
fn identity_type_in_azure_casing() {
    assert_eq!(identity(None), json!({ "type": "SystemAssigned" }));
    assert_eq!(
        identity(Some(&json!({}))),
        json!({ "type": "SystemAssigned" })
    );
    assert_eq!(
        identity(Some(
            &json!({ "type": "systemAssigned, userAssigned", "principalId": "x" })
        )),
        json!({ "type": "SystemAssigned,UserAssigned" })
    );
    let ua = identity(Some(
        &json!({ "type": "UserAssigned", "userAssignedIdentities": { "/id": { "clientId": "nope" } } }),
    ));
    // The client's read-only values are not echoed: amlite's derived ids are (the ones the
    // deployment's identity endpoint issues tokens for).
    let derived = crate::domain::identity::user_assigned("/id");
    assert_eq!(
        ua,
        json!({ "type": "UserAssigned", "userAssignedIdentities": { "/id": {
            "principalId": derived.principal_id, "clientId": derived.client_id } } })
    );
}

#[test]
fn asset_fields_of_the_wrong_type_are_not_echoed() {
    let p = asset_properties(
        &json!({ "modelUri": "azureml://x", "tags": false, "properties": { "a": 1 }, "description": "d", "isAnonymous": null, "custom": 5 }),
    );
    assert_eq!(
        p,
        json!({ "modelUri": "azureml://x", "description": "d", "custom": 5 })
    );
}

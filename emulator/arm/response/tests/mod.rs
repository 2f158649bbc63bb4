//! Unit tests of the response bodies: the normalisations that keep them inside the contract, and
//! a golden file of representative bodies (written by the `json!` renderers the typed structs
//! replaced, so the typed bodies are proven equal to them).
use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::deployment::{probe, scale_settings};
use super::workspace::workspace_sku;
use super::*;
use crate::domain::{
    Asset, Audit, AuthMode, EndpointKeys, OnlineDeployment, OnlineEndpoint, OperationRef,
    ProvisioningState, PublicNetworkAccess, RequestSettings as StoredRequestSettings, Workspace,
};

const BASE: &str = "https://127.0.0.1:4443";
const TENANT: &str = "00000000-0000-0000-0000-00000000aaaa";

/// A JSON text parsed into a value, refusing duplicate keys (a flattened map must not repeat a
/// typed field).
fn parse_strict(text: &str) -> Value {
    serde_json::from_str::<crate::http::StrictValue>(text)
        .expect("JSON without duplicate keys")
        .0
}

/// The body as the client reads it: serialised to text (as replies are), parsed strictly.
fn wire<T: serde::Serialize>(body: &T) -> Value {
    let text = serde_json::to_string(body).expect("serialise");
    let parsed = parse_strict(&text);
    assert_eq!(parsed, to_value(body), "text and value forms differ");
    parsed
}

fn audit() -> Audit {
    let t = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05.123456Z")
        .expect("time")
        .with_timezone(&chrono::Utc);
    Audit {
        created_at: t,
        modified_at: t + chrono::Duration::seconds(5),
    }
}

fn rg() -> ResourceId {
    ResourceId::from_string("/subscriptions/sub1/resourceGroups/rg1".to_string())
}

fn ws_id() -> ResourceId {
    rg().child(
        "providers/Microsoft.MachineLearningServices/workspaces",
        "Ws-1",
    )
}

fn operation() -> OperationRef {
    OperationRef {
        name: "oe:abc:123".into(),
        location: "eastus".into(),
        api_version: "2023-10-01".into(),
    }
}

fn endpoints() -> Vec<OnlineEndpoint> {
    let base = OnlineEndpoint {
        location: "eastus".into(),
        tags: BTreeMap::from([("a".into(), "b".into())]),
        auth_mode: AuthMode::Key,
        description: None,
        properties: BTreeMap::from([
            ("mine".into(), "1".into()),
            ("AzureAsyncOperationUri".into(), "stale".into()),
            ("azureml.onlineendpointid".into(), "stale".into()),
        ]),
        traffic: BTreeMap::from([("blue".into(), 100)]),
        mirror_traffic: BTreeMap::new(),
        public_network_access: PublicNetworkAccess::Enabled,
        identity: None,
        kind: None,
        keys: EndpointKeys {
            primary: "p".into(),
            secondary: "s".into(),
        },
        provisioning_state: ProvisioningState::Succeeded,
        failure: None,
        audit: audit(),
        region_in_scoring_uri: false,
        operation: None,
    };
    let mut other = base.clone();
    other.description = Some("d".into());
    other.identity = Some(
        json!({ "type": "systemAssigned, userAssigned", "principalId": "x",
        "userAssignedIdentities": { "/ua/1": {}, "/ua/2": { "clientId": "c" } } }),
    );
    other.kind = Some("Kubernetes".into());
    other.region_in_scoring_uri = true;
    other.location = "West US 2".into();
    other.operation = Some(operation());
    other.public_network_access = PublicNetworkAccess::Disabled;
    other.provisioning_state = ProvisioningState::Updating;
    let mut none = base.clone();
    none.identity = Some(json!({ "type": "none" }));
    vec![base, other, none]
}

fn deployments_fixture() -> Vec<OnlineDeployment> {
    let base = OnlineDeployment {
        location: "eastus".into(),
        tags: BTreeMap::new(),
        sku_name: "Default".into(),
        instance_count: 2,
        instance_type: "Standard_DS3_v2".into(),
        model: None,
        code_id: None,
        scoring_script: None,
        environment_id: None,
        environment_variables: BTreeMap::from([("K".into(), "V".into())]),
        egress_public_network_access: PublicNetworkAccess::Enabled,
        app_insights_enabled: false,
        scale_settings: json!({ "scaleType": "Default" }),
        request_settings: StoredRequestSettings::default(),
        liveness_probe: json!({}),
        readiness_probe: Value::Null,
        description: None,
        properties: BTreeMap::new(),
        provisioning_state: ProvisioningState::Creating,
        failure: None,
        logs: vec![],
        audit: audit(),
        operation: None,
    };
    let mut full = base.clone();
    full.model = Some("azureml:m:1".into());
    full.scoring_script = Some("score.py".into());
    full.environment_id = Some("azureml:e:1".into());
    full.description = Some("d".into());
    full.egress_public_network_access = PublicNetworkAccess::Disabled;
    full.app_insights_enabled = true;
    full.scale_settings = json!({ "scaleType": "targetutilization", "minInstances": 1,
        "maxInstances": 4_294_967_296_i64, "pollingInterval": "PT1S", "x": 2,
        "targetUtilizationPercentage": "70" });
    full.request_settings = StoredRequestSettings {
        max_concurrent_requests_per_instance: 3,
        request_timeout_ms: 1500,
        max_queue_wait: "PT1M".into(),
    };
    full.liveness_probe = json!({ "period": "PT10S", "timeout": 3, "failureThreshold": 4,
        "successThreshold": -1, "initialDelay": null, "extra": true });
    full.readiness_probe = json!({ "initialDelay": "PT5S", "timeout": "soon" });
    full.properties = BTreeMap::from([("AzureAsyncOperationUri".into(), "x".into())]);
    full.operation = Some(operation());
    let mut code = full.clone();
    code.code_id = Some("azureml:c:1".into());
    code.request_settings.max_queue_wait = "five".into();
    code.readiness_probe = json!({ "initialDelay": 5 });
    vec![base, full, code]
}

fn workspaces_fixture() -> Vec<Workspace> {
    let base = crate::arm::workspace_properties::new_workspace(
        "sub1",
        "rg1",
        "Ws-1",
        "eastus",
        &Map::new(),
        false,
    )
    .expect("workspace");
    let mut w1 = base.clone();
    w1.audit = audit();
    w1.workspace_guid = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0".into();
    w1.tags = BTreeMap::from([("t".into(), "v".into())]);
    let mut w2 = w1.clone();
    w2.extra = Map::from_iter([
        ("friendlyName".to_string(), json!("Friendly")),
        ("enableDataIsolation".to_string(), json!(true)),
        ("description".to_string(), json!("mine")),
        ("workspaceId".to_string(), json!("stale")),
        ("containerRegistry".to_string(), json!("/reg/in/extra")),
        ("storageHnsEnabled".to_string(), json!(true)),
        ("custom".to_string(), json!({ "a": [1, 2] })),
        ("privateEndpointConnections".to_string(), json!([])),
    ]);
    w2.application_insights = None;
    w2.identity = Some(json!({ "type": "UserAssigned", "userAssignedIdentities": { "/ua": {} } }));
    w2.sku = Some(
        json!({ "name": "Basic", "tier": "standard", "capacity": 2, "size": "S", "family": 3 }),
    );
    w2.public_network_access = PublicNetworkAccess::Disabled;
    let mut w3 = w1.clone();
    w3.container_registry = Some("/reg/typed".into());
    w3.extra = Map::from_iter([("containerRegistry".to_string(), json!("/reg/extra"))]);
    w3.sku = Some(json!({ "tier": "__not_in_enum__", "capacity": "2" }));
    w3.provisioning_state = ProvisioningState::Deleting;
    vec![w1, w2, w3]
}

fn asset_fixtures() -> [Value; 3] {
    [
        json!({ "modelUri": "azureml://x", "tags": false, "properties": { "a": 1 },
            "description": "d", "isAnonymous": null, "custom": 5, "flavors": {} }),
        json!([1]),
        Value::Null,
    ]
}

/// Every fixture rendered by the typed bodies, as one JSON document.
fn rendered() -> Value {
    let ep_id = ws_id().child("onlineEndpoints", "ep-1");
    let endpoints: Vec<Value> = endpoints()
        .iter()
        .map(|e| wire(&endpoint(&ep_id, e, BASE, TENANT)))
        .collect();
    let d_id = ws_id().child("onlineEndpoints/ep-1/deployments", "blue");
    let mut deployments = Vec::new();
    for d in deployments_fixture() {
        for api in [None, Some("2022-02-01-PREVIEW"), Some("2023-10-01")] {
            deployments.push(wire(&deployment_for(&d_id, &d, api, BASE)));
        }
    }
    let id = ws_id();
    let mut workspaces = Vec::new();
    for w in workspaces_fixture() {
        workspaces.push(wire(&workspace(&id, &w, TENANT, BASE)));
        for api in API_VERSIONS {
            let mut body = workspace(&id, &w, TENANT, BASE);
            azure_filled(&mut body.properties, &id, &w, api, 2);
            body.properties
                .set_private_endpoint_connections(vec![json!({ "id": "/pec/1" }); 2]);
            workspaces.push(wire(&body));
        }
    }
    let a_id = ws_id().child("models/m/versions", "1");
    let assets: Vec<Value> = asset_fixtures()
        .into_iter()
        .map(|properties| Asset {
            properties,
            audit: audit(),
        })
        .map(|a| {
            wire(&list_page(
                vec![asset(&a_id, ResourceKind::Model, &a)],
                None,
            ))
        })
        .collect();
    json!({ "endpoints": endpoints, "deployments": deployments, "workspaces": workspaces,
        "assets": assets, "next": wire(&list_page(Vec::<u8>::new(), Some("https://n".into()))),
        "systemDataByService": wire(&system_data_by_service(&audit())) })
}

const API_VERSIONS: [&str; 5] = [
    "2022-05-01",
    "2023-04-01",
    "2023-06-01-preview",
    "2023-10-01",
    "2024-10-01",
];

/// The bodies amlite answered before the typed structs (the `json!` renderers' output), kept as
/// a golden file: a change to a body must be deliberate. `AMLITE_WRITE_GOLDEN=1` rewrites it.
#[test]
fn bodies_match_the_golden_file() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/emulator/arm/response/golden.json"
    );
    let now = rendered();
    if std::env::var_os("AMLITE_WRITE_GOLDEN").is_some() {
        let text = serde_json::to_string_pretty(&now).expect("json");
        std::fs::write(path, text + "\n").expect("write golden");
    }
    let golden: Value = serde_json::from_str(include_str!("../golden.json")).expect("golden");
    assert_eq!(now, golden);
}

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
    assert_eq!(format_duration_ms(5000), "PT5S");
    assert_eq!(format_duration_ms(500), "PT0.5S");
}

#[test]
fn settings_keep_only_declared_fields() {
    let ss = scale_settings(
        &json!({ "scaleType": "targetutilization", "minInstances": 1, "x": 2, "pollingInterval": "1s" }),
    );
    assert_eq!(
        wire(&ss),
        json!({ "scaleType": "TargetUtilization", "minInstances": 1 })
    );
    assert_eq!(
        wire(&scale_settings(&json!({ "scaleType": "Default", "": 1 }))),
        json!({ "scaleType": "Default" })
    );
    let p = probe(
        &json!({ "period": "PT10S", "timeout": 3, "failureThreshold": 4_294_967_296_i64, "initialDelay": null }),
    );
    assert_eq!(wire(&p), json!({ "period": "PT10S", "initialDelay": null }));
}

#[test]
fn workspace_sku_is_a_valid_sku() {
    assert_eq!(
        wire(&workspace_sku(None)),
        json!({ "name": "Basic", "tier": "Basic" })
    );
    let sku = workspace_sku(Some(
        &json!({ "name": "Basic", "tier": "__not_in_enum__", "capacity": "2", "x": 1 }),
    ));
    assert_eq!(wire(&sku), json!({ "name": "Basic" }));
    assert_eq!(
        wire(&workspace_sku(Some(
            &json!({ "tier": "standard", "capacity": 2 })
        ))),
        json!({ "name": "Basic", "tier": "Standard", "capacity": 2 })
    );
}

#[test]
fn identity_type_in_azure_casing() {
    let id = ws_id();
    let plain = |v: Option<&Value>| wire(&identity::requested(v));
    assert_eq!(plain(None), json!({ "type": "SystemAssigned" }));
    assert_eq!(plain(Some(&json!({}))), json!({ "type": "SystemAssigned" }));
    assert_eq!(
        plain(Some(
            &json!({ "type": "systemAssigned, userAssigned", "principalId": "x" })
        )),
        json!({ "type": "SystemAssigned,UserAssigned" })
    );
    let ua = plain(Some(
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
    assert_eq!(
        wire(&super::identity(None, &id, TENANT)),
        json!({ "type": "SystemAssigned", "principalId": principal_id(&id), "tenantId": TENANT })
    );
}

#[test]
fn asset_fields_of_the_wrong_type_are_not_echoed() {
    let p = asset::asset_properties(
        &json!({ "modelUri": "azureml://x", "tags": false, "properties": { "a": 1 }, "description": "d", "isAnonymous": null, "custom": 5 }),
    );
    assert_eq!(
        Value::Object(p),
        json!({ "modelUri": "azureml://x", "description": "d", "custom": 5 })
    );
}

mod actions;
mod associated;
mod network;
mod platform;

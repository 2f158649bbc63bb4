//! Unit tests of the response bodies: the normalisations that keep them inside the contract, and
//! (while the frozen copy exists) the typed bodies equal the `json!` ones they replaced.
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
    struct Strict(Value);
    impl<'de> serde::Deserialize<'de> for Strict {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(V).map(Strict)
        }
    }
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Value;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
            Ok(v.into())
        }
        fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
            Ok(v.into())
        }
        fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
            Ok(v.into())
        }
        fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
            Ok(v.into())
        }
        fn visit_str<E>(self, v: &str) -> Result<Value, E> {
            Ok(v.into())
        }
        fn visit_unit<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut s: A) -> Result<Value, A::Error> {
            let mut out = Vec::new();
            while let Some(Strict(v)) = s.next_element()? {
                out.push(v);
            }
            Ok(Value::Array(out))
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Value, A::Error> {
            let mut out = Map::new();
            while let Some(k) = m.next_key::<String>()? {
                let Strict(v) = m.next_value()?;
                assert!(out.insert(k.clone(), v).is_none(), "duplicate key {k}");
            }
            Ok(Value::Object(out))
        }
    }
    serde_json::from_str::<Strict>(text).expect("json").0
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

fn deployments() -> Vec<OnlineDeployment> {
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

fn workspaces() -> Vec<Workspace> {
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

#[test]
fn endpoints_render_as_before() {
    let listener = crate::app::Listener {
        network: crate::app::Network::Internet,
        base_url: BASE.into(),
    };
    let id = ws_id().child("onlineEndpoints", "ep-1");
    for e in endpoints() {
        let old = old_wire_tests::endpoint(&id, &e, &listener, TENANT);
        assert_eq!(wire(&endpoint(&id, &e, BASE, TENANT)), old);
    }
}

#[test]
fn deployments_render_as_before() {
    let id = ws_id().child("onlineEndpoints/ep-1/deployments", "blue");
    for d in deployments() {
        for api in [None, Some("2022-02-01-PREVIEW"), Some("2023-10-01")] {
            let old = old_wire_tests::deployment_for(&id, &d, api, BASE);
            assert_eq!(wire(&deployment_for(&id, &d, api, BASE)), old, "{api:?}");
        }
    }
}

#[test]
fn workspaces_render_as_before() {
    let id = ws_id();
    for w in workspaces() {
        let old = old_wire_tests::workspace(&id, &w, TENANT, BASE);
        let new = workspace(&id, &w, TENANT, BASE);
        assert_eq!(wire(&new), old);
        for api in [
            "2022-05-01",
            "2023-04-01",
            "2023-06-01-preview",
            "2023-10-01",
            "2024-10-01",
        ] {
            for links in [0, 2] {
                let mut old = old.clone();
                let props = old["properties"].as_object_mut().expect("properties");
                old_workspace_wire::azure_filled(props, &id, &w, api, links);
                let conns = vec![json!({ "id": "/pec/1" }); links];
                if links > 0 {
                    props.insert(
                        "privateEndpointConnections".into(),
                        Value::Array(conns.clone()),
                    );
                }
                let mut new = new.clone();
                azure_filled(&mut new.properties, &id, &w, api, links);
                if links > 0 {
                    new.properties.set_private_endpoint_connections(conns);
                }
                assert_eq!(wire(&new), old, "{api} {links}");
            }
        }
    }
}

#[test]
fn assets_and_lists_render_as_before() {
    let id = ws_id().child("models/m/versions", "1");
    for properties in [
        json!({ "modelUri": "azureml://x", "tags": false, "properties": { "a": 1 },
            "description": "d", "isAnonymous": null, "custom": 5, "flavors": {} }),
        json!([1]),
        Value::Null,
    ] {
        let a = Asset {
            properties,
            audit: audit(),
        };
        let old = old_wire_tests::asset(&id, ResourceKind::Model, &a);
        let new = asset(&id, ResourceKind::Model, &a);
        assert_eq!(wire(&new), old);
        assert_eq!(
            wire(&list(vec![new.clone()])),
            old_wire_tests::list(vec![old.clone()])
        );
        for next in [None, Some("https://next".to_string())] {
            assert_eq!(
                wire(&list_page(vec![new.clone()], next.clone())),
                old_wire_tests::list_page(vec![old.clone()], next)
            );
        }
    }
    assert_eq!(
        wire(&system_data(&audit())),
        old_wire_tests::system_data(&audit())
    );
    assert_eq!(
        wire(&system_data_by_service(&audit())),
        old_wire_tests::system_data_by_service(&audit())
    );
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

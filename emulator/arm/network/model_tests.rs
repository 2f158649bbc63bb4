//! Tests of the network resource documents and body parsing (SPEC 6.1, ISO-15).
use super::*;
use serde_json::json;

#[test]
fn subnet_ids_split_into_vnet_and_subnet() {
    let s = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v1/subnets/default";
    let (v, n) = split_subnet_id(s).unwrap();
    assert_eq!(
        v.as_str(),
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v1"
    );
    assert_eq!(n, "default");
    assert!(split_subnet_id(
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v1"
    )
    .is_none());
    assert!(split_subnet_id("default").is_none());
}

#[test]
fn link_targets_are_classified() {
    let ws = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w";
    assert_eq!(
        link_target(ws),
        Some(LinkTarget::Workspace("s".into(), "rg".into(), "w".into()))
    );
    assert_eq!(
        link_target(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a"
        ),
        Some(LinkTarget::Other)
    );
    assert_eq!(link_target("workspaces/w"), None);
    assert_eq!(
        link_target(
            "/subscriptions//resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a"
        ),
        None
    );
}

#[test]
fn iso_15_managed_network_owner_detection() {
    let d = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w/onlineEndpoints/e/deployments/blue";
    assert_eq!(managed_network_owner(d).as_deref(), Some("blue"));
    assert!(managed_network_owner(
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v"
    )
    .is_none());
}

#[test]
fn pe_body_needs_one_connection_and_a_subnet() {
    let good = json!({ "properties": { "subnet": { "id": "x" }, "privateLinkServiceConnections": [{ "properties": { "privateLinkServiceId": "/t", "groupIds": ["amlworkspace"] } }] } });
    let pe = parse_pe(good.as_object().unwrap(), "pe1").unwrap();
    assert_eq!(pe.connection.name, "pe1");
    assert!(!pe.connection.manual);
    let none = json!({ "properties": { "subnet": { "id": "x" } } });
    assert_eq!(
        parse_pe(none.as_object().unwrap(), "p").unwrap_err().status,
        400
    );
    let nosub = json!({ "properties": { "manualPrivateLinkServiceConnections": [{ "properties": { "privateLinkServiceId": "/t" } }] } });
    assert_eq!(
        parse_pe(nosub.as_object().unwrap(), "p")
            .unwrap_err()
            .target
            .as_deref(),
        Some("properties.subnet.id")
    );
}

#[test]
fn vnet_body_defaults_and_keeps_user_tags() {
    let b =
        json!({ "tags": { "team": "a" }, "properties": { "subnets": [{ "name": "default" }] } });
    let v = parse_vnet(b.as_object().unwrap()).unwrap();
    assert_eq!(v.address_prefixes, vec!["10.0.0.0/16".to_string()]);
    assert_eq!(v.tags.len(), 1);
    assert_eq!(v.subnets[0].name, "default");
    let dup = json!({ "properties": { "subnets": [{ "name": "a" }, { "name": "A" }] } });
    assert!(parse_vnet(dup.as_object().unwrap()).is_err());
}

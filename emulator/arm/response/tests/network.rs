//! The VNet and subnet bodies equal the `json!` bodies they replaced (copied from
//! `arm/network/vnet.rs` before issue 10's typing).
use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::*;
use crate::domain::{SubnetDoc, VirtualNetworkDoc};

const VNETS: &str = "Microsoft.Network/virtualNetworks";

fn subnet_body(vnet_id: &ResourceId, s: &SubnetDoc, pes: &[String]) -> Value {
    let id = vnet_id.child("subnets", &s.name);
    json!({
        "id": id.as_str(), "name": s.name, "type": "Microsoft.Network/virtualNetworks/subnets",
        "properties": {
            "provisioningState": "Succeeded", "addressPrefix": s.address_prefix,
            "privateEndpoints": pes.iter().map(|p| json!({ "id": p })).collect::<Vec<_>>(),
            "privateEndpointNetworkPolicies": "Disabled", "privateLinkServiceNetworkPolicies": "Enabled",
        }
    })
}

fn old_body(id: &ResourceId, v: &VirtualNetworkDoc, pes: &[(String, String)]) -> Value {
    let tags = serde_json::to_value(&v.tags).unwrap_or_else(|_| json!({}));
    let subnets: Vec<Value> = v
        .subnets
        .iter()
        .map(|s| {
            let in_subnet: Vec<String> = pes
                .iter()
                .filter(|(_, sn)| sn.eq_ignore_ascii_case(&s.name))
                .map(|(p, _)| p.clone())
                .collect();
            subnet_body(id, s, &in_subnet)
        })
        .collect();
    json!({
        "id": id.as_str(), "name": id.name(), "type": VNETS, "location": v.location, "tags": tags,
        "etag": format!("W/\"{}\"", v.resource_guid),
        "systemData": wire(&system_data(&v.audit)),
        "properties": {
            "provisioningState": "Succeeded", "resourceGuid": v.resource_guid,
            "addressSpace": { "addressPrefixes": v.address_prefixes },
            "subnets": subnets, "virtualNetworkPeerings": [], "enableDdosProtection": false,
        }
    })
}

#[test]
fn vnet_and_subnet_bodies_render_as_before() {
    let id = rg().child("providers/Microsoft.Network/virtualNetworks", "Vnet-1");
    let subnets = vec![
        SubnetDoc {
            name: "default".into(),
            address_prefix: Some("10.0.0.0/24".into()),
        },
        SubnetDoc {
            name: "Other".into(),
            address_prefix: None,
        },
    ];
    for (tags, pes) in [
        (BTreeMap::new(), vec![]),
        (
            BTreeMap::from([("team".to_string(), "ml".to_string())]),
            vec![
                ("/pe/1".to_string(), "DEFAULT".to_string()),
                ("/pe/2".to_string(), "other".to_string()),
            ],
        ),
    ] {
        let v = VirtualNetworkDoc {
            location: "eastus".into(),
            tags,
            address_prefixes: vec!["10.0.0.0/16".into()],
            subnets: subnets.clone(),
            resource_guid: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0".into(),
            listener_port: Some(1234),
            audit: audit(),
        };
        assert_eq!(
            wire(&virtual_network(&id, &v, &pes)),
            old_body(&id, &v, &pes)
        );
        assert_eq!(
            wire(&subnet(&id, &subnets[0], &["/pe/1".into()])),
            subnet_body(&id, &subnets[0], &["/pe/1".into()])
        );
    }
}

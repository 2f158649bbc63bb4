//! Client networks as ARM resources, continued from `network_resources` (SPEC §6.1, §6.2): manual
//! private endpoint approval, refusals, ISO-12 DNS records, ISO-15 peering, fixtures (ISO-2
//! creation time) and the per-VNet listeners across a restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use crate::network_resources::{
    create_vnet, create_vnet_resp, listener_stops, pe_body, pe_path, vnet_path,
};
use common::TestApp;
use serde_json::json;

#[tokio::test]
async fn manual_pe_is_pending_until_approved_through_the_workspace() {
    let app = TestApp::spawn().await;
    create_vnet(&app, "vnet-m").await;
    let r = app
        .put(&pe_path(&app, "pe-m"), pe_body(&app, "vnet-m", true))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let state = &r.body["properties"]["manualPrivateLinkServiceConnections"][0]["properties"]
        ["privateLinkServiceConnectionState"];
    assert_eq!(state["status"], "Pending");
    let pecs = app
        .get(&format!("{}/privateEndpointConnections", app.ws_path()))
        .await;
    let name = pecs.body["value"][0]["name"].as_str().unwrap().to_string();
    let approve = json!({ "properties": { "privateLinkServiceConnectionState": { "status": "Approved", "description": "ok" } } });
    let a = app
        .put(
            &format!("{}/privateEndpointConnections/{name}", app.ws_path()),
            approve,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let pe = app.get(&pe_path(&app, "pe-m")).await;
    let state = &pe.body["properties"]["manualPrivateLinkServiceConnections"][0]["properties"]
        ["privateLinkServiceConnectionState"];
    assert_eq!(state["status"], "Approved");
    // Deleting the connection from the workspace side disconnects the PE.
    app.delete(&format!(
        "{}/privateEndpointConnections/{name}",
        app.ws_path()
    ))
    .await;
    let pe = app.get(&pe_path(&app, "pe-m")).await;
    assert_eq!(
        pe.body["properties"]["manualPrivateLinkServiceConnections"][0]["properties"]
            ["privateLinkServiceConnectionState"]["status"],
        "Disconnected"
    );
}

#[tokio::test]
async fn pe_refusals_name_the_problem() {
    let app = TestApp::spawn().await;
    create_vnet(&app, "vnet-r").await;
    let mut missing_ws = pe_body(&app, "vnet-r", false);
    missing_ws["properties"]["privateLinkServiceConnections"][0]["properties"]["privateLinkServiceId"] =
        json!(format!("/subscriptions/{}/resourceGroups/{}/providers/Microsoft.MachineLearningServices/workspaces/nope", app.sub, app.rg));
    let r = app.put(&pe_path(&app, "pe-r"), missing_ws).await;
    assert_eq!(
        (r.status, r.code()),
        (404, "ResourceNotFound"),
        "{}",
        r.text
    );
    let mut bad_id = pe_body(&app, "vnet-r", false);
    bad_id["properties"]["privateLinkServiceConnections"][0]["properties"]
        ["privateLinkServiceId"] = json!("workspaces/nope");
    let r = app.put(&pe_path(&app, "pe-r"), bad_id).await;
    assert_eq!(
        (r.status, r.code()),
        (400, "LinkedInvalidPropertyId"),
        "{}",
        r.text
    );
    let mut bad_group = pe_body(&app, "vnet-r", false);
    bad_group["properties"]["privateLinkServiceConnections"][0]["properties"]["groupIds"] =
        json!(["blob"]);
    assert_eq!(app.put(&pe_path(&app, "pe-r"), bad_group).await.status, 400);
    let mut no_subnet = pe_body(&app, "vnet-r", false);
    no_subnet["properties"]["subnet"]["id"] =
        json!(format!("{}/subnets/other", vnet_path(&app, "vnet-r")));
    let r = app.put(&pe_path(&app, "pe-r"), no_subnet).await;
    assert_eq!(
        (r.status, r.code()),
        (400, "InvalidResourceReference"),
        "{}",
        r.text
    );
    assert_eq!(app.get(&pe_path(&app, "pe-r")).await.status, 404);
    let no_rg = app
        .get(&format!(
            "/subscriptions/{}/resourceGroups/none/providers/Microsoft.Network/virtualNetworks/x",
            app.sub
        ))
        .await;
    assert_eq!(no_rg.status, 404);
}

#[tokio::test]
async fn iso_12_pe_shows_the_wildcard_inference_record() {
    let app = TestApp::spawn().await;
    create_vnet(&app, "vnet-dns").await;
    let r = app
        .put(&pe_path(&app, "pe-dns"), pe_body(&app, "vnet-dns", false))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let guid = app.get(&app.ws_path()).await.body["properties"]["workspaceId"]
        .as_str()
        .unwrap()
        .to_string();
    let want = format!("*.{guid}.inference.eastus.privatelink.api.azureml.ms");
    let configs = r.body["properties"]["customDnsConfigs"]
        .as_array()
        .unwrap()
        .clone();
    let rec = configs
        .iter()
        .find(|c| c["fqdn"] == json!(want))
        .unwrap_or_else(|| panic!("no {want} in {configs:?}"));
    // The address lies in the PE's subnet (10.9.0.0/24), past Azure's 5 reserved ones, and
    // is the one its ipConfigurations show.
    let ip = rec["ipAddresses"][0].as_str().unwrap();
    let last: u8 = ip.strip_prefix("10.9.0.").unwrap().parse().unwrap();
    assert!((4..=254).contains(&last), "{ip}");
    let cfg = &r.body["properties"]["ipConfigurations"];
    assert_eq!(cfg[0]["properties"]["privateIPAddress"], json!(ip), "{cfg}");
    assert_eq!(cfg[0]["properties"]["groupId"], "amlworkspace");
}

#[tokio::test]
async fn iso_15_peering_with_a_deployment_managed_network_is_refused() {
    let app = TestApp::spawn().await;
    create_vnet(&app, "vnet-p").await;
    let remote = format!("{}/onlineEndpoints/ep/deployments/blue", app.ws_path());
    let body = json!({ "properties": { "remoteVirtualNetwork": { "id": remote }, "allowVirtualNetworkAccess": true } });
    let r = app
        .put(
            &format!(
                "{}/virtualNetworkPeerings/to-blue",
                vnet_path(&app, "vnet-p")
            ),
            body,
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(
        r.message().contains("ISO-15") && r.message().contains("blue"),
        "{}",
        r.text
    );
    // Inline peerings in a VNet PUT are refused the same way.
    let inline = json!({ "properties": { "virtualNetworkPeerings": [{ "name": "x", "properties": { "remoteVirtualNetwork": { "id": remote } } }] } });
    let r = app.put(&vnet_path(&app, "vnet-q"), inline).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.message().contains("ISO-15"), "{}", r.text);
    let list = app
        .get(&format!(
            "{}/virtualNetworkPeerings",
            vnet_path(&app, "vnet-p")
        ))
        .await;
    assert_eq!(list.body["value"], json!([]));
}

fn isolation_fixture() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/isolation.json")
}

#[tokio::test]
async fn iso_2_fixture_pe_keeps_its_creation_time_and_status() {
    let app = TestApp::spawn_with(|c| c.fixtures = Some(isolation_fixture())).await;
    let old = app.get(&pe_path(&app, "pe-old")).await;
    assert_eq!(old.status, 200, "{}", old.text);
    assert!(
        old.body["systemData"]["createdAt"]
            .as_str()
            .unwrap()
            .starts_with("2022-04-15T09:30:00"),
        "{}",
        old.text
    );
    // A PE older than 2022-05-24 predates the inference record (ISO-2, ISO-12).
    let fqdns: Vec<String> = old.body["properties"]["customDnsConfigs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["fqdn"].as_str().unwrap().to_string())
        .collect();
    assert!(
        !fqdns.iter().any(|f| f.contains(".inference.")),
        "{fqdns:?}"
    );
    let pending = app.get(&pe_path(&app, "pe-pending")).await;
    assert_eq!(
        pending.body["properties"]["privateLinkServiceConnections"][0]["properties"]
            ["privateLinkServiceConnectionState"]["status"],
        "Pending"
    );
    let listeners = app.get("/_amlite/listeners").await;
    assert_eq!(
        listeners.body["value"].as_array().unwrap().len(),
        5,
        "{}",
        listeners.text
    );
}

#[tokio::test]
async fn vnet_listeners_come_back_after_a_restart() {
    let app = TestApp::spawn_with(|c| c.in_memory = false).await;
    let v = create_vnet_resp(&app, "vnet-keep").await;
    assert!(v.header("x-amlite-listener").is_some());
    let dir = app.stop().await;
    let app = TestApp::spawn_in(dir, |c| c.in_memory = false).await;
    let v = app.get(&vnet_path(&app, "vnet-keep")).await;
    assert_eq!(v.status, 200, "{}", v.text);
    let after = v.header("x-amlite-listener").unwrap();
    let health = app
        .client
        .get(format!("{after}/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let listed = app.get("/_amlite/listeners").await;
    assert!(listed.text.contains(&after), "{}", listed.text);
}

/// Deleting a resource group removes the workspace connections of its private endpoints, in
/// another group, as deleting each PE does (an `Approved` connection stayed listed after the
/// group, its VNet and its PE were gone).
#[tokio::test]
async fn deleting_a_resource_group_removes_its_private_endpoints_connections() {
    let app = TestApp::spawn().await;
    let rg = format!("/subscriptions/{}/resourceGroups/rg-pe", app.sub);
    let r = app.put(&rg, json!({ "location": "eastus" })).await;
    assert!(r.status < 300, "{}", r.text);
    let vnet = format!("{rg}/providers/Microsoft.Network/virtualNetworks/v3");
    let body = json!({ "location": "eastus", "properties": { "addressSpace": { "addressPrefixes": ["10.8.0.0/16"] }, "subnets": [{ "name": "default", "properties": { "addressPrefix": "10.8.0.0/24" } }] } });
    let r = app.put(&vnet, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let listener = r.header("x-amlite-listener").unwrap();
    let pe = json!({ "location": "eastus", "properties": {
        "subnet": { "id": format!("{vnet}/subnets/default") },
        "privateLinkServiceConnections": [{ "name": "conn", "properties": { "privateLinkServiceId": app.ws_path(), "groupIds": ["amlworkspace"] } }]
    } });
    let r = app
        .put(
            &format!("{rg}/providers/Microsoft.Network/privateEndpoints/p3"),
            pe,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let pecs = format!("{}/privateEndpointConnections", app.ws_path());
    let count = |r: &common::Resp| r.body["value"].as_array().map_or(0, Vec::len);
    assert_eq!(count(&app.get(&pecs).await), 1);
    let r = app.delete(&rg).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let listed = app.get(&pecs).await;
    assert_eq!(count(&listed), 0, "{}", listed.text);
    assert!(
        listener_stops(&app, &listener).await,
        "the listener of a VNet in the deleted group still answers"
    );
    let ws = app.get(&app.ws_path()).await;
    let embedded = &ws.body["properties"]["privateEndpointConnections"];
    assert!(embedded.as_array().is_none_or(Vec::is_empty), "{}", ws.text);
}

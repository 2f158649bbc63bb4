//! Client networks as ARM resources (SPEC §6.1, §6.2): VNet and private endpoint CRUD, the
//! workspace connection a PE creates, ISO-12 DNS records, ISO-15 peering, fixtures (ISO-2
//! creation time) and the per-VNet listeners across a restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use common::TestApp;
use serde_json::{json, Value};

fn vnet_path(app: &TestApp, name: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/virtualNetworks/{name}",
        app.sub, app.rg
    )
}

fn pe_path(app: &TestApp, name: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/privateEndpoints/{name}",
        app.sub, app.rg
    )
}

async fn create_vnet(app: &TestApp, name: &str) -> Value {
    create_vnet_resp(app, name).await.body
}

async fn create_vnet_resp(app: &TestApp, name: &str) -> common::Resp {
    let body = json!({ "location": "eastus", "properties": { "addressSpace": { "addressPrefixes": ["10.9.0.0/16"] }, "subnets": [{ "name": "default", "properties": { "addressPrefix": "10.9.0.0/24" } }] } });
    let r = app.put(&vnet_path(app, name), body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r
}

fn pe_body(app: &TestApp, vnet: &str, manual: bool) -> Value {
    let key = if manual {
        "manualPrivateLinkServiceConnections"
    } else {
        "privateLinkServiceConnections"
    };
    json!({ "location": "eastus", "properties": {
        "subnet": { "id": format!("{}/subnets/default", vnet_path(app, vnet)) },
        key: [{ "name": "conn", "properties": { "privateLinkServiceId": app.ws_path(), "groupIds": ["amlworkspace"] } }]
    } })
}

#[tokio::test]
async fn vnet_crud_shows_its_listener_and_serves_arm_on_it() {
    let app = TestApp::spawn().await;
    let created = create_vnet_resp(&app, "vnet-a").await;
    let v = created.body.clone();
    assert_eq!(v["type"], "Microsoft.Network/virtualNetworks");
    assert_eq!(
        v["properties"]["addressSpace"]["addressPrefixes"],
        json!(["10.9.0.0/16"])
    );
    assert_eq!(v["properties"]["subnets"][0]["name"], "default");
    // The listener URL is a response header, never a tag (Azure adds none of its own).
    assert_eq!(v["tags"], json!({}), "{}", created.text);
    let url = created.header("x-amlite-listener").unwrap();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    // The listener serves the whole ARM API (ISO-4).
    let ws = app
        .get(&format!("{url}{}?api-version=2024-04-01", app.ws_path()))
        .await;
    assert_eq!(ws.status, 200, "{}", ws.text);
    let listed = app
        .get(&format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/virtualNetworks",
            app.sub, app.rg
        ))
        .await;
    assert_eq!(listed.body["value"].as_array().unwrap().len(), 1);
    // A GET-modify-PUT stores exactly the user's tags; the GET names the same listener.
    let got = app.get(&vnet_path(&app, "vnet-a")).await;
    assert_eq!(got.header("x-amlite-listener"), Some(url.clone()));
    let mut again = got.body.clone();
    again["tags"]["team"] = json!("blue");
    let r = app.put(&vnet_path(&app, "vnet-a"), again).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["tags"], json!({ "team": "blue" }));
    assert_eq!(r.header("x-amlite-listener"), Some(url.clone()));
    let admin = app.get("/_amlite/listeners").await;
    assert!(admin.text.contains(&url), "{}", admin.text);
    let env = app.get("/_amlite/env?vnet=vnet-a").await;
    assert!(
        env.text
            .contains(&format!("ARM_CLOUD_METADATA_URL='{url}/metadata/endpoints")),
        "{}",
        env.text
    );
    // Delete stops the listener.
    let d = app.delete(&vnet_path(&app, "vnet-a")).await;
    assert_eq!(d.status, 200, "{}", d.text);
    assert_eq!(app.get(&vnet_path(&app, "vnet-a")).await.status, 404);
    let mut refused = false;
    for _ in 0..50 {
        if app
            .client
            .get(format!("{url}/health"))
            .send()
            .await
            .is_err()
        {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(refused, "the listener of a deleted VNet still answers");
    assert_eq!(app.get("/_amlite/env?vnet=vnet-a").await.status, 404);
}

#[tokio::test]
async fn pe_creates_the_workspace_connection_and_its_delete_removes_it() {
    let app = TestApp::spawn().await;
    create_vnet(&app, "vnet-b").await;
    let r = app
        .put(&pe_path(&app, "pe-b"), pe_body(&app, "vnet-b", false))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let conn = &r.body["properties"]["privateLinkServiceConnections"][0]["properties"];
    assert_eq!(
        conn["privateLinkServiceConnectionState"]["status"],
        "Approved"
    );
    assert_eq!(conn["groupIds"], json!(["amlworkspace"]));
    assert_eq!(r.body["properties"]["provisioningState"], "Succeeded");
    let pecs = app
        .get(&format!("{}/privateEndpointConnections", app.ws_path()))
        .await;
    let list = pecs.body["value"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{}", pecs.text);
    assert_eq!(
        list[0]["properties"]["privateEndpoint"]["id"]
            .as_str()
            .unwrap()
            .to_lowercase(),
        pe_path(&app, "pe-b").to_lowercase()
    );
    // The VNet shows the PE in its subnet, and cannot be deleted while it is there.
    let v = app.get(&vnet_path(&app, "vnet-b")).await;
    assert_eq!(
        v.body["properties"]["subnets"][0]["properties"]["privateEndpoints"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let refused = app.delete(&vnet_path(&app, "vnet-b")).await;
    assert_eq!(
        (refused.status, refused.code()),
        (400, "InUseSubnetCannotBeDeleted"),
        "{}",
        refused.text
    );
    let d = app.delete(&pe_path(&app, "pe-b")).await;
    assert_eq!(d.status, 200);
    let pecs = app
        .get(&format!("{}/privateEndpointConnections", app.ws_path()))
        .await;
    assert_eq!(
        pecs.body["value"].as_array().unwrap().len(),
        0,
        "{}",
        pecs.text
    );
    assert_eq!(app.delete(&pe_path(&app, "pe-b")).await.status, 204);
    assert_eq!(app.delete(&vnet_path(&app, "vnet-b")).await.status, 200);
}

/// The PE's `networkInterfaces[0]` is a NIC amlite serves (issue 11): its IP configuration
/// carries the PE's address in its subnet, the group id and the FQDNs of `customDnsConfigs`, and
/// points back at the PE; other NIC names are ARM's 404, and the NIC goes with its PE.
#[tokio::test]
async fn pe_network_interface_is_served_with_the_pe_address() {
    let app = TestApp::spawn().await;
    create_vnet(&app, "vnet-n").await;
    let r = app
        .put(&pe_path(&app, "pe-n"), pe_body(&app, "vnet-n", false))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let pe = app.get(&pe_path(&app, "pe-n")).await;
    let props = &pe.body["properties"];
    let nic_id = props["networkInterfaces"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let nic = app.get(&nic_id).await;
    assert_eq!(nic.status, 200, "{}", nic.text);
    assert_eq!(nic.body["id"], nic_id.as_str());
    assert_eq!(nic.body["type"], "Microsoft.Network/networkInterfaces");
    assert_eq!(
        nic.body["properties"]["privateEndpoint"]["id"],
        pe.body["id"]
    );
    let ipc = &nic.body["properties"]["ipConfigurations"][0]["properties"];
    let ip = ipc["privateIPAddress"].as_str().unwrap();
    assert!(ip.starts_with("10.9.0."), "{}", nic.text);
    let dns = props["customDnsConfigs"].as_array().unwrap();
    assert!(!dns.is_empty(), "{}", pe.text);
    for c in dns {
        assert_eq!(c["ipAddresses"], json!([ip]), "{}", pe.text);
    }
    assert_eq!(
        props["ipConfigurations"][0]["properties"]["privateIPAddress"],
        ip
    );
    assert_eq!(ipc["subnet"]["id"], props["subnet"]["id"]);
    let link = &ipc["privateLinkConnectionProperties"];
    assert_eq!(link["groupId"], "amlworkspace");
    let fqdns: Vec<Value> = dns.iter().map(|c| c["fqdn"].clone()).collect();
    assert_eq!(link["fqdns"], json!(fqdns));
    let nics = nic_id.rsplit_once('/').unwrap().0.to_string();
    for name in ["pe-n.nic.1", "nope.nic.1", "plain-nic"] {
        let path = format!("{nics}/{name}");
        let r = app.get(&path).await;
        let want = amlite::error::ArmError::resource_not_found(&path);
        assert_eq!(r.status, want.status.as_u16(), "{name}: {}", r.text);
        assert_eq!(r.body["error"]["code"], want.body()["error"]["code"]);
        assert_eq!(r.body["error"]["message"], want.body()["error"]["message"]);
    }
    assert_eq!(app.delete(&pe_path(&app, "pe-n")).await.status, 200);
    assert_eq!(app.get(&nic_id).await.status, 404);
}

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

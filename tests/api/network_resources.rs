//! Client networks as ARM resources (SPEC §6.1, §6.2): VNet and private endpoint CRUD, the
//! workspace connection a PE creates, ISO-12 DNS records, ISO-15 peering, fixtures (ISO-2
//! creation time) and the per-VNet listeners across a restart.
//! (Split for length: the later tests are in `network_resources_pe`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use common::TestApp;
use serde_json::{json, Value};

pub(crate) fn vnet_path(app: &TestApp, name: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/virtualNetworks/{name}",
        app.sub, app.rg
    )
}

pub(crate) fn pe_path(app: &TestApp, name: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/privateEndpoints/{name}",
        app.sub, app.rg
    )
}

pub(crate) async fn create_vnet(app: &TestApp, name: &str) -> Value {
    create_vnet_resp(app, name).await.body
}

pub(crate) async fn create_vnet_resp(app: &TestApp, name: &str) -> common::Resp {
    let body = json!({ "location": "eastus", "properties": { "addressSpace": { "addressPrefixes": ["10.9.0.0/16"] }, "subnets": [{ "name": "default", "properties": { "addressPrefix": "10.9.0.0/24" } }] } });
    let r = app.put(&vnet_path(app, name), body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r
}

/// True once a listener refuses connections (polled for up to 2.5 s: it stops after the reply).
pub(crate) async fn listener_stops(app: &TestApp, url: &str) -> bool {
    for _ in 0..50 {
        if app
            .client
            .get(format!("{url}/health"))
            .send()
            .await
            .is_err()
        {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

pub(crate) fn pe_body(app: &TestApp, vnet: &str, manual: bool) -> Value {
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
    assert!(
        listener_stops(&app, &url).await,
        "the listener of a deleted VNet still answers"
    );
    assert_eq!(app.get("/_amlite/env?vnet=vnet-a").await.status, 404);
}

/// `/_amlite/env` is meant for `eval "$(curl …)"`: a VNet name with a `'` must stay one value in
/// the shell, not end the quoting and run the rest (it did: `touch INJECTED` ran).
#[tokio::test]
async fn env_exports_stay_quoted_for_a_vnet_name_with_a_quote() {
    let app = TestApp::spawn().await;
    let name = "pwn';touch INJECTED;'";
    create_vnet(&app, name).await;
    let key = name
        .replace('\'', "%27")
        .replace(';', "%3B")
        .replace(' ', "%20");
    let env = app.get(&format!("/_amlite/env?vnet={key}")).await;
    assert_eq!(env.status, 200, "{}", env.text);
    let cwd = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("bash")
        .args([
            "-c",
            "eval \"$1\"; printf %s \"$AMLITE_VNET_ID\"",
            "_",
            &env.text,
        ])
        .current_dir(cwd.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let id = String::from_utf8(out.stdout).unwrap();
    assert!(id.ends_with(&format!("/virtualNetworks/{name}")), "{id}");
    assert!(
        !cwd.path().join("INJECTED").exists(),
        "the name ran as a command"
    );
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

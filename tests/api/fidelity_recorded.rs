//! Answers as recorded real Azure gives them (issue 15; the Azure CLI `ml` extension's cassettes in
//! `../shared/azure-recordings/`, replayed in full by tests/replay). Each test names the cassette
//! that decided it; where SPEC.md said otherwise the recording wins.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use common::TestApp;
use serde_json::json;

/// `test_online_endpoint_mir`: every managed endpoint is `kind: Managed`, and a system-assigned
/// identity carries `principalId` and `tenantId`, stable across reads.
#[tokio::test]
async fn endpoint_has_kind_managed_and_a_system_identity_principal() {
    let app = TestApp::spawn().await;
    let put = app.create_endpoint("ep-kind", json!({})).await;
    assert_eq!(put.body["kind"], "Managed", "{}", put.text);
    let get = app.get(&app.ep_path("ep-kind")).await;
    assert_eq!(get.body["kind"], "Managed");
    let principal = get.body["identity"]["principalId"].as_str().unwrap_or("");
    assert_eq!(principal.len(), 36, "{}", get.text);
    // The principal a deployment's identity endpoint issues tokens for (their `oid`).
    let id = get.body["id"].as_str().unwrap_or("");
    assert_eq!(
        principal,
        amlite::domain::identity::system_assigned(id).principal_id
    );
    assert_eq!(put.body["identity"]["principalId"], principal);
    assert_eq!(
        get.body["identity"]["tenantId"],
        app.state.tenant_id.as_str()
    );
    let list = app.get(&format!("{}/onlineEndpoints", app.ws_path())).await;
    assert_eq!(list.body["value"][0]["identity"]["principalId"], principal);
    // The workspace's system identity too (every recorded workspace GET).
    let ws = app.get(&app.ws_path()).await;
    assert_eq!(
        ws.body["identity"]["principalId"].as_str().map(str::len),
        Some(36),
        "{}",
        ws.text
    );
}

/// `test_mir_deployment_private_feature`, `test_online_endpoint_invoke`: with api-version
/// 2022-02-01-preview a deployment carries `privateNetworkConnection` (true when egress is
/// Disabled); the 2021-10-01 answers recorded (`test_online_deployment_list`) do not. The same
/// row is read with two api-versions in turn: arm/rendered.rs keys its kept answers on the
/// api-version, and a key without it would answer the last GET with the first one's bytes.
#[tokio::test]
async fn deployment_private_network_connection_for_2022_02_01_preview() {
    let app = TestApp::spawn().await;
    app.create_endpoint("ep-pnc", json!({})).await;
    app.create_deployment("ep-pnc", "open", json!({}), 1).await;
    app.create_deployment(
        "ep-pnc",
        "closed",
        json!({ "egressPublicNetworkAccess": "Disabled" }),
        1,
    )
    .await;
    let base = format!("{}/deployments", app.ep_path("ep-pnc"));
    let get = |name: &str, v: &str| {
        let url = format!("{}{base}/{name}?api-version={v}", app.base);
        let client = app.client.clone();
        async move {
            client
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        get("open", "2022-02-01-preview").await["properties"]["privateNetworkConnection"],
        false
    );
    assert_eq!(
        get("closed", "2022-02-01-preview").await["properties"]["privateNetworkConnection"],
        true
    );
    assert!(get("open", "2023-04-01-preview").await["properties"]
        .get("privateNetworkConnection")
        .is_none());
}

/// The `Location` result of a deployment update shows the deployment as a GET with the same
/// api-version does (ARM's LRO convention): under `2022-02-01-preview` with its
/// `privateNetworkConnection`. It used to be rendered without the api-version, so the field was
/// missing there alone.
#[tokio::test]
async fn deployment_location_result_has_the_fields_of_its_api_version() {
    let app = TestApp::spawn().await;
    app.create_endpoint("ep-loc", json!({})).await;
    let egress = json!({ "egressPublicNetworkAccess": "Disabled" });
    app.create_deployment("ep-loc", "closed", egress, 1).await;
    let v = "api-version=2022-02-01-preview";
    let path = format!("{}/deployments/closed?{v}", app.ep_path("ep-loc"));
    let r = app.patch(&path, json!({ "tags": { "t": "1" } })).await;
    assert_eq!(r.status, 202, "{}", r.text);
    let location = r.header("location").expect("a Location header");
    assert!(location.contains(v), "{location}");
    let result = app.get(&location).await;
    assert_eq!(result.status, 200, "{}", result.text);
    assert_eq!(result.body["tags"]["t"], "1", "{}", result.text);
    assert_eq!(
        result.body["properties"]["privateNetworkConnection"], true,
        "{}",
        result.text
    );
}

/// Workspace properties Azure fills in, per api-version (`arm::response::azure_filled`; recorded:
/// `test_online_endpoint_invoke` 2022, `test_workspace_managednetwork_outbound_rule_operations`
/// 2024-07-01-preview).
#[tokio::test]
async fn workspace_has_the_fields_azure_fills_in_for_the_api_version() {
    let app = TestApp::spawn().await;
    let get = |v: &str| {
        let url = format!("{}{}?api-version={v}", app.base, app.ws_path());
        let client = app.client.clone();
        async move {
            client
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let old = get("2022-05-01").await;
    let p = &old["properties"];
    assert_eq!(p["description"], "");
    assert_eq!(p["acrSkuTier"], "Basic");
    assert_eq!(p["storageHnsEnabled"], false);
    assert_eq!(p["privateLinkCount"], 0);
    assert_eq!(
        p["sdkTelemetryAppInsightsKey"].as_str().map(str::len),
        Some(36)
    );
    let wsid = p["workspaceId"].as_str().unwrap();
    assert!(
        p["containerRegistry"]
            .as_str()
            .unwrap()
            .ends_with(&wsid.replace('-', "")),
        "{p}"
    );
    assert_eq!(
        p["notebookInfo"]["fqdn"],
        format!("ml-{}-eastus-{wsid}.notebooks.azure.net", app.ws)
    );
    assert!(p.get("softDeleteEnabled").is_none());
    let new = get("2024-07-01-preview").await;
    let p = &new["properties"];
    assert!(p.get("acrSkuTier").is_none());
    assert_eq!(p["softDeleteEnabled"], false);
    assert_eq!(p["ipAllowlist"], json!([]));
    assert_eq!(p["systemDatastoresAuthMode"], "accesskey");
    assert_eq!(
        p["serverlessComputeSettings"]["serverlessComputeNoPublicIP"],
        false
    );
    assert_eq!(p["creationTime"], new["systemData"]["createdAt"]);
    assert_eq!(
        p["notebookInfo"]["fqdn"],
        format!("ml-{}-eastus-{wsid}.eastus.notebooks.azure.net", app.ws)
    );
}

/// `test_online_endpoint_update` (and `…_using_set_and_file`, `…_with_incomplete_file`): a
/// re-PUT of an AMLToken endpoint with `authMode: Key` keeps `AMLToken`, in the answer and after.
#[tokio::test]
async fn a_later_put_does_not_change_auth_mode() {
    let app = TestApp::spawn().await;
    app.create_endpoint("ep-auth", json!({ "authMode": "AMLToken" }))
        .await;
    let body = json!({ "location": "eastus", "properties": { "authMode": "Key" } });
    let r = app.put(&app.ep_path("ep-auth"), body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["properties"]["authMode"], "AMLToken");
    app.wait(&r).await;
    assert_eq!(
        app.get(&app.ep_path("ep-auth")).await.body["properties"]["authMode"],
        "AMLToken"
    );
    // A value that is not an authMode is still refused.
    let bad = json!({ "location": "eastus", "properties": { "authMode": "Password" } });
    assert_eq!(app.put(&app.ep_path("ep-auth"), bad).await.status, 400);
}

/// `test_workspace_managednetwork_outbound_rule_operations`, `test_workspace_managednetwork_provision`:
/// rule lists carry `destination.action`/`addressPrefixes` (ServiceTag) and `sparkStatus`
/// (PrivateEndpoint) and keep `fqdns`; a rule PUT's operation result is the rule, a
/// provisionManagedNetwork's is `{"status": "Active", "sparkReady": false}`; `networkId` is the
/// workspace id.
#[tokio::test]
async fn outbound_rules_and_managed_network_results_as_recorded() {
    let app = TestApp::spawn().await;
    let ws = app.ws_path();
    let r = app
        .patch(&ws, json!({ "properties": { "managedNetwork": { "isolationMode": "AllowOnlyApprovedOutbound" } } }))
        .await;
    assert!(r.status < 300, "{}", r.text);
    if r.status == 202 {
        app.wait(&r).await;
    }
    let tag = json!({ "properties": { "type": "ServiceTag", "category": "UserDefined",
        "destination": { "serviceTag": "AzureMonitor", "protocol": "TCP", "portRanges": "10,20-30" } } });
    let put = app.put(&format!("{ws}/outboundRules/tag-rule"), tag).await;
    assert_eq!(put.status, 202, "{}", put.text);
    assert!(put.header("azure-asyncoperation").is_some());
    app.wait(&put).await;
    let result = app.get(&put.header("location").unwrap()).await;
    assert_eq!(
        (result.status, result.body["name"].as_str()),
        (200, Some("tag-rule")),
        "{}",
        result.text
    );
    assert_eq!(result.body["properties"]["destination"]["action"], "Allow");
    assert_eq!(
        result.body["properties"]["destination"]["addressPrefixes"],
        json!([])
    );
    let pe = json!({ "properties": { "type": "PrivateEndpoint", "category": "UserDefined",
        "destination": { "serviceResourceId": format!("/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/applicationGateways/gw", app.sub, app.rg),
            "subresourceTarget": "appGwPrivateFrontendIpIPv4" },
        "fqdns": ["contoso.a.com", "contoso.b.com"] } });
    let put = app.put(&format!("{ws}/outboundRules/pe-rule"), pe).await;
    assert_eq!(put.status, 202, "{}", put.text);
    app.wait(&put).await;
    let list = app.get(&format!("{ws}/outboundRules")).await;
    let pe = list.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "pe-rule")
        .unwrap()
        .clone();
    assert_eq!(
        pe["properties"]["fqdns"],
        json!(["contoso.a.com", "contoso.b.com"])
    );
    assert_eq!(pe["properties"]["destination"]["sparkStatus"], "Inactive");
    let del = app.delete(&format!("{ws}/outboundRules/pe-rule")).await;
    assert_eq!(del.status, 202, "{}", del.text);
    assert!(del.header("azure-asyncoperation").is_some() && del.header("location").is_some());
    app.wait(&del).await;
    let prov = app
        .post(&format!("{ws}/provisionManagedNetwork"), Some(json!({})))
        .await;
    assert_eq!(prov.status, 202, "{}", prov.text);
    app.wait(&prov).await;
    let result = app.get(&prov.header("location").unwrap()).await;
    assert_eq!(
        result.body,
        json!({ "status": "Active", "sparkReady": false })
    );
    let w = app.get(&ws).await;
    assert_eq!(
        w.body["properties"]["managedNetwork"]["networkId"],
        w.body["properties"]["workspaceId"]
    );
}

/// `test_online_endpoint_update`, `test_online_deployment_update_using_set`: Azure adds
/// `azureml.onlineendpointid` (the endpoint's id, lower-cased) and `AzureAsyncOperationUri` (the
/// monitor of the operation that last created or changed it, named `oe:`/`od:{workspaceId}:{guid}`)
/// to `properties.properties`; a later PUT names its own operation whatever the body echoed.
#[tokio::test]
async fn endpoint_and_deployment_name_their_last_operation_in_properties() {
    let app = TestApp::spawn().await;
    let wsid = app.get(&app.ws_path()).await.body["properties"]["workspaceId"]
        .as_str()
        .unwrap()
        .to_string();
    let put = app.create_endpoint("ep-ops", json!({})).await;
    let props = &put.body["properties"]["properties"];
    assert_eq!(
        props["azureml.onlineendpointid"],
        put.body["id"].as_str().unwrap().to_ascii_lowercase(),
        "{}",
        put.text
    );
    let first = put.header("azure-asyncoperation").unwrap();
    assert_eq!(props["AzureAsyncOperationUri"], first.as_str());
    assert!(
        first.contains(&format!("/mfeOperationsStatus/oe:{wsid}:")),
        "{first}"
    );
    let get = app.get(&app.ep_path("ep-ops")).await;
    assert_eq!(get.body["properties"]["properties"], *props);

    // Re-PUT echoing the answer (as the SDK does): the new operation's URI, not the echoed one.
    let mut body = get.body.clone();
    body["properties"]["properties"]["AzureAsyncOperationUri"] = json!("https://example.test/x");
    let again = app.put(&app.ep_path("ep-ops"), body).await;
    let second = again.header("azure-asyncoperation").unwrap();
    assert_ne!(second, first);
    assert_eq!(
        again.body["properties"]["properties"]["AzureAsyncOperationUri"],
        second.as_str()
    );
    app.wait(&again).await;
    let get = app.get(&app.ep_path("ep-ops")).await;
    assert_eq!(
        get.body["properties"]["properties"]["AzureAsyncOperationUri"],
        second.as_str()
    );

    let path = format!("{}/deployments/blue", app.ep_path("ep-ops"));
    app.create_deployment("ep-ops", "blue", json!({}), 1).await;
    let dep = app.get(&path).await;
    let uri = dep.body["properties"]["properties"]["AzureAsyncOperationUri"]
        .as_str()
        .unwrap_or("");
    assert!(
        uri.contains(&format!("/mfeOperationsStatus/od:{wsid}:")),
        "{}",
        dep.text
    );
    assert!(dep.body["properties"]["properties"]
        .get("azureml.onlineendpointid")
        .is_none());
    let list = app
        .get(&format!("{}/deployments", app.ep_path("ep-ops")))
        .await;
    assert_eq!(
        list.body["value"][0]["properties"]["properties"]["AzureAsyncOperationUri"],
        uri
    );
}

/// `test_online_endpoint_mir_deployment_create`, `test_online_deployment_get_logs` (every managed
/// deployment recorded): a deployment PUT answers `Updating`, a create too; `maxQueueWait` is
/// `PT0S` unless sent; the create's answer shows an unsent `requestTimeout` as `PT0S`, reads the
/// `PT5S` it runs with, and an update keeps it.
#[tokio::test]
async fn deployment_put_answers_updating_with_azure_request_settings() {
    let app = TestApp::spawn().await;
    app.create_endpoint("ep-rs", json!({})).await;
    let path = format!("{}/deployments/blue", app.ep_path("ep-rs"));
    let body = json!({ "location": "eastus", "sku": { "name": "Default", "capacity": 1 }, "properties": {
        "endpointComputeType": "Managed", "instanceType": "Standard_DS3_v2",
        "model": format!("{}/models/m/versions/1", app.ws_path()) } });
    let put = app.put(&path, body.clone()).await;
    assert_eq!(put.status, 201, "{}", put.text);
    let p = &put.body["properties"];
    assert_eq!(p["provisioningState"], "Updating");
    assert_eq!(p["requestSettings"]["maxQueueWait"], "PT0S");
    assert_eq!(p["requestSettings"]["requestTimeout"], "PT0S");
    app.wait(&put).await;
    let rs = &app.get(&path).await.body["properties"]["requestSettings"];
    assert_eq!(rs["maxQueueWait"], "PT0S");
    assert_eq!(rs["requestTimeout"], "PT5S");
    let again = app.put(&path, body).await;
    assert_eq!(again.body["properties"]["provisioningState"], "Updating");
    assert_eq!(
        again.body["properties"]["requestSettings"]["requestTimeout"],
        "PT5S"
    );
    app.wait(&again).await;
    // A timeout the create sends is shown as sent.
    let sent = json!({ "location": "eastus", "sku": { "name": "Default", "capacity": 1 }, "properties": {
        "endpointComputeType": "Managed", "instanceType": "Standard_DS3_v2",
        "model": format!("{}/models/m/versions/1", app.ws_path()),
        "requestSettings": { "requestTimeout": "PT3S" } } });
    let green = format!("{}/deployments/green", app.ep_path("ep-rs"));
    let put = app.put(&green, sent).await;
    assert_eq!(
        put.body["properties"]["requestSettings"]["requestTimeout"],
        "PT3S"
    );
    app.wait(&put).await;
}

/// Asset version PUTs as recorded (`test_online_deployment_get_logs`,
/// `test_online_endpoint_mir_deployment_update`): a create is 201 with `Location` naming the
/// version, an update 200 without; an environment version PUT is always 201; a code version is
/// never anonymous.
#[tokio::test]
async fn asset_version_puts_answer_as_recorded() {
    let app = TestApp::spawn().await;
    let code = format!("{}/codes/c1/versions/1", app.ws_path());
    let body = json!({ "properties": { "isAnonymous": true, "codeUri": "https://x.blob.core.windows.net/c/p" } });
    let put = app.put(&code, body.clone()).await;
    assert_eq!(put.status, 201, "{}", put.text);
    let loc = put.header("location").unwrap_or_default();
    assert!(
        loc.starts_with(&format!(
            "{}{}?api-version=",
            app.base,
            put.body["id"].as_str().unwrap()
        )),
        "{loc}"
    );
    assert_eq!(put.body["properties"]["isAnonymous"], false);
    let again = app.put(&code, body).await;
    assert_eq!(again.status, 200);
    assert!(again.header("location").is_none());
    assert_eq!(
        app.get(&code).await.body["properties"]["isAnonymous"],
        false
    );

    let env = format!("{}/environments/e1/versions/1", app.ws_path());
    let body = json!({ "properties": { "image": "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest" } });
    for _ in 0..2 {
        let put = app.put(&env, body.clone()).await;
        assert_eq!(put.status, 201, "{}", put.text);
        assert!(put.header("location").is_some());
    }
}

//! Property names in request bodies match in any casing, as Azure ML's resource provider reads
//! them (ASP.NET Core's JSON formatter ignores case): `{"Properties": {"AuthMode": …}}` is
//! honoured, stored and answered in Azure's casing, while the keys of user maps (tags,
//! `properties.properties`, outbound rule names) keep the casing sent. Before, such a body was
//! a 2xx that ignored the fields.
use crate::common::{Resp, TestApp};
use serde_json::json;

fn created(r: &Resp) {
    assert!(
        r.status == 200 || r.status == 201,
        "{} {}",
        r.status,
        r.text
    );
}

#[tokio::test]
async fn an_endpoint_body_in_pascal_case_is_honoured_and_its_tag_keys_kept() {
    let app = TestApp::spawn().await;
    let body = json!({ "Location": "eastus", "Tags": { "MyKey": "v" },
        "Properties": { "AuthMode": "AMLToken", "PublicNetworkAccess": "Disabled",
            "Description": "pascal" } });
    let r = app.put(&app.ep_path("pascal"), body).await;
    created(&r);
    assert_eq!(app.wait(&r).await.body["status"], "Succeeded");
    let got = app.get(&app.ep_path("pascal")).await;
    assert_eq!(
        got.body["properties"]["authMode"], "AMLToken",
        "{}",
        got.text
    );
    assert_eq!(got.body["properties"]["publicNetworkAccess"], "Disabled");
    assert_eq!(got.body["properties"]["description"], "pascal");
    assert_eq!(got.body["tags"], json!({ "MyKey": "v" }));
    assert_eq!(got.body["location"], "eastus");
}

/// `identity` is stored as sent: its names too are read in any casing.
#[tokio::test]
async fn an_identity_in_pascal_case_is_the_identity_asked_for() {
    let app = TestApp::spawn().await;
    let uai = "/subscriptions/6a6d6c69-7465-4000-8000-000000000001/resourceGroups/amlite-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai";
    let body = json!({ "location": "eastus", "properties": { "authMode": "Key" },
        "Identity": { "Type": "UserAssigned", "UserAssignedIdentities": { uai: {} } } });
    let r = app.put(&app.ep_path("identity-ep"), body).await;
    created(&r);
    app.wait(&r).await;
    let got = app.get(&app.ep_path("identity-ep")).await;
    assert_eq!(got.body["identity"]["type"], "UserAssigned", "{}", got.text);
    assert!(got.body["identity"]["userAssignedIdentities"][uai].is_object());

    let body = json!({ "identity": { "type": "SystemAssigned" }, "Sku": { "Name": "Basic", "Tier": "Basic" } });
    let r = app.patch(&app.ws_path(), body).await;
    assert!(r.status < 300, "{} {}", r.status, r.text);
    let got = app.get(&app.ws_path()).await;
    assert_eq!(
        got.body["sku"],
        json!({ "name": "Basic", "tier": "Basic" }),
        "{}",
        got.text
    );

    let bad = json!({ "location": "eastus", "properties": { "authMode": "Key" },
        "identity": { "type": 5 } });
    let r = app.put(&app.ep_path("identity-ep"), bad).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.body["error"]["target"], "identity.type", "{}", r.text);
}

#[tokio::test]
async fn a_deployment_body_in_other_casings_is_honoured() {
    let app = TestApp::spawn().await;
    app.create_endpoint("casing-ep", json!({})).await;
    let ws = app.ws_path();
    let body = json!({ "LOCATION": "eastus", "SKU": { "Name": "Default", "Capacity": 2 },
        "properties": { "EndpointComputeType": "Managed", "instanceType": "Standard_DS3_v2",
            "Model": format!("{ws}/models/m/versions/1"),
            "CodeConfiguration": { "CodeId": format!("{ws}/codes/c/versions/1"),
                "ScoringScript": "score.py" },
            "EnvironmentId": format!("{ws}/environments/e/versions/1"),
            "EnvironmentVariables": { "My_Var": "1" } } });
    let r = app
        .put(
            &format!("{}/deployments/blue", app.ep_path("casing-ep")),
            body,
        )
        .await;
    created(&r);
    assert_eq!(app.wait(&r).await.body["status"], "Succeeded");
    let got = app
        .get(&format!("{}/deployments/blue", app.ep_path("casing-ep")))
        .await;
    assert_eq!(got.body["sku"]["capacity"], 2, "{}", got.text);
    let props = &got.body["properties"];
    assert_eq!(props["codeConfiguration"]["scoringScript"], "score.py");
    assert_eq!(props["environmentVariables"], json!({ "My_Var": "1" }));
}

#[tokio::test]
async fn workspace_properties_in_pascal_case_are_applied_and_stored_in_azures_casing() {
    let app = TestApp::spawn().await;
    let ws = app.ws_path();
    let body = json!({ "Properties": { "PublicNetworkAccess": "Disabled", "Description": "d",
        "ManagedNetwork": { "IsolationMode": "AllowOnlyApprovedOutbound",
            "OutboundRules": { "My-Rule": { "Type": "FQDN", "Destination": "pypi.org",
                "Category": "UserDefined" } } } } });
    let r = app.patch(&ws, body).await;
    assert!(r.status < 300, "{} {}", r.status, r.text);
    if r.header("azure-asyncoperation").is_some() {
        app.wait(&r).await;
    }
    let got = app.get(&ws).await;
    let props = &got.body["properties"];
    assert_eq!(props["publicNetworkAccess"], "Disabled", "{}", got.text);
    assert_eq!(props["description"], "d");
    for sent in ["PublicNetworkAccess", "Description", "ManagedNetwork"] {
        assert!(props.get(sent).is_none(), "{sent} in {}", got.text);
    }
    let network = &props["managedNetwork"];
    assert_eq!(network["isolationMode"], "AllowOnlyApprovedOutbound");
    let rule = &network["outboundRules"]["My-Rule"];
    assert_eq!(rule["type"], "FQDN", "{}", got.text);
    assert_eq!(rule["destination"], "pypi.org");

    let storage = props["storageAccount"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let pe = format!("{ws}/outboundRules/pe-rule");
    let body = json!({ "Properties": { "Type": "PrivateEndpoint", "Destination": {
        "ServiceResourceId": storage, "SubresourceTarget": "blob", "SparkEnabled": false } } });
    let r = app.put(&pe, body).await;
    assert!(r.status < 300, "{} {}", r.status, r.text);
    if r.header("azure-asyncoperation").is_some() || r.header("location").is_some() {
        app.wait(&r).await;
    }
    let got = app.get(&pe).await;
    let destination = &got.body["properties"]["destination"];
    assert_eq!(
        destination["serviceResourceId"],
        storage.as_str(),
        "{}",
        got.text
    );
    assert_eq!(destination["subresourceTarget"], "blob");
    assert_eq!(destination["sparkEnabled"], false);
}

#[tokio::test]
async fn asset_versions_containers_and_datastores_are_stored_in_azures_casing() {
    let app = TestApp::spawn().await;
    let ws = app.ws_path();
    let model = format!("{ws}/models/cased/versions/1");
    let body = json!({ "Properties": { "ModelUri": "azureml://x/y", "Description": "d",
        "Tags": { "K": "v" }, "Properties": { "Stage": "dev" },
        "Flavors": { "python_function": { "Data": { "loader_module": "m" } } } } });
    created(&app.put(&model, body).await);
    let got = app.get(&model).await;
    let props = &got.body["properties"];
    assert_eq!(props["modelUri"], "azureml://x/y", "{}", got.text);
    assert_eq!(props["description"], "d");
    assert_eq!(props["tags"], json!({ "K": "v" }));
    assert_eq!(props["properties"], json!({ "Stage": "dev" }));
    assert_eq!(
        props["flavors"]["python_function"]["data"]["loader_module"],
        "m"
    );
    assert!(props.get("ModelUri").is_none(), "{}", got.text);

    let container = format!("{ws}/models/cased");
    created(
        &app.put(&container, json!({ "Properties": { "IsArchived": true } }))
            .await,
    );
    let got = app.get(&container).await;
    assert_eq!(got.body["properties"]["isArchived"], true, "{}", got.text);

    let code = format!("{ws}/codes/cased/versions/1");
    let uri = "https://amlitewsstore.blob.core.windows.net/c/code";
    created(
        &app.put(&code, json!({ "Properties": { "CodeUri": uri } }))
            .await,
    );
    let got = app.get(&code).await;
    assert_eq!(got.body["properties"]["codeUri"], uri, "{}", got.text);

    let store = format!("{ws}/datastores/cased");
    let body = json!({ "properties": { "DatastoreType": "AzureBlob", "AccountName": "acct",
        "ContainerName": "box", "Credentials": { "credentialsType": "None" } } });
    created(&app.put(&store, body).await);
    let got = app.get(&store).await;
    assert_eq!(
        got.body["properties"]["accountName"], "acct",
        "{}",
        got.text
    );
    assert_eq!(got.body["properties"]["containerName"], "box");
}

/// Two keys that name one property in different casings are one property sent twice:
/// refused as a repeated key is.
#[tokio::test]
async fn one_property_sent_in_two_casings_is_invalid_content() {
    let app = TestApp::spawn().await;
    let body = json!({ "location": "eastus", "Location": "westus",
        "properties": { "authMode": "Key" } });
    let r = app.put(&app.ep_path("twice"), body).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.code(), "InvalidRequestContent");
    assert!(r.message().contains("duplicate key"), "{}", r.text);
}

/// A datastore's `credentials.secrets` are write-only, as in Azure: the PUT, GET and list
/// answers name the credentials type and leave the secrets out (all three returned them in
/// full); the credentials' names are stored in Azure's casing.
#[tokio::test]
async fn a_datastores_secrets_are_never_answered() {
    let app = TestApp::spawn().await;
    let store = format!("{}/datastores/keyed", app.ws_path());
    let body = json!({ "properties": { "datastoreType": "AzureBlob", "accountName": "acct",
        "containerName": "box", "Credentials": { "CredentialsType": "AccountKey",
            "Secrets": { "SecretsType": "AccountKey", "Key": "c2VjcmV0LWtleQ==" } } } });
    let put = app.put(&store, body).await;
    created(&put);
    let list = app.get(&format!("{}/datastores", app.ws_path())).await;
    let listed = list.body["value"]
        .as_array()
        .and_then(|v| v.iter().find(|d| d["name"] == "keyed"))
        .cloned()
        .unwrap_or_default();
    for (what, answer) in [
        ("PUT", &put.body),
        ("GET", &app.get(&store).await.body),
        ("list", &listed),
    ] {
        let credentials = &answer["properties"]["credentials"];
        assert_eq!(
            credentials["credentialsType"], "AccountKey",
            "{what}: {answer}"
        );
        assert!(credentials.get("secrets").is_none(), "{what}: {answer}");
        assert!(
            !answer.to_string().contains("c2VjcmV0LWtleQ=="),
            "{what}: {answer}"
        );
    }
}

/// Outbound rule names are ARM resource names, case-insensitive: one body naming `RuleA` and
/// `rulea` is refused (both were stored, and `…/outboundRules/rulea` answered `RuleA`), and a
/// PATCH naming `rulea` replaces a stored `RuleA`.
#[tokio::test]
async fn outbound_rule_names_differing_only_in_case_are_one_rule() {
    let app = TestApp::spawn().await;
    let ws = app.ws_path();
    let rule = |host: &str| json!({ "type": "FQDN", "destination": host });
    let network = |rules: serde_json::Value| {
        json!({ "properties": { "managedNetwork": {
            "isolationMode": "AllowOnlyApprovedOutbound", "outboundRules": rules } } })
    };
    let twice = network(json!({ "RuleA": rule("pypi.org"), "rulea": rule("evil.example.com") }));
    let r = app.patch(&ws, twice).await;
    assert_eq!((r.status, r.code()), (400, "BadRequest"), "{}", r.text);
    let want = amlite::arm::errors::outbound_rule_named_twice("RuleA", "rulea");
    assert_eq!(r.message(), want.message);

    for (name, host) in [("RuleA", "pypi.org"), ("rulea", "files.pythonhosted.org")] {
        let r = app.patch(&ws, network(json!({ name: rule(host) }))).await;
        assert!(r.status < 300, "{} {}", r.status, r.text);
        if r.header("azure-asyncoperation").is_some() || r.header("location").is_some() {
            app.wait(&r).await;
        }
    }
    let got = app.get(&ws).await;
    let rules = &got.body["properties"]["managedNetwork"]["outboundRules"];
    assert!(rules.get("RuleA").is_none(), "{}", got.text);
    assert_eq!(
        rules["rulea"]["destination"], "files.pythonhosted.org",
        "{}",
        got.text
    );
}

/// What Azure fills in by itself is not the client's to set (a sent `creationTime` or
/// `sasGetterUri` was stored and answered), and a property sent in another casing than Azure
/// answers it is answered once (`enableSoftwareBillOfMaterials` came back beside Azure's
/// `EnableSoftwareBillOfMaterials`, with the other value).
#[tokio::test]
async fn a_workspace_answers_its_own_fields_once() {
    let app = TestApp::spawn().await;
    let ws = app.ws_path();
    let before = app.get(&ws).await.body["properties"].clone();
    let body = json!({ "properties": { "creationTime": "1999-01-01T00:00:00Z",
        "sasGetterUri": "https://evil.example/", "softDeleteEnabled": true,
        "enableSoftwareBillOfMaterials": true } });
    let r = app.patch(&ws, body).await;
    assert!(r.status < 300, "{} {}", r.status, r.text);
    let got = app.get(&ws).await;
    let props = &got.body["properties"];
    assert_eq!(
        props["creationTime"], before["creationTime"],
        "{}",
        got.text
    );
    assert_eq!(props["sasGetterUri"], "", "{}", got.text);
    assert_eq!(props["softDeleteEnabled"], false, "{}", got.text);
    let sbom: Vec<&String> = props
        .as_object()
        .map(|m| {
            m.keys()
                .filter(|k| k.eq_ignore_ascii_case("enableSoftwareBillOfMaterials"))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(sbom.len(), 1, "{}", got.text);
}

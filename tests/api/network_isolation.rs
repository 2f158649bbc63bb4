//! The inbound decision on the scoring path (SPEC §6.3; ISO-2, ISO-4, ISO-5): the same endpoint
//! scored from the internet and from the listeners of the VNets of `fixtures/isolation.json`,
//! before and after its public access changes and its private endpoint connections are
//! approved or rejected.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use common::isolation::{endpoint, score_on, set_pec};
use common::TestApp;
use serde_json::json;

fn fixture() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/isolation.json")
}

async fn listener(app: &TestApp, vnet: &str) -> String {
    let path = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/virtualNetworks/{vnet}",
        app.sub, app.rg
    );
    let v = app.get(&path).await;
    v.header("x-amlite-listener")
        .unwrap_or_else(|| panic!("no listener: {}", v.text))
}

async fn bases(app: &TestApp) -> Vec<(&'static str, String)> {
    let mut out = vec![("internet", app.base.clone())];
    for v in ["vnet-approved", "vnet-old", "vnet-pending", "vnet-none"] {
        out.push((v, listener(app, v).await));
    }
    out
}

#[tokio::test]
async fn iso_5_disabled_endpoint_is_scored_only_through_an_approved_recent_pe() {
    let app = TestApp::spawn_with(|c| c.fixtures = Some(fixture())).await;
    let key = endpoint(&app, "ep-private", "Disabled").await;
    let want = [
        ("internet", 403, "ISO-5"),
        ("vnet-approved", 200, ""),
        ("vnet-old", 403, "ISO-2"),
        ("vnet-pending", 403, "ISO-5"),
        ("vnet-none", 403, "ISO-5"),
    ];
    for ((net, base), (_, status, rule)) in bases(&app).await.iter().zip(want) {
        let r = score_on(&app, base, "ep-private", &key).await;
        assert_eq!(r.status, status, "{net}: {}", r.text);
        if status == 403 {
            assert_eq!(r.code(), "Forbidden", "{net}");
            assert_eq!(
                r.header("x-amlite-isolation-rule").as_deref(),
                Some(rule),
                "{net}: {}",
                r.text
            );
            assert!(
                r.message().contains(&format!("rule {rule}")),
                "{net}: {}",
                r.text
            );
            assert!(
                r.message().contains("publicNetworkAccess"),
                "{net}: {}",
                r.text
            );
        } else {
            assert_eq!(r.body["deployment"], "blue");
        }
    }
}

#[tokio::test]
async fn iso_2_old_pe_error_says_to_recreate_it() {
    let app = TestApp::spawn_with(|c| c.fixtures = Some(fixture())).await;
    let key = endpoint(&app, "ep-old", "Disabled").await;
    let r = score_on(&app, &listener(&app, "vnet-old").await, "ep-old", &key).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert!(
        r.message().contains("2022-05-24") && r.message().contains("re-created"),
        "{}",
        r.text
    );
    // The endpoint was created (ISO-2 does not block creation) and the public path works once enabled.
    let ep = app.get(&app.ep_path("ep-old")).await;
    let mut body = ep.body.clone();
    body["properties"]["publicNetworkAccess"] = json!("enabled");
    let put = app.put(&app.ep_path("ep-old"), body).await;
    app.wait(&put).await;
    let r = score_on(&app, &listener(&app, "vnet-old").await, "ep-old", &key).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn iso_5_enabling_public_access_takes_effect_on_the_next_request() {
    let app = TestApp::spawn_with(|c| c.fixtures = Some(fixture())).await;
    let key = endpoint(&app, "ep-flip", "Disabled").await;
    assert_eq!(
        app.score("ep-flip", Some(&key), &[], json!({}))
            .await
            .status,
        403
    );
    let r = app
        .patch(
            &app.ep_path("ep-flip"),
            json!({ "properties": { "publicNetworkAccess": "Enabled" } }),
        )
        .await;
    assert!(r.status < 300, "{}", r.text);
    app.wait(&r).await;
    for (net, base) in bases(&app).await {
        assert_eq!(
            score_on(&app, &base, "ep-flip", &key).await.status,
            200,
            "{net}"
        );
    }
    let r = app
        .patch(
            &app.ep_path("ep-flip"),
            json!({ "properties": { "publicNetworkAccess": "Disabled" } }),
        )
        .await;
    app.wait(&r).await;
    assert_eq!(
        app.score("ep-flip", Some(&key), &[], json!({}))
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn pe_approve_and_reject_change_what_the_vnet_may_score() {
    let app = TestApp::spawn_with(|c| c.fixtures = Some(fixture())).await;
    let key = endpoint(&app, "ep-pec", "Disabled").await;
    let approved = listener(&app, "vnet-approved").await;
    let pending = listener(&app, "vnet-pending").await;
    assert_eq!(score_on(&app, &pending, "ep-pec", &key).await.status, 403);
    set_pec(&app, "pe-pending", "Approved").await;
    assert_eq!(score_on(&app, &pending, "ep-pec", &key).await.status, 200);
    // vnet-approved has two approved PEs (fixture: shorthand and wire form); reject both.
    set_pec(&app, "pe-approved", "Rejected").await;
    set_pec(&app, "pe-wire-form", "Rejected").await;
    let r = score_on(&app, &approved, "ep-pec", &key).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert!(r.message().contains("Rejected"), "{}", r.text);
    set_pec(&app, "pe-approved", "Approved").await;
    assert_eq!(score_on(&app, &approved, "ep-pec", &key).await.status, 200);
}

#[tokio::test]
async fn pe_created_through_arm_opens_the_private_path_and_its_delete_closes_it() {
    let app = TestApp::spawn_with(|c| c.fixtures = Some(fixture())).await;
    let key = endpoint(&app, "ep-arm", "Disabled").await;
    let none = listener(&app, "vnet-none").await;
    assert_eq!(score_on(&app, &none, "ep-arm", &key).await.status, 403);
    let pe = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/privateEndpoints/pe-new",
        app.sub, app.rg
    );
    let subnet = format!("/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/virtualNetworks/vnet-none/subnets/default", app.sub, app.rg);
    let body = json!({ "location": "eastus", "properties": { "subnet": { "id": subnet },
        "privateLinkServiceConnections": [{ "name": "c", "properties": { "privateLinkServiceId": app.ws_path(), "groupIds": ["amlworkspace"] } }] } });
    assert_eq!(app.put(&pe, body).await.status, 201);
    assert_eq!(score_on(&app, &none, "ep-arm", &key).await.status, 200);
    assert_eq!(app.delete(&pe).await.status, 200);
    assert_eq!(score_on(&app, &none, "ep-arm", &key).await.status, 403);
}

#[tokio::test]
async fn iso_4_control_plane_answers_on_every_listener_whatever_public_access_says() {
    let app = TestApp::spawn_with(|c| c.fixtures = Some(fixture())).await;
    endpoint(&app, "ep-cp", "Disabled").await;
    for (net, base) in bases(&app).await {
        let path = |s: &str| format!("{base}{}{s}?api-version=2024-04-01", app.ep_path("ep-cp"));
        let keys = app.post(&path("/listKeys"), None).await;
        assert_eq!(keys.status, 200, "{net}: {}", keys.text);
        let regen = app
            .post(
                &path("/regenerateKeys"),
                Some(json!({ "keyType": "Secondary" })),
            )
            .await;
        assert_eq!(regen.status, 202, "{net}: {}", regen.text);
        let get = app.get(&path("")).await;
        assert_eq!(get.status, 200);
        // scoringUri names the listener that served the GET (SPEC §6.2).
        assert_eq!(
            get.body["properties"]["scoringUri"],
            json!(format!("{base}/endpoints/ep-cp/score")),
            "{net}"
        );
    }
}

/// GET answers are kept with the row they were rendered from (arm/rendered.rs): a repeated GET
/// of an unchanged endpoint still names the listener that served it (SPEC §6.2).
#[tokio::test]
async fn repeated_gets_name_the_listener_that_served_each() {
    let app = TestApp::spawn_with(|c| c.fixtures = Some(fixture())).await;
    endpoint(&app, "ep-again", "Enabled").await;
    let bases = bases(&app).await;
    assert!(bases.len() > 1, "the fixture has VNet listeners");
    for round in 0..2 {
        for (net, base) in &bases {
            let get = app
                .get(&format!(
                    "{base}{}?api-version=2024-04-01",
                    app.ep_path("ep-again")
                ))
                .await;
            assert_eq!(get.status, 200, "{net}: {}", get.text);
            assert_eq!(
                get.body["properties"]["scoringUri"],
                json!(format!("{base}/endpoints/ep-again/score")),
                "{net}, round {round}"
            );
        }
    }
}

#[tokio::test]
async fn decision_follows_the_caller_network_for_an_enabled_endpoint() {
    let app = TestApp::spawn_with(|c| c.fixtures = Some(fixture())).await;
    let key = endpoint(&app, "ep-public", "Enabled").await;
    for (net, base) in bases(&app).await {
        let r = score_on(&app, &base, "ep-public", &key).await;
        assert_eq!(r.status, 200, "{net}: {}", r.text);
    }
}

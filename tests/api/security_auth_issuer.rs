//! Authentication security (issue 9), the issuing side: amlite's Entra-style token endpoint
//! (the well-known development client, Entra's errors), its OpenID configuration and JWKS (which
//! verify every token amlite issues, managed identity included), and the signing key kept 0600
//! in the data folder and reused across restarts.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use amlite::config::AuthCheck;
use amlite::identity::{CLIENT_ID, CLIENT_SECRET};
use common::tokens::*;
use common::TestApp;
use serde_json::{json, Value};

#[tokio::test]
async fn token_endpoint_refuses_a_wrong_secret_with_entra_error() {
    let app = TestApp::spawn().await;
    let scope = format!("{}/.default", app.base);
    let base = [
        ("grant_type", "client_credentials"),
        ("client_id", CLIENT_ID),
        ("scope", scope.as_str()),
    ];
    let mut wrong = base.to_vec();
    wrong.push(("client_secret", "guess"));
    let r = token_request(&app, tenant(), &wrong).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (401, Some("invalid_client")),
        "{}",
        r.text
    );
    let text = r.body["error_description"].as_str().unwrap();
    assert!(
        text.starts_with("AADSTS7000215: Invalid client secret provided."),
        "{text}"
    );
    assert_eq!(r.body["error_codes"], json!([7000215]));
    let r = token_request(&app, tenant(), &base).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (401, Some("invalid_client")),
        "{}",
        r.text
    );
    let mut other = vec![
        ("grant_type", "client_credentials"),
        ("client_id", "someone-else"),
    ];
    other.push(("client_secret", CLIENT_SECRET));
    other.push(("scope", scope.as_str()));
    let r = token_request(&app, tenant(), &other).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (400, Some("unauthorized_client")),
        "{}",
        r.text
    );
    let bad_scope = [
        ("grant_type", "client_credentials"),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("scope", "https://ml.azure.com"),
    ];
    let r = token_request(&app, tenant(), &bad_scope).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (400, Some("invalid_scope")),
        "{}",
        r.text
    );
    let r = token_request(&app, tenant(), &[("client_id", CLIENT_ID)]).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (400, Some("invalid_request")),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn openid_configuration_and_jwks_verify_issued_tokens() {
    let app = TestApp::spawn().await;
    for t in [tenant(), "common", "organizations", "adfs"] {
        let r = app
            .get(&format!("/{t}/v2.0/.well-known/openid-configuration"))
            .await;
        assert_eq!(r.status, 200, "{t}: {}", r.text);
        assert_eq!(r.body["issuer"], format!("{}/{}/v2.0", app.base, tenant()));
        assert_eq!(
            r.body["token_endpoint"],
            format!("{}/{t}/oauth2/v2.0/token", app.base)
        );
    }
    // MSAL reads the ADFS form for AZURE_TENANT_ID=adfs (no instance discovery).
    let cfg = app.get("/adfs/.well-known/openid-configuration").await;
    assert_eq!(cfg.status, 200, "{}", cfg.text);
    let jwks = app.get(cfg.body["jwks_uri"].as_str().unwrap()).await;
    assert_eq!(jwks.status, 200, "{}", jwks.text);
    let jwk = &jwks.body["keys"][0];
    assert_eq!(
        (jwk["kty"].as_str(), jwk["alg"].as_str()),
        (Some("RSA"), Some("RS256"))
    );
    let key = jsonwebtoken::DecodingKey::from_rsa_components(
        jwk["n"].as_str().unwrap(),
        jwk["e"].as_str().unwrap(),
    )
    .unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&["https://ml.azure.com"]);
    v.set_issuer(&[cfg.body["issuer"].as_str().unwrap()]);
    let t = token_for(&app, "https://ml.azure.com").await;
    let header = jsonwebtoken::decode_header(&t).unwrap();
    assert_eq!(header.kid.as_deref(), jwk["kid"].as_str());
    jsonwebtoken::decode::<Value>(&t, &key, &v).expect("token endpoint token verifies");
    // The managed-identity route signs with the same key.
    let r = app
        .client
        .get(format!(
            "{}/msi/token?resource=https://ml.azure.com&api-version=2019-08-01",
            app.base
        ))
        .header("x-identity-header", "amlite")
        .send()
        .await
        .unwrap();
    let msi = TestApp::read(r).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    jsonwebtoken::decode::<Value>(&msi, &key, &v).expect("managed-identity token verifies");
}

#[tokio::test]
async fn signing_key_is_private_and_reused_across_restarts() {
    let app = TestApp::spawn_with(|c| {
        c.in_memory = false;
        c.auth = AuthCheck::Strict;
    })
    .await;
    let t = token_for(&app, "https://management.azure.com/").await;
    let jwks_before = app.get("/adfs/discovery/v2.0/keys").await.body;
    let path = app.dir.path().join("token-signing-key.pem");
    let pem_before = std::fs::read(&path).unwrap();
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let env = std::fs::read_to_string(app.dir.path().join("env.sh")).unwrap();
    for line in [
        format!("export AZURE_CLIENT_ID='{CLIENT_ID}'"),
        format!("export AZURE_CLIENT_SECRET='{CLIENT_SECRET}'"),
        "export AZURE_TENANT_ID='adfs'".to_string(),
        format!("export AZURE_AUTHORITY_HOST='{}'", app.base),
    ] {
        assert!(env.contains(&line), "{line} missing from env.sh:\n{env}");
    }
    let dir = app.stop().await;
    let app = TestApp::spawn_in(dir, |c| {
        c.in_memory = false;
        c.auth = AuthCheck::Strict;
    })
    .await;
    // Same key file, same published key, and a token issued before the restart still verifies.
    assert_eq!(std::fs::read(&path).unwrap(), pem_before);
    let jwks = app.get("/adfs/discovery/v2.0/keys").await.body;
    assert_eq!(jwks, jwks_before);
    let key = jsonwebtoken::DecodingKey::from_rsa_components(
        jwks["keys"][0]["n"].as_str().unwrap(),
        jwks["keys"][0]["e"].as_str().unwrap(),
    )
    .unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&["https://management.azure.com/"]);
    jsonwebtoken::decode::<Value>(&t, &key, &v).expect("pre-restart token verifies");
}

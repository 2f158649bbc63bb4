//! Token helpers for the auth security tests (issue 9): the token endpoint, tokens signed with
//! amlite's own key (read from the data folder) and unsigned JWT-shaped tokens.
use amlite::config::AuthCheck;
use amlite::identity::{CLIENT_ID, CLIENT_SECRET};
use base64::Engine;
use serde_json::{json, Value};

use super::{Resp, TestApp};

pub async fn strict() -> TestApp {
    TestApp::spawn_with(|c| c.auth = AuthCheck::Strict).await
}

pub fn b64(v: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

pub fn tenant() -> &'static str {
    amlite::fixtures::TENANT_ID
}

/// `POST /{tenant}/oauth2/v2.0/token` with the given form fields.
pub async fn token_request(app: &TestApp, tenant: &str, form: &[(&str, &str)]) -> Resp {
    let r = app
        .client
        .post(format!("{}/{tenant}/oauth2/v2.0/token", app.base))
        .form(form)
        .send()
        .await
        .unwrap();
    TestApp::read(r).await
}

/// A token from the token endpoint for `resource` (client credentials, `resource/.default`).
pub async fn token_for(app: &TestApp, resource: &str) -> String {
    let scope = format!("{resource}/.default");
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("scope", scope.as_str()),
    ];
    let r = token_request(app, "adfs", &form).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["access_token"].as_str().unwrap().to_string()
}

/// The standard claims of an amlite token, to tweak.
pub fn claims(app: &TestApp, aud: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({ "aud": aud, "iss": format!("{}/{}/v2.0", app.base, tenant()), "tid": tenant(),
            "iat": now, "nbf": now, "exp": now + 600, "oid": "x", "sub": "x" })
}

/// Signs claims with amlite's own key (read from the data folder, after amlite generated it).
pub async fn sign_with_amlite_key(app: &TestApp, claims: &Value) -> String {
    token_for(app, &app.base).await; // makes sure the key exists
    let pem = std::fs::read(app.dir.path().join("token-signing-key.pem")).unwrap();
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(&pem).unwrap();
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        claims,
        &key,
    )
    .unwrap()
}

pub async fn arm_get(app: &TestApp, path: &str, token: &str) -> Resp {
    let sep = if path.contains('?') { '&' } else { '?' };
    let r = app
        .client
        .get(format!("{}{path}{sep}api-version=2024-04-01", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    TestApp::read(r).await
}

/// An unsigned JWT-shaped token with these claims (what lenient AADToken checks read).
pub fn unsigned(claims: &Value) -> String {
    format!(
        "{}.{}.x",
        b64(&json!({ "alg": "RS256", "typ": "JWT" })),
        b64(claims)
    )
}

//! Helpers of tests/security_blob_auth.rs: strict servers, the ARM calls that hand out storage
//! credentials, and Shared Key / SAS signatures computed by hand from the documented
//! string-to-sign layouts ("Authorize with Shared Key", "Create a service SAS", "Create an
//! account SAS"), independently of amlite's own signing code.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]
use amlite::config::AuthCheck;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::json;

use super::common::TestApp;

pub const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
pub const V: &str = "2021-08-06";

pub fn hmac(key: &[u8], s: &str) -> String {
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    m.update(s.as_bytes());
    B64.encode(m.finalize().into_bytes())
}

pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn http_date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

pub fn iso(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub async fn strict() -> TestApp {
    TestApp::spawn_with(|c| c.auth = AuthCheck::Strict).await
}

pub async fn token(app: &TestApp) -> String {
    let r = app
        .client
        .get(format!("{}/msi/token?resource={}", app.base, app.base))
        .header("x-identity-header", "amlite")
        .send()
        .await
        .unwrap();
    TestApp::read(r).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `POST .../datastores/workspaceblobstore/listSecrets` under `api`.
pub async fn list_secrets(app: &TestApp, api: &str) -> serde_json::Value {
    let url = format!(
        "{}{}/datastores/workspaceblobstore/listSecrets?api-version={api}",
        app.base,
        app.ws_path()
    );
    let r = app
        .client
        .post(url)
        .bearer_auth(token(app).await)
        .json(&json!({ "expirableSecret": true, "expireAfterHours": 1 }))
        .send()
        .await
        .unwrap();
    let r = TestApp::read(r).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

/// The default datastore's (account, container) as the SDK reads them.
pub async fn datastore(app: &TestApp) -> (String, String) {
    let r = app
        .client
        .get(format!(
            "{}{}/datastores/workspaceblobstore?api-version=2024-10-01-preview",
            app.base,
            app.ws_path()
        ))
        .bearer_auth(token(app).await)
        .send()
        .await
        .unwrap();
    let p = TestApp::read(r).await.body["properties"].clone();
    // `127.0.0.1:PORT/{account}`: amlite's path-style form of the account.
    let account = p["accountName"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    (
        account.to_string(),
        p["containerName"].as_str().unwrap().to_string(),
    )
}

/// The account and the key azure-ai-ml 1.35 gets (api-version 2024-10-01-preview).
pub async fn account_key(app: &TestApp) -> Key {
    let body = list_secrets(app, "2024-10-01-preview").await;
    assert_eq!(body["secretsType"], "AccountKey");
    Key {
        account: datastore(app).await.0,
        key: B64.decode(body["key"].as_str().unwrap()).unwrap(),
    }
}

/// A storage account and its key.
pub struct Key {
    pub account: String,
    pub key: Vec<u8>,
}

/// A Shared Key request on `/{account}/{path}`: Put Blob when `body` is given, else Get Blob.
pub async fn shared_key(
    app: &TestApp,
    k: &Key,
    path: &str,
    body: Option<&'static [u8]>,
    date: chrono::DateTime<chrono::Utc>,
) -> reqwest::Response {
    let date = http_date(date);
    let a = &k.account;
    // Path-style: the account is both the signer and the first path segment.
    let resource = format!("/{a}/{a}/{path}");
    let (verb, len, blob_type) = match body {
        Some(b) => ("PUT", b.len().to_string(), "x-ms-blob-type:BlockBlob\n"),
        None => ("GET", String::new(), ""),
    };
    // VERB, Content-Encoding, -Language, -Length, -MD5, -Type, Date, If-Modified-Since, If-Match,
    // If-None-Match, If-Unmodified-Since, Range; then x-ms-* headers sorted; then the resource.
    let sts = format!(
        "{verb}\n\n\n{len}\n\n\n\n\n\n\n\n\n{blob_type}x-ms-date:{date}\nx-ms-version:{V}\n{resource}"
    );
    let url = format!("{}/{a}/{path}", app.base);
    let mut rb = match body {
        Some(b) => app
            .client
            .put(url)
            .header("x-ms-blob-type", "BlockBlob")
            .body(b),
        None => app.client.get(url),
    };
    rb = rb
        .header("x-ms-date", date)
        .header("x-ms-version", V)
        .header(
            "authorization",
            format!("SharedKey {a}:{}", hmac(&k.key, &sts)),
        );
    rb.send().await.unwrap()
}

/// A service SAS (sv 2021-08-06 layout: sp, st, se, resource, si, sip, spr, sv, sr, snapshot
/// time, encryption scope, five response-header overrides).
pub fn service_sas(k: &Key, sr: &str, resource: &str, sp: &str, expiry_minutes: i64) -> String {
    let now = chrono::Utc::now();
    let (st, se) = (
        iso(now - chrono::Duration::minutes(10)),
        iso(now + chrono::Duration::minutes(expiry_minutes)),
    );
    let sts = format!(
        "{sp}\n{st}\n{se}\n/blob/{}/{resource}\n\n\nhttps\n{V}\n{sr}\n\n\n\n\n\n\n",
        k.account
    );
    format!(
        "sv={V}&st={}&se={}&sr={sr}&sp={sp}&spr=https&sig={}",
        enc(&st),
        enc(&se),
        enc(&hmac(&k.key, &sts))
    )
}

/// An account SAS (layout: account, sp, ss, srt, st, se, sip, spr, sv, encryption scope).
pub fn account_sas(k: &Key, ss: &str, srt: &str, sp: &str) -> String {
    let se = iso(chrono::Utc::now() + chrono::Duration::hours(1));
    let sts = format!("{}\n{sp}\n{ss}\n{srt}\n\n{se}\n\nhttps\n{V}\n\n", k.account);
    format!(
        "sv={V}&ss={ss}&srt={srt}&sp={sp}&se={}&spr=https&sig={}",
        enc(&se),
        enc(&hmac(&k.key, &sts))
    )
}

pub async fn get(app: &TestApp, k: &Key, path: &str, sas: String) -> reqwest::Response {
    with_sas(app, k, reqwest::Method::GET, path, &sas, b"").await
}

pub async fn with_sas(
    app: &TestApp,
    k: &Key,
    method: reqwest::Method,
    path: &str,
    sas: &str,
    body: &'static [u8],
) -> reqwest::Response {
    let sep = if path.contains('?') { '&' } else { '?' };
    app.client
        .request(
            method,
            format!("{}/{}/{path}{sep}{sas}", app.base, k.account),
        )
        .header("x-ms-blob-type", "BlockBlob")
        .body(body)
        .send()
        .await
        .unwrap()
}

pub fn code_of(r: &reqwest::Response) -> String {
    r.headers()
        .get("x-ms-error-code")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

//! Authentication security (issue 9), the checks: `--auth strict` verifies signature (amlite's
//! key; `alg: none` and other keys refused), audience, issuer, `exp`/`nbf` on ARM and `/_amlite`,
//! and on AADToken scoring; a non-integer or missing `exp` is refused for AADToken scoring in
//! every mode. The issuing side (token endpoint, OpenID metadata, key) is in
//! `security_auth_issuer.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use amlite::config::AuthCheck;
use common::tokens::*;
use common::TestApp;
use serde_json::{json, Value};

#[tokio::test]
async fn strict_refuses_alg_none() {
    let app = strict().await;
    let forged = format!(
        "{}.{}.",
        b64(&json!({ "alg": "none", "typ": "JWT" })),
        b64(&claims(&app, &format!("{}/", app.base)))
    );
    let r = arm_get(&app, &app.ws_path(), &forged).await;
    assert_eq!(
        (r.status, r.code()),
        (401, "InvalidAuthenticationToken"),
        "{}",
        r.text
    );
    // Same claims with a bogus RS256 signature.
    let bogus = format!(
        "{}.{}.YW1saXRl",
        b64(&json!({ "alg": "RS256", "typ": "JWT" })),
        b64(&claims(&app, &format!("{}/", app.base)))
    );
    let r = arm_get(&app, &app.ws_path(), &bogus).await;
    assert_eq!(
        (r.status, r.code()),
        (401, "InvalidAuthenticationToken"),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn strict_refuses_a_token_signed_by_another_key() {
    let app = strict().await;
    let other = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
    let pem = rsa::pkcs8::EncodePrivateKey::to_pkcs8_pem(&other, Default::default()).unwrap();
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    let t = jsonwebtoken::encode(&header, &claims(&app, &format!("{}/", app.base)), &key).unwrap();
    let r = arm_get(&app, &app.ws_path(), &t).await;
    assert_eq!(
        (r.status, r.code()),
        (401, "InvalidAuthenticationToken"),
        "{}",
        r.text
    );
    assert!(r.message().contains("signature"), "{}", r.text);
}

#[tokio::test]
async fn strict_refuses_foreign_audience() {
    let app = strict().await;
    for aud in [
        "https://storage.azure.com",
        "https://ml.azure.com",
        "https://evil.example/",
    ] {
        let t = token_for(&app, aud).await;
        let r = arm_get(&app, &app.ws_path(), &t).await;
        assert_eq!(
            (r.status, r.code()),
            (401, "InvalidAuthenticationTokenAudience"),
            "{aud}: {}",
            r.text
        );
        let want =
            format!("The access token has been obtained for wrong audience or resource '{aud}'.");
        assert!(r.message().starts_with(&want), "{}", r.text);
        assert!(
            r.message().contains("'https://management.azure.com/'"),
            "{}",
            r.text
        );
    }
}

/// The `Host` header is the caller's to choose: it may name amlite by a loopback name (a token for
/// `https://localhost:{port}/` then fits), but `Host: storage.azure.com` must not turn a Storage
/// token into an ARM one (it did: the audiences included whatever `Host` named).
#[tokio::test]
async fn strict_audience_does_not_follow_a_foreign_host_header() {
    let app = strict().await;
    let port = app.base.rsplit_once(':').unwrap().1.to_string();
    let get = |host: String, token: String| {
        let url = format!("{}{}?api-version=2024-04-01", app.base, app.ws_path());
        let client = app.client.clone();
        async move {
            let r = client.get(url).header("host", host).bearer_auth(token);
            TestApp::read(r.send().await.unwrap()).await
        }
    };
    for aud in ["https://storage.azure.com", "https://ml.azure.com"] {
        let host = aud.trim_start_matches("https://").to_string();
        let r = get(host, token_for(&app, aud).await).await;
        assert_eq!(
            (r.status, r.code()),
            (401, "InvalidAuthenticationTokenAudience"),
            "{aud}: {}",
            r.text
        );
    }
    let localhost = format!("localhost:{port}");
    let t = token_for(&app, &format!("https://{localhost}/")).await;
    let r = get(localhost, t.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = get(format!("localhost:1{port}"), t).await;
    assert_eq!(r.status, 401, "another port: {}", r.text);
}

#[tokio::test]
async fn strict_accepts_amlite_and_arm_audiences() {
    let app = strict().await;
    let base = app.base.clone();
    let with_slash = format!("{base}/");
    for aud in [
        with_slash.as_str(),
        base.as_str(),
        "https://management.azure.com/",
        "https://management.azure.com",
        "https://management.core.windows.net/",
        "https://management.core.windows.net",
    ] {
        let t = token_for(&app, aud).await;
        let r = arm_get(&app, &app.ws_path(), &t).await;
        assert_eq!(r.status, 200, "{aud}: {}", r.text);
    }
}

#[tokio::test]
async fn strict_refuses_expired_not_yet_valid_and_non_integer_exp_on_arm() {
    let app = strict().await;
    let aud = format!("{}/", app.base);
    let now = chrono::Utc::now().timestamp();
    let cases: Vec<(&str, Value, &str)> = vec![
        ("exp", json!(now - 5), "ExpiredAuthenticationToken"),
        (
            "exp",
            json!((now + 600).to_string()),
            "InvalidAuthenticationToken",
        ),
        (
            "exp",
            json!(now as f64 + 600.5),
            "InvalidAuthenticationToken",
        ),
        ("exp", Value::Null, "InvalidAuthenticationToken"),
        ("nbf", json!(now + 600), "InvalidAuthenticationToken"),
        (
            "iss",
            json!("https://sts.windows.net/x/"),
            "InvalidAuthenticationTokenTenant",
        ),
        (
            "tid",
            json!("00000000-0000-0000-0000-000000000000"),
            "InvalidAuthenticationToken",
        ),
    ];
    for (claim, value, code) in cases {
        let mut c = claims(&app, &aud);
        if value.is_null() {
            c.as_object_mut().unwrap().remove(claim);
        } else {
            c[claim] = value.clone();
        }
        let t = sign_with_amlite_key(&app, &c).await;
        let r = arm_get(&app, &app.ws_path(), &t).await;
        assert_eq!(
            (r.status, r.code()),
            (401, code),
            "{claim}={value}: {}",
            r.text
        );
    }
    // The unmodified claims pass: the refusals above are about the one claim changed.
    let t = sign_with_amlite_key(&app, &claims(&app, &aud)).await;
    assert_eq!(arm_get(&app, &app.ws_path(), &t).await.status, 200);
    let expired = amlite::error::ArmError::expired_token(0, 60).message;
    assert_eq!(
        expired,
        "The access token expiry UTC time '1/1/1970 12:00:00 AM' is earlier than current UTC time '1/1/1970 12:01:00 AM'."
    );
}

#[tokio::test]
async fn strict_admin_routes_need_an_amlite_token() {
    let app = strict().await;
    let url = format!("{}/_amlite/resources", app.base);
    let anon = TestApp::read(app.client.get(&url).send().await.unwrap()).await;
    assert_eq!(
        (anon.status, anon.code()),
        (401, "AuthenticationFailed"),
        "{}",
        anon.text
    );
    let forged = format!(
        "{}.{}.",
        b64(&json!({ "alg": "none" })),
        b64(&claims(&app, &app.base))
    );
    let r = TestApp::read(
        app.client
            .get(&url)
            .bearer_auth(forged)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.text);
    let t = token_for(&app, &app.base).await;
    let r = TestApp::read(app.client.get(&url).bearer_auth(t).send().await.unwrap()).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn lenient_arm_and_admin_still_take_any_bearer() {
    let app = TestApp::spawn().await;
    assert_eq!(arm_get(&app, &app.ws_path(), "opaque").await.status, 200);
    assert_eq!(app.get("/_amlite/resources").await.status, 200);
}

// -- AADToken scoring --------------------------------------------------------------------------

async fn aad_endpoint(app: &TestApp) {
    app.create_endpoint("ep-aad", json!({ "authMode": "AADToken" }))
        .await;
    let d = app.create_deployment("ep-aad", "blue", json!({}), 1).await;
    assert_eq!(d.body["status"], "Succeeded", "{}", d.text);
    app.set_traffic("ep-aad", json!({ "blue": 100 })).await;
}

#[tokio::test]
async fn aad_token_with_string_float_or_missing_exp_is_refused_in_lenient_mode() {
    let app = TestApp::spawn().await;
    aad_endpoint(&app).await;
    let now = chrono::Utc::now().timestamp();
    let good = json!({ "aud": "https://ml.azure.com", "exp": now + 600 });
    let r = app
        .score("ep-aad", Some(&unsigned(&good)), &[], json!({}))
        .await;
    assert_eq!(r.status, 200, "lenient reads claims only: {}", r.text);
    for exp in [
        json!((now + 600).to_string()),
        json!(now as f64 + 600.5),
        Value::Null,
    ] {
        let mut c = good.clone();
        if exp.is_null() {
            c.as_object_mut().unwrap().remove("exp");
        } else {
            c["exp"] = exp.clone();
        }
        let r = app
            .score("ep-aad", Some(&unsigned(&c)), &[], json!({}))
            .await;
        assert_eq!(
            (r.status, r.code()),
            (401, "aad_token_auth_access_denied"),
            "exp={exp}: {}",
            r.text
        );
    }
}

#[tokio::test]
async fn strict_aad_scoring_needs_an_amlite_signed_ml_token() {
    // Endpoint made under lenient, then the same data folder served strict.
    let app = TestApp::spawn_with(|c| c.in_memory = false).await;
    aad_endpoint(&app).await;
    let dir = app.stop().await;
    let app = TestApp::spawn_in(dir, |c| {
        c.in_memory = false;
        c.auth = AuthCheck::Strict;
    })
    .await;
    let now = chrono::Utc::now().timestamp();
    let forged =
        unsigned(&json!({ "aud": "https://ml.azure.com", "exp": now + 600, "tid": tenant() }));
    let r = app.score("ep-aad", Some(&forged), &[], json!({})).await;
    assert_eq!(
        (r.status, r.code()),
        (401, "aad_token_auth_access_denied"),
        "{}",
        r.text
    );
    let arm = token_for(&app, "https://management.azure.com").await;
    assert_eq!(
        app.score("ep-aad", Some(&arm), &[], json!({})).await.status,
        401
    );
    let mut c = claims(&app, "https://ml.azure.com");
    c["iss"] = json!("https://sts.windows.net/x/");
    let wrong_iss = sign_with_amlite_key(&app, &c).await;
    assert_eq!(
        app.score("ep-aad", Some(&wrong_iss), &[], json!({}))
            .await
            .status,
        401
    );
    let good = token_for(&app, "https://ml.azure.com").await;
    let r = app.score("ep-aad", Some(&good), &[], json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

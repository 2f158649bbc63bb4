//! Entra-style HTTP routes (issue 9), on every listener's port like the rest of amlite:
//! `GET /{tenant}/v2.0/.well-known/openid-configuration` (and the ADFS form
//! `/adfs/.well-known/openid-configuration` MSAL reads for `AZURE_TENANT_ID=adfs`),
//! `GET /{tenant}/discovery/v2.0/keys` (JWKS), `GET /common/discovery/instance` (instance
//! discovery, for MSAL apps pointed at it) and `POST /{tenant}/oauth2/v2.0/token` (client
//! credentials). `{tenant}` is amlite's directory id, `adfs`, `common`, `organizations` or
//! `consumers`: amlite has one directory, they all name it.
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{json, Value};

use crate::app::AppState;
use crate::error::{ArmError, ArmResult};
use crate::http::Request;

/// Lifetime of the tokens amlite issues (Entra's default for app-only tokens is 60-90 min).
pub const TOKEN_LIFETIME_SECS: i64 = 3600;

const ALIASES: &[&str] = &["adfs", "common", "organizations", "consumers"];

/// Whether a (lower-cased) path is one of the Entra routes. Only the second segments Entra uses
/// are claimed, so a Blob container named `common` keeps working for other paths.
pub fn is_identity_path(lower: &[String], tenant: &str) -> bool {
    let first = lower.first().map(String::as_str).unwrap_or("");
    let second = lower.get(1).map(String::as_str).unwrap_or("");
    (first == tenant || ALIASES.contains(&first))
        && matches!(second, "v2.0" | ".well-known" | "discovery" | "oauth2")
}

/// Signs a token for `audience` with amlite's key (the managed-identity route uses it too).
pub async fn sign_for(state: &AppState, audience: &str) -> ArmResult<(String, i64)> {
    let key = state.keys.get().await?;
    let iss = super::issuer(&state.internet_base, &state.tenant_id);
    let now = chrono::Utc::now().timestamp();
    super::tokens::issue(
        &key,
        &iss,
        &state.tenant_id,
        audience,
        TOKEN_LIFETIME_SECS,
        now,
    )
}

/// Serves a path [`is_identity_path`] accepted.
pub async fn handle(state: &AppState, req: &Request) -> ArmResult<Response> {
    let l: Vec<&str> = req.lower.iter().map(String::as_str).collect();
    let tenant = req.segs.first().map(String::as_str).unwrap_or("");
    let get = req.method == axum::http::Method::GET;
    match l.as_slice() {
        [_, "v2.0", ".well-known", "openid-configuration"]
        | [_, ".well-known", "openid-configuration"]
            if get =>
        {
            Ok(no_store(json_reply(
                StatusCode::OK,
                &openid_configuration(state, req, tenant),
            )))
        }
        [_, "discovery", "v2.0", "keys"] | [_, "discovery", "keys"] if get => {
            let key = state.keys.get().await?;
            Ok(json_reply(StatusCode::OK, &json!({ "keys": [key.jwk] })))
        }
        ["common", "discovery", "instance"] if get => Ok(instance_discovery(state, req)),
        [_, "oauth2", "v2.0", "token"] if req.method == axum::http::Method::POST => {
            token(state, req).await
        }
        [_, "oauth2", "v2.0", "token"] => {
            Err(ArmError::method_not_allowed(req.method.as_str(), &req.path))
        }
        _ => Err(ArmError::no_route(req.method.as_str(), &req.path)),
    }
}

fn json_reply(status: StatusCode, body: &Value) -> Response {
    (status, axum::Json(body)).into_response()
}

fn no_store(mut resp: Response) -> Response {
    resp.headers_mut().insert(
        "cache-control",
        HeaderValue::from_static("no-store, no-cache"),
    );
    resp
}

/// Entra's OpenID Provider Metadata, with amlite's URLs (MSAL reads `authorization_endpoint`
/// and `token_endpoint`; verifiers read `issuer` and `jwks_uri`).
fn openid_configuration(state: &AppState, req: &Request, tenant: &str) -> Value {
    let base = req.base_from_host();
    let t = format!("{base}/{tenant}");
    json!({
        "token_endpoint": format!("{t}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "jwks_uri": format!("{t}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": super::issuer(&state.internet_base, &state.tenant_id),
        "request_uri_parameter_supported": false,
        "authorization_endpoint": format!("{t}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{t}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{t}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "azp", "appid", "ver"],
        "tenant_region_scope": "NA",
        "cloud_instance_name": "amlite",
        "grant_types_supported": ["client_credentials"]
    })
}

/// `GET /common/discovery/instance?authorization_endpoint=…`: Entra's instance-discovery answer
/// naming this host, for MSAL apps whose instance discovery is pointed at amlite.
fn instance_discovery(state: &AppState, req: &Request) -> Response {
    let base = req.base_from_host();
    let host = base.trim_start_matches("https://").to_string();
    let tenant = req
        .q("authorization_endpoint")
        .and_then(|u| u.strip_prefix(&format!("{base}/")))
        .and_then(|rest| rest.split('/').next())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| state.tenant_id.clone());
    json_reply(
        StatusCode::OK,
        &json!({
            "tenant_discovery_endpoint": format!("{base}/{tenant}/v2.0/.well-known/openid-configuration"),
            "api-version": "1.1",
            "metadata": [{ "preferred_network": host, "preferred_cache": host, "aliases": [host] }]
        }),
    )
}

/// An Entra token-endpoint error: `{"error", "error_description", "error_codes", …}` with
/// Entra's `AADSTS` texts (RFC 6749 §5.2 shape).
pub fn entra_error(status: StatusCode, error: &str, code: u32, text: &str) -> Response {
    let now = chrono::Utc::now();
    let trace = uuid::Uuid::new_v4().to_string();
    let stamp = now.format("%Y-%m-%d %H:%M:%SZ").to_string();
    let body = json!({
        "error": error,
        "error_description": format!("AADSTS{code}: {text}\r\nTrace ID: {trace}\r\nCorrelation ID: {trace}\r\nTimestamp: {stamp}"),
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": trace,
        "error_uri": format!("https://login.microsoftonline.com/error?code={code}")
    });
    no_store(json_reply(status, &body))
}

fn missing(name: &str) -> Response {
    entra_error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        900144,
        &format!("The request body must contain the following parameter: '{name}'."),
    )
}

/// `client_id`/`client_secret` from the body (`client_secret_post`) or HTTP Basic
/// (`client_secret_basic`, RFC 6749 §2.3.1).
fn client_credentials(
    req: &Request,
    form: &[(String, String)],
) -> (Option<String>, Option<String>) {
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let basic = req
        .header("authorization")
        .and_then(|h| {
            h.strip_prefix("Basic ")
                .or_else(|| h.strip_prefix("basic "))
        })
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            s.split_once(':').map(|(i, p)| {
                let dec = |x: &str| {
                    form_urlencoded::parse(format!("x={x}").as_bytes())
                        .next()
                        .map(|(_, v)| v.into_owned())
                };
                (dec(i), dec(p))
            })
        });
    match basic {
        Some((id, secret)) => (id.or_else(|| field("client_id")), secret),
        None => (field("client_id"), field("client_secret")),
    }
}

/// `POST /{tenant}/oauth2/v2.0/token`, `grant_type=client_credentials`, `scope=<resource>/.default`.
async fn token(state: &AppState, req: &Request) -> ArmResult<Response> {
    let form: Vec<(String, String)> = form_urlencoded::parse(&req.body).into_owned().collect();
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let Some(grant) = field("grant_type") else {
        return Ok(missing("grant_type"));
    };
    if grant != "client_credentials" {
        return Ok(entra_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{grant}'. amlite issues tokens for the client credentials grant only."),
        ));
    }
    let (client_id, secret) = client_credentials(req, &form);
    let Some(client_id) = client_id else {
        return Ok(missing("client_id"));
    };
    if client_id != super::CLIENT_ID {
        return Ok(entra_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!("Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant. amlite knows one application: AZURE_CLIENT_ID from env.sh.", state.tenant_id),
        ));
    }
    let Some(secret) = secret else {
        return Ok(entra_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000216,
            "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
        ));
    };
    if !constant_time_eq(secret.as_bytes(), super::CLIENT_SECRET.as_bytes()) {
        return Ok(entra_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            &format!("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."),
        ));
    }
    let Some(scope) = field("scope").filter(|s| !s.trim().is_empty()) else {
        return Ok(missing("scope"));
    };
    let scope = scope.split_whitespace().next().unwrap_or(scope);
    let Some(resource) = scope.strip_suffix("/.default").filter(|r| !r.is_empty()) else {
        return Ok(entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            &format!("The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."),
        ));
    };
    let (access_token, _) = sign_for(state, resource).await?;
    Ok(no_store(json_reply(
        StatusCode::OK,
        &json!({
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECS,
            "ext_expires_in": TOKEN_LIFETIME_SECS,
            "access_token": access_token
        }),
    )))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

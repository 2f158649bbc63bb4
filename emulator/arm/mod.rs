//! The control plane (ARM, SPEC §3) and the single entry point of every listener.
//!
//! **Routing decision (written down once, as ARCHITECTURE.md asks):** ARM paths and resource
//! names are case-insensitive, axum's router is not. So every request lands in [`dispatch`],
//! which percent-decodes the path into segments, lower-cases a copy, and matches slices of it.
//! Handlers receive both copies: the lower-cased one to match, the original to store and echo.
//! Requests that are not ARM (Blob Storage, scoring, amlite's Entra routes) are handed to
//! `blob`, `scoring` and `identity` here too, because all share one port per listener.
pub mod assets;
pub mod auth;
pub mod body;
pub mod convert;
pub mod deployment_properties;
pub mod deployments;
pub mod endpoint_properties;
pub mod endpoints;
pub mod legacy_connections;
pub mod managed_network;
pub mod monitor;
pub mod msi;
pub mod network;
pub mod persist;
pub mod platform;
pub mod plumbing;
pub mod provision;
pub mod provision_python;
pub mod request;
pub mod wire;
pub mod workspace_properties;
pub mod workspace_resources;
pub mod workspace_wire;
pub mod workspaces;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::Extension;

use crate::app::{Listener, State as AppStateRef};
use crate::error::{ArmError, ArmResult};
pub use request::ArmRequest;

/// First path segments that belong to amlite itself or ARM; anything else is Blob Storage.
const RESERVED_ROOTS: &[&str] = &[
    "subscriptions",
    "metadata",
    "msi",
    "health",
    "endpoints",
    "score",
    "swagger.json",
    "providers",
    "tenants",
    "_amlite",
    "",
];

/// Entry point of every listener (see the module doc for why routing is done here).
pub async fn dispatch(
    State(state): State<AppStateRef>,
    Extension(listener): Extension<Listener>,
    req: Request,
) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let path = req.uri().path().to_string();
    let mut resp = match handle(state, listener, req).await {
        Ok(r) => r,
        // Every envelope names a target (a string, as common-types wants): the property when
        // the handler knows it, else the path the request addressed.
        Err(mut e) => {
            if e.target.is_none() {
                e.target = Some(path);
            }
            e.into_response()
        }
    };
    if let Ok(v) = axum::http::HeaderValue::from_str(&request_id) {
        let h = resp.headers_mut();
        // A handler that already named the request (Blob errors quote it in their body) keeps it.
        if !h.contains_key("x-ms-request-id") {
            h.insert("x-ms-request-id", v.clone());
        }
        h.insert("x-ms-correlation-request-id", v.clone());
        if !h.contains_key("x-request-id") {
            h.insert("x-request-id", v);
        }
    }
    resp
}

async fn handle(state: AppStateRef, listener: Listener, req: Request) -> ArmResult<Response> {
    let (parts, body) = req.into_parts();
    if parts.method == Method::CONNECT {
        // amlite is not a proxy (a deployment's egress proxy is): a clean 405, not a tunnel.
        tracing::info!(target_authority = %parts.uri, "CONNECT refused: amlite's listeners are not proxies");
        return Err(ArmError::connect_not_supported());
    }
    let path = platform::paths::normalise(parts.uri.path()).into_owned();
    // Issue 9: invalid UTF-8 is refused, never decoded lossily (`a%ff` and `a%fe` would be
    // the same name); `utf8` is checked once the kind of path is known, for its error shape.
    let decoded: Vec<Option<String>> = path
        .split('/')
        .skip(1)
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .ok()
                .map(std::borrow::Cow::into_owned)
        })
        .collect();
    let utf8 = decoded.iter().all(Option::is_some) && query_is_utf8(parts.uri.query());
    let segs: Vec<String> = decoded.into_iter().map(Option::unwrap_or_default).collect();
    let lower: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    let query = parts
        .uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let first = lower.first().map(String::as_str).unwrap_or("");
    let host = parts
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let is_scoring = first == "endpoints" || crate::scoring::host_form(host).is_some();
    let is_blob = !is_scoring
        && !RESERVED_ROOTS.contains(&first)
        && !crate::identity::routes::is_identity_path(&lower, &state.tenant_id);
    if !utf8 {
        tracing::info!(path = %path, "refused a path or query that is not UTF-8");
        return if is_blob {
            Ok(crate::blob::invalid_uri())
        } else {
            Err(ArmError::not_utf8())
        };
    }
    if first == "subscriptions" {
        check_segments(path.as_str(), &segs)?;
    }
    let limit = if is_blob {
        state.config.max_blob_body
    } else {
        state.config.max_body
    };
    if is_blob {
        // Under --auth strict, Blob requests are authorized before their body is read (issue 9).
        if let Some(refused) =
            crate::blob::auth::check(&state, &parts.method, &parts.uri, &parts.headers, &segs)
                .await?
        {
            return Ok(refused);
        }
    }
    let body = read_body(body, &parts.headers, limit, state.config.idle_timeout).await?;
    let mut req = ArmRequest {
        method: parts.method,
        path,
        segs,
        lower,
        query,
        headers: parts.headers,
        body,
        listener,
    };
    if is_scoring {
        return Ok(crate::scoring::handle(&state, req).await);
    }
    if is_blob {
        return crate::blob::handle(&state, req).await;
    }
    // A failure completing *another* operation must not fail this request (nor every later
    // one): it is logged and retried by the background provisioner.
    if let Err(e) = provision::settle(&state).await {
        tracing::error!(error = %e, "completing due operations failed");
    }
    stored_casing(&state, &mut req).await?;
    route(&state, &req).await
}

/// Rewrites the caller's path segments to the casing the longest existing resource on the path
/// was created with, so every handler echoes the stored casing (SPEC §3: "responses echo the
/// stored casing") however the request spells it. One indexed query per ARM request.
async fn stored_casing(state: &AppStateRef, req: &mut ArmRequest) -> ArmResult<()> {
    if req.lower.first().map(String::as_str) != Some("subscriptions") || req.segs.len() < 2 {
        return Ok(());
    }
    // Candidate ids end on a name: /subscriptions/S (2), …/resourceGroups/R (4), then providers
    // resources at 8, 10, 12, … segments.
    let lens: Vec<usize> = [2usize, 4]
        .into_iter()
        .chain((8..=req.segs.len()).step_by(2))
        .filter(|n| *n <= req.segs.len())
        .collect();
    let candidates: Vec<String> = lens
        .iter()
        .map(|n| format!("/{}", req.segs[..*n].join("/")))
        .collect();
    let found = state.store.stored_ids(&candidates).await?;
    let Some(longest) = found.iter().max_by_key(|id| id.len()) else {
        return Ok(());
    };
    let stored: Vec<&str> = longest.split('/').skip(1).collect();
    for (seg, s) in req.segs.iter_mut().zip(stored) {
        if seg.eq_ignore_ascii_case(s) {
            *seg = s.to_string();
        }
    }
    Ok(())
}

/// ARM resource names never contain separators once decoded: a segment such as `..%2F..%2Fx`,
/// `a%5Cb`, `..`, a control character or invalid UTF-8 is refused with 400
/// `InvalidResourceName` before any handler sees it (issue 5 input hardening), so no handler can
/// build an id that points somewhere else.
fn check_segments(raw_path: &str, segs: &[String]) -> ArmResult<()> {
    let last = segs.len().saturating_sub(1);
    for (i, (seg, raw)) in segs.iter().zip(raw_path.split('/').skip(1)).enumerate() {
        if seg.is_empty() && i == last {
            continue;
        }
        let utf8 = percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .is_ok();
        if !utf8 || !crate::domain::is_safe_name(seg) {
            return Err(ArmError::invalid_name("resource", seg));
        }
    }
    Ok(())
}

/// True when every percent-decoded name and value of the query is UTF-8.
fn query_is_utf8(query: Option<&str>) -> bool {
    query.is_none_or(|q| {
        q.split('&').flat_map(|p| p.split('=')).all(|part| {
            percent_encoding::percent_decode_str(part)
                .decode_utf8()
                .is_ok()
        })
    })
}

/// Reads a request body of at most `limit` bytes; a client silent for `idle` between two
/// chunks gets 408 and the connection is closed (issue 9: slow bodies must not hold it forever).
async fn read_body(
    body: Body,
    headers: &axum::http::HeaderMap,
    limit: usize,
    idle: std::time::Duration,
) -> ArmResult<axum::body::Bytes> {
    use futures::StreamExt as _;
    let declared = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ArmError::too_large(limit));
    }
    let mut stream = body.into_data_stream();
    let mut out = bytes::BytesMut::new();
    loop {
        match tokio::time::timeout(idle, stream.next()).await {
            Err(_) => return Err(body_read_timeout(idle)),
            Ok(None) => return Ok(out.freeze()),
            Ok(Some(Err(_))) => return Err(ArmError::too_large(limit)),
            Ok(Some(Ok(chunk))) => {
                if out.len() + chunk.len() > limit {
                    return Err(ArmError::too_large(limit));
                }
                out.extend_from_slice(&chunk);
            }
        }
    }
}

/// 408 `RequestTimeout` for a request body that stopped arriving (`--idle-timeout`).
fn body_read_timeout(idle: std::time::Duration) -> ArmError {
    ArmError::new(
        axum::http::StatusCode::REQUEST_TIMEOUT,
        "RequestTimeout",
        format!(
            "The request body did not arrive: the client sent nothing for {} (--idle-timeout).",
            humantime::format_duration(idle)
        ),
    )
    .with_header("connection", "close")
}

async fn route(state: &AppStateRef, req: &ArmRequest) -> ArmResult<Response> {
    let l: Vec<&str> = req.lower.iter().map(String::as_str).collect();
    match l.as_slice() {
        ["health"] => Ok(plumbing::health()),
        ["metadata", "endpoints"] => plumbing::metadata(req),
        ["msi", "token"] => plumbing::msi_token(state, req).await,
        ["_amlite", rest @ ..] => {
            // The admin API reads every resource and VNet exports: strict guards it like ARM.
            if state.config.auth == crate::config::AuthCheck::Strict {
                auth::check_arm_token(state, req).await?;
            }
            plumbing::admin(state, req, rest).await
        }
        _ if crate::identity::routes::is_identity_path(&req.lower, &state.tenant_id) => {
            crate::identity::routes::handle(state, req).await
        }
        ["subscriptions", ..] if req.method == Method::HEAD => {
            let get = platform::head::as_get(req);
            Ok(platform::head::answer(
                subscription_routes(state, &get, &l).await,
            ))
        }
        ["subscriptions", ..] => subscription_routes(state, req, &l).await,
        [""] | [] => Ok(plumbing::health()),
        _ => Err(ArmError::no_route(req.method.as_str(), &req.path)),
    }
}

async fn subscription_routes(
    state: &AppStateRef,
    req: &ArmRequest,
    l: &[&str],
) -> ArmResult<Response> {
    if state.config.auth == crate::config::AuthCheck::Strict {
        auth::check_arm_token(state, req).await?;
    }
    let api = req.api_version(state.config.api_versions)?.to_string();
    let get = req.method == Method::GET;
    match l {
        ["subscriptions"] => plumbing::list_subscriptions(state, req).await,
        ["subscriptions", _] => plumbing::get_subscription(state, req).await,
        ["subscriptions", _, "resourcegroups"] => plumbing::list_resource_groups(state, req).await,
        ["subscriptions", _, "resourcegroups", _] => plumbing::resource_group(state, req).await,
        ["subscriptions", _, "resources"] if get => {
            platform::resources::list_subscription(state, req).await
        }
        ["subscriptions", _, "resourcegroups", _, "resources"] if get => {
            platform::resources::list_group(state, req).await
        }
        ["subscriptions", _, "providers"] if get => platform::providers::list(state, req).await,
        ["subscriptions", _, "providers", _] if get => platform::providers::get(state, req).await,
        ["subscriptions", _, "providers", "microsoft.network", kind] if get => {
            network::list_subscription(state, req, kind).await
        }
        ["subscriptions", _, "resourcegroups", _, "providers", ns, ty, _, rest @ ..]
            if platform::associated::serves(ns, ty) =>
        {
            platform::associated::route(state, req, rest).await
        }
        ["subscriptions", _, "providers", "microsoft.machinelearningservices", "locations", _, kind, _]
            if *kind == "mfeoperationsstatus" || *kind == "mfeoperationresults" =>
        {
            monitor::operation_monitor(state, req, *kind == "mfeoperationresults").await
        }
        ["subscriptions", _, "providers", "microsoft.machinelearningservices", "workspaces"] => {
            workspaces::list_by_subscription(state, req).await
        }
        ["subscriptions", _, "resourcegroups", _, "providers", "microsoft.resources", "deployments", _, rest @ ..] => {
            plumbing::template_deployment(state, req, rest).await
        }
        ["subscriptions", _, "resourcegroups", _, "deployments", _, "operations"] => {
            Ok(plumbing::template_operations())
        }
        ["subscriptions", _, "resourcegroups", _, "providers", "microsoft.machinelearningservices", "workspaces"] => {
            workspaces::list_by_resource_group(state, req).await
        }
        ["subscriptions", _, "resourcegroups", _, "providers", "microsoft.machinelearningservices", "workspaces", _, rest @ ..] => {
            workspace_routes(state, req, rest, &api).await
        }
        ["subscriptions", _, "resourcegroups", _, "providers", "microsoft.network", kind, rest @ ..] => {
            network::route(state, req, kind, rest).await
        }
        _ => Err(ArmError::no_route(req.method.as_str(), &req.path)),
    }
}

/// The parts of a workspace-scoped path in the caller's casing.
#[derive(Debug, Clone)]
pub struct WsPath {
    /// Subscription id.
    pub sub: String,
    /// Resource group.
    pub rg: String,
    /// Workspace name.
    pub ws: String,
    /// Workspace id.
    pub id: crate::domain::ResourceId,
}

impl WsPath {
    fn of(req: &ArmRequest) -> Self {
        let (sub, rg, ws) = (
            req.segs[1].clone(),
            req.segs[3].clone(),
            req.segs[7].clone(),
        );
        let id = crate::domain::ResourceId::workspace(&sub, &rg, &ws);
        WsPath { sub, rg, ws, id }
    }
    /// The i-th segment after the workspace name, in the caller's casing.
    pub fn seg<'a>(&self, req: &'a ArmRequest, i: usize) -> &'a str {
        req.segs.get(8 + i).map(String::as_str).unwrap_or("")
    }
}

async fn workspace_routes(
    state: &AppStateRef,
    req: &ArmRequest,
    rest: &[&str],
    api: &str,
) -> ArmResult<Response> {
    let w = WsPath::of(req);
    let m = &req.method;
    match rest {
        [] => workspaces::route(state, req, &w).await,
        ["onlineendpoints"] if m == Method::GET => endpoints::list(state, req, &w).await,
        ["onlineendpoints", _] => endpoints::route(state, req, &w).await,
        ["onlineendpoints", _, action] if m == Method::POST => {
            endpoints::action(state, req, &w, action).await
        }
        ["onlineendpoints", _, "deployments"] if m == Method::GET => {
            deployments::list(state, req, &w).await
        }
        ["onlineendpoints", _, "deployments", _] => deployments::route(state, req, &w).await,
        ["onlineendpoints", _, "deployments", _, "getlogs"] if m == Method::POST => {
            deployments::get_logs(state, req, &w).await
        }
        ["onlineendpoints", _, "deployments", _, "skus"] if m == Method::GET => {
            deployments::skus(state, req, &w).await
        }
        ["models" | "codes" | "environments" | "datastores" | "data" | "components", ..] => {
            assets::route(state, req, &w, rest, api).await
        }
        ["outboundrules", ..]
        | ["provisionmanagednetwork"]
        | ["privateendpointconnections", ..]
        | ["privatelinkresources"] => workspaces::network_route(state, req, &w, rest).await,
        _ => Err(ArmError::no_route(m.as_str(), &req.path)),
    }
}

/// Checks a user-chosen resource name is safe (no separators, `..`, control characters):
/// 400 `InvalidResourceName` otherwise.
pub fn safe_name<'a>(kind: &str, name: &'a str) -> ArmResult<&'a str> {
    if crate::domain::is_safe_name(name) {
        Ok(name)
    } else {
        Err(ArmError::invalid_name(kind, name))
    }
}

//! One HTTPS listener per client VNet (SPEC §6.2). A listener is where a caller "sits": every
//! listener serves the whole ARM API (ISO-4) and scoring, and the inbound decision (SPEC §6.3)
//! reads which VNet a scoring request came in on. Listeners start when a VNet is created (or at
//! start-up for stored VNets), stop when it is deleted, and try to keep their port across a
//! restart so a client's `ARM_CLOUD_METADATA_URL` stays valid. At most `--max-vnets` run
//! (`VnetCountLimitReached` beyond); a socket the OS refuses is a 503 ARM error, never a 500.
//!
//! Admin routes (not Azure): `GET /_amlite/listeners` lists them; `GET /_amlite/env[?vnet=NAME|ID]`
//! gives the `env.sh` exports for the internet listener or a VNet's listener.
use std::net::{SocketAddr, TcpListener};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::model::VirtualNetworkDoc;
use crate::app::{AppState, Listener, Network, State, VnetListener};
use crate::arm::errors;
use crate::domain::{ResourceId, ResourceKind};
use crate::error::{ArmError, ArmResult};
use crate::http::{ok, Request};

fn url_host(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// Base URL of a listener port: `https://127.0.0.1:PORT`.
pub fn base_url(state: &AppState, port: u16) -> String {
    format!("https://{}:{port}", url_host(&state.config.host))
}

/// The port of the running listener of `vnet_id`, if any.
pub fn port_of(state: &AppState, vnet_id: &str) -> Option<u16> {
    state
        .vnet_listeners
        .lock()
        .ok()
        .and_then(|m| m.get(&vnet_id.to_ascii_lowercase()).map(|l| l.port))
}

fn bind(state: &AppState, preferred: Option<u16>) -> std::io::Result<TcpListener> {
    let host = state.config.host.as_str();
    if let Some(p) = preferred.filter(|p| *p != 0) {
        if let Ok(l) = TcpListener::bind((host, p)) {
            return Ok(l);
        }
    }
    TcpListener::bind((host, 0))
}

/// Starts the listener of `vnet_id` unless it runs; tries `preferred` first (the port it had
/// before a restart). Returns its port. A new listener beyond `cap` running ones is refused
/// (`None`: no cap, for VNets already stored). Errors are ARM errors, never a 500.
pub fn ensure(
    state: &State,
    vnet_id: &str,
    preferred: Option<u16>,
    cap: Option<usize>,
) -> ArmResult<u16> {
    let mut map = state
        .vnet_listeners
        .lock()
        .map_err(|_| ArmError::internal("listener table poisoned"))?;
    let key = vnet_id.to_ascii_lowercase();
    if let Some(l) = map.get(&key) {
        return Ok(l.port);
    }
    if let Some(cap) = cap.filter(|c| map.len() >= *c) {
        return Err(errors::vnet_count_limit_reached(cap));
    }
    let fail = |e: std::io::Error| {
        tracing::warn!(vnet = %vnet_id, error = %e, "cannot open a vnet listener");
        errors::listener_unavailable(vnet_id, &e)
    };
    let listener = bind(state, preferred).map_err(fail)?;
    listener.set_nonblocking(true).map_err(fail)?;
    let port = listener.local_addr().map_err(fail)?.port();
    let handle = axum_server::Handle::new();
    let network = Network::Vnet {
        id: vnet_id.to_string(),
    };
    let app = crate::startup::router(
        state.clone(),
        Listener {
            network,
            base_url: base_url(state, port),
        },
    );
    let server = crate::startup::https_server(listener, state).handle(handle.clone());
    let id = vnet_id.to_string();
    tokio::spawn(async move {
        if let Err(e) = server
            .serve(app.into_make_service_with_connect_info::<SocketAddr>())
            .await
        {
            tracing::error!(error = %e, vnet = %id, "vnet listener stopped");
        }
    });
    tracing::info!(vnet = %vnet_id, port, "vnet listener started");
    map.insert(key, VnetListener { port, handle });
    Ok(port)
}

/// Stops the listener of `vnet_id` (in-flight responses get a second to finish, so the DELETE
/// that stops a listener can still answer through it).
pub fn stop(state: &AppState, vnet_id: &str) {
    let removed = state
        .vnet_listeners
        .lock()
        .ok()
        .and_then(|mut m| m.remove(&vnet_id.to_ascii_lowercase()));
    if let Some(l) = removed {
        l.handle
            .graceful_shutdown(Some(std::time::Duration::from_secs(1)));
        tracing::info!(vnet = %vnet_id, port = l.port, "vnet listener stopped");
    }
}

/// Starts a listener for every stored VNet, on its previous port when free, and records the port.
pub async fn start_stored(state: &State) -> ArmResult<()> {
    for row in state
        .store
        .by_kind_under(ResourceKind::VirtualNetwork, "/")
        .await?
    {
        let mut doc: VirtualNetworkDoc = row.doc()?;
        let port = ensure(state, &row.id, doc.listener_port, None)?;
        if doc.listener_port != Some(port) {
            doc.listener_port = Some(port);
            let id = row.resource_id();
            state
                .store
                .put(
                    &id,
                    ResourceKind::VirtualNetwork,
                    id.parent().and_then(|p| p.parent()).as_ref(),
                    &doc,
                )
                .await?;
        }
    }
    Ok(())
}

/// Stops every VNet listener immediately (process shutdown).
pub fn stop_all(state: &AppState) {
    if let Ok(mut map) = state.vnet_listeners.lock() {
        for (_, l) in map.drain() {
            l.handle.shutdown();
        }
    }
}

fn metadata_url(base: &str) -> String {
    crate::arm::plumbing::metadata_list_url(base)
}

async fn vnet_rows(state: &AppState) -> ArmResult<Vec<crate::store::Row>> {
    Ok(state
        .store
        .by_kind_under(ResourceKind::VirtualNetwork, "/")
        .await?)
}

/// One entry of `GET /_amlite/listeners` (admin API, not Azure's).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ListenerEntry<'a> {
    network: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    vnet_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    url: String,
    metadata_url: String,
}

/// `GET /_amlite/listeners` → `{"value":[{network, vnetId?, name?, url, metadataUrl}]}`.
async fn list(state: &AppState) -> ArmResult<Response> {
    let rows = vnet_rows(state).await?;
    let mut value = vec![ListenerEntry {
        network: "internet",
        vnet_id: None,
        name: None,
        url: state.internet_base.clone(),
        metadata_url: metadata_url(&state.internet_base),
    }];
    for row in &rows {
        if let Some(port) = port_of(state, &row.id) {
            let base = base_url(state, port);
            value.push(ListenerEntry {
                network: "vnet",
                vnet_id: Some(&row.id),
                name: Some(&row.name),
                metadata_url: metadata_url(&base),
                url: base,
            });
        }
    }
    Ok(ok(&crate::arm::response::list(value)))
}

/// Finds a VNet by full id or by name (a name must be unique across resource groups).
pub async fn find_vnet(state: &AppState, key: &str) -> ArmResult<crate::store::Row> {
    if key.starts_with('/') {
        let id = ResourceId::from_string(key.trim_end_matches('/').to_string());
        return state
            .store
            .get(&id)
            .await?
            .filter(|r| r.kind == ResourceKind::VirtualNetwork.tag())
            .ok_or_else(|| ArmError::not_found("Microsoft.Network/virtualNetworks", key));
    }
    let mut rows = state
        .store
        .by_kind_and_name(ResourceKind::VirtualNetwork, key)
        .await?;
    match rows.len() {
        0 => Err(ArmError::not_found("Microsoft.Network/virtualNetworks", key)),
        1 => Ok(rows.remove(0)),
        _ => Err(ArmError::bad_property("vnet", format!("More than one virtual network is named '{key}': pass its full resource id as ?vnet=."))),
    }
}

fn cert_path(state: &AppState) -> std::path::PathBuf {
    match &state.config.cert {
        Some(c) => c.clone(),
        None => std::fs::canonicalize(&state.config.data_dir)
            .unwrap_or_else(|_| state.config.data_dir.clone())
            .join("cert.pem"),
    }
}

/// `GET /_amlite/env[?vnet=NAME|ID]`: the `env.sh` exports (text/plain) for that listener.
async fn env(state: &AppState, req: &Request) -> ArmResult<Response> {
    let cert = cert_path(state);
    let Some(key) = req.q("vnet").filter(|v| !v.trim().is_empty()) else {
        let text = crate::startup::env_lines(state, &state.internet_base, &cert, None);
        return Ok(text_reply(text));
    };
    let row = find_vnet(state, key.trim()).await?;
    let port = port_of(state, &row.id).ok_or_else(|| errors::listener_not_running(&row.id))?;
    let base = base_url(state, port);
    let text = crate::startup::env_lines(state, &base, &cert, Some(&row.id));
    Ok(text_reply(text))
}

fn text_reply(text: String) -> Response {
    (
        StatusCode::OK,
        [("content-type", "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

/// `/_amlite/env` and `/_amlite/listeners` (GET only).
pub async fn admin(state: &AppState, req: &Request, rest: &[&str]) -> ArmResult<Response> {
    if req.method != axum::http::Method::GET {
        return Err(ArmError::method_not_allowed(req.method.as_str(), &req.path));
    }
    match rest {
        ["listeners"] => list(state).await,
        ["env"] => env(state, req).await,
        _ => Err(ArmError::no_route(req.method.as_str(), &req.path)),
    }
}

/// The listener tag value shown on a VNet's GET, if its listener runs.
pub fn listener_tag(state: &AppState, vnet_id: &str) -> Option<Value> {
    port_of(state, vnet_id).map(|p| Value::String(base_url(state, p)))
}

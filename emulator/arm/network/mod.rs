//! Client networks as ARM resources (SPEC §6.1, §6.2): `Microsoft.Network/virtualNetworks`
//! ([`vnet`]) and `Microsoft.Network/privateEndpoints` ([`pe`]) under a resource group, the
//! network interface of each private endpoint ([`nic`], read only), their listeners ([`listeners`]), their private endpoints' addresses ([`ips`]) and fixture loading
//! ([`fixture`]). The private-endpoint view the scoring inbound decision reads is
//! `store::read_models`.
//!
//! Network writes are synchronous (201/200 with `provisioningState: Succeeded`, DELETE 200/204):
//! nothing is provisioned, so there is nothing to poll. Every write advances the store's write
//! generation, so the scoring route cache sees new PEs and connection states on the next request.
pub mod fixture;
pub mod ips;
pub mod listeners;
pub mod model;
pub mod nic;
pub mod pe;
pub mod vnet;

use axum::http::Method;
use axum::response::Response;
use serde_json::Value;

use crate::app::{AppState, Listener, State};
use crate::domain::ResourceId;
use crate::error::{ArmError, ArmResult};
use crate::http::Request;
use crate::store::Row;

pub use fixture::{pe_from_fixture, vnet_from_fixture};

/// The subscription, resource group and resource name of a `…/providers/Microsoft.Network/…`
/// path, in the caller's casing.
#[derive(Debug, Clone)]
pub struct NetPath {
    /// Subscription id.
    pub sub: String,
    /// Resource group.
    pub rg: String,
    /// Name of the VNet or private endpoint (empty for lists).
    pub name: String,
}

impl NetPath {
    fn of(req: &Request) -> Self {
        let seg = |i: usize| req.segs.get(i).cloned().unwrap_or_default();
        NetPath {
            sub: seg(1),
            rg: seg(3),
            name: seg(7),
        }
    }
    /// The id of the named resource of `provider_type` (e.g. `Microsoft.Network/virtualNetworks`).
    pub fn id(&self, provider_type: &str) -> ResourceId {
        ResourceId::provider_resource(&self.sub, &self.rg, provider_type, &self.name)
    }
    /// The i-th segment from the resource name on (0 = the name), in the caller's casing.
    pub fn seg<'a>(&self, req: &'a Request, i: usize) -> &'a str {
        req.segs.get(7 + i).map(String::as_str).unwrap_or("")
    }
}

/// The resource group id of a network path.
pub fn rg_id(p: &NetPath) -> ResourceId {
    ResourceId::resource_group(&p.sub, &p.rg)
}

/// `…/resourceGroups/{rg}/providers/Microsoft.Network/{kind}/...` (`kind` and `rest` lower-cased).
pub async fn route(state: &State, req: &Request, kind: &str, rest: &[&str]) -> ArmResult<Response> {
    let p = NetPath::of(req);
    let rg = crate::arm::plumbing::require_resource_group(state, &p.sub, &p.rg).await?;
    let rg_location = rg
        .get("location")
        .and_then(Value::as_str)
        .unwrap_or("eastus")
        .to_string();
    let get = req.method == Method::GET;
    match (kind, rest) {
        ("virtualnetworks", []) if get => vnet::list(state, &p).await,
        ("virtualnetworks", [_]) => vnet::route(state, req, &p, &rg_location).await,
        ("virtualnetworks", [_, "subnets", ..]) if rest.len() <= 3 => {
            vnet::subnets(state, req, &p, &rest[1..]).await
        }
        ("virtualnetworks", [_, "virtualnetworkpeerings", ..]) if rest.len() <= 3 => {
            vnet::peerings(state, req, &p, &rest[1..]).await
        }
        ("privateendpoints", []) if get => pe::list(state, &p).await,
        ("privateendpoints", [_]) => pe::route(state, req, &p, &rg_location).await,
        ("networkinterfaces", [_]) if get => nic::get(state, &p).await,
        _ => Err(ArmError::no_route(req.method.as_str(), &req.path)),
    }
}

/// `GET /subscriptions/{s}/providers/Microsoft.Network/{virtualNetworks|privateEndpoints}`:
/// every one in the subscription (`kind` lower-cased).
pub async fn list_subscription(state: &State, req: &Request, kind: &str) -> ArmResult<Response> {
    let sub = req.segs.get(1).cloned().unwrap_or_default();
    crate::arm::plumbing::require_subscription(state, &sub).await?;
    let kind = match kind {
        "virtualnetworks" => crate::domain::ResourceKind::VirtualNetwork,
        "privateendpoints" => crate::domain::ResourceKind::PrivateEndpoint,
        _ => return Err(ArmError::no_route(req.method.as_str(), &req.path)),
    };
    let rows = state
        .store
        .by_kind_under(kind, &format!("/subscriptions/{sub}/"))
        .await?;
    if kind == crate::domain::ResourceKind::VirtualNetwork {
        vnet::list_rows(state, rows).await
    } else {
        pe::list_rows(state, rows).await
    }
}

/// Renders a stored network resource without store lookups (used where only a row is at hand,
/// e.g. operation results): a PE shows its last known connection status.
pub fn render_row(_state: &AppState, row: &Row, _listener: &Listener) -> ArmResult<Value> {
    let id = row.resource_id();
    match row.kind.as_str() {
        "virtualNetwork" => Ok(crate::arm::response::to_value(&vnet::body(
            &id,
            &row.doc()?,
            &[],
        ))),
        "privateEndpoint" => {
            let doc: model::PrivateEndpointDoc = row.doc()?;
            let status = crate::network::ConnectionStatus::parse(&doc.status)
                .unwrap_or(crate::network::ConnectionStatus::Pending);
            Ok(crate::arm::response::to_value(&pe::body(
                &id, &doc, status, "", None,
            )))
        }
        other => Err(ArmError::internal(format!(
            "cannot render a resource of kind {other}"
        ))),
    }
}

/// Deletes a resource group with its resources (cascade), in one transaction with the workspace
/// connections its private endpoints made elsewhere; then its VNets' listeners stop, as a VNet
/// DELETE stops its own.
pub async fn delete_group(state: &AppState, group: &ResourceId) -> ArmResult<()> {
    let vnets = state
        .store
        .by_kind_under(
            crate::domain::ResourceKind::VirtualNetwork,
            &format!("{}/", group.as_str()),
        )
        .await?;
    let accounts = state
        .store
        .by_kind_under(
            crate::domain::ResourceKind::StorageAccount,
            &format!("{}/", group.as_str()),
        )
        .await?;
    let mut tx = state.store.begin().await?;
    pe::forget_connections_in(state, &mut tx, group).await?;
    for account in &accounts {
        crate::store::blobs::delete_account_in(&mut tx, &account.name)?;
    }
    crate::store::resources::delete_in(&mut tx, group).await?;
    tx.commit().await?;
    for v in &vnets {
        listeners::stop(state, &v.id);
    }
    Ok(())
}

/// Starts a listener for every stored VNet (after a restart; SPEC §6.2).
pub async fn start_stored_listeners(state: &State) -> ArmResult<()> {
    listeners::start_stored(state).await
}

/// Stops every VNet listener (shutdown).
pub fn stop_all_listeners(state: &AppState) {
    listeners::stop_all(state)
}

/// `/_amlite/env` and `/_amlite/listeners` (see [`listeners`]).
pub async fn admin(state: &AppState, req: &Request, rest: &[&str]) -> ArmResult<Response> {
    listeners::admin(state, req, rest).await
}

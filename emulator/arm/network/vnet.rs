//! `Microsoft.Network/virtualNetworks/{vnet}` (SPEC §6.1): PUT/GET/DELETE/list, its subnets, and
//! peerings (refused: ISO-15 for Azure ML managed networks; amlite does not emulate peering
//! between client VNets either). Creating a VNet starts its listener, deleting it stops it.
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::model::{self, SubnetDoc, VirtualNetworkDoc, LISTENER_HEADER};
use super::{listeners, rg_id, NetPath};
use crate::app::{AppState, State};
use crate::arm::body::network::SubnetRequest;
use crate::arm::response::{
    list as list_of, subnet, virtual_network, Resource, VirtualNetworkProperties,
};
use crate::domain::{Audit, ResourceId, ResourceKind};
use crate::error::{ArmError, ArmResult};
use crate::http::{json_reply, ok, Request};
use crate::store::Row;

const VNETS: &str = "Microsoft.Network/virtualNetworks";

/// Reads a VNet or fails with 404 `ResourceNotFound`.
pub async fn load(state: &AppState, id: &ResourceId) -> ArmResult<VirtualNetworkDoc> {
    let row = state
        .store
        .get(id)
        .await?
        .filter(|r| r.kind == ResourceKind::VirtualNetwork.tag());
    Ok(row
        .ok_or_else(|| ArmError::resource_not_found(id.as_str()))?
        .doc()?)
}

/// The VNet wire shape. `pes` lists `(private endpoint id, subnet name)` of the PEs inside it.
/// Its listener's URL is not in it (see [`with_listener_header`]).
pub fn body(
    id: &ResourceId,
    v: &VirtualNetworkDoc,
    pes: &[(String, String)],
) -> Resource<VirtualNetworkProperties> {
    virtual_network(id, v, pes)
}

/// Private endpoints inside VNet `id`, as `(pe id, subnet name)`.
pub async fn pes_in(state: &AppState, id: &ResourceId) -> ArmResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (row, doc) in state.store.private_endpoints().await? {
        if crate::network::arm_id_eq(&doc.vnet_id, id.as_str()) {
            let subnet = model::split_subnet_id(&doc.subnet_id)
                .map(|(_, s)| s)
                .unwrap_or_default();
            out.push((row.id, subnet));
        }
    }
    Ok(out)
}

/// Adds the `x-amlite-listener` header (the VNet listener's base URL, SPEC §6.2) to a reply.
fn with_listener_header(state: &AppState, id: &ResourceId, mut resp: Response) -> Response {
    if let Some(v) = listeners::listener_tag(state, id.as_str()).and_then(|u| {
        u.as_str()
            .and_then(|u| axum::http::HeaderValue::from_str(u).ok())
    }) {
        resp.headers_mut().insert(LISTENER_HEADER, v);
    }
    resp
}

async fn render(
    state: &AppState,
    id: &ResourceId,
    v: &VirtualNetworkDoc,
) -> ArmResult<Resource<VirtualNetworkProperties>> {
    let pes = pes_in(state, id).await?;
    Ok(body(id, v, &pes))
}

/// `GET …/virtualNetworks`.
pub async fn list(state: &AppState, p: &NetPath) -> ArmResult<Response> {
    let rows = state
        .store
        .children(&rg_id(p), ResourceKind::VirtualNetwork)
        .await?;
    list_rows(state, rows).await
}

/// The list answer for stored rows (a resource group's or a subscription's).
pub async fn list_rows(state: &AppState, rows: Vec<Row>) -> ArmResult<Response> {
    let mut value = Vec::new();
    for row in rows {
        value.push(render(state, &row.resource_id(), &row.doc()?).await?);
    }
    Ok(ok(&list_of(value)))
}

/// `GET|PUT|DELETE …/virtualNetworks/{vnet}`.
pub async fn route(
    state: &State,
    req: &Request,
    p: &NetPath,
    rg_location: &str,
) -> ArmResult<Response> {
    let id = p.id(VNETS);
    match req.method {
        Method::GET => {
            let v = load(state, &id).await?;
            let reply = ok(&render(state, &id, &v).await?);
            Ok(with_listener_header(state, &id, reply))
        }
        Method::PUT => put(state, req, p, &id, rg_location).await,
        Method::DELETE => delete(state, &id).await,
        _ => Err(ArmError::method_not_allowed(req.method.as_str(), &req.path)),
    }
}

/// ISO-15: a peering with an Azure ML managed network is refused by the rule; a peering between
/// client VNets is refused as not emulated (amlite's listeners are per VNet; use a PE per VNet).
fn refuse_peering(vnet: &str, remote: &str) -> ArmError {
    match model::managed_network_owner(remote) {
        Some(owner) => match crate::rules::iso_15_vnet_peering(&owner, vnet) {
            Err(v) => v.into(),
            Ok(()) => ArmError::internal("ISO-15 allowed a peering"),
        },
        None => ArmError::bad_property(
            "properties.remoteVirtualNetwork.id",
            format!("amlite does not emulate peering between client virtual networks ('{vnet}' with '{remote}'): create a private endpoint to the workspace in each virtual network that must reach online endpoints."),
        ),
    }
}

async fn put(
    state: &State,
    req: &Request,
    p: &NetPath,
    id: &ResourceId,
    rg_location: &str,
) -> ArmResult<Response> {
    crate::arm::safe_name("virtual network", id.name())?;
    let b = model::vnet_from(crate::arm::body::parse(req)?)?;
    if let Some((_, remote)) = b.peerings.first() {
        return Err(refuse_peering(id.as_str(), remote));
    }
    let existing = state
        .store
        .get(id)
        .await?
        .map(|r| r.doc::<VirtualNetworkDoc>())
        .transpose()?;
    let now = chrono::Utc::now();
    let mut v = existing.clone().unwrap_or_else(|| VirtualNetworkDoc {
        location: b
            .location
            .clone()
            .unwrap_or_else(|| rg_location.to_string()),
        tags: Default::default(),
        address_prefixes: Vec::new(),
        subnets: Vec::new(),
        resource_guid: uuid::Uuid::new_v4().to_string(),
        listener_port: None,
        audit: Audit::at(now),
    });
    let pes = pes_in(state, id).await?;
    for (pe_id, subnet) in &pes {
        if !b
            .subnets
            .iter()
            .any(|s| s.name.eq_ignore_ascii_case(subnet))
        {
            return Err(crate::arm::errors::in_use_subnet(subnet, pe_id));
        }
    }
    v.tags = b.tags;
    v.address_prefixes = b.address_prefixes;
    v.subnets = b.subnets;
    v.audit.modified_at = now;
    let cap = existing.is_none().then_some(state.config.max_vnets);
    let port = listeners::ensure(state, id.as_str(), v.listener_port, cap)?;
    v.listener_port = Some(port);
    state
        .store
        .put(id, ResourceKind::VirtualNetwork, Some(&rg_id(p)), &v)
        .await?;
    let status = if existing.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let reply = json_reply(status, &body(id, &v, &pes));
    Ok(with_listener_header(state, id, reply))
}

async fn delete(state: &AppState, id: &ResourceId) -> ArmResult<Response> {
    if state.store.get(id).await?.is_none() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    if let Some((pe_id, subnet)) = pes_in(state, id).await?.first() {
        return Err(crate::arm::errors::in_use_subnet(subnet, pe_id));
    }
    state.store.delete(id).await?;
    listeners::stop(state, id.as_str());
    Ok(StatusCode::OK.into_response())
}

/// `GET …/subnets`, `GET|PUT|DELETE …/subnets/{s}`.
pub async fn subnets(
    state: &AppState,
    req: &Request,
    p: &NetPath,
    rest: &[&str],
) -> ArmResult<Response> {
    let id = p.id(VNETS);
    let mut v = load(state, &id).await?;
    let pes = pes_in(state, &id).await?;
    let in_subnet = |name: &str| -> Vec<String> {
        pes.iter()
            .filter(|(_, s)| s.eq_ignore_ascii_case(name))
            .map(|(p, _)| p.clone())
            .collect()
    };
    if rest.len() == 1 {
        if req.method != Method::GET {
            return Err(ArmError::method_not_allowed(req.method.as_str(), &req.path));
        }
        let value = v
            .subnets
            .iter()
            .map(|s| subnet(&id, s, &in_subnet(&s.name)))
            .collect();
        return Ok(ok(&list_of(value)));
    }
    let name = crate::arm::safe_name("subnet", p.seg(req, 2))?.to_string();
    let pos = v
        .subnets
        .iter()
        .position(|s| s.name.eq_ignore_ascii_case(&name));
    match (&req.method, pos) {
        (&Method::GET, Some(i)) => Ok(ok(&subnet(&id, &v.subnets[i], &in_subnet(&name)))),
        (&Method::GET, None) => Err(ArmError::not_found(
            "Microsoft.Network/virtualNetworks/subnets",
            &name,
        )),
        (&Method::PUT, _) => {
            let body: SubnetRequest = crate::arm::body::parse(req)?;
            let prefix = body.properties.and_then(|p| p.address_prefix);
            let s = SubnetDoc {
                name: pos
                    .map(|i| v.subnets[i].name.clone())
                    .unwrap_or(name.clone()),
                address_prefix: prefix,
            };
            let status = if let Some(i) = pos {
                v.subnets[i] = s.clone();
                StatusCode::OK
            } else {
                v.subnets.push(s.clone());
                StatusCode::CREATED
            };
            save(state, p, &id, &mut v).await?;
            Ok(json_reply(status, &subnet(&id, &s, &in_subnet(&name))))
        }
        (&Method::DELETE, None) => Ok(StatusCode::NO_CONTENT.into_response()),
        (&Method::DELETE, Some(i)) => {
            if let Some(pe_id) = in_subnet(&name).first() {
                return Err(crate::arm::errors::in_use_subnet(&name, pe_id));
            }
            v.subnets.remove(i);
            save(state, p, &id, &mut v).await?;
            Ok(StatusCode::OK.into_response())
        }
        _ => Err(ArmError::method_not_allowed(req.method.as_str(), &req.path)),
    }
}

async fn save(
    state: &AppState,
    p: &NetPath,
    id: &ResourceId,
    v: &mut VirtualNetworkDoc,
) -> ArmResult<()> {
    v.audit.modified_at = chrono::Utc::now();
    state
        .store
        .put(id, ResourceKind::VirtualNetwork, Some(&rg_id(p)), v)
        .await?;
    Ok(())
}

/// `…/virtualNetworks/{v}/virtualNetworkPeerings[/{p}]`: list is empty, GET is 404, PUT is
/// refused (ISO-15 for managed networks), DELETE of nothing is 204.
pub async fn peerings(
    state: &AppState,
    req: &Request,
    p: &NetPath,
    rest: &[&str],
) -> ArmResult<Response> {
    let id = p.id(VNETS);
    load(state, &id).await?;
    match (&req.method, rest.len()) {
        (&Method::GET, 1) => Ok(ok(&list_of(Vec::<u8>::new()))),
        (&Method::GET, 2) => Err(ArmError::not_found(
            "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
            p.seg(req, 2),
        )),
        (&Method::PUT, 2) => {
            let body: model::PeeringRequest = crate::arm::body::parse(req)?;
            let remote = model::remote_vnet_id(&body, "")?;
            Err(refuse_peering(id.as_str(), &remote))
        }
        (&Method::DELETE, 2) => Ok(StatusCode::NO_CONTENT.into_response()),
        _ => Err(ArmError::method_not_allowed(req.method.as_str(), &req.path)),
    }
}

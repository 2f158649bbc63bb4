//! `GET …/providers/Microsoft.Network/networkInterfaces/{nic}`: the network interface Azure
//! creates for every private endpoint, which the PE names in `networkInterfaces[0]` (`az network
//! nic show --ids`, `network_interfaces.get`). Read only, like Azure's (its lifetime is the
//! PE's): one IP configuration per group id with the PE's address in its subnet, the
//! `privateLinkConnectionProperties` (group id, member, the FQDNs of `customDnsConfigs`) and
//! `privateEndpoint` pointing back. amlite names it `{pe}.nic.{creation time}`.
use axum::response::Response;

use super::model::PrivateEndpointDoc;
use super::NetPath;
use crate::app::AppState;
use crate::arm::response::network_interface;
use crate::domain::{ResourceId, ResourceKind};
use crate::error::{ArmError, ArmResult};
use crate::http::ok;

const NICS: &str = "Microsoft.Network/networkInterfaces";

/// The id of the network interface of PE `pe_id`.
pub fn nic_id(pe_id: &ResourceId, doc: &PrivateEndpointDoc) -> String {
    let nic = pe_id
        .as_str()
        .replace("/privateEndpoints/", "/networkInterfaces/");
    format!("{nic}.nic.{}", doc.audit.created_at.timestamp())
}

/// `GET …/networkInterfaces/{nic}`: the NIC of a stored PE, else 404 `ResourceNotFound`.
pub async fn get(state: &AppState, p: &NetPath) -> ArmResult<Response> {
    let id = p.id(NICS);
    let not_found = || ArmError::resource_not_found(id.as_str());
    let pe_name = p
        .name
        .rsplit_once(".nic.")
        .map(|(pe, _)| pe)
        .ok_or_else(not_found)?;
    let pe_id = ResourceId::provider_resource(&p.sub, &p.rg, super::pe::PES, pe_name);
    let row = state
        .store
        .get(&pe_id)
        .await?
        .filter(|r| r.kind == ResourceKind::PrivateEndpoint.tag())
        .ok_or_else(not_found)?;
    let doc: PrivateEndpointDoc = row.doc()?;
    let pe_id = row.resource_id();
    if !nic_id(&pe_id, &doc).eq_ignore_ascii_case(id.as_str()) {
        return Err(not_found());
    }
    // The PE's address and DNS names only: no need to render the PE (its connection status).
    let ip = super::ips::address_of(state, &pe_id, &doc).await?;
    let fqdns: Vec<String> = super::pe::dns_configs(pe_id.as_str(), &doc)
        .into_iter()
        .map(|c| c.fqdn)
        .collect();
    Ok(ok(&network_interface(&id, &pe_id, &doc, &ip, &fqdns)))
}

//! The private IP address a private endpoint shows (`ipConfigurations`, `customDnsConfigs`):
//! inside its subnet's `addressPrefix`, as Azure allocates it, skipping the five addresses Azure
//! reserves in every subnet (network, .1 gateway, .2/.3 DNS, broadcast). amlite allocates no
//! real addresses: the pick is a stable hash of the PE's id, so two PEs may share one.
use super::model::{split_subnet_id, PrivateEndpointDoc};
use crate::app::AppState;
use crate::domain::{ResourceId, ResourceKind};
use crate::error::ArmResult;

/// An address in IPv4 `prefix` (`a.b.c.d/n`, n ≤ 29) for `pe_id`; `None` for anything else.
pub fn address_in(prefix: &str, pe_id: &str) -> Option<String> {
    let (addr, len) = prefix.trim().split_once('/')?;
    let len: u32 = len.parse().ok().filter(|n| *n <= 29)?;
    let base: std::net::Ipv4Addr = addr.parse().ok()?;
    let size = 1u64 << (32 - len);
    let network = u64::from(u32::from(base)) & !(size - 1);
    let hash = pe_id
        .trim()
        .to_ascii_lowercase()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    let host = 4 + hash % (size - 5);
    let ip = u32::try_from(network + host).ok()?;
    Some(std::net::Ipv4Addr::from(ip).to_string())
}

/// The address of PE `id`: in its subnet's prefix when the VNet and subnet are known, else
/// amlite's synthetic `10.0.0.x`.
pub async fn address_of(
    state: &AppState,
    id: &ResourceId,
    doc: &PrivateEndpointDoc,
) -> ArmResult<String> {
    let prefix = match split_subnet_id(&doc.subnet_id) {
        Some((vnet_id, subnet)) => match state.store.get(&vnet_id).await? {
            Some(row) if row.kind == ResourceKind::VirtualNetwork.tag() => {
                let v: super::model::VirtualNetworkDoc = row.doc()?;
                v.subnets
                    .into_iter()
                    .find(|s| s.name.eq_ignore_ascii_case(&subnet))
                    .and_then(|s| s.address_prefix)
                    .or_else(|| v.address_prefixes.first().cloned())
            }
            _ => None,
        },
        None => None,
    };
    Ok(prefix
        .and_then(|p| address_in(&p, id.as_str()))
        .unwrap_or_else(|| crate::network::synthetic_private_ip(id.as_str())))
}

#[cfg(test)]
mod tests {
    use super::address_in;

    #[test]
    fn addresses_fall_inside_the_prefix_past_azures_reserved_ones() {
        for id in ["a", "b", "/subscriptions/s/x/pe1", "PE2"] {
            let ip: std::net::Ipv4Addr = address_in("10.20.1.0/24", id)
                .unwrap_or_default()
                .parse()
                .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED);
            let o = ip.octets();
            assert_eq!((o[0], o[1], o[2]), (10, 20, 1), "{ip}");
            assert!((4..=254).contains(&o[3]), "{ip}");
        }
        assert_eq!(
            address_in("10.20.1.0/24", "a"),
            address_in("10.20.1.0/24", "A")
        );
        let wide = address_in("172.16.0.0/16", "x").unwrap_or_default();
        assert!(wide.starts_with("172.16."), "{wide}");
        assert_eq!(address_in("10.0.0.0/30", "x"), None);
        assert_eq!(address_in("fd00::/64", "x"), None);
    }
}

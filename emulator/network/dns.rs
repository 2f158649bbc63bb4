//! The DNS view of a workspace (ISO-12) and the inference host-name form of SPEC 4.
//!
//! ISO-12: one wildcard record `*.{workspaceId}.inference.{region}.privatelink.api.azureml.ms`
//! routes all of a workspace's endpoints to its private endpoint. A private endpoint's GET shows
//! it in `customDnsConfigs`, and a VNet's resolver answers names it covers with the PE's address
//! (only for a PE that gives a private path, see `inbound::private_path_pe`, ISO-2).
//!
//! Must not depend on any other amlite module; no IO.

use serde::{Deserialize, Serialize};

use super::hostmatch::normalize_host;

/// One entry of a private endpoint's `customDnsConfigs` (wire shape: `{"fqdn": "...",
/// "ipAddresses": ["10.0.0.7"]}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DnsConfig {
    /// The DNS name (may be a `*.` wildcard).
    pub fqdn: String,
    /// The private IP addresses the name resolves to inside the VNet.
    pub ip_addresses: Vec<String>,
}

/// Azure location normalisation: lower-case, spaces removed (`"East US"` → `"eastus"`).
fn normalize_region(region: &str) -> String {
    region
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// ISO-12: the private DNS record of a workspace,
/// `*.{workspace_guid}.inference.{region}.privatelink.api.azureml.ms`.
///
/// `workspace_guid` is the workspace's `properties.workspaceId` (a GUID, not the ARM id);
/// `region` is its location. Both are lower-cased; spaces in the region are removed.
pub fn private_dns_record(workspace_guid: &str, region: &str) -> String {
    format!(
        "*.{}.inference.{}.privatelink.api.azureml.ms",
        workspace_guid.trim().to_ascii_lowercase(),
        normalize_region(region)
    )
}

/// The private name of endpoint `endpoint` that the ISO-12 wildcard record covers:
/// `{endpoint}.{workspace_guid}.inference.{region}.privatelink.api.azureml.ms` (lower-cased).
pub fn private_inference_fqdn(endpoint: &str, workspace_guid: &str, region: &str) -> String {
    format!(
        "{}.{}.inference.{}.privatelink.api.azureml.ms",
        endpoint.trim().to_ascii_lowercase(),
        workspace_guid.trim().to_ascii_lowercase(),
        normalize_region(region)
    )
}

/// A deterministic, SYNTHETIC private IPv4 address for private endpoint `pe_id`: `10.0.0.x` with
/// `x` in 4..=254 derived from an FNV-1a hash of the lower-cased ARM id (Azure reserves .0-.3 and
/// .255 of a subnet). amlite allocates no real addresses: this is only what the PE's GET and the
/// VNet resolver show, stable across restarts. Two PEs may share an address.
pub fn synthetic_private_ip(pe_id: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in pe_id.trim().to_ascii_lowercase().bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("10.0.0.{}", 4 + hash % 251)
}

/// What `GET` of a workspace private endpoint shows in `properties.customDnsConfigs` (ISO-12):
/// the workspace's wildcard inference record ([`private_dns_record`]) pointing at the PE's
/// [`synthetic_private_ip`]. `pe_id` is the PE's ARM id; `workspace_guid` and `region` as in
/// [`private_dns_record`].
pub fn custom_dns_configs(pe_id: &str, workspace_guid: &str, region: &str) -> Vec<DnsConfig> {
    vec![DnsConfig {
        fqdn: private_dns_record(workspace_guid, region),
        ip_addresses: vec![synthetic_private_ip(pe_id)],
    }]
}

/// Parses the Host-header form of scoring (SPEC 4): `{endpoint}.{region}.inference.ml.azure.com`,
/// case-insensitive, an optional `:port` and trailing `.` ignored.
///
/// Returns `Some((endpoint, region))`, both lower-cased, or `None` when the host has another
/// shape (extra or empty labels included), in which case scoring falls back to the path form.
pub fn parse_inference_host(host: &str) -> Option<(String, String)> {
    let host = normalize_host(host);
    let rest = host.strip_suffix(".inference.ml.azure.com")?;
    let (endpoint, region) = rest.split_once('.')?;
    let label_ok =
        |l: &str| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if label_ok(endpoint) && label_ok(region) {
        Some((endpoint.to_string(), region.to_string()))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::hostmatch::host_matches_pattern;
    use super::*;

    const GUID: &str = "0A1B2C3D-0000-4000-8000-00000000ABCD";

    #[test]
    fn iso_12_record_shape() {
        assert_eq!(
            private_dns_record(GUID, "EastUS"),
            "*.0a1b2c3d-0000-4000-8000-00000000abcd.inference.eastus.privatelink.api.azureml.ms"
        );
        assert_eq!(
            private_dns_record("g", "East US 2"),
            "*.g.inference.eastus2.privatelink.api.azureml.ms"
        );
    }

    #[test]
    fn iso_12_record_covers_every_endpoint_of_the_workspace() {
        let record = private_dns_record(GUID, "westeurope");
        for ep in ["my-endpoint", "ep2"] {
            assert!(host_matches_pattern(
                &record,
                &private_inference_fqdn(ep, GUID, "WestEurope")
            ));
        }
        let other = private_inference_fqdn("ep", "other-guid", "westeurope");
        assert!(!host_matches_pattern(&record, &other));
    }

    #[test]
    fn synthetic_ip_is_deterministic_private_and_in_range() {
        let id =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/pe1";
        let ip = synthetic_private_ip(id);
        assert_eq!(ip, synthetic_private_ip(&id.to_uppercase()));
        let last: u32 = match ip.strip_prefix("10.0.0.").map(str::parse) {
            Some(Ok(n)) => n,
            _ => panic!("not 10.0.0.x: {ip}"),
        };
        assert!((4..=254).contains(&last), "{ip}");
        assert_ne!(
            ip,
            synthetic_private_ip(&format!("{id}-other")),
            "should usually differ"
        );
    }

    #[test]
    fn custom_dns_configs_wire_shape() {
        let configs = custom_dns_configs("/x/privateEndpoints/pe1", GUID, "eastus");
        assert_eq!(configs.len(), 1);
        assert_eq!(configs[0].fqdn, private_dns_record(GUID, "eastus"));
        let json = serde_json::to_value(&configs).unwrap_or_default();
        assert_eq!(json[0]["fqdn"], configs[0].fqdn);
        assert_eq!(json[0]["ipAddresses"][0], configs[0].ip_addresses[0]);
    }

    #[test]
    fn parses_inference_host_form() {
        let table = [
            (
                "my-ep.eastus.inference.ml.azure.com",
                Some(("my-ep", "eastus")),
            ),
            (
                "My-EP.EastUS.Inference.ML.Azure.com:8443",
                Some(("my-ep", "eastus")),
            ),
            (
                "ep.westeurope.inference.ml.azure.com.",
                Some(("ep", "westeurope")),
            ),
            ("ep.inference.ml.azure.com", None),
            ("a.b.eastus.inference.ml.azure.com", None),
            (".eastus.inference.ml.azure.com", None),
            ("ep..inference.ml.azure.com", None),
            ("ep.eastus.inference.ml.azure.com.evil.net", None),
            ("localhost:8443", None),
            ("", None),
        ];
        for (host, want) in table {
            let got = parse_inference_host(host);
            let want = want.map(|(e, r)| (e.to_string(), r.to_string()));
            assert_eq!(got, want, "host {host:?}");
        }
    }
}

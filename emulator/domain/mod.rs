//! Pure vocabulary shared by every layer: resource ids, names, provisioning states and the
//! domain documents amlite stores (not the wire shapes: those live in `arm/response/`).
//!
//! Depends on std, serde, uuid, chrono, yaml_serde (conda files) and (for storage signatures)
//! hmac, sha2, base64 and the URL-encoding crates, and thiserror for its error types only; does no IO and never reads the clock.
pub mod conda_file;
pub mod enums;
pub mod id;
pub mod identity;
pub mod network_docs;
pub mod outbound_rule;
pub mod path;
pub mod resources;
pub mod storage_auth;
pub mod template;
pub mod token;

pub use enums::{
    AuthMode, ConnectionStatus, IsolationMode, ProvisioningState, PublicNetworkAccess,
};
pub use id::{ResourceId, ResourceKind};
pub use network_docs::{ConnectionDoc, PrivateEndpointDoc, SubnetDoc, VirtualNetworkDoc};
pub use outbound_rule::{DestinationObject, OutboundDestination, OutboundRule};
pub use resources::*;

/// Formats a time as ARM does (`2026-11-29T12:51:17.000000Z`).
pub fn arm_time(t: chrono::DateTime<chrono::Utc>) -> String {
    // Not `format("%Y-%m-%dT%H:%M:%S%.6fZ")`, which parses its pattern at every call: this runs
    // on every scoring request (a deployment log line) and every write (issue 14).
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// True when a user-supplied resource name is safe to use in a path and a file name: non-empty,
/// at most 260 characters, no path separators, no `..`, no control characters.
pub fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 260
        && name != "."
        && !name.contains("..")
        && !name
            .chars()
            .any(|c| matches!(c, '/' | '\\' | '?' | '#' | '%') || c.is_control())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    #[test]
    fn arm_time_has_six_fraction_digits_and_a_z() {
        for (secs, nanos, want) in [
            (0, 0, "1970-01-01T00:00:00.000000Z"),
            (1_764_420_677, 5_000, "2025-11-29T12:51:17.000005Z"),
            (1_764_420_677, 999_999_999, "2025-11-29T12:51:17.999999Z"),
        ] {
            let t = chrono::Utc.timestamp_opt(secs, nanos).single();
            assert_eq!(t.map(super::arm_time).as_deref(), Some(want));
        }
    }
}

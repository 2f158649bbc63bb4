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
pub mod path;
pub mod resources;
pub mod storage_auth;
pub mod token;

pub use enums::{
    AuthMode, ConnectionStatus, IsolationMode, ProvisioningState, PublicNetworkAccess,
};
pub use id::{ResourceId, ResourceKind};
pub use network_docs::{ConnectionDoc, PrivateEndpointDoc, SubnetDoc, VirtualNetworkDoc};
pub use resources::*;

/// Formats a time as ARM does (`2026-11-29T12:51:17.000000Z`).
pub fn arm_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
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

//! Pure isolation and validation rules: one named function per SPEC id (section 5,
//! ISO-1..ISO-19 and CP-1..CP-8), each table-tested beside its definition.
//!
//! What this module owns: the *decisions* ("may this deployment be created?", "which private
//! endpoint connections does it get?", "how many cores does it need?"), written so that each can
//! be read line by line against the SPEC and the Azure article it cites.
//!
//! What it must not do: no IO, no async, no clock (time is a parameter), no store, no HTTP types.
//! It depends on `std`, `serde` and the pure `domain` types only. A refusal is a [`Violation`]: the rule id plus the status, ARM error code and
//! message Azure answers; `error::convert` turns it into the ARM envelope.
//!
//! Rules enforced elsewhere (the inbound scoring decision and egress) are listed in [`RULES`]
//! with the path of the function that enforces them, so that [`RULES`] covers every SPEC id.
//!
//! Submodules, by topic:
//! - [`types`]: enums (`PublicNetworkAccess`, `IsolationMode`, `OutboundRuleType`, ...).
//! - [`workspace`]: ISO-1 v1 legacy mode, ISO-3 associated resources, ISO-11 warning.
//! - [`managed_network`]: ISO-7, ISO-8 required outbound rules, ISO-9 modes and readiness.
//! - [`legacy_egress`]: ISO-13 immutable egress flag, ISO-14 private endpoints, ISO-15 peering.
//! - [`provisioning`]: ISO-16/17/18 provisioning-time decisions, ISO-19 combinations.
//! - [`artifacts`]: which storage account/registry a model or code URI, or an image reference,
//!   names (ISO-17/18 input).
//! - [`names`]: CP-1 endpoint and deployment names, regional uniqueness.
//! - [`traffic`]: CP-2 traffic, CP-3 mirror traffic, CP-4 delete with traffic.
//! - [`limits`]: CP-5 limits and the ISO-8601 duration parser.
//! - [`endpoint`]: CP-6 endpoint state, CP-7 compute and auth modes.
//! - [`quota`]: CP-8 cores table and quota.
//! - `violation`: the [`Violation`] every rule returns; `registry`: [`RULES`].

pub mod artifacts;
pub mod endpoint;
pub mod legacy_egress;
pub mod limits;
pub mod managed_network;
pub mod names;
pub mod outbound_view;
pub mod provisioning;
pub mod quota;
mod registry;
pub mod system_rules;
pub mod traffic;
pub mod types;
mod violation;
pub mod workspace;

// Every rule function and input type is also reachable as `rules::<name>`
// (e.g. `rules::iso_7_egress_flag_with_managed_network`), as ARCHITECTURE.md writes them.
pub use artifacts::*;
pub use endpoint::*;
pub use legacy_egress::*;
pub use limits::*;
pub use managed_network::*;
pub use names::*;
pub use provisioning::*;
pub use quota::*;
pub use traffic::*;
pub use types::*;
pub use workspace::*;

pub use registry::{rule_info, RuleInfo, RULES};
pub use violation::{Status, Violation};

/// Case-insensitive equality of names (SPEC 3: names compare case-insensitively).
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

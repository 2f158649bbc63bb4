//! The scoring decision of SPEC 6.3: may a scoring request arriving from a given network reach
//! an endpoint, and by which path (ISO-2, ISO-5, ISO-12; ISO-4 note below).
//!
//! ISO-4: isolation covers the data plane only. Nothing here is consulted for ARM
//! (control-plane) calls, which every listener serves whatever `publicNetworkAccess` says.
//!
//! ISO-11: the workspace's own `publicNetworkAccess` does NOT change the scoring decision. SPEC 6.3
//! decides on the endpoint flag alone; a workspace with public access disabled and an endpoint
//! with it enabled is an allowed (if discouraged) combination, for which the control plane logs a
//! warning. [`decide`] takes the workspace flag anyway so that this choice is explicit at every
//! call site and covered by the matrix test.
//!
//! Must not depend on any other amlite module; no IO, no clock (creation times are data).

use chrono::{DateTime, Utc};

use super::{arm_id_eq, PublicNetworkAccess};

/// ISO-2: a workspace private endpoint created before this instant (2022-05-24T00:00:00Z) gives
/// no private path to online endpoints; it must be re-created. A PE whose `created_at` is equal
/// to or later than this instant works.
pub const PE_CUTOFF: DateTime<Utc> = match DateTime::from_timestamp(1_653_350_400, 0) {
    Some(t) => t,
    None => DateTime::<Utc>::MIN_UTC, // unreachable: the timestamp is in range
};

/// Where a scoring caller sits (SPEC 6.2): the internet listener, or a client VNet's listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerNetwork {
    /// The default listener: the public internet.
    Internet,
    /// A client virtual network's listener.
    Vnet {
        /// ARM id of the `Microsoft.Network/virtualNetworks` resource.
        id: String,
    },
}

pub use crate::domain::ConnectionStatus;

/// What the scoring decision needs to know about one `Microsoft.Network/privateEndpoints`
/// resource (SPEC 6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateEndpointView {
    /// ARM id of the private endpoint.
    pub id: String,
    /// ARM id of the VNet whose subnet holds the private endpoint.
    pub vnet_id: String,
    /// ARM id of the target workspace (`privateLinkServiceConnections[0]...privateLinkServiceId`).
    pub workspace_id: String,
    /// Status of its connection to the workspace.
    pub status: ConnectionStatus,
    /// `systemData.createdAt` (settable in fixtures); compared with [`PE_CUTOFF`] for ISO-2.
    pub created_at: DateTime<Utc>,
}

/// The path an allowed scoring request takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Path {
    /// Through this private endpoint of the workspace (SPEC 6.3 step 1).
    Private {
        /// ARM id of the private endpoint used.
        pe_id: String,
    },
    /// Over the public network (endpoint `publicNetworkAccess: Enabled`, ISO-5).
    Public,
}

/// Why a scoring request was refused. The caller answers HTTP 403 with an ARM-style body
/// `{"error": {"code": code, "message": message}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundRefusal {
    /// The SPEC rule that refused: `"ISO-2"` (an old private endpoint in the caller's VNet would
    /// have been the path) or `"ISO-5"` (public access disabled, no usable private endpoint).
    pub rule: &'static str,
    /// ARM error code; always `"Forbidden"` today.
    pub code: &'static str,
    /// Human-readable explanation: what is disabled and how to reach the endpoint.
    pub message: String,
}

/// Outcome of [`decide`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundDecision {
    /// Go on to auth and routing, by this path.
    Allowed {
        /// Private (with the PE used) or public.
        path: Path,
    },
    /// Answer 403 with this refusal.
    Refused(InboundRefusal),
}

/// Does `pe` give a private scoring path to workspace `workspace_id` (SPEC 6.3 step 1)? True when
/// it targets that workspace (ARM ids compared case-insensitively), is `Approved`, and was created
/// at or after [`PE_CUTOFF`] (ISO-2). Whether it sits in the caller's VNet is checked separately.
pub fn provides_private_path(pe: &PrivateEndpointView, workspace_id: &str) -> bool {
    arm_id_eq(&pe.workspace_id, workspace_id)
        && pe.status == ConnectionStatus::Approved
        && pe.created_at >= PE_CUTOFF
}

/// The private endpoint a caller's scoring request would use for `workspace_id`: the first PE in
/// `pes` (in the given order) that sits in the caller's VNet and satisfies
/// [`provides_private_path`]. `None` for the internet. Also what a VNet's resolver uses: the
/// endpoint's name resolves privately only through this PE (ISO-2, ISO-12).
pub fn private_path_pe<'a>(
    caller: &CallerNetwork,
    pes: &'a [PrivateEndpointView],
    workspace_id: &str,
) -> Option<&'a PrivateEndpointView> {
    let CallerNetwork::Vnet { id } = caller else {
        return None;
    };
    pes.iter()
        .find(|pe| arm_id_eq(&pe.vnet_id, id) && provides_private_path(pe, workspace_id))
}

/// The scoring decision of SPEC 6.3 (ISO-5, ISO-2).
///
/// 1. Caller in a VNet with a usable PE to the workspace ([`private_path_pe`]) →
///    `Allowed { Private }`.
/// 2. Otherwise the public path: `Allowed { Public }` if `endpoint_public_network_access` is
///    `Enabled`, else `Refused` with rule `"ISO-2"` when the caller's VNet has a PE to this
///    workspace created before [`PE_CUTOFF`], or `"ISO-5"` otherwise.
///
/// `pes` may hold every PE known (any VNet, any workspace); `workspace_id` is the ARM id of the
/// endpoint's workspace. `workspace_public_network_access` is deliberately ignored (ISO-11, see
/// the module doc).
pub fn decide(
    caller: &CallerNetwork,
    pes: &[PrivateEndpointView],
    workspace_id: &str,
    endpoint_public_network_access: PublicNetworkAccess,
    workspace_public_network_access: PublicNetworkAccess,
) -> InboundDecision {
    // ISO-11: the workspace flag is advisory for scoring; the endpoint flag decides (SPEC 6.3).
    let _ = workspace_public_network_access;
    if let Some(pe) = private_path_pe(caller, pes, workspace_id) {
        return InboundDecision::Allowed {
            path: Path::Private {
                pe_id: pe.id.clone(),
            },
        };
    }
    match endpoint_public_network_access {
        PublicNetworkAccess::Enabled => InboundDecision::Allowed { path: Path::Public },
        PublicNetworkAccess::Disabled => {
            InboundDecision::Refused(refusal(caller, pes, workspace_id))
        }
    }
}

/// Builds the 403 explanation: the base sentence, then one note per PE in the caller's VNet that
/// looked like a way in but is not (too old, not approved, other workspace).
fn refusal(
    caller: &CallerNetwork,
    pes: &[PrivateEndpointView],
    workspace_id: &str,
) -> InboundRefusal {
    let mut message = format!(
        "Public network access to this online endpoint is disabled (publicNetworkAccess: \
         Disabled); it can only be scored through a private endpoint of its workspace. Call it \
         from a virtual network that has an approved private endpoint to workspace \
         '{workspace_id}', or set the endpoint's publicNetworkAccess to Enabled."
    );
    let vnet_id = match caller {
        CallerNetwork::Internet => {
            message.push_str(" This request came from the internet.");
            return forbidden("ISO-5", message);
        }
        CallerNetwork::Vnet { id } => id,
    };
    let mut rule = "ISO-5";
    let mut any_note = false;
    for pe in pes.iter().filter(|pe| arm_id_eq(&pe.vnet_id, vnet_id)) {
        let Some(note) = pe_note(pe, workspace_id) else {
            continue;
        };
        if pe.created_at < PE_CUTOFF && arm_id_eq(&pe.workspace_id, workspace_id) {
            rule = "ISO-2";
        }
        any_note = true;
        message.push(' ');
        message.push_str(&note);
    }
    if !any_note {
        message.push_str(&format!(
            " Virtual network '{vnet_id}' has no private endpoint to this workspace."
        ));
    }
    forbidden(rule, message)
}

/// Why `pe` (in the caller's VNet) gives no private path, or `None` if it would have.
fn pe_note(pe: &PrivateEndpointView, workspace_id: &str) -> Option<String> {
    let id = &pe.id;
    if !arm_id_eq(&pe.workspace_id, workspace_id) {
        return Some(format!(
            "Private endpoint '{id}' in this virtual network targets another workspace ('{}').",
            pe.workspace_id
        ));
    }
    if pe.created_at < PE_CUTOFF {
        return Some(format!(
            "Private endpoint '{id}' in this virtual network was created at {}, before \
             2022-05-24; such private endpoints do not reach online endpoints and must be \
             re-created (ISO-2).",
            pe.created_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ));
    }
    match pe.status {
        ConnectionStatus::Approved => None,
        ConnectionStatus::Disconnected => Some(format!(
            "The connection of private endpoint '{id}' to the workspace is Disconnected, not \
             approved; re-create the private endpoint and approve its connection through the \
             workspace's privateEndpointConnections."
        )),
        status => Some(format!(
            "The connection of private endpoint '{id}' to the workspace is {}, not approved; \
             approve it through the workspace's privateEndpointConnections.",
            status.as_str()
        )),
    }
}

fn forbidden(rule: &'static str, message: String) -> InboundRefusal {
    InboundRefusal {
        rule,
        code: "Forbidden",
        message,
    }
}

#[cfg(test)]
#[path = "inbound_tests.rs"]
mod tests;

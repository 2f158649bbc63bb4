//! What `amlite explain` says about a scoring call (SPEC 6.3): the outcome of [`decide`] (the
//! function scoring itself calls, so the two cannot disagree), the rule that decided, and the
//! changes that would turn a refusal into an allowed call, each with the rule behind it.
//!
//! Must not depend on any other amlite module; no IO, no clock.

use super::inbound::{decide, CallerNetwork, ConnectionStatus, InboundDecision, Path};
use super::inbound::{PrivateEndpointView, PE_CUTOFF};
use super::{arm_id_eq, PublicNetworkAccess as Access};

/// One change that would let the call through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The SPEC rule the change satisfies.
    pub rule: &'static str,
    /// What to do, in a sentence naming the resource and property.
    pub change: String,
}

/// The explained inbound decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundExplanation {
    /// The decision itself, exactly as scoring gets it.
    pub decision: InboundDecision,
    /// The rule that decided: `ISO-5` (public path, or refused without a private path), `ISO-12`
    /// (the private path through a workspace private endpoint), `ISO-2` (refused because the
    /// caller's private endpoint is older than 2022-05-24).
    pub rule: &'static str,
    /// Why, in a sentence (for a refusal: the 403 message scoring answers).
    pub reason: String,
    /// Changes that would allow the call (empty when it is allowed).
    pub changes: Vec<Change>,
}

/// Explains the scoring decision for a caller on `caller` (same inputs as [`decide`]).
pub fn explain_inbound(
    caller: &CallerNetwork,
    pes: &[PrivateEndpointView],
    workspace_id: &str,
    endpoint_public_network_access: Access,
    workspace_public_network_access: Access,
) -> InboundExplanation {
    let decision = decide(
        caller,
        pes,
        workspace_id,
        endpoint_public_network_access,
        workspace_public_network_access,
    );
    let (rule, reason) = match &decision {
        InboundDecision::Allowed { path: Path::Public } => (
            "ISO-5",
            "Allowed over the public network: the endpoint's publicNetworkAccess is Enabled."
                .to_string(),
        ),
        InboundDecision::Allowed {
            path: Path::Private { pe_id },
        } => (
            "ISO-12",
            format!("Allowed through private endpoint '{pe_id}' of the workspace (approved, created on or after 2022-05-24) in the caller's virtual network."),
        ),
        InboundDecision::Refused(r) => (r.rule, r.message.clone()),
    };
    let changes = match &decision {
        InboundDecision::Allowed { .. } => Vec::new(),
        InboundDecision::Refused(_) => changes_for(caller, pes, workspace_id),
    };
    InboundExplanation {
        decision,
        rule,
        reason,
        changes,
    }
}

fn changes_for(
    caller: &CallerNetwork,
    pes: &[PrivateEndpointView],
    workspace_id: &str,
) -> Vec<Change> {
    let mut out = vec![Change {
        rule: "ISO-5",
        change: "Set the endpoint's properties.publicNetworkAccess to Enabled (PUT or PATCH the online endpoint).".into(),
    }];
    let CallerNetwork::Vnet { id: vnet } = caller else {
        let usable: Vec<&str> = pes
            .iter()
            .filter(|pe| super::inbound::provides_private_path(pe, workspace_id))
            .map(|pe| pe.vnet_id.as_str())
            .collect();
        let change = match usable.first() {
            Some(v) => format!("Call from virtual network '{v}', which has an approved private endpoint to the workspace (its listener: `amlite env --vnet NAME`)."),
            None => format!("Create a virtual network with a private endpoint to workspace '{workspace_id}', approve its connection, and call from that network's listener."),
        };
        out.push(Change {
            rule: "ISO-12",
            change,
        });
        return out;
    };
    let mine: Vec<&PrivateEndpointView> = pes
        .iter()
        .filter(|pe| arm_id_eq(&pe.vnet_id, vnet) && arm_id_eq(&pe.workspace_id, workspace_id))
        .collect();
    if mine.is_empty() {
        out.push(Change {
            rule: "ISO-12",
            change: format!("Create a private endpoint in virtual network '{vnet}' to workspace '{workspace_id}' (group id amlworkspace) and approve its connection."),
        });
    }
    for pe in mine {
        if pe.created_at < PE_CUTOFF {
            out.push(Change {
                rule: "ISO-2",
                change: format!("Re-create private endpoint '{}': it was created before 2022-05-24 and gives no path to online endpoints.", pe.id),
            });
        } else if pe.status != ConnectionStatus::Approved {
            out.push(Change {
                rule: "ISO-12",
                change: format!("Approve the connection of private endpoint '{}' (now {}) through the workspace's privateEndpointConnections.", pe.id, pe.status.as_str()),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    const WS: &str = "/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w";
    const VNET: &str =
        "/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/v";

    fn pe(created: DateTime<Utc>, status: ConnectionStatus) -> PrivateEndpointView {
        PrivateEndpointView {
            id: "/pe".into(),
            vnet_id: VNET.into(),
            workspace_id: WS.into(),
            status,
            created_at: created,
        }
    }

    fn vnet() -> CallerNetwork {
        CallerNetwork::Vnet { id: VNET.into() }
    }

    #[test]
    fn every_refusal_names_a_change_and_the_decision_is_decides() {
        let new = PE_CUTOFF;
        let old = PE_CUTOFF - chrono::Duration::days(1);
        let cases = [
            (
                CallerNetwork::Internet,
                vec![],
                "ISO-5",
                vec!["ISO-5", "ISO-12"],
            ),
            (vnet(), vec![], "ISO-5", vec!["ISO-5", "ISO-12"]),
            (
                vnet(),
                vec![pe(old, ConnectionStatus::Approved)],
                "ISO-2",
                vec!["ISO-5", "ISO-2"],
            ),
            (
                vnet(),
                vec![pe(new, ConnectionStatus::Pending)],
                "ISO-5",
                vec!["ISO-5", "ISO-12"],
            ),
        ];
        for (caller, pes, rule, changes) in cases {
            let e = explain_inbound(&caller, &pes, WS, Access::Disabled, Access::Disabled);
            assert_eq!(
                e.decision,
                decide(&caller, &pes, WS, Access::Disabled, Access::Disabled)
            );
            assert_eq!(e.rule, rule, "{caller:?} {pes:?}");
            let got: Vec<&str> = e.changes.iter().map(|c| c.rule).collect();
            assert_eq!(got, changes, "{caller:?} {pes:?}");
        }
    }

    #[test]
    fn allowed_calls_name_their_path_rule() {
        let pes = [pe(PE_CUTOFF, ConnectionStatus::Approved)];
        let private = explain_inbound(&vnet(), &pes, WS, Access::Disabled, Access::Enabled);
        assert_eq!((private.rule, private.changes.len()), ("ISO-12", 0));
        let public = explain_inbound(
            &CallerNetwork::Internet,
            &pes,
            WS,
            Access::Enabled,
            Access::Enabled,
        );
        assert_eq!((public.rule, public.changes.len()), ("ISO-5", 0));
        let internet = explain_inbound(
            &CallerNetwork::Internet,
            &pes,
            WS,
            Access::Disabled,
            Access::Enabled,
        );
        assert!(internet.changes[1].change.contains(VNET));
    }
}

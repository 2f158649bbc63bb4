//! The start-up lines after `amlite ready` (issue 13): every listener (the internet one and
//! each client VNet's, with its URL) and every deployment that was running before the restart
//! and serves again (python ones restart in the background; mock ones answer at once).
use crate::app::AppState;
use crate::domain::{OnlineDeployment, ProvisioningState, ResourceKind};
use crate::runtime::RuntimeKind;

/// Logs the listeners and the restarted deployments (INFO).
pub async fn print(state: &AppState) {
    tracing::info!(network = "internet", url = %state.internet_base, "listener");
    let vnets = state
        .store
        .by_kind_under(ResourceKind::VirtualNetwork, "/")
        .await
        .unwrap_or_default();
    for v in vnets {
        let url = crate::arm::network::listeners::port_of(state, &v.id)
            .map(|p| crate::arm::network::listeners::base_url(state, p))
            .unwrap_or_else(|| "not running".into());
        tracing::info!(network = "vnet", name = %v.name, vnet_id = %v.id, url = %url, "listener");
    }
    let deployments = state
        .store
        .by_kind_under(ResourceKind::OnlineDeployment, "/")
        .await
        .unwrap_or_default();
    let mut restarted = 0;
    for row in deployments {
        let Ok(d) = row.doc::<OnlineDeployment>() else {
            continue;
        };
        if d.provisioning_state != ProvisioningState::Succeeded {
            continue;
        }
        let runtime = match RuntimeKind::of(&d, state.config.runtime_default()) {
            RuntimeKind::Mock => "mock",
            RuntimeKind::Python => "python (restarting in the background)",
        };
        restarted += 1;
        tracing::info!(deployment = %row.id, runtime, "deployment restarted");
    }
    tracing::info!(deployments = restarted, "restarted deployments");
}

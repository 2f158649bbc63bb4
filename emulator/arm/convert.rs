//! Conversions between the stored domain vocabulary (`domain::Access`, ...) and the pure
//! vocabularies of `rules` and `network`, kept in one place so handlers stay short.
use crate::domain::{Access, AuthMode, ProvisioningState};
use crate::rules;

/// `domain::Access` → `rules::PublicNetworkAccess`.
pub fn pna(a: Access) -> rules::PublicNetworkAccess {
    match a {
        Access::Enabled => rules::PublicNetworkAccess::Enabled,
        Access::Disabled => rules::PublicNetworkAccess::Disabled,
    }
}

/// `domain::AuthMode` → `rules::AuthMode`.
pub fn auth(a: AuthMode) -> rules::AuthMode {
    match a {
        AuthMode::Key => rules::AuthMode::Key,
        AuthMode::AmlToken => rules::AuthMode::AmlToken,
        AuthMode::AadToken => rules::AuthMode::AadToken,
    }
}

/// `domain::ProvisioningState` → `rules::ProvisioningState`.
pub fn state(s: ProvisioningState) -> rules::ProvisioningState {
    match s {
        ProvisioningState::Creating => rules::ProvisioningState::Creating,
        ProvisioningState::Updating => rules::ProvisioningState::Updating,
        ProvisioningState::Deleting => rules::ProvisioningState::Deleting,
        ProvisioningState::Succeeded => rules::ProvisioningState::Succeeded,
        ProvisioningState::Failed => rules::ProvisioningState::Failed,
        ProvisioningState::Canceled => rules::ProvisioningState::Canceled,
    }
}

/// A workspace's isolation mode (`Disabled` when unset or unknown).
pub fn isolation(mode: &str) -> rules::IsolationMode {
    rules::IsolationMode::parse(mode).unwrap_or(rules::IsolationMode::Disabled)
}

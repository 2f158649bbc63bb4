//! Every Azure enum amlite speaks, defined once: `publicNetworkAccess`, isolation modes,
//! outbound rule types/categories/statuses, provisioning states, auth modes, compute types,
//! artifact kinds, private endpoint connection statuses. Used by the stored documents
//! (`domain`), the pure rules (`rules`, `network`) and every service's wire code alike.
//!
//! Every enum parses case-insensitively (SPEC 2.1: the SDK sends user strings unnormalised, e.g.
//! `"disabled"`) and prints in Azure's casing (`contracts/`, e.g. `FQDN`, `AMLToken`).
//! Serialising writes `as_str()`; deserialising (stored documents) is case-insensitive.
//!
//! Pure: depends on nothing but `std` and `serde`.

use std::fmt;

/// What every enum of this file offers; lets `rules::parse_property` work for any of them.
pub trait AzureEnum: Sized + Copy + 'static {
    /// Case-insensitive parse of the Azure string.
    fn parse_azure(text: &str) -> Option<Self>;
    /// The accepted values, quoted and comma-separated, for messages.
    fn allowed() -> String;
}

/// Declares a fieldless enum with `ALL`, case-insensitive `parse`, Azure-cased `as_str`,
/// `Display`, `Serialize` (as the Azure string) and a case-insensitive `Deserialize`.
macro_rules! azure_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* #[doc = concat!("`", $text, "`")] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Case-insensitive parse of the Azure string (surrounding spaces ignored).
            pub fn parse(text: &str) -> Option<Self> {
                let text = text.trim();
                Self::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(text))
            }

            /// The value in Azure's casing, as the service answers it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The accepted values joined for an error message: `'A', 'B'`.
            pub fn allowed_values() -> String {
                let quoted: Vec<String> =
                    Self::ALL.iter().map(|v| format!("'{}'", v.as_str())).collect();
                quoted.join(", ")
            }
        }

        impl AzureEnum for $name {
            fn parse_azure(text: &str) -> Option<Self> {
                Self::parse(text)
            }
            fn allowed() -> String {
                Self::allowed_values()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        /// Stored documents only (case-insensitive, so documents written with another casing
        /// still read); request bodies keep the string and call `parse`, so a bad value is a
        /// 400 naming the property (`rules::parse_property`), not a serde error.
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Self::parse(&text).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "unknown {} '{text}': expected one of {}",
                        stringify!($name),
                        Self::allowed_values()
                    ))
                })
            }
        }
    };
}

azure_enum!(
    /// `publicNetworkAccess` (workspace, endpoint, associated resources) and the deployment's
    /// `egressPublicNetworkAccess`. Azure's default for both is `Enabled`.
    PublicNetworkAccess {
        Enabled => "Enabled",
        Disabled => "Disabled",
    }
);

azure_enum!(
    /// `managedNetwork.isolationMode` of a workspace (ISO-9). Declared in the only order a
    /// workspace may move through: see [`IsolationMode::rank`].
    IsolationMode {
        Disabled => "Disabled",
        AllowInternetOutbound => "AllowInternetOutbound",
        AllowOnlyApprovedOutbound => "AllowOnlyApprovedOutbound",
    }
);

azure_enum!(
    /// Outbound rule `type` discriminator (`RuleType` in contracts).
    OutboundRuleType {
        Fqdn => "FQDN",
        PrivateEndpoint => "PrivateEndpoint",
        ServiceTag => "ServiceTag",
    }
);

azure_enum!(
    /// Outbound rule `category` (`RuleCategory`): ISO-8 rules are `Required`, users' `UserDefined`.
    RuleCategory {
        Required => "Required",
        Recommended => "Recommended",
        UserDefined => "UserDefined",
        Dependency => "Dependency",
    }
);

azure_enum!(
    /// Outbound rule `status` (`RuleStatus`): `Active` once the managed network is provisioned.
    RuleStatus {
        Inactive => "Inactive",
        Active => "Active",
    }
);

azure_enum!(
    /// `provisioningState` of endpoints (`Creating|Deleting|Succeeded|Failed|Updating|Canceled`)
    /// and deployments (the same plus `Scaling`).
    ProvisioningState {
        Creating => "Creating",
        Updating => "Updating",
        Scaling => "Scaling",
        Deleting => "Deleting",
        Succeeded => "Succeeded",
        Failed => "Failed",
        Canceled => "Canceled",
    }
);

azure_enum!(
    /// Endpoint `authMode`.
    AuthMode {
        Key => "Key",
        AmlToken => "AMLToken",
        AadToken => "AADToken",
    }
);

azure_enum!(
    /// Deployment `endpointComputeType` discriminator.
    EndpointComputeType {
        Managed => "Managed",
        Kubernetes => "Kubernetes",
        AzureMlCompute => "AzureMLCompute",
    }
);

azure_enum!(
    /// What a deployment downloads at provisioning time (ISO-17/18).
    ArtifactKind {
        Model => "Model",
        Code => "Code",
        Image => "Image",
    }
);

azure_enum!(
    /// A deployment's `scaleSettings.scaleType` (`OnlineScaleSettings` discriminator).
    ScaleType {
        Default => "Default",
        TargetUtilization => "TargetUtilization",
    }
);

azure_enum!(
    /// An environment version's `osType`.
    OsType {
        Linux => "Linux",
        Windows => "Windows",
    }
);

azure_enum!(
    /// An environment version's `autoRebuild`.
    AutoRebuild {
        Disabled => "Disabled",
        OnBaseImageUpdate => "OnBaseImageUpdate",
    }
);

azure_enum!(
    /// The container of a deployment whose logs `getLogs` returns (`containerType`).
    ContainerType {
        StorageInitializer => "StorageInitializer",
        InferenceServer => "InferenceServer",
    }
);

azure_enum!(
    /// Which asset containers and versions a list returns (`listViewType`): archived ones are
    /// hidden unless asked for.
    ListViewType {
        ActiveOnly => "ActiveOnly",
        ArchivedOnly => "ArchivedOnly",
        All => "All",
    }
);

azure_enum!(
    /// Which endpoint key `regenerateKeys` replaces (`keyType`).
    KeyType {
        Primary => "Primary",
        Secondary => "Secondary",
    }
);

azure_enum!(
    /// A workspace's `encryption.status` (customer-managed keys).
    EncryptionStatus {
        Enabled => "Enabled",
        Disabled => "Disabled",
    }
);

impl PublicNetworkAccess {
    /// `true` for `Enabled`.
    pub fn is_enabled(self) -> bool {
        self == PublicNetworkAccess::Enabled
    }
}

impl IsolationMode {
    /// Position in the one-way order Disabled (0) → AllowInternetOutbound (1) →
    /// AllowOnlyApprovedOutbound (2) (ISO-9).
    pub fn rank(self) -> u8 {
        match self {
            IsolationMode::Disabled => 0,
            IsolationMode::AllowInternetOutbound => 1,
            IsolationMode::AllowOnlyApprovedOutbound => 2,
        }
    }

    /// `true` when the workspace has a managed network (any mode but `Disabled`).
    pub fn is_managed(self) -> bool {
        self != IsolationMode::Disabled
    }
}

impl ProvisioningState {
    /// `true` for states in which no operation is running (`Succeeded`, `Failed`, `Canceled`).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            ProvisioningState::Succeeded | ProvisioningState::Failed | ProvisioningState::Canceled
        )
    }
}

impl ArtifactKind {
    /// Lower-case noun used in messages: `model`, `code`, `image`.
    pub fn noun(self) -> &'static str {
        match self {
            ArtifactKind::Model => "model",
            ArtifactKind::Code => "code",
            ArtifactKind::Image => "image",
        }
    }
}

azure_enum!(
    /// Status of a private endpoint's connection, as in
    /// `privateLinkServiceConnectionState.status` of a `privateEndpointConnections` entry.
    ConnectionStatus {
        /// Approved by the workspace owner: the only status that carries traffic.
        Approved => "Approved",
        /// Waiting for approval.
        Pending => "Pending",
        /// Refused by the workspace owner.
        Rejected => "Rejected",
        /// The connection was removed from the workspace side.
        Disconnected => "Disconnected",
    }
);

impl Default for PublicNetworkAccess {
    /// Azure's default for `publicNetworkAccess` and `egressPublicNetworkAccess`.
    fn default() -> Self {
        PublicNetworkAccess::Enabled
    }
}

impl Default for IsolationMode {
    /// A workspace without a managed network.
    fn default() -> Self {
        IsolationMode::Disabled
    }
}

impl ProvisioningState {
    /// The state of a resource while its PUT is provisioning: `Creating` the first time,
    /// `Updating` after.
    pub fn provisioning(creating: bool) -> Self {
        if creating {
            ProvisioningState::Creating
        } else {
            ProvisioningState::Updating
        }
    }

    /// True for Creating/Updating/Scaling/Deleting.
    pub fn is_busy(self) -> bool {
        !self.is_terminal()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_is_case_insensitive_and_prints_azure_casing() {
        let cases: &[(&str, Option<&str>)] = &[
            ("disabled", Some("Disabled")),
            ("ENABLED", Some("Enabled")),
            (" Enabled ", Some("Enabled")),
            ("yes", None),
            ("", None),
        ];
        for (input, want) in cases {
            let got = PublicNetworkAccess::parse(input).map(|v| v.as_str());
            assert_eq!(got, *want, "input {input:?}");
        }
        assert_eq!(
            OutboundRuleType::parse("fqdn"),
            Some(OutboundRuleType::Fqdn)
        );
        assert_eq!(OutboundRuleType::Fqdn.as_str(), "FQDN");
        assert_eq!(AuthMode::parse("amltoken"), Some(AuthMode::AmlToken));
        assert_eq!(AuthMode::AadToken.to_string(), "AADToken");
        assert_eq!(
            IsolationMode::parse("allowonlyapprovedoutbound"),
            Some(IsolationMode::AllowOnlyApprovedOutbound)
        );
        assert_eq!(
            EndpointComputeType::AzureMlCompute.as_str(),
            "AzureMLCompute"
        );
        assert_eq!(
            ProvisioningState::parse("canceled"),
            Some(ProvisioningState::Canceled)
        );
    }

    #[test]
    fn every_value_round_trips() {
        for v in IsolationMode::ALL {
            assert_eq!(IsolationMode::parse(v.as_str()), Some(*v));
            assert_eq!(IsolationMode::parse(&v.as_str().to_lowercase()), Some(*v));
        }
        for v in ProvisioningState::ALL {
            assert_eq!(
                ProvisioningState::parse(&v.as_str().to_uppercase()),
                Some(*v)
            );
        }
    }

    #[test]
    fn serializes_as_azure_string() {
        let json = serde_json::to_string(&RuleCategory::UserDefined).unwrap_or_default();
        assert_eq!(json, "\"UserDefined\"");
        assert_eq!(
            PublicNetworkAccess::allowed_values(),
            "'Enabled', 'Disabled'"
        );
    }

    #[test]
    fn isolation_ranks_are_ordered() {
        let ranks: Vec<u8> = IsolationMode::ALL.iter().map(|m| m.rank()).collect();
        assert_eq!(ranks, vec![0, 1, 2]);
        assert!(!IsolationMode::Disabled.is_managed());
        assert!(IsolationMode::AllowInternetOutbound.is_managed());
        assert!(ProvisioningState::Failed.is_terminal());
        assert!(!ProvisioningState::Updating.is_terminal());
    }
}

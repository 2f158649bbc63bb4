//! Workspace-level isolation rules: ISO-1 (v1 legacy mode), ISO-3 (associated resources in the
//! workspace's subscription) and ISO-11 (workspace vs endpoint public access warning).
//!
//! Source: Microsoft Learn, "Network isolation with managed online endpoints" (limitations and
//! "secure inbound scoring requests" sections). Pure: no IO, no clock, no other amlite module.

use super::{IsolationMode, PublicNetworkAccess, Violation};

/// What the rules need to know about a workspace. Built by handlers from the stored workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkspaceView<'a> {
    /// Workspace name (used in messages and derived names).
    pub name: &'a str,
    /// Subscription the workspace lives in (ISO-3).
    pub subscription_id: &'a str,
    /// Workspace `publicNetworkAccess` (ISO-11, ISO-16).
    pub public_network_access: PublicNetworkAccess,
    /// Workspace `v1LegacyMode` (ISO-1).
    pub v1_legacy_mode: bool,
    /// `managedNetwork.isolationMode` (ISO-7, ISO-8, ISO-9).
    pub isolation_mode: IsolationMode,
    /// Whether `provisionManagedNetwork` has completed (ISO-8 status, ISO-9 readiness).
    pub managed_network_provisioned: bool,
}

impl WorkspaceView<'_> {
    /// `true` when the workspace has a managed network (isolation mode not `Disabled`).
    pub fn has_managed_network(&self) -> bool {
        self.isolation_mode.is_managed()
    }
}

/// ARM ids of the resources associated with a workspace, as sent in the workspace PUT
/// (`properties.storageAccount`, `keyVault`, `containerRegistry`, `applicationInsights`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AssociatedResources<'a> {
    /// `properties.storageAccount`.
    pub storage_account: Option<&'a str>,
    /// `properties.keyVault`.
    pub key_vault: Option<&'a str>,
    /// `properties.containerRegistry`.
    pub container_registry: Option<&'a str>,
    /// `properties.applicationInsights`.
    pub application_insights: Option<&'a str>,
}

impl<'a> AssociatedResources<'a> {
    /// `(property path, ARM id)` for each id that is present and non-empty.
    pub fn present(&self) -> Vec<(&'static str, &'a str)> {
        [
            ("properties.storageAccount", self.storage_account),
            ("properties.keyVault", self.key_vault),
            ("properties.containerRegistry", self.container_registry),
            ("properties.applicationInsights", self.application_insights),
        ]
        .into_iter()
        .filter_map(|(prop, id)| id.filter(|s| !s.trim().is_empty()).map(|s| (prop, s)))
        .collect()
    }
}

/// ISO-1: "A workspace with `v1LegacyMode: true` cannot have managed online endpoints."
///
/// Source: network-isolation article, limitations ("If you have a workspace with v1_legacy_mode
/// enabled, managed online endpoints can't be used"). Call on PUT/PATCH of an endpoint or a
/// deployment (reads still work).
///
/// Input: the workspace's `v1LegacyMode`.
/// Error: 400 `UserError` `The workspace has been configured by your administrator to disallow
/// this request (V1LegacyMode == true).`
pub fn iso_1_v1_legacy_mode(v1_legacy_mode: bool) -> Result<(), Violation> {
    if !v1_legacy_mode {
        return Ok(());
    }
    Err(Violation::user_error(
        "ISO-1",
        "The workspace has been configured by your administrator to disallow this request \
         (V1LegacyMode == true).",
    ))
}

/// ISO-3: "Resources associated with the workspace (container registry, storage account, key
/// vault, application insights) may sit in other resource groups but must be in the
/// workspace's subscription and tenant."
///
/// Source: network-isolation article, limitations. The tenant follows from the subscription
/// in amlite (one tenant per subscription), so only the subscription is compared
/// (case-insensitively).
///
/// Input: the workspace's subscription id, the JSON property path (e.g.
/// `properties.storageAccount`) and the ARM id sent there.
/// Errors: malformed id → 400 `LinkedInvalidPropertyId` (ARM's code for a property id that is
/// not a fully qualified resource id); other subscription → 400 `BadRequest`; both name the
/// property as target.
pub fn iso_3_associated_resource(
    workspace_subscription_id: &str,
    property: &str,
    resource_id: &str,
) -> Result<(), Violation> {
    let Some(sub) = subscription_of(resource_id) else {
        return Err(Violation::new(
            "ISO-3",
            super::violation::Status::BadRequest,
            "LinkedInvalidPropertyId",
            format!(
                "Property id '{resource_id}' at path '{property}' is invalid. Expect fully \
                 qualified resource Id that start with '/subscriptions/{{subscriptionId}}/\
                 resourceGroups/{{resourceGroupName}}/providers/{{resourceProviderNamespace}}/' \
                 (ISO-3)."
            ),
        )
        .with_target(property));
    };
    if sub.eq_ignore_ascii_case(workspace_subscription_id.trim()) {
        return Ok(());
    }
    Err(Violation::bad_request(
        "ISO-3",
        format!(
            "The resource '{resource_id}' given in '{property}' is in subscription '{sub}', but \
             resources associated with a workspace must be in the workspace's subscription \
             '{workspace_subscription_id}' and tenant (they may be in another resource group) \
             (ISO-3). Use a resource from subscription '{workspace_subscription_id}'."
        ),
    )
    .with_target(property))
}

/// ISO-3 over every associated resource of a workspace PUT, in the order storage account, key
/// vault, container registry, application insights. See [`iso_3_associated_resource`].
pub fn iso_3_associated_resources(
    workspace_subscription_id: &str,
    resources: &AssociatedResources<'_>,
) -> Result<(), Violation> {
    for (property, id) in resources.present() {
        iso_3_associated_resource(workspace_subscription_id, property, id)?;
    }
    Ok(())
}

/// The subscription id of an ARM resource id of the form
/// `/subscriptions/{sub}/resourceGroups/{rg}/providers/{namespace}/{type}/{name}[/...]`
/// (segment names case-insensitive). `None` if the id does not have that shape.
pub fn subscription_of(resource_id: &str) -> Option<&str> {
    let rest = resource_id.trim().strip_prefix('/')?;
    let segs: Vec<&str> = rest.split('/').collect();
    // 5 fixed segments + namespace + one or more `{type}/{name}` pairs.
    let pairs_ok = segs.len() >= 8 && (segs.len() - 6).is_multiple_of(2);
    if !pairs_ok || segs.iter().any(|s| s.trim().is_empty()) {
        return None;
    }
    let keyword_ok = segs[0].eq_ignore_ascii_case("subscriptions")
        && segs[2].eq_ignore_ascii_case("resourceGroups")
        && segs[4].eq_ignore_ascii_case("providers");
    keyword_ok.then_some(segs[1])
}

/// ISO-11: "The workspace has its own `publicNetworkAccess` flag; when it is disabled,
/// endpoints should be too."
///
/// Source: network-isolation article ("If you set the workspace's public_network_access to
/// disabled, you should also set the endpoint's to disabled"). Not an error: the combination is
/// allowed and amlite logs the returned warning.
///
/// Input: workspace and endpoint `publicNetworkAccess`.
/// Output: `Some(warning)` when the workspace is `Disabled` and the endpoint `Enabled`.
pub fn iso_11_public_access_warning(
    workspace_public_network_access: PublicNetworkAccess,
    endpoint_public_network_access: PublicNetworkAccess,
) -> Option<String> {
    let mismatch = workspace_public_network_access == PublicNetworkAccess::Disabled
        && endpoint_public_network_access == PublicNetworkAccess::Enabled;
    mismatch.then(|| {
        "ISO-11: the workspace has publicNetworkAccess Disabled but the endpoint has \
         publicNetworkAccess Enabled, so the endpoint can still be scored from the internet. \
         Azure recommends setting the endpoint's publicNetworkAccess to Disabled as well."
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use PublicNetworkAccess::{Disabled, Enabled};

    const SUB: &str = "00000000-0000-0000-0000-000000000001";

    #[test]
    fn iso_1_v1_legacy_mode_table() {
        assert_eq!(iso_1_v1_legacy_mode(false), Ok(()));
        let v = iso_1_v1_legacy_mode(true).err();
        let v = v.as_ref();
        assert_eq!(
            v.map(|v| (v.rule, v.status.code(), v.code)),
            Some(("ISO-1", 400, "UserError"))
        );
        assert_eq!(
            v.map(|v| v.message.as_str()),
            Some(
                "The workspace has been configured by your administrator to disallow this \
                 request (V1LegacyMode == true)."
            )
        );
    }

    #[test]
    fn subscription_of_table() {
        let sa = format!("/subscriptions/{SUB}/resourceGroups/rg2/providers/Microsoft.Storage/storageAccounts/sa");
        assert_eq!(subscription_of(&sa), Some(SUB));
        let lower = "/SUBSCRIPTIONS/abc/resourcegroups/rg/PROVIDERS/Microsoft.KeyVault/vaults/kv";
        assert_eq!(subscription_of(lower), Some("abc"));
        let child = "/subscriptions/abc/resourceGroups/rg/providers/A.B/c/d/e/f";
        assert_eq!(subscription_of(child), Some("abc"));
        for bad in [
            "",
            "sa",
            "/subscriptions/abc",
            "/subscriptions//resourceGroups/rg/providers/A.B/c/d",
            "/subscriptions/abc/resourceGroups/rg/providers/A.B/c",
            "/subscriptions/abc/resourceGroups/rg/providers/A.B/c/d/e",
            "/subscriptions/abc/resourceGroups/rg/providers/A.B/c/d/",
            "/tenants/abc/resourceGroups/rg/providers/A.B/c/d",
            "subscriptions/abc/resourceGroups/rg/providers/A.B/c/d",
        ] {
            assert_eq!(subscription_of(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn iso_3_associated_resources_table() {
        let same = format!(
            "/subscriptions/{SUB}/resourceGroups/other-rg/providers/Microsoft.KeyVault/vaults/kv"
        );
        let upper = same.to_uppercase();
        let other = "/subscriptions/99999999-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acr";
        // (resources, expected: None = allowed, Some((target, code)))
        let cases: Vec<(AssociatedResources<'_>, Option<(&str, &str)>)> = vec![
            (AssociatedResources::default(), None),
            (
                AssociatedResources {
                    key_vault: Some(&same),
                    ..Default::default()
                },
                None,
            ),
            (
                AssociatedResources {
                    key_vault: Some(&upper),
                    ..Default::default()
                },
                None,
            ),
            (
                AssociatedResources {
                    storage_account: Some(""),
                    ..Default::default()
                },
                None,
            ),
            (
                AssociatedResources {
                    key_vault: Some(&same),
                    container_registry: Some(other),
                    ..Default::default()
                },
                Some(("properties.containerRegistry", "BadRequest")),
            ),
            (
                AssociatedResources {
                    application_insights: Some("not-an-id"),
                    ..Default::default()
                },
                Some(("properties.applicationInsights", "LinkedInvalidPropertyId")),
            ),
            (
                AssociatedResources {
                    storage_account: Some(other),
                    key_vault: Some("x"),
                    ..Default::default()
                },
                Some(("properties.storageAccount", "BadRequest")),
            ),
        ];
        for (res, want) in cases {
            let got = iso_3_associated_resources(SUB, &res).err();
            let got_pair = got
                .as_ref()
                .map(|v| (v.target.as_deref().unwrap_or(""), v.code));
            assert_eq!(got_pair, want, "{res:?}");
            if let Some(v) = got {
                assert_eq!((v.rule, v.status.code()), ("ISO-3", 400));
                assert!(v.message.contains(v.target.as_deref().unwrap_or("?")));
            }
        }
    }

    #[test]
    fn iso_11_public_access_warning_table() {
        let cases = [
            (Enabled, Enabled, false),
            (Enabled, Disabled, false),
            (Disabled, Disabled, false),
            (Disabled, Enabled, true),
        ];
        for (ws, ep, warns) in cases {
            let got = iso_11_public_access_warning(ws, ep);
            assert_eq!(got.is_some(), warns, "{ws} {ep}");
            if let Some(text) = got {
                assert!(text.contains("ISO-11") && text.contains("publicNetworkAccess"));
            }
        }
    }
}

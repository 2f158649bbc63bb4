//! The built-in service-tag table used by `ServiceTag` outbound rules (ISO-8, ISO-9, SPEC 6.4).
//!
//! Azure service tags name IP ranges; amlite decides by host name, so each tag maps to the host
//! patterns (see [`super::hostmatch::host_matches_pattern`] for the `*.` syntax) that
//! the service answers on. The table is deliberately small: the tags Azure ML's own required
//! rules use plus the few users add most. An unknown tag matches nothing.
//!
//! Must not depend on any other amlite module; no IO.

/// Tag → host patterns. Tag names compare case-insensitively.
const TABLE: &[(&str, &[&str])] = &[
    (
        "AzureActiveDirectory",
        &["login.microsoftonline.com", "*.login.microsoftonline.com"],
    ),
    (
        "Storage",
        &[
            "*.blob.core.windows.net",
            "*.table.core.windows.net",
            "*.queue.core.windows.net",
            "*.file.core.windows.net",
            "*.dfs.core.windows.net",
        ],
    ),
    ("AzureContainerRegistry", &["*.azurecr.io"]),
    (
        "AzureMachineLearning",
        &["*.api.azureml.ms", "ml.azure.com"],
    ),
    (
        "AzureMonitor",
        &["*.monitor.azure.com", "*.applicationinsights.azure.com"],
    ),
    (
        "MicrosoftContainerRegistry",
        &["mcr.microsoft.com", "*.data.mcr.microsoft.com"],
    ),
    ("AzureKeyVault", &["*.vault.azure.net"]),
    ("AzureResourceManager", &["management.azure.com"]),
    ("AzureFrontDoor.FirstParty", &["*.azurefd.net"]),
];

/// The host patterns of service tag `tag` (e.g. `"Storage"` →
/// `["*.blob.core.windows.net", ...]`), or `None` for a tag not in the built-in table.
///
/// Case-insensitive. A regional tag such as `Storage.EastUS` falls back to its base tag
/// (`Storage`) when it is not itself in the table: amlite has no regions to tell apart.
pub fn service_tag_hosts(tag: &str) -> Option<&'static [&'static str]> {
    let tag = tag.trim();
    let lookup = |t: &str| {
        TABLE
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(t))
            .map(|(_, hosts)| *hosts)
    };
    lookup(tag).or_else(|| tag.split_once('.').and_then(|(base, _)| lookup(base)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_tags_case_insensitive_and_regional() {
        let aad = service_tag_hosts("azureactivedirectory");
        assert_eq!(
            aad,
            Some(&["login.microsoftonline.com", "*.login.microsoftonline.com"][..])
        );
        let storage = service_tag_hosts("Storage.EastUS");
        assert!(storage.is_some_and(|h| h.contains(&"*.blob.core.windows.net")));
        assert_eq!(
            service_tag_hosts("AzureContainerRegistry"),
            Some(&["*.azurecr.io"][..])
        );
        assert!(service_tag_hosts("AzureFrontDoor.FirstParty").is_some());
        assert!(service_tag_hosts("MicrosoftContainerRegistry")
            .is_some_and(|h| h.contains(&"mcr.microsoft.com")));
    }

    #[test]
    fn unknown_tags_match_nothing() {
        assert_eq!(service_tag_hosts("Internet"), None);
        assert_eq!(service_tag_hosts(""), None);
        assert_eq!(service_tag_hosts("NotATag.WestUS"), None);
    }
}

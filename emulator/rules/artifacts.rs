//! Where a deployment's model or code comes from, read from the URI its asset names: the input
//! of ISO-17 (legacy private egress reaches only the workspace's storage and registry) and ISO-18
//! (legacy public egress reaches only public resources).
//!
//! Source: the URI forms Azure ML accepts for `modelUri` / `codeUri` / a deployment's `model`
//! (`azureml://…/datastores/{ds}/paths/…`, `azureml://registries/{r}/…`, blob/ADLS URLs such as
//! `https://{account}.blob.core.windows.net/…`, `wasbs://{container}@{account}.blob…`) plus the
//! path-style URL amlite's own Blob slice hands out (`https://127.0.0.1:PORT/{account}/…`,
//! SPEC 2.1). Pure string parsing: no IO, no other amlite module.

/// The place a model or code URI points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArtifactSource {
    /// A storage account by name (lower case).
    StorageAccount(String),
    /// A workspace datastore by name (lower case); its `accountName` says which account.
    Datastore(String),
    /// An Azure ML registry by name (lower case).
    Registry(String),
    /// Any other host (lower case): outside the workspace, public unless declared otherwise.
    Host(String),
    /// Nothing to tell from the string (e.g. a bare asset reference): the workspace's storage.
    Unknown,
}

/// Names of the datastores every workspace has, all in the workspace's own storage account.
pub const WORKSPACE_DATASTORES: [&str; 4] = [
    "workspaceblobstore",
    "workspacefilestore",
    "workspaceartifactstore",
    "workspaceworkingdirectory",
];

/// Reads an artifact URI (case-insensitive). See the module doc for the forms understood.
pub fn artifact_source(uri: &str) -> ArtifactSource {
    let lower = uri.trim().to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("azureml://") {
        return azureml_source(rest);
    }
    let Some((scheme, rest)) = lower.split_once("://") else {
        return ArtifactSource::Unknown;
    };
    if !matches!(
        scheme,
        "https" | "http" | "wasbs" | "wasb" | "abfss" | "abfs"
    ) {
        return ArtifactSource::Unknown;
    }
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    let host = host_port.split(':').next().unwrap_or(host_port);
    if host.is_empty() {
        return ArtifactSource::Unknown;
    }
    if is_loopback(host) {
        // amlite's Blob slice is path-style: the first path segment is the account. The SDK's
        // standard form `https://{accountName}.blob.{endpoint}/…` built from amlite's datastore
        // (`accountName` = `127.0.0.1:PORT/{account}`) makes it `{account}.blob.{endpoint}`
        // (issue 11): the account is the part before the first dot.
        let first = path.split('/').next().unwrap_or("");
        return match first.split('.').next().filter(|a| !a.is_empty()) {
            Some(account) => ArtifactSource::StorageAccount(account.to_string()),
            None => ArtifactSource::Unknown,
        };
    }
    let mut labels = host.split('.');
    let account = labels.next().unwrap_or(host);
    match labels.next() {
        Some("blob" | "dfs" | "file") => ArtifactSource::StorageAccount(account.to_string()),
        _ => ArtifactSource::Host(host.to_string()),
    }
}

fn azureml_source(rest: &str) -> ArtifactSource {
    let segs: Vec<&str> = rest.split('/').collect();
    if segs.first() == Some(&"registries") {
        return match segs.get(1).filter(|r| !r.is_empty()) {
            Some(r) => ArtifactSource::Registry(r.to_string()),
            None => ArtifactSource::Unknown,
        };
    }
    let after = segs
        .iter()
        .position(|s| *s == "datastores")
        .and_then(|i| segs.get(i + 1));
    match after.filter(|d| !d.is_empty()) {
        Some(d) => ArtifactSource::Datastore(d.to_string()),
        None => ArtifactSource::Unknown,
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.starts_with("127.") || host == "[::1]"
}

/// The storage account named by a datastore's `accountName`: amlite's default datastore answers
/// `127.0.0.1:PORT/{account}` (SPEC 2.1), others the bare account name.
pub fn datastore_account(account_name: &str) -> String {
    account_name
        .trim()
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ArtifactSource::{Datastore, Host, Registry, StorageAccount, Unknown};

    #[test]
    fn artifact_source_table() {
        let acct = |a: &str| StorageAccount(a.to_string());
        let cases: Vec<(&str, ArtifactSource)> = vec![
            ("https://otheracct.blob.core.windows.net/models/m1/model.pkl", acct("otheracct")),
            ("HTTPS://OtherAcct.Blob.Core.Windows.Net/x", acct("otheracct")),
            ("wasbs://models@otheracct.blob.core.windows.net/m1", acct("otheracct")),
            ("abfss://fs@lake1.dfs.core.windows.net/m1", acct("lake1")),
            ("https://127.0.0.1:8443/amlitewsstore/code-1/score.py", acct("amlitewsstore")),
            (
                "https://127.0.0.1:8443/amlitewsstore.blob.core.windows.net/models/m/model.pkl",
                acct("amlitewsstore"),
            ),
            ("https://localhost:1/acct2", acct("acct2")),
            ("https://127.0.0.1:8443/", Unknown),
            (
                "azureml://subscriptions/s/resourcegroups/rg/workspaces/w/datastores/otherds/paths/m",
                Datastore("otherds".into()),
            ),
            ("azureml://datastores/workspaceblobstore/paths/LocalUpload/x", Datastore("workspaceblobstore".into())),
            ("azureml://registries/azureml/models/phi/versions/1", Registry("azureml".into())),
            ("azureml://registries//models", Unknown),
            ("https://example.com/model.pkl", Host("example.com".into())),
            ("/subscriptions/s/resourceGroups/rg/providers/x/workspaces/w/models/m/versions/1", Unknown),
            ("azureml:m:1", Unknown),
            ("ftp://otheracct.blob.core.windows.net/x", Unknown),
            ("", Unknown),
        ];
        for (uri, want) in cases {
            assert_eq!(artifact_source(uri), want, "{uri}");
        }
    }

    #[test]
    fn datastore_account_table() {
        assert_eq!(
            datastore_account("127.0.0.1:8443/amlitewsstore"),
            "amlitewsstore"
        );
        assert_eq!(datastore_account("OtherAcct"), "otheracct");
        assert_eq!(datastore_account(""), "");
    }
}

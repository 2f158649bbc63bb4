//! Where a deployment's model or code comes from, read from the URI its asset names, and which
//! registry its environment's container image is pulled from: the input of ISO-17 (legacy
//! private egress reaches only the workspace's storage and registry) and ISO-18 (legacy public
//! egress reaches only public resources).
//!
//! Source: the URI forms Azure ML accepts for `modelUri` / `codeUri` / a deployment's `model`
//! (`azureml://…/datastores/{ds}/paths/…`, `azureml://registries/{r}/…`, blob/ADLS URLs such as
//! `https://{account}.blob.core.windows.net/…`, `wasbs://{container}@{account}.blob…`) plus the
//! path-style URL amlite's own Blob slice hands out (`https://127.0.0.1:PORT/{account}/…`,
//! SPEC 2.1); image references follow Docker's naming rules. Pure string parsing: no IO, no
//! other amlite module.

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

/// A model URI naming a job's artifacts: `azureml://jobs/{job}/outputs/artifacts/paths/{path}`
/// or MLflow's `runs:/{job}/{path}`. Azure stores such a model version with the datastore URI of
/// the job's artifact folder and `jobName` (recorded: `test_online_endpoint_job_uri`,
/// `test_online_endpoint_runs_uri`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobArtifact {
    pub job: String,
    /// The path under the job's artifacts, without a trailing `/`.
    pub path: String,
}

impl JobArtifact {
    /// The form Azure answers: the `ExperimentRun/dcid.{job}` folder of the workspace's
    /// `workspaceartifactstore` datastore.
    pub fn datastore_uri(&self, subscription: &str, resource_group: &str, ws: &str) -> String {
        let mut uri = format!(
            "azureml://subscriptions/{subscription}/resourceGroups/{resource_group}/workspaces/{ws}/datastores/workspaceartifactstore/paths/ExperimentRun/dcid.{}",
            self.job
        );
        if !self.path.is_empty() {
            uri.push('/');
            uri.push_str(&self.path);
        }
        uri
    }
}

/// Reads a job or run model URI (see [`JobArtifact`]); `None` for any other form.
pub fn job_artifact(uri: &str) -> Option<JobArtifact> {
    let uri = uri.trim();
    let (job, path) = if let Some(rest) = strip_prefix_ci(uri, "azureml://jobs/") {
        let (job, rest) = rest.split_once('/')?;
        (job, strip_prefix_ci(rest, "outputs/artifacts/paths/")?)
    } else {
        let rest = strip_prefix_ci(uri, "runs:/")?;
        rest.split_once('/').unwrap_or((rest, ""))
    };
    if job.is_empty() {
        return None;
    }
    Some(JobArtifact {
        job: job.to_string(),
        path: path.trim_matches('/').to_string(),
    })
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        s.get(prefix.len()..)
    } else {
        None
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.starts_with("127.") || host == "[::1]"
}

/// Microsoft's container registry (curated Azure ML images): reachable from a deployment with
/// egress disabled, like the workspace's own registry (ISO-17).
pub const MICROSOFT_CONTAINER_REGISTRY: &str = "mcr.microsoft.com";

/// Docker Hub, where an image reference without a registry host is pulled from.
pub const DOCKER_HUB: &str = "docker.io";

/// An environment's container image reference in Docker's fully qualified form
/// `{registry}/{repository}[:tag|@digest]`, lower-cased, and its registry host. Docker's rule:
/// the first `/`-separated component is a registry host when it contains a `.` or a `:` or is
/// `localhost`; otherwise the image is on Docker Hub (`python:3.11` is
/// `docker.io/library/python:3.11`). Docker Hub's other host names count as `docker.io`.
pub fn image_reference(image: &str) -> (String, String) {
    let lower = image.trim().to_ascii_lowercase();
    let (first, rest) = lower.split_once('/').unwrap_or(("", lower.as_str()));
    let is_host = first.contains('.') || first.contains(':') || first == "localhost";
    let (host, repo) = if is_host {
        (first.to_string(), rest.to_string())
    } else if first.is_empty() {
        (DOCKER_HUB.to_string(), format!("library/{rest}"))
    } else {
        (DOCKER_HUB.to_string(), lower.clone())
    };
    let host = match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            DOCKER_HUB.to_string()
        }
        _ => host,
    };
    (format!("{host}/{repo}"), host)
}

/// The registry an image's host (from [`image_reference`]) names, as ISO-17/18 see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRegistry {
    /// The workspace's own container registry (`{registry}.azurecr.io`).
    Workspace,
    /// [`MICROSOFT_CONTAINER_REGISTRY`]: curated images, reachable like the workspace's registry.
    Microsoft,
    /// Another Azure container registry, by name (lower case).
    OtherAzure(String),
    /// Any other registry (Docker Hub, GitHub, …): public, outside the workspace.
    Other,
}

/// Classifies registry host `host` (lower case, maybe with a port) against the name of the
/// workspace's container registry: an Azure registry's login server is `{name}.azurecr.{suffix}`
/// (`azurecr.io`, `azurecr.cn`, `azurecr.us`).
pub fn image_registry(host: &str, workspace_registry: Option<&str>) -> ImageRegistry {
    let host = host.split(':').next().unwrap_or(host);
    if host == MICROSOFT_CONTAINER_REGISTRY {
        return ImageRegistry::Microsoft;
    }
    match host.split_once('.') {
        Some((name, suffix)) if suffix.starts_with("azurecr.") && !name.is_empty() => {
            if workspace_registry.is_some_and(|w| w.eq_ignore_ascii_case(name)) {
                ImageRegistry::Workspace
            } else {
                ImageRegistry::OtherAzure(name.to_string())
            }
        }
        _ => ImageRegistry::Other,
    }
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
    fn job_and_run_model_uris_name_the_jobs_artifact_folder() {
        let job = |j: &str, p: &str| {
            Some(JobArtifact {
                job: j.into(),
                path: p.into(),
            })
        };
        assert_eq!(
            job_artifact("azureml://jobs/neat_oregano/outputs/artifacts/paths/model/"),
            job("neat_oregano", "model")
        );
        assert_eq!(
            job_artifact("runs:/neat_oregano/model/"),
            job("neat_oregano", "model")
        );
        assert_eq!(job_artifact("RUNS:/r1"), job("r1", ""));
        assert_eq!(job_artifact("azureml://jobs/j/outputs/other/paths/m"), None);
        assert_eq!(
            job_artifact("azureml://jobs//outputs/artifacts/paths/m"),
            None
        );
        assert_eq!(job_artifact("runs:/"), None);
        assert_eq!(job_artifact("azureml://datastores/d/paths/m"), None);
        assert_eq!(
            job_artifact("runs:/j/a/b/").map(|a| a.datastore_uri("s", "rg", "w")),
            Some("azureml://subscriptions/s/resourceGroups/rg/workspaces/w/datastores/workspaceartifactstore/paths/ExperimentRun/dcid.j/a/b".to_string())
        );
    }

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
    fn image_reference_table() {
        let cases = [
            (
                "python:3.11-slim",
                "docker.io/library/python:3.11-slim",
                "docker.io",
            ),
            (
                "bitnami/python:3",
                "docker.io/bitnami/python:3",
                "docker.io",
            ),
            (
                "docker.io/library/ubuntu",
                "docker.io/library/ubuntu",
                "docker.io",
            ),
            ("index.docker.io/u/r:1", "docker.io/u/r:1", "docker.io"),
            (
                "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest",
                "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest",
                "mcr.microsoft.com",
            ),
            (
                "WsAcr.azurecr.io/img@sha256:ab",
                "wsacr.azurecr.io/img@sha256:ab",
                "wsacr.azurecr.io",
            ),
            ("localhost:5000/img", "localhost:5000/img", "localhost:5000"),
            ("localhost/img", "localhost/img", "localhost"),
            ("ghcr.io/o/r:t", "ghcr.io/o/r:t", "ghcr.io"),
        ];
        for (image, full, host) in cases {
            assert_eq!(
                image_reference(image),
                (full.to_string(), host.to_string()),
                "{image}"
            );
        }
    }

    #[test]
    fn image_registry_table() {
        use ImageRegistry::*;
        let ws = Some("wsacr");
        let cases = [
            ("wsacr.azurecr.io", Workspace),
            ("wsacr.azurecr.cn", Workspace),
            ("other.azurecr.io", OtherAzure("other".into())),
            ("mcr.microsoft.com", Microsoft),
            ("docker.io", Other),
            ("ghcr.io", Other),
            ("localhost:5000", Other),
        ];
        for (host, want) in cases {
            assert_eq!(image_registry(host, ws), want, "{host}");
        }
        assert_eq!(
            image_registry("wsacr.azurecr.io", None),
            OtherAzure("wsacr".into())
        );
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

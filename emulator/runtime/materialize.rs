//! Writes a deployment's model and code from amlite's Blob Storage slice into a folder the
//! `python` runtime can run (SPEC §7: "uploaded files … are what the deployment runs").
use std::path::{Component, Path, PathBuf};

use crate::store::Store;

/// Where a folder lives in the Blob Storage slice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobFolder {
    /// Account (path-style first segment, lower case).
    pub account: String,
    /// Container.
    pub container: String,
    /// Blob name prefix of the folder, without a trailing `/`.
    pub prefix: String,
}

/// Parses a `codeUri` / `modelUri` into a blob folder. Understands
/// `https://{host}/{account}[.blob…]/{container}/{path}` (path-style, amlite's own port),
/// `https://{account}.blob.core.windows.net/{container}/{path}`, and
/// `azureml://…/datastores/{ds}/paths/{path}` (resolved against the workspace's default
/// account and container, the only datastore amlite stores blobs for).
pub fn blob_folder(uri: &str, ws_account: &str, ws_container: &str) -> Option<BlobFolder> {
    let uri = uri.trim().trim_end_matches('/');
    if let Some(rest) = uri.strip_prefix("azureml://") {
        let (_, path) = rest.split_once("/paths/")?;
        return Some(BlobFolder {
            account: ws_account.to_string(),
            container: ws_container.to_string(),
            prefix: path.to_string(),
        });
    }
    let rest = uri
        .strip_prefix("https://")
        .or_else(|| uri.strip_prefix("http://"))?;
    let (host, path) = rest.split_once('/')?;
    let mut segs = path.split('/');
    let (account, container) = if let Some(acct) = host.strip_suffix(".blob.core.windows.net") {
        (acct.to_string(), segs.next()?.to_string())
    } else {
        let acct = segs.next()?.split('.').next()?.to_string();
        (acct, segs.next()?.to_string())
    };
    let prefix = segs.collect::<Vec<_>>().join("/");
    Some(BlobFolder {
        account: account.to_ascii_lowercase(),
        container,
        prefix,
    })
}

/// Joins a blob-relative name under `root`, refusing anything that could leave it.
fn safe_join(root: &Path, rel: &str) -> Option<PathBuf> {
    let rel_path = Path::new(rel);
    if rel.is_empty()
        || rel_path
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    Some(root.join(rel_path))
}

/// Writes every blob of `folder` under `dest`. With `keep_folder_name` the last path segment of
/// the prefix is kept (models: `AZUREML_MODEL_DIR` is the folder *containing* the model folder),
/// else blobs land directly in `dest` (code). Returns the number of files written.
pub async fn materialize(
    store: &Store,
    folder: &BlobFolder,
    dest: &Path,
    keep_folder_name: bool,
) -> Result<usize, String> {
    let base = if keep_folder_name {
        folder
            .prefix
            .rsplit_once('/')
            .map(|(p, _)| format!("{p}/"))
            .unwrap_or_default()
    } else {
        format!("{}/", folder.prefix)
    };
    let rows = store
        .list_blobs(
            &folder.account,
            &folder.container,
            &format!("{}/", folder.prefix),
        )
        .await
        .map_err(|e| e.to_string())?;
    if rows.is_empty() {
        return Err(format!(
            "no files under {}/{}/{}",
            folder.account, folder.container, folder.prefix
        ));
    }
    std::fs::create_dir_all(dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    for b in &rows {
        let rel = b.name.strip_prefix(&base).unwrap_or(&b.name);
        let path = safe_join(dest, rel).ok_or_else(|| format!("refusing blob name {}", b.name))?;
        let data = store
            .content(&b.sha256)
            .await
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, data).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_uri_forms_the_sdk_produces() {
        let f = blob_folder("https://127.0.0.1:9/acct/code-1/src", "ws", "c")
            .unwrap_or_else(|| panic!("parse"));
        assert_eq!(
            f,
            BlobFolder {
                account: "acct".into(),
                container: "code-1".into(),
                prefix: "src".into()
            }
        );
        let f = blob_folder(
            "https://127.0.0.1:9/acct.blob.core.windows.net/c2/a/b/",
            "ws",
            "c",
        )
        .unwrap_or_else(|| panic!("parse"));
        assert_eq!(f.prefix, "a/b");
        assert_eq!(f.account, "acct");
        let f = blob_folder("azureml://subscriptions/s/resourcegroups/r/workspaces/w/datastores/workspaceblobstore/paths/LocalUpload/h/model", "wsacct", "wscont").unwrap_or_else(|| panic!("parse"));
        assert_eq!(
            f,
            BlobFolder {
                account: "wsacct".into(),
                container: "wscont".into(),
                prefix: "LocalUpload/h/model".into()
            }
        );
        let f = blob_folder("https://Other.blob.core.windows.net/models/m", "ws", "c")
            .unwrap_or_else(|| panic!("parse"));
        assert_eq!(f.account, "other");
        assert!(blob_folder("models:/x/1", "ws", "c").is_none());
    }

    #[test]
    fn safe_join_refuses_escapes() {
        let root = Path::new("/tmp/r");
        assert!(safe_join(root, "a/b.txt").is_some());
        assert!(safe_join(root, "../x").is_none());
        assert!(safe_join(root, "/etc/passwd").is_none());
        assert!(safe_join(root, "").is_none());
    }
}

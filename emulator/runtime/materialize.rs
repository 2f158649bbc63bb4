//! Writes a deployment's model and code from amlite's Blob Storage slice into a folder the
//! `python` runtime can run (SPEC §7: "uploaded files … are what the deployment runs"). Every
//! user-influenced path into that folder goes through [`checked_join`] (issue 9).
use std::path::{Path, PathBuf};

use super::errors::{MaterializeError, PathIoError};
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

/// Inference-server variables that name a path into the deployment's code. A deployment's
/// `environmentVariables` may set them only to relative paths inside the code (refused at PUT
/// otherwise); the runtime resolves them under the code folder with [`checked_join`].
pub const CODE_PATH_VARIABLES: &[&str] = &[
    "AML_APP_ROOT",
    "AZUREML_SOURCE_DIRECTORY",
    "AZUREML_CONFIG_FILE",
    "AZUREML_ENTRY_SCRIPT",
];

/// `rel` under `root`, refusing names that leave it lexically (`domain::path`) and, once the
/// parent folders exist, any that a symlink would lead out of `root`.
pub fn checked_join(root: &Path, rel: &str) -> Result<PathBuf, MaterializeError> {
    crate::domain::path::checked_join(root, rel).map_err(|why| MaterializeError::Refused {
        rel: rel.to_string(),
        why,
    })
}

/// Fails unless `path` (which must exist) resolves, symlinks followed, inside `root`.
pub fn ensure_inside(root: &Path, path: &Path) -> Result<(), MaterializeError> {
    let real_root = std::fs::canonicalize(root).map_err(PathIoError::at(root))?;
    let real = std::fs::canonicalize(path).map_err(PathIoError::at(path))?;
    if real.starts_with(&real_root) {
        Ok(())
    } else {
        Err(MaterializeError::Escapes {
            path: path.to_path_buf(),
            real,
            root: real_root,
        })
    }
}

/// Creates `path` (inside `root`) as a new regular file: the parent folders must resolve inside
/// `root`, and a symlink already at `path` is never followed (`O_NOFOLLOW`).
fn create_inside(root: &Path, path: &Path) -> Result<std::fs::File, MaterializeError> {
    let parent = path.parent().unwrap_or(root);
    std::fs::create_dir_all(parent).map_err(PathIoError::at(parent))?;
    ensure_inside(root, parent)?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW);
    }
    Ok(opts.open(path).map_err(PathIoError::at(path))?)
}

#[cfg(test)]
fn write_inside(root: &Path, path: &Path, data: &[u8]) -> Result<(), MaterializeError> {
    use std::io::Write;
    Ok(create_inside(root, path)?
        .write_all(data)
        .map_err(PathIoError::at(path))?)
}

/// Writes a blob's parts to `path` one at a time, so a blob is never held whole in memory
/// (issue 9).
async fn write_blob(
    store: &Store,
    root: &Path,
    path: &Path,
    b: &crate::store::blobs::BlobRow,
) -> Result<(), MaterializeError> {
    use std::io::Write;
    let parts = store.blob_parts(&b.account, &b.container, &b.name).await?;
    let mut f = create_inside(root, path)?;
    for p in &parts {
        let data =
            store
                .content(&p.sha256)
                .await?
                .ok_or_else(|| MaterializeError::ContentGone {
                    name: b.name.clone(),
                })?;
        f.write_all(&data).map_err(PathIoError::at(path))?;
    }
    Ok(())
}

/// Writes every blob of `folder` under `dest`. With `keep_folder_name` the last path segment of
/// the prefix is kept (models: `AZUREML_MODEL_DIR` is the folder *containing* the model folder),
/// else blobs land directly in `dest` (code). A model folder may also be one file (its blob
/// name is the prefix). Returns the number of files written.
pub async fn materialize(
    store: &Store,
    folder: &BlobFolder,
    dest: &Path,
    keep_folder_name: bool,
) -> Result<usize, MaterializeError> {
    let base = if keep_folder_name {
        folder
            .prefix
            .rsplit_once('/')
            .map(|(p, _)| format!("{p}/"))
            .unwrap_or_default()
    } else {
        format!("{}/", folder.prefix)
    };
    let mut rows = store
        .all_blobs(
            &folder.account,
            &folder.container,
            &format!("{}/", folder.prefix),
        )
        .await?;
    if rows.is_empty() && keep_folder_name {
        // A single-file model (`Model(path="model/sklearn_regression_model.pkl")`, issue 12):
        // the URI names the blob itself, and Azure puts the file directly in
        // AZUREML_MODEL_DIR (the base is the blob's folder, so `rel` is its file name).
        rows = store
            .all_blobs(&folder.account, &folder.container, &folder.prefix)
            .await?;
        rows.retain(|b| b.name == folder.prefix);
    }
    if rows.is_empty() {
        return Err(MaterializeError::NoFiles {
            account: folder.account.clone(),
            container: folder.container.clone(),
            prefix: folder.prefix.clone(),
        });
    }
    std::fs::create_dir_all(dest).map_err(PathIoError::at(dest))?;
    for b in &rows {
        let rel = b.name.strip_prefix(&base).unwrap_or(&b.name);
        let path = checked_join(dest, rel)?;
        write_blob(store, dest, &path, b).await?;
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
    fn writes_never_follow_a_symlink_out_of_the_folder() {
        let outside = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(outside.path(), root.path().join("link"))
                .unwrap_or_else(|e| panic!("{e}"));
            std::os::unix::fs::symlink(outside.path().join("f.txt"), root.path().join("file-link"))
                .unwrap_or_else(|e| panic!("{e}"));
            let via_dir = checked_join(root.path(), "link/x.py").unwrap_or_else(|e| panic!("{e}"));
            assert!(write_inside(root.path(), &via_dir, b"x").is_err());
            let via_file = checked_join(root.path(), "file-link").unwrap_or_else(|e| panic!("{e}"));
            assert!(write_inside(root.path(), &via_file, b"x").is_err());
            assert!(!outside.path().join("x.py").exists());
            assert!(!outside.path().join("f.txt").exists());
        }
        let ok = checked_join(root.path(), "a/b.txt").unwrap_or_else(|e| panic!("{e}"));
        assert!(write_inside(root.path(), &ok, b"x").is_ok());
        assert!(checked_join(root.path(), "../x").is_err());
        assert!(checked_join(root.path(), "/etc/passwd").is_err());
    }
}

//! The storage account keys `listSecrets` hands out and the Blob slice verifies Shared Key and
//! SAS signatures with (issue 9). One random secret per data folder, kept in
//! `<data-dir>/storage-keys.secret` (mode 0600), so keys survive restarts and differ between
//! installations; each account's key is derived from it (`domain::storage_auth::account_key`).
use std::io::Write;
use std::path::Path;

use base64::Engine;
use rand::RngCore;

use crate::domain::storage_auth;

/// File name of the secret inside the data folder.
pub const SECRET_FILE: &str = "storage-keys.secret";

/// The data folder's storage key secret.
#[derive(Clone)]
pub struct StorageKeys {
    secret: Vec<u8>,
}

impl std::fmt::Debug for StorageKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StorageKeys(..)")
    }
}

impl StorageKeys {
    /// Reads the secret from `data_dir`, creating it (32 random bytes) when absent or unreadable
    /// as base64 of at least 32 bytes.
    pub fn load_or_create(data_dir: &Path) -> std::io::Result<Self> {
        let path = data_dir.join(SECRET_FILE);
        let b64 = base64::engine::general_purpose::STANDARD;
        if let Ok(text) = std::fs::read_to_string(&path) {
            match b64.decode(text.trim()) {
                Ok(secret) if secret.len() >= 32 => return Ok(StorageKeys { secret }),
                _ => {
                    tracing::warn!(path = %path.display(), "storage key secret unreadable; making a new one (earlier account keys and SAS stop working)")
                }
            }
        }
        let mut secret = vec![0u8; 32];
        rand::thread_rng().fill_bytes(&mut secret);
        let tmp = data_dir.join(format!("{SECRET_FILE}.tmp"));
        {
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let mut f = opts.open(&tmp)?;
            f.write_all(b64.encode(&secret).as_bytes())?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &path)?;
        Ok(StorageKeys { secret })
    }

    /// A fixed secret (unit tests of callers).
    pub fn from_secret(secret: &[u8]) -> Self {
        StorageKeys {
            secret: secret.to_vec(),
        }
    }

    /// The key of a storage account (raw bytes).
    pub fn key(&self, account: &str) -> Vec<u8> {
        storage_auth::account_key(&self.secret, account)
    }

    /// The key of a storage account as `listSecrets` returns it (base64).
    pub fn key_text(&self, account: &str) -> String {
        storage_auth::key_text(&self.key(account))
    }
}

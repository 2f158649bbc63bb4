//! The RSA key amlite signs tokens with (RS256, what Entra uses). Generated once per data folder
//! at first use (2048-bit generation takes ~0.1-0.3 s, which a fresh start should not pay) and
//! kept in `<data-dir>/token-signing-key.pem` (PKCS#8, mode 0600), so tokens survive restarts.
use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::IdentityError;
use crate::error::ArmError;

/// File name of the signing key inside the data folder.
pub const KEY_FILE: &str = "token-signing-key.pem";

/// A loaded signing key: what `jsonwebtoken` signs and verifies with, and its public JWK.
pub struct SigningKey {
    /// Private key for signing (ring, via jsonwebtoken).
    pub encoding: jsonwebtoken::EncodingKey,
    /// Public key for verifying.
    pub decoding: jsonwebtoken::DecodingKey,
    /// Key id (`kid`): base64url SHA-256 thumbprint of the public modulus and exponent.
    pub kid: String,
    /// The public key as a JWK (`kty`, `use`, `kid`, `n`, `e`, `alg`).
    pub jwk: Value,
}

impl SigningKey {
    fn from_rsa(key: &rsa::RsaPrivateKey) -> Result<Self, IdentityError> {
        let pem = key.to_pkcs8_pem(LineEnding::LF)?;
        let encoding = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes())?;
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        let (n, e) = (key.n().to_bytes_be(), key.e().to_bytes_be());
        let decoding = jsonwebtoken::DecodingKey::from_rsa_components(&b64(&n), &b64(&e))?;
        let mut h = Sha256::new();
        h.update(&n);
        h.update(&e);
        let kid = b64(&h.finalize()[..20]);
        let jwk = json!({ "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": b64(&n), "e": b64(&e) });
        Ok(SigningKey {
            encoding,
            decoding,
            kid,
            jwk,
        })
    }
}

/// The data folder's signing key, loaded or generated on first use.
pub struct Keys {
    path: PathBuf,
    cell: tokio::sync::OnceCell<Arc<SigningKey>>,
}

impl Keys {
    /// Keys kept at `<data_dir>/token-signing-key.pem`.
    pub fn new(data_dir: &std::path::Path) -> Self {
        Keys {
            path: data_dir.join(KEY_FILE),
            cell: tokio::sync::OnceCell::new(),
        }
    }

    /// The key (loads the file, or generates and writes it the first time).
    pub async fn get(&self) -> Result<Arc<SigningKey>, ArmError> {
        self.cell
            .get_or_try_init(|| async {
                let path = self.path.clone();
                tokio::task::spawn_blocking(move || load_or_generate(&path))
                    .await
                    .map_err(ArmError::internal)?
                    .map(Arc::new)
                    .map_err(|e| ArmError::internal(format!("token signing key: {e}")))
            })
            .await
            .cloned()
    }
}

fn load_or_generate(path: &std::path::Path) -> Result<SigningKey, IdentityError> {
    let path_buf = || path.to_path_buf();
    match std::fs::read_to_string(path) {
        Ok(pem) => {
            let key = rsa::RsaPrivateKey::from_pkcs8_pem(&pem).map_err(|source| {
                IdentityError::NotPkcs8 {
                    path: path_buf(),
                    source,
                }
            })?;
            return SigningKey::from_rsa(&key);
        }
        Err(source) if source.kind() != std::io::ErrorKind::NotFound => {
            return Err(IdentityError::Read {
                path: path_buf(),
                source,
            })
        }
        Err(_) => {}
    }
    let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)?;
    let pem = key.to_pkcs8_pem(LineEnding::LF)?;
    write_private(path, pem.as_bytes()).map_err(|source| IdentityError::Write {
        path: path_buf(),
        source,
    })?;
    SigningKey::from_rsa(&key)
}

/// Writes a private file: created 0600 before any byte lands, then renamed into place so a
/// crash never leaves a half-written key.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("pem.tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    // A leftover temporary file keeps its old mode: tighten it before writing the key.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)
}

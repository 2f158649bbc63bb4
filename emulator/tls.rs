//! The HTTPS certificate: generated on first start (SAN `IP:127.0.0.1`, `DNS:localhost`) and
//! written as PEM to the data folder, or the user's own via `--cert/--key` (SPEC §2).
use std::path::{Path, PathBuf};

/// Failure to create or read the certificate.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// File system.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Certificate generation.
    #[error("certificate generation: {0}")]
    Generate(#[from] rcgen::Error),
}

/// PEM text of the certificate and its private key, and where the certificate lives.
#[derive(Debug, Clone)]
pub struct CertPair {
    /// Certificate PEM (what clients trust: `REQUESTS_CA_BUNDLE`).
    pub cert_pem: String,
    /// Private key PEM.
    pub key_pem: String,
    /// Path of the certificate file.
    pub cert_path: PathBuf,
}

fn read(path: &Path) -> Result<String, TlsError> {
    std::fs::read_to_string(path).map_err(|source| TlsError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn write(path: &Path, text: &str) -> Result<(), TlsError> {
    std::fs::write(path, text).map_err(|source| TlsError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Loads `--cert/--key` if given, else `<data_dir>/cert.pem` + `key.pem`, generating them first
/// if absent.
pub fn load_or_generate(
    data_dir: &Path,
    cert: Option<&Path>,
    key: Option<&Path>,
) -> Result<CertPair, TlsError> {
    if let (Some(c), Some(k)) = (cert, key) {
        return Ok(CertPair {
            cert_pem: read(c)?,
            key_pem: read(k)?,
            cert_path: c.to_path_buf(),
        });
    }
    let cert_path = data_dir.join("cert.pem");
    let key_path = data_dir.join("key.pem");
    if cert_path.exists() && key_path.exists() {
        return Ok(CertPair {
            cert_pem: read(&cert_path)?,
            key_pem: read(&key_path)?,
            cert_path,
        });
    }
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let mut params = rcgen::CertificateParams::new(names)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "amlite local emulator");
    params.is_ca = rcgen::IsCa::ExplicitNoCa;
    let key_pair = rcgen::KeyPair::generate()?;
    let cert = params.self_signed(&key_pair)?;
    let pair = CertPair {
        cert_pem: cert.pem(),
        key_pem: key_pair.serialize_pem(),
        cert_path: cert_path.clone(),
    };
    // Key first: a crash between the two writes leaves no cert without its key.
    write(&key_path, &pair.key_pem)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600));
    }
    write(&cert_path, &pair.cert_pem)?;
    Ok(pair)
}

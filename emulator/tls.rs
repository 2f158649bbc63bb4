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
    /// A certificate or key file that is not what it must be (issue 9: say which file and
    /// what to do, not rustls' "peer sent no certificates").
    #[error("{file}: {problem}; {fix}")]
    Invalid {
        /// The file, as the user knows it.
        file: String,
        /// What is wrong.
        problem: String,
        /// What to do about it.
        fix: String,
    },
}

/// How a user replaces a bad file: amlite's own files can be regenerated, `--cert/--key` not.
fn fix_for(path: &Path, own: bool) -> String {
    if own {
        let dir = path.parent().unwrap_or(path).display();
        format!("delete cert.pem and key.pem in {dir} to have amlite generate a new pair, or pass --cert/--key")
    } else {
        "pass a PEM certificate chain (-----BEGIN CERTIFICATE-----) with --cert and its PEM private key with --key".into()
    }
}

/// Checks the pair is usable before the listener is built: at least one PEM certificate, one
/// PEM private key, and a key that rustls accepts for that certificate.
pub fn validate(pair: &CertPair, own: bool) -> Result<(), TlsError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let invalid = |path: &Path, problem: String| TlsError::Invalid {
        file: path.display().to_string(),
        problem,
        fix: fix_for(path, own),
    };
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(pair.cert_pem.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|e| invalid(&pair.cert_path, format!("unreadable PEM ({e})")))?;
    if certs.is_empty() {
        return Err(invalid(
            &pair.cert_path,
            "no PEM certificate found (no -----BEGIN CERTIFICATE----- block)".into(),
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(pair.key_pem.as_bytes()).map_err(|e| {
        invalid(
            &pair.key_path,
            format!("no usable PEM private key found ({e})"),
        )
    })?;
    let provider = rustls::crypto::ring::default_provider();
    let signing = provider.key_provider.load_private_key(key).map_err(|e| {
        invalid(
            &pair.key_path,
            format!("the private key is not usable ({e})"),
        )
    })?;
    rustls::sign::CertifiedKey::new(certs, signing)
        .keys_match()
        .map_err(|e| {
            invalid(
                &pair.cert_path,
                format!(
                    "the certificate does not match the private key in {} ({e})",
                    pair.key_path.display()
                ),
            )
        })
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
    /// Path of the private key file.
    pub key_path: PathBuf,
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
            key_path: k.to_path_buf(),
        });
    }
    let cert_path = data_dir.join("cert.pem");
    let key_path = data_dir.join("key.pem");
    if cert_path.exists() && key_path.exists() {
        return Ok(CertPair {
            cert_pem: read(&cert_path)?,
            key_pem: read(&key_path)?,
            cert_path,
            key_path,
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
        key_path: key_path.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn pair_in(dir: &Path) -> CertPair {
        load_or_generate(dir, None, None).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn validate_names_the_file_and_the_problem() {
        let (a, b) = (
            tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
            tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
        );
        let good = pair_in(a.path());
        assert!(validate(&good, true).is_ok());
        let garbage = CertPair {
            cert_pem: "garbage".into(),
            ..good.clone()
        };
        let e = validate(&garbage, true)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("cert.pem: no PEM certificate found"), "{e}");
        assert!(e.contains("generate a new pair"), "{e}");
        let mismatched = CertPair {
            key_pem: pair_in(b.path()).key_pem,
            ..good
        };
        let e = validate(&mismatched, false)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("does not match the private key"), "{e}");
        assert!(e.contains("--cert"), "{e}");
    }
}

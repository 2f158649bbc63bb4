//! The identity service's errors: [`IdentityError`] (loading or creating the signing key, which
//! callers turn into a 500) and [`SignatureError`] (why a presented token is not amlite's, which
//! callers quote in their 401). The texts are what those answers say.
use std::path::PathBuf;

/// The signing key could not be loaded or created ([`super::keys`]).
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The key file exists but cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The key file.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// The key file is not a PKCS#8 RSA key.
    #[error("{} is not a PKCS#8 RSA key: {source}", path.display())]
    NotPkcs8 {
        /// The key file.
        path: PathBuf,
        /// What the decoder said.
        source: rsa::pkcs8::Error,
    },
    /// The new key file cannot be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The key file.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// Generating the key failed.
    #[error(transparent)]
    Generate(#[from] rsa::Error),
    /// Encoding the key as PKCS#8 failed.
    #[error(transparent)]
    Encode(#[from] rsa::pkcs8::Error),
    /// `jsonwebtoken` refused the key.
    #[error(transparent)]
    Jwt(#[from] jsonwebtoken::errors::Error),
}

/// Why a token's signature is not amlite's ([`super::tokens::verify_signature`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Signed with another key.
    #[error("its signature does not verify with amlite's signing key")]
    OtherKey,
    /// Signed with another algorithm.
    #[error("it is not signed with RS256 by amlite")]
    NotRs256,
    /// Unsigned (`alg: none`), or not a JWT at all.
    #[error("it is not a JWT signed by amlite (unsigned, 'alg: none' or malformed)")]
    NotAmliteJwt,
}

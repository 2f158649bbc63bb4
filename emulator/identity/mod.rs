//! amlite's Microsoft Entra ID stand-in: the key every token amlite issues is signed with, the
//! OpenID configuration and JWKS that publish it, the client-credentials token endpoint, and the
//! signature/claim checks `--auth strict` applies (issue 9).
//!
//! Like Azurite's well-known account key, the development client id and secret are public
//! constants printed in `env.sh`: strict mode proves a token came from amlite (signed by the key
//! in the data folder, for the right audience, unexpired), not that the caller is someone.
//! What can go wrong is named in [`errors`].
pub mod errors;
pub mod keys;
pub mod routes;
pub mod tokens;

pub use errors::{IdentityError, SignatureError};

/// The well-known development client (application) id `env.sh` exports as `AZURE_CLIENT_ID`;
/// also the `appid` of managed-identity tokens.
pub const CLIENT_ID: &str = "6a6d6c69-7465-4000-8000-0000000000ef";

/// The well-known development client secret (`AZURE_CLIENT_SECRET`). Public by design.
pub const CLIENT_SECRET: &str = "amlite~WellKnownDevelopmentSecret.NotForProduction";

/// The object id of the service principal tokens are issued to (`oid`, `sub`).
pub const PRINCIPAL_ID: &str = "6a6d6c69-7465-4000-8000-0000000000ee";

/// The tenant `env.sh` exports as `AZURE_TENANT_ID`. `adfs` is the authority convention (Azure
/// Stack Hub's) that makes MSAL skip instance discovery, which otherwise asks
/// `login.microsoftonline.com` about any authority it does not know and fails offline
/// (`AADSTS50049 invalid_instance` online). Tokens still carry amlite's directory id as `tid`.
pub const AUTHORITY_TENANT: &str = "adfs";

/// The audience of AADToken scoring tokens (SPEC §4).
pub const ML_AUDIENCE: &str = "https://ml.azure.com";

/// ARM's own audiences, accepted besides amlite's URL (ARM's `InvalidAuthenticationTokenAudience`
/// lists exactly these).
pub const ARM_AUDIENCES: &[&str] = &[
    "https://management.core.windows.net/",
    "https://management.core.windows.net",
    "https://management.azure.com/",
    "https://management.azure.com",
];

/// The issuer (`iss`) of every token amlite signs: Entra's v2.0 form on amlite's URL.
pub fn issuer(base: &str, tenant: &str) -> String {
    format!("{base}/{tenant}/v2.0")
}

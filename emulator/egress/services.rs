//! External services (SPEC 6.1): names such as `api.contoso.com` that a user declares in a
//! fixture resource group, with whether they are public or private-only and a local URL that
//! really serves them, so egress from scoring code can be tested for real (SPEC 6.4):
//!
//! ```json
//! { "name": "rg", "location": "eastus",
//!   "externalServices": [
//!     { "host": "api.contoso.com", "publicNetworkAccess": "Enabled", "url": "http://127.0.0.1:8123" },
//!     { "host": "db.contoso.com", "publicNetworkAccess": "Disabled", "url": "http://127.0.0.1:8124",
//!       "resourceId": "/subscriptions/S/resourceGroups/rg/providers/Microsoft.Sql/servers/db" } ] }
//! ```
//!
//! - `publicNetworkAccess` (default `Enabled`): `Disabled` makes the service private-only
//!   (`DestinationKind::PrivateOnly`): reachable only through a `PrivateEndpoint` outbound rule
//!   whose `serviceResourceId` is the service's `resourceId` (or its host).
//! - `url`: `http(s)://127.0.0.1:PORT` or `localhost:PORT` only; its path is ignored. Allowed
//!   plain-HTTP requests are sent there, CONNECT tunnels are opened to it.
//! - `resourceId` (optional): defaults to
//!   `/subscriptions/{sub}/resourceGroups/{rg}/providers/Amlite.External/services/{host}`.
//!
//! Declarations are stored in the `external_services` table; a later declaration of the same
//! host replaces the earlier one (local ports change between runs).
use std::net::SocketAddr;

use serde_json::Value;

use super::errors::{EgressError, UrlProblem};
use crate::app::AppState;
use crate::domain::PublicNetworkAccess;
use crate::fixtures::FixtureResourceGroup;
use crate::network::normalize_host;
use crate::store::external_services::ExternalServiceRow;

/// A declared external service, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalService {
    /// Lower-cased host name, e.g. `api.contoso.com`.
    pub host: String,
    /// `Enabled` = public; `Disabled` = private-only.
    pub access: PublicNetworkAccess,
    /// The id a `PrivateEndpoint` outbound rule names as `serviceResourceId`.
    pub resource_id: String,
    /// The loopback address that really serves it.
    pub upstream: SocketAddr,
}

impl ExternalService {
    /// Builds a service from its parts. Errors: a host that is empty or has a `/`, a URL that
    /// is not `http(s)://` on 127.0.0.0/8 or `localhost` with a port.
    pub fn new(
        host: &str,
        access: PublicNetworkAccess,
        resource_id: &str,
        url: &str,
    ) -> Result<ExternalService, EgressError> {
        let host = normalize_host(host);
        if host.is_empty() || host.contains('/') || host.contains('*') {
            return Err(EgressError::ServiceHost(host));
        }
        Ok(ExternalService {
            upstream: loopback_addr(url)?,
            host,
            access,
            resource_id: resource_id.trim().to_string(),
        })
    }

    /// Decodes a stored row (validated again: the table is only written through fixtures).
    pub fn from_row(row: &ExternalServiceRow) -> Result<ExternalService, EgressError> {
        let access = PublicNetworkAccess::parse(&row.public_network_access).ok_or_else(|| {
            EgressError::StoredServiceAccess {
                host: row.host.clone(),
                value: row.public_network_access.clone(),
            }
        })?;
        ExternalService::new(&row.host, access, &row.resource_id, &row.url)
    }
}

/// The loopback socket address of `url` (`http://127.0.0.1:8123/any/path`). `localhost` means
/// 127.0.0.1; the port defaults to the scheme's (80/443).
pub fn loopback_addr(url: &str) -> Result<SocketAddr, EgressError> {
    let bad = |why: UrlProblem| EgressError::ServiceUrl {
        url: url.to_string(),
        why,
    };
    let parsed =
        reqwest::Url::parse(url.trim()).map_err(|e| bad(UrlProblem::Unparsable(e.to_string())))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad(UrlProblem::NotHttp));
    }
    let host = parsed.host_str().unwrap_or("");
    let ip = if host.eq_ignore_ascii_case("localhost") {
        std::net::Ipv4Addr::LOCALHOST
    } else {
        match host.parse::<std::net::Ipv4Addr>() {
            Ok(ip) if ip.is_loopback() => ip,
            _ => return Err(bad(UrlProblem::NotLoopback)),
        }
    };
    let port = parsed
        .port_or_known_default()
        .ok_or_else(|| bad(UrlProblem::NoPort))?;
    Ok(SocketAddr::from((ip, port)))
}

/// Validates and stores the `externalServices` of one fixture resource group (see the module
/// doc). Called by `fixtures.rs`. Errors name the bad entry.
pub async fn from_fixture(
    state: &AppState,
    subscription: &str,
    rg: &FixtureResourceGroup,
) -> Result<(), EgressError> {
    let resource_group = &rg.name;
    for (index, v) in rg.external_services.iter().enumerate() {
        let field = |k: &str| v.get(k).and_then(Value::as_str);
        let required =
            |k: &'static str| field(k).ok_or(EgressError::ServiceField { index, field: k });
        let host = required("host")?;
        let raw = field("publicNetworkAccess").unwrap_or("Enabled");
        let access = PublicNetworkAccess::parse(raw).ok_or_else(|| EgressError::ServiceAccess {
            index,
            value: raw.to_string(),
        })?;
        let url = required("url")?;
        let default_id = format!(
            "/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/Amlite.External/services/{}",
            normalize_host(host)
        );
        let id = field("resourceId").unwrap_or(&default_id);
        let s = ExternalService::new(host, access, id, url)?;
        let row = ExternalServiceRow {
            host: s.host.clone(),
            resource_id: s.resource_id.clone(),
            public_network_access: s.access.as_str().to_string(),
            url: url.trim().to_string(),
        };
        state.store.put_external_service(&row).await?;
    }
    Ok(())
}

/// Every stored external service; undecodable rows are skipped with a warning.
pub async fn all(state: &AppState) -> Result<Vec<ExternalService>, sqlx::Error> {
    let rows = state.store.external_services().await?;
    Ok(rows
        .iter()
        .filter_map(|r| match ExternalService::from_row(r) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(error = %e, "ignoring a stored external service");
                None
            }
        })
        .collect())
}

//! The `external_services` table (SPEC 6.1): services declared in fixtures that the egress proxy
//! (SPEC 6.4) forwards to. Keyed by host name, case-insensitively.
use super::Store;

/// One declared external service, as stored. Validation (loopback `url`, `Enabled`/`Disabled`)
/// is the caller's (`egress::services`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalServiceRow {
    /// The name the deployment's code uses, e.g. `api.contoso.com` (lower case).
    pub host: String,
    /// ARM-style id a `PrivateEndpoint` outbound rule may name as `serviceResourceId`.
    pub resource_id: String,
    /// `Enabled` (public) or `Disabled` (private-only).
    pub public_network_access: String,
    /// Local URL that really serves it, e.g. `http://127.0.0.1:8123`.
    pub url: String,
}

from_row!(ExternalServiceRow {
    host,
    resource_id,
    public_network_access,
    url
});

impl Store {
    /// Inserts or replaces the service named `row.host` (fixtures are re-read at every start and
    /// their local ports change, so the latest declaration wins).
    pub async fn put_external_service(&self, row: &ExternalServiceRow) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO external_services (host, resource_id, public_network_access, url) \
             VALUES (?, ?, ?, ?) ON CONFLICT(host) DO UPDATE SET resource_id = excluded.resource_id, \
             public_network_access = excluded.public_network_access, url = excluded.url",
        )
        .bind(&row.host)
        .bind(&row.resource_id)
        .bind(&row.public_network_access)
        .bind(&row.url)
        .execute(&mut *self.writer().await?)
        .await
        .map(|_| ())
    }

    /// Every declared external service, ordered by host.
    pub async fn external_services(&self) -> Result<Vec<ExternalServiceRow>, sqlx::Error> {
        sqlx::query_as::<_, ExternalServiceRow>(
            "SELECT host, resource_id, public_network_access, url FROM external_services ORDER BY host",
        )
        .fetch_all(&mut *self.reader().await?)
        .await
    }
}

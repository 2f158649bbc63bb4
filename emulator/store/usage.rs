//! What a stored resource counts toward (issue 14): online endpoints per subscription and
//! region (CP-5) and the cores deployments hold per subscription and region (CP-8), kept as
//! running totals in the `usage` table so a PUT reads one row instead of every endpoint or
//! deployment of the subscription. The totals are maintained by SQLite triggers from two
//! columns of each `resources` row (migration 0006); this module derives those columns from the
//! document being written (`resources::put_in`) and answers the totals. The rules themselves
//! (what counts, the limits) stay in `rules::limits` and `rules::quota`.
use serde::Deserialize;
use sqlx::{Sqlite, SqliteConnection};

use super::Store;
use crate::domain::{
    OnlineDeployment, OnlineEndpoint, ProvisioningState, ResourceId, ResourceKind, Workspace,
};
use crate::rules::{names::normalize_region, quota};

/// `(usage_scope, usage_units)` of a resource row: `(None, 0)` for kinds that count toward
/// nothing.
pub type Usage = (Option<String>, i64);

/// The running totals of one kind in one subscription and region.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Rows counted (endpoints, deployments).
    pub count: u64,
    /// Their units (cores held, for deployments).
    pub units: u64,
}

#[derive(Deserialize)]
struct Placed {
    location: String,
}

#[derive(Deserialize)]
struct Sized {
    location: String,
    instance_type: String,
    instance_count: u32,
    provisioning_state: ProvisioningState,
}

/// The scope key of a subscription and region: lower-cased subscription id, `/`, normalised
/// region (CP-5 and CP-8 compare regions without case or spaces).
pub fn scope(subscription: &str, region: &str) -> String {
    format!(
        "{}/{}",
        subscription.to_ascii_lowercase(),
        normalize_region(region)
    )
}

fn subscription_of(id: &ResourceId) -> Option<&str> {
    let mut it = id.as_str().split('/').skip(1);
    match (it.next(), it.next()) {
        (Some(s), Some(sub)) if s.eq_ignore_ascii_case("subscriptions") => Some(sub),
        _ => None,
    }
}

/// Cores a deployment holds against CP-8: none once its provisioning failed (its quota is
/// released); an unknown instance type holds none.
pub fn cores_held(instance_type: &str, instance_count: u32, state: ProvisioningState) -> u64 {
    if state == ProvisioningState::Failed {
        return 0;
    }
    let cores = quota::instance_cores(instance_type).unwrap_or(0);
    quota::cores_needed(cores, i64::from(instance_count))
}

/// A typed document whose usage columns are taken from its fields (`resources::put_counted_in`),
/// rather than by parsing its encoded JSON again ([`of`]) on every write (issue 14).
pub trait Counted {
    /// `(usage_scope, usage_units)` of this document stored under `subscription`.
    fn usage_in(&self, subscription: &str) -> Usage;
}

impl Counted for OnlineEndpoint {
    fn usage_in(&self, subscription: &str) -> Usage {
        (Some(scope(subscription, &self.location)), 0)
    }
}

impl Counted for OnlineDeployment {
    fn usage_in(&self, subscription: &str) -> Usage {
        let held = cores_held(
            &self.instance_type,
            self.instance_count,
            self.provisioning_state,
        );
        (
            Some(scope(subscription, &self.location)),
            i64::try_from(held).unwrap_or(i64::MAX),
        )
    }
}

impl Counted for Workspace {
    /// A workspace counts toward nothing.
    fn usage_in(&self, _subscription: &str) -> Usage {
        (None, 0)
    }
}

/// The usage columns of `doc` stored as `id` of `kind` (the typed twin of [`of`]).
pub fn of_doc<T: Counted>(id: &ResourceId, kind: ResourceKind, doc: &T) -> Usage {
    if !matches!(
        kind,
        ResourceKind::OnlineEndpoint | ResourceKind::OnlineDeployment
    ) {
        return (None, 0);
    }
    match subscription_of(id) {
        Some(sub) => doc.usage_in(sub),
        None => (None, 0),
    }
}

/// The usage columns of a row of `kind` with domain JSON `body`.
pub fn of(id: &ResourceId, kind: ResourceKind, body: &str) -> Result<Usage, sqlx::Error> {
    let decode = |e: serde_json::Error| sqlx::Error::Decode(Box::new(e));
    if !matches!(
        kind,
        ResourceKind::OnlineEndpoint | ResourceKind::OnlineDeployment
    ) {
        return Ok((None, 0));
    }
    let Some(sub) = subscription_of(id) else {
        return Ok((None, 0));
    };
    match kind {
        ResourceKind::OnlineEndpoint => {
            let p: Placed = serde_json::from_str(body).map_err(decode)?;
            Ok((Some(scope(sub, &p.location)), 0))
        }
        ResourceKind::OnlineDeployment => {
            let s: Sized = serde_json::from_str(body).map_err(decode)?;
            let held = cores_held(&s.instance_type, s.instance_count, s.provisioning_state);
            Ok((
                Some(scope(sub, &s.location)),
                i64::try_from(held).unwrap_or(i64::MAX),
            ))
        }
        _ => Ok((None, 0)),
    }
}

impl Store {
    /// The totals of `kind` in `subscription` and `region` (from the id index, else one
    /// indexed row).
    pub async fn usage(
        &self,
        kind: ResourceKind,
        subscription: &str,
        region: &str,
    ) -> Result<Totals, sqlx::Error> {
        let scope = scope(subscription, region);
        let (n, units) = match self.cache().totals(kind.tag(), &scope) {
            // The id index mirrors the triggers that keep this table (store/read_cache.rs).
            Some(t) => t,
            None => sqlx::query_as("SELECT n, units FROM usage WHERE kind = ? AND scope = ?")
                .bind(kind.tag())
                .bind(&scope)
                .fetch_optional(&mut *self.reader().await?)
                .await?
                .unwrap_or((0, 0)),
        };
        Ok(Totals {
            count: u64::try_from(n).unwrap_or(0),
            units: u64::try_from(units).unwrap_or(0),
        })
    }
}

/// Fills the usage columns of rows stored before migration 0006, once (the flag it leaves says
/// so): every endpoint and deployment is read and written back with its usage, in one
/// transaction, so the triggers build the totals.
pub(super) async fn backfill(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let pending: Option<(String,)> =
        sqlx::query_as("SELECT value FROM store_flags WHERE name = 'usage_backfill'")
            .fetch_optional(&mut *conn)
            .await?;
    if pending.is_none_or(|(v,)| v != "pending") {
        return Ok(());
    }
    sqlx::query::<Sqlite>("BEGIN IMMEDIATE")
        .execute(&mut *conn)
        .await?;
    let r = backfill_rows(conn).await;
    let end = if r.is_ok() { "COMMIT" } else { "ROLLBACK" };
    sqlx::query::<Sqlite>(end).execute(&mut *conn).await?;
    r
}

async fn backfill_rows(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT id, kind, body FROM resources WHERE kind IN (?, ?)")
            .bind(ResourceKind::OnlineEndpoint.tag())
            .bind(ResourceKind::OnlineDeployment.tag())
            .fetch_all(&mut *conn)
            .await?;
    for (id, kind, body) in rows {
        let kind = if kind == ResourceKind::OnlineEndpoint.tag() {
            ResourceKind::OnlineEndpoint
        } else {
            ResourceKind::OnlineDeployment
        };
        let (scope, units) = of(&ResourceId::from_string(id.clone()), kind, &body)?;
        sqlx::query::<Sqlite>("UPDATE resources SET usage_scope = ?, usage_units = ? WHERE id = ?")
            .bind(scope)
            .bind(units)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query::<Sqlite>("UPDATE store_flags SET value = 'done' WHERE name = 'usage_backfill'")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn scope_ignores_case_and_spaces() {
        assert_eq!(scope("ABC", "East US"), "abc/eastus");
        assert_eq!(scope("abc", "eastus"), scope("Abc", "EAST US"));
    }

    #[test]
    fn kinds_that_count_nothing() {
        let id = ResourceId::from_string("/subscriptions/s/resourceGroups/r".into());
        assert_eq!(
            of(&id, ResourceKind::ResourceGroup, "{}").ok(),
            Some((None, 0))
        );
    }

    /// A database as a binary before migration 0006 left it (migrations 1 to 5 only), holding
    /// `rows` (id, kind, parent, body) written with the old INSERT (no usage columns).
    async fn old_database(
        path: &std::path::Path,
        rows: &[(&str, ResourceKind, Option<&str>, Value)],
    ) {
        use sqlx::migrate::Migrator;
        use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await
            .unwrap();
        // The shipped migrations before 0006, read at run time from a copy.
        let before = path.with_extension("migrations");
        std::fs::create_dir_all(&before).unwrap();
        let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        for f in std::fs::read_dir(&shipped).unwrap() {
            let f = f.unwrap();
            let name = f.file_name().into_string().unwrap();
            if name.as_str() < "0006" {
                std::fs::copy(f.path(), before.join(&name)).unwrap();
            }
        }
        let old = Migrator::new(before.as_path()).await.unwrap();
        assert_eq!(old.iter().count(), 5);
        old.run(&pool).await.unwrap();
        for (seq, (id, kind, parent, body)) in rows.iter().enumerate() {
            let id = ResourceId::from_string((*id).to_string());
            sqlx::query(
                "INSERT INTO resources (id, kind, parent_id, name, body, seq) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(id.as_str())
            .bind(kind.tag())
            .bind(*parent)
            .bind(id.name())
            .bind(body.to_string())
            .bind(i64::try_from(seq).unwrap() + 1)
            .execute(&pool)
            .await
            .unwrap();
        }
        pool.close().await;
    }

    fn dep(location: &str, instance_type: &str, count: u32, state: ProvisioningState) -> Value {
        json!({ "location": location, "instance_type": instance_type, "instance_count": count,
                "provisioning_state": state })
    }

    async fn totals(store: &Store, kind: ResourceKind, sub: &str, region: &str) -> (u64, u64) {
        let t = store.usage(kind, sub, region).await.unwrap();
        (t.count, t.units)
    }

    #[tokio::test]
    async fn backfill_counts_a_database_made_before_migration_6_once() {
        use ResourceKind::{OnlineDeployment as D, OnlineEndpoint as E};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("amlite.db");
        let ws = "/subscriptions/S1/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w";
        let (e1, e2, e3) = (
            format!("{ws}/onlineEndpoints/e1"),
            format!("{ws}/onlineEndpoints/e2"),
            format!("{ws}/onlineEndpoints/e3"),
        );
        let succeeded = ProvisioningState::Succeeded;
        old_database(
            &path,
            &[
                (&e1, E, None, json!({ "location": "eastus" })),
                (&e2, E, None, json!({ "location": "East US" })),
                (&e3, E, None, json!({ "location": "westus" })),
                // DS3_v2 (4 cores): ceil(1.2 x 1) x 4 = 8; x2 = 12; a failed one holds none.
                (
                    &format!("{e1}/deployments/a"),
                    D,
                    Some(&e1),
                    dep("eastus", "Standard_DS3_v2", 1, succeeded),
                ),
                (
                    &format!("{e1}/deployments/b"),
                    D,
                    Some(&e1),
                    dep("eastus", "Standard_DS3_v2", 2, ProvisioningState::Failed),
                ),
                (
                    &format!("{e2}/deployments/a"),
                    D,
                    Some(&e2),
                    dep("East US", "Standard_DS3_v2", 2, succeeded),
                ),
                (
                    &format!("{e3}/deployments/a"),
                    D,
                    Some(&e3),
                    dep("westus", "Standard_DS3_v2", 1, succeeded),
                ),
            ],
        )
        .await;
        for _ in 0..2 {
            // The second start finds the flag done and counts nothing twice.
            let store = Store::open(Some(&path)).await.unwrap();
            assert_eq!(totals(&store, E, "s1", "EASTUS").await, (2, 0));
            assert_eq!(totals(&store, D, "S1", "east us").await, (3, 20));
            assert_eq!(totals(&store, E, "S1", "westus").await, (1, 0));
            assert_eq!(totals(&store, D, "S1", "westus").await, (1, 8));
            assert_eq!(totals(&store, E, "other", "eastus").await, (0, 0));
            store.close().await;
        }
        // Later writes keep the totals: deleting an endpoint takes its deployments with it
        // (cascade), a deployment that fails releases its cores, and a replaced one counts once.
        let store = Store::open(Some(&path)).await.unwrap();
        assert!(store
            .delete(&ResourceId::from_string(e1.clone()))
            .await
            .unwrap());
        assert_eq!(totals(&store, E, "S1", "eastus").await, (1, 0));
        assert_eq!(totals(&store, D, "S1", "eastus").await, (1, 12));
        let e2a = ResourceId::from_string(format!("{e2}/deployments/a"));
        let e2id = ResourceId::from_string(e2.clone());
        let failed = dep("East US", "Standard_DS3_v2", 2, ProvisioningState::Failed);
        store.put(&e2a, D, Some(&e2id), &failed).await.unwrap();
        assert_eq!(totals(&store, D, "S1", "eastus").await, (1, 0));
        let bigger = dep("eastus", "Standard_DS3_v2", 3, ProvisioningState::Updating);
        store.put(&e2a, D, Some(&e2id), &bigger).await.unwrap();
        store.put(&e2a, D, Some(&e2id), &bigger).await.unwrap();
        assert_eq!(totals(&store, D, "S1", "eastus").await, (1, 16));
        // Moving a deployment to another region moves its cores.
        let moved = dep("westus", "Standard_DS3_v2", 3, succeeded);
        store.put(&e2a, D, Some(&e2id), &moved).await.unwrap();
        assert_eq!(totals(&store, D, "S1", "eastus").await, (0, 0));
        assert_eq!(totals(&store, D, "S1", "westus").await, (2, 24));
        store.close().await;
    }

    #[test]
    fn a_failed_deployment_holds_no_cores() {
        assert_eq!(
            cores_held("Standard_DS3_v2", 1, ProvisioningState::Failed),
            0
        );
        assert_eq!(
            cores_held("Standard_DS3_v2", 1, ProvisioningState::Succeeded),
            8
        );
        assert_eq!(
            cores_held("Standard_Bogus", 3, ProvisioningState::Creating),
            0
        );
    }
}

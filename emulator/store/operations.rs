//! The `operations` table: long-running operations behind `Azure-AsyncOperation` and
//! `Location` monitors (SPEC §3). Finished ones are pruned after `--operation-retention`
//! ([`Store::prune_operations`]).
use sqlx::{Arguments, Sqlite};

use super::read_cache::Change;
use super::{Store, WriteTx};

/// One long-running operation.
#[derive(Debug, Clone)]
pub struct OperationRow {
    /// Operation id (GUID) used in monitor URLs.
    pub id: String,
    /// The resource it acts on.
    pub resource_id: String,
    /// What completion does, as JSON (see `lro::Action`).
    pub action: String,
    /// `InProgress`, `Succeeded`, `Failed` or `Canceled`.
    pub status: String,
    /// Start time (ARM format).
    pub started_at: String,
    /// End time (ARM format) once terminal.
    pub ended_at: Option<String>,
    /// Unix milliseconds after which the operation may complete.
    pub due_at_ms: i64,
    /// `{"code","message"}` JSON when failed.
    pub error: Option<String>,
    /// Region used in monitor URLs.
    pub location: String,
}

from_row!(OperationRow {
    id,
    resource_id,
    action,
    status,
    started_at,
    ended_at,
    due_at_ms,
    error,
    location
});

/// `due_at_ms` of an operation a runtime is working on in the background (the python runtime's
/// start-up): the provisioner must not complete it; the runtime does.
pub const HELD: i64 = i64::MAX;

const COLS: &str =
    "id, resource_id, action, status, started_at, ended_at, due_at_ms, error, location";

impl Store {
    /// The operation with this id; answered from memory when it was read or written since the
    /// last write the read cache could not follow (every poll of a monitor reads it).
    pub async fn operation(&self, id: &str) -> Result<Option<OperationRow>, sqlx::Error> {
        if let Some(op) = self.cache().lookup_operation(id) {
            return Ok(op);
        }
        let seen = self.cache().generation();
        let op = sqlx::query_as::<_, OperationRow>(&format!(
            "SELECT {COLS} FROM operations WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&mut *self.reader().await?)
        .await?;
        self.cache().fill_operation(seen, id, &op);
        Ok(op)
    }

    /// Operations still `InProgress` whose due time has passed, oldest first.
    pub async fn due_operations(&self, now_ms: i64) -> Result<Vec<OperationRow>, sqlx::Error> {
        sqlx::query_as::<_, OperationRow>(&format!(
            "SELECT {COLS} FROM operations WHERE status = 'InProgress' AND due_at_ms <= ? ORDER BY due_at_ms, rowid"
        ))
        .bind(now_ms)
        .fetch_all(&mut *self.writer().await?)
        .await
    }

    /// The earliest due time of any `InProgress` operation.
    pub async fn next_due_ms(&self) -> Result<Option<i64>, sqlx::Error> {
        let row: (Option<i64>,) = sqlx::query_as(
            "SELECT MIN(due_at_ms) FROM operations WHERE status = 'InProgress' AND due_at_ms < ?",
        )
        .bind(HELD)
        .fetch_one(&mut *self.writer().await?)
        .await?;
        Ok(row.0)
    }

    /// Makes every `InProgress` operation due at `now_ms` at the latest (start-up: operations
    /// interrupted by a stop or a crash complete at once instead of staying `InProgress`).
    pub async fn resume_interrupted(&self, now_ms: i64) -> Result<u64, sqlx::Error> {
        let r = sqlx::query::<Sqlite>(
            "UPDATE operations SET due_at_ms = ? WHERE status = 'InProgress' AND due_at_ms > ?",
        )
        .bind(now_ms)
        .bind(now_ms)
        .execute(&mut *self.writer().await?)
        .await?;
        Ok(self.operations_changed(r.rows_affected()))
    }

    /// True when an operation on `resource_id` is still in progress.
    pub async fn busy(&self, resource_id: &str) -> Result<bool, sqlx::Error> {
        let row: (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM operations WHERE resource_id = ? AND status = 'InProgress'",
        )
        .bind(resource_id)
        .fetch_one(&mut *self.reader().await?)
        .await?;
        Ok(row.0 > 0)
    }
}

/// Records a new operation inside a transaction.
pub async fn insert_in(tx: &mut WriteTx, op: &OperationRow) -> Result<(), sqlx::Error> {
    let o = op.clone();
    tx.queue(
        &format!("INSERT INTO operations ({COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        Change::NewOperation(op.clone()),
        |a| {
            a.add(o.id)?;
            a.add(o.resource_id)?;
            a.add(o.action)?;
            a.add(o.status)?;
            a.add(o.started_at)?;
            a.add(o.ended_at)?;
            a.add(o.due_at_ms)?;
            a.add(o.error)?;
            a.add(o.location)
        },
    )
}

/// Marks an operation terminal inside a transaction; only an `InProgress` one changes.
pub async fn finish_in(
    tx: &mut WriteTx,
    id: &str,
    status: &str,
    ended_at: &str,
    error: Option<String>,
) -> Result<(), sqlx::Error> {
    let change = Change::EndOperation {
        id: id.to_string(),
        status: status.to_string(),
        ended_at: ended_at.to_string(),
        error: error.clone(),
    };
    let (id, status, ended_at) = (id.to_string(), status.to_string(), ended_at.to_string());
    tx.queue(
        "UPDATE operations SET status = ?, ended_at = ?, error = ? WHERE id = ? AND status = 'InProgress'",
        change,
        |a| {
            a.add(status)?;
            a.add(ended_at)?;
            a.add(error)?;
            a.add(id)
        },
    )
}

/// Hands an in-progress operation to a background runtime start (see [`HELD`]).
pub async fn hold_in(tx: &mut WriteTx, id: &str) -> Result<(), sqlx::Error> {
    let id = id.to_string();
    tx.queue(
        "UPDATE operations SET due_at_ms = ? WHERE id = ? AND status = 'InProgress'",
        Change::Operation(id.clone()),
        |a| {
            a.add(HELD)?;
            a.add(id)
        },
    )
}

impl Store {
    /// At start-up: operations a background start was holding when the process died become due
    /// again, so they resume instead of staying `InProgress` forever.
    pub async fn release_held(&self) -> Result<u64, sqlx::Error> {
        let r = sqlx::query::<Sqlite>(
            "UPDATE operations SET due_at_ms = 0 WHERE status = 'InProgress' AND due_at_ms = ?",
        )
        .bind(HELD)
        .execute(&mut *self.writer().await?)
        .await?;
        Ok(self.operations_changed(r.rows_affected()))
    }
}

impl Store {
    /// Deletes finished operations that ended before `ended_before` (ARM time, which sorts as
    /// text); an operation in progress is never pruned. Returns how many went.
    pub async fn prune_operations(&self, ended_before: &str) -> Result<u64, sqlx::Error> {
        let r = sqlx::query::<Sqlite>(
            "DELETE FROM operations WHERE status <> 'InProgress' AND ended_at IS NOT NULL AND ended_at < ?",
        )
        .bind(ended_before)
        .execute(&mut *self.writer().await?)
        .await?;
        Ok(self.operations_changed(r.rows_affected()))
    }

    /// Tells the read cache that a statement outside [`WriteTx`] changed `rows` operations
    /// (it drops its operations); returns `rows`. A statement that changed none keeps the cache:
    /// on a clean start, start-up's steps change nothing and the first poll is answered from
    /// memory (issue 14).
    pub(super) fn operations_changed(&self, rows: u64) -> u64 {
        if rows > 0 {
            self.cache().advance(&[Change::Operations]);
        }
        rows
    }

    /// How many operations are stored (tests and diagnostics).
    pub async fn operation_count(&self) -> Result<i64, sqlx::Error> {
        let row: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM operations")
            .fetch_one(&mut *self.reader().await?)
            .await?;
        Ok(row.0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn op(id: &str) -> OperationRow {
        OperationRow {
            id: id.into(),
            resource_id: "/subscriptions/s/resourceGroups/rg".into(),
            action: r#"{"kind":"Done"}"#.into(),
            status: "InProgress".into(),
            started_at: "2026-12-03T00:00:00Z".into(),
            ended_at: None,
            due_at_ms: 0,
            error: None,
            location: "eastus".into(),
        }
    }

    /// Start-up's `resume_interrupted` and `release_held` used to drop the operation cache even
    /// when they changed nothing, so a fresh server's first poll read SQLite (issue 14).
    #[tokio::test]
    async fn start_up_steps_that_change_nothing_keep_the_operation_cache() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_ephemeral(dir.path()).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        insert_in(&mut tx, &op("kept")).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.resume_interrupted(0).await.unwrap(), 0);
        assert_eq!(store.release_held().await.unwrap(), 0);
        let cached = store.cache().lookup_operation("kept");
        assert_eq!(cached.flatten().map(|o| o.id), Some("kept".to_string()));
        // A step that changes a row still drops it (the cached due time would be stale).
        assert_eq!(store.resume_interrupted(-1).await.unwrap(), 1);
        assert!(store.cache().lookup_operation("kept").is_none());
        store.close().await;
    }
}

//! SQL behind amlite's admin API (`/_amlite/`, not Azure): wiping the database for
//! `POST /_amlite/reset`, whole-table reads for `GET /_amlite/state`, and releasing a parked
//! operation (`lro::control`).
use sqlx::Sqlite;

use super::read_cache::Change;
use super::{OperationRow, Row, Store};

/// Tables emptied by [`Store::wipe`], children before what they refer to.
const WIPED: &[&str] = &[
    "operations",
    "blob_parts",
    "blocks",
    "blobs",
    "contents",
    "external_services",
    "resources",
];

impl Store {
    /// Deletes every resource, operation, blob and external service in one transaction (the
    /// fixture is loaded again by the caller). Schema, certificate and keys are untouched.
    pub async fn wipe(&self) -> Result<(), sqlx::Error> {
        let mut tx = self.begin().await?;
        for table in WIPED {
            sqlx::query::<Sqlite>(&format!("DELETE FROM {table}"))
                .execute(tx.conn().await?)
                .await?;
        }
        tx.note(Change::Wipe);
        tx.commit().await
    }

    /// Every stored resource with its domain document, in creation order.
    pub async fn all_rows(&self) -> Result<Vec<Row>, sqlx::Error> {
        sqlx::query_as::<_, Row>(
            "SELECT id, kind, parent_id, name, body FROM resources ORDER BY seq",
        )
        .fetch_all(&mut *self.reader().await?)
        .await
    }

    /// Every operation, oldest first.
    pub async fn all_operations(&self) -> Result<Vec<OperationRow>, sqlx::Error> {
        sqlx::query_as::<_, OperationRow>(
            "SELECT id, resource_id, action, status, started_at, ended_at, due_at_ms, error, location FROM operations ORDER BY rowid",
        )
        .fetch_all(&mut *self.reader().await?)
        .await
    }

    /// Makes the `InProgress` operation `id` due at `now_ms` (unless a runtime holds it);
    /// false when there is no such operation.
    pub async fn make_due(&self, id: &str, now_ms: i64) -> Result<bool, sqlx::Error> {
        let r = sqlx::query::<Sqlite>(
            "UPDATE operations SET due_at_ms = ? WHERE id = ? AND status = 'InProgress' AND due_at_ms < ?",
        )
        .bind(now_ms)
        .bind(id)
        .bind(super::operations::HELD)
        .execute(&mut *self.writer().await?)
        .await?;
        Ok(self.operations_changed(r.rows_affected()) > 0)
    }
}

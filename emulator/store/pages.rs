//! Paged reads that continue from a creation-order number (`seq`), so a page boundary does not
//! move when resources before it are deleted or after it are created (`Resources - List` with
//! `$top`). Owns: those queries. Must not depend on `arm`.
use super::resources::COLS;
use super::{Row, Store};
use crate::domain::ResourceKind;

impl Store {
    /// Every resource of `kind` whose id starts with `prefix` (case-insensitive) and whose
    /// creation-order number is above `after`, in creation order, with that number.
    pub async fn by_kind_under_after(
        &self,
        kind: ResourceKind,
        prefix: &str,
        after: i64,
    ) -> Result<Vec<(Row, i64)>, sqlx::Error> {
        let rows: Vec<(String, String, Option<String>, String, String, i64)> =
            sqlx::query_as(&format!(
                "SELECT {COLS}, seq FROM resources
                 WHERE kind = ?1 AND substr(id, 1, ?2) = ?3 AND seq > ?4 ORDER BY seq"
            ))
            .bind(kind.tag())
            .bind(prefix.len() as i64)
            .bind(prefix)
            .bind(after)
            .fetch_all(&mut *self.reader().await?)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, kind, parent_id, name, body, seq)| {
                let row = Row {
                    id,
                    kind,
                    parent_id,
                    name,
                    body,
                };
                (row, seq)
            })
            .collect())
    }
}

//! The `resources` table: every ARM resource as `(id, kind, parent, name, body JSON)`.
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::Arguments;

use super::read_cache::Change;
use super::{Store, WriteTx};
use crate::domain::{ResourceId, ResourceKind};

/// One stored resource. `body` is the domain document (JSON), never the wire shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Full ARM id in the casing it was created with.
    pub id: String,
    /// [`ResourceKind::tag`].
    pub kind: String,
    /// Parent resource id, if any.
    pub parent_id: Option<String>,
    /// Name (last id segment, or `name/version` for asset versions).
    pub name: String,
    /// Domain JSON.
    pub body: String,
}

from_row!(Row {
    id,
    kind,
    parent_id,
    name,
    body
});

impl Row {
    /// Decodes the body into a domain document.
    pub fn doc<T: DeserializeOwned>(&self) -> Result<T, sqlx::Error> {
        serde_json::from_str(&self.body).map_err(|e| sqlx::Error::Decode(Box::new(e)))
    }
    /// The id as a [`ResourceId`].
    pub fn resource_id(&self) -> ResourceId {
        ResourceId::from_string(self.id.clone())
    }
}

/// Encodes a domain document.
pub fn encode<T: Serialize>(doc: &T) -> Result<String, sqlx::Error> {
    serde_json::to_string(doc).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

pub(super) const COLS: &str = "id, kind, parent_id, name, body";

impl Store {
    /// The resource with this id (case-insensitive), if any.
    /// Answered from memory when no write happened since `id` was last read.
    pub async fn get(&self, id: &ResourceId) -> Result<Option<Row>, sqlx::Error> {
        if let Some(row) = self.cache().lookup_row(id.as_str()) {
            return Ok(row);
        }
        let seen = self.cache().generation();
        tracing::trace!(id = id.as_str(), "row cache miss");
        let row = sqlx::query_as::<_, Row>(&format!("SELECT {COLS} FROM resources WHERE id = ?"))
            .bind(id.as_str())
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        self.cache().fill_row(seen, id.as_str(), &row);
        Ok(row)
    }

    /// The rows of `keys` (lower-cased ids the index gave), in that order: from the row cache,
    /// the others with one query per 500. A row deleted since the index answered is left out.
    async fn rows_of(&self, keys: &[String]) -> Result<Vec<Row>, sqlx::Error> {
        let mut found: Vec<Option<Row>> = Vec::with_capacity(keys.len());
        let mut missing = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            match self.cache().lookup_row(k) {
                Some(row) => found.push(row),
                None => {
                    found.push(None);
                    missing.push(i);
                }
            }
        }
        for chunk in missing.chunks(500) {
            let seen = self.cache().generation();
            let marks = vec!["?"; chunk.len()].join(", ");
            let sql = format!("SELECT {COLS} FROM resources WHERE id IN ({marks})");
            let mut q = sqlx::query_as::<_, Row>(&sql);
            for i in chunk {
                q = q.bind(&keys[*i]);
            }
            let rows = q.fetch_all(&mut *self.reader().await?).await?;
            for i in chunk {
                let row = rows.iter().find(|r| r.id.eq_ignore_ascii_case(&keys[*i]));
                self.cache().fill_row(seen, &keys[*i], &row.cloned());
                found[*i] = row.cloned();
            }
        }
        Ok(found.into_iter().flatten().collect())
    }

    /// Every stored resource (id and kind), in creation order (the admin API's inventory).
    pub async fn inventory(&self) -> Result<Vec<(String, String)>, sqlx::Error> {
        sqlx::query_as("SELECT id, kind FROM resources ORDER BY seq")
            .fetch_all(&mut *self.reader().await?)
            .await
    }

    /// Children of `parent` of one kind, in creation order.
    pub async fn children(
        &self,
        parent: &ResourceId,
        kind: ResourceKind,
    ) -> Result<Vec<Row>, sqlx::Error> {
        if let Some(keys) = self.cache().children(parent.as_str(), kind.tag()) {
            return self.rows_of(&keys).await;
        }
        sqlx::query_as::<_, Row>(&format!(
            "SELECT {COLS} FROM resources WHERE parent_id = ? AND kind = ? ORDER BY seq"
        ))
        .bind(parent.as_str())
        .bind(kind.tag())
        .fetch_all(&mut *self.reader().await?)
        .await
    }

    /// One page of [`Store::children`] (issue 14: a list reads one page, not every child): at
    /// most `limit` rows whose creation-order number is above `after`, only those named `name`
    /// (case-insensitive) if given, and the number to continue after when more remain.
    pub async fn children_page(
        &self,
        parent: &ResourceId,
        kind: ResourceKind,
        name: Option<&str>,
        after: i64,
        limit: usize,
    ) -> Result<(Vec<Row>, Option<i64>), sqlx::Error> {
        let rows: Vec<(String, String, Option<String>, String, String, i64)> =
            sqlx::query_as(&format!(
                "SELECT {COLS}, seq FROM resources
                 WHERE parent_id = ?1 AND kind = ?2 AND seq > ?3 AND (?4 IS NULL OR name = ?4)
                 ORDER BY seq LIMIT ?5"
            ))
            .bind(parent.as_str())
            .bind(kind.tag())
            .bind(after)
            .bind(name)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1))
            .fetch_all(&mut *self.reader().await?)
            .await?;
        let more = rows.len() > limit;
        let mut page: Vec<Row> = Vec::with_capacity(rows.len().min(limit));
        let mut last = after;
        for (id, kind, parent_id, name, body, seq) in rows.into_iter().take(limit) {
            last = seq;
            page.push(Row {
                id,
                kind,
                parent_id,
                name,
                body,
            });
        }
        Ok((page, more.then_some(last)))
    }

    /// Every resource of a kind whose id starts with `prefix` (case-insensitive), in creation order.
    pub async fn by_kind_under(
        &self,
        kind: ResourceKind,
        prefix: &str,
    ) -> Result<Vec<Row>, sqlx::Error> {
        if let Some(keys) = self.cache().by_kind_under(kind.tag(), prefix) {
            return self.rows_of(&keys).await;
        }
        sqlx::query_as::<_, Row>(&format!(
            "SELECT {COLS} FROM resources WHERE kind = ? AND substr(id, 1, ?) = ? ORDER BY seq"
        ))
        .bind(kind.tag())
        .bind(prefix.len() as i64)
        .bind(prefix)
        .fetch_all(&mut *self.reader().await?)
        .await
    }

    /// Every resource of a kind named `name` (case-insensitive).
    pub async fn by_kind_and_name(
        &self,
        kind: ResourceKind,
        name: &str,
    ) -> Result<Vec<Row>, sqlx::Error> {
        if let Some(keys) = self.cache().by_kind_and_name(kind.tag(), name) {
            return self.rows_of(&keys).await;
        }
        sqlx::query_as::<_, Row>(&format!(
            "SELECT {COLS} FROM resources WHERE kind = ? AND name = ? ORDER BY seq"
        ))
        .bind(kind.tag())
        .bind(name)
        .fetch_all(&mut *self.reader().await?)
        .await
    }

    /// The stored spelling of whichever of `ids` exist (compared case-insensitively), in the
    /// order of `ids`. Used to echo the casing a resource was created with whatever casing a
    /// request uses (SPEC §3). Answered from the id index (`read_cache`); by one query while
    /// the index is being built.
    pub async fn stored_ids(&self, ids: &[String]) -> Result<Vec<String>, sqlx::Error> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(found) = self.cache().lookup(ids) {
            return Ok(found);
        }
        // The index is being built (start-up) or was made stale: ask the database meanwhile.
        if self.cache().keeps_index() {
            self.build_index_in_background();
        }
        let marks = vec!["?"; ids.len()].join(", ");
        let sql = format!("SELECT id FROM resources WHERE id IN ({marks})");
        let mut q = sqlx::query_as::<_, (String,)>(&sql);
        for id in ids {
            q = q.bind(id);
        }
        let found: Vec<String> = q
            .fetch_all(&mut *self.reader().await?)
            .await?
            .into_iter()
            .map(|r| r.0)
            .collect();
        Ok(ids
            .iter()
            .filter_map(|id| found.iter().find(|f| f.eq_ignore_ascii_case(id)).cloned())
            .collect())
    }

    /// Builds the id index on a background task unless one is already at it (once the server
    /// serves, and again after a write of unknown effect): requests do not wait for it, they
    /// read SQLite until it is ready. 10,000 endpoints take ~20 ms, during which writes wait.
    pub fn build_index_in_background(&self) {
        self.cache().keep_index();
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if !self.cache().start_building() {
            return;
        }
        let store = self.clone();
        rt.spawn(async move {
            for _ in 0..5 {
                match store.rebuild_index().await {
                    Ok(true) => break,
                    Ok(false) => continue,
                    Err(e) => {
                        tracing::debug!(error = %e, "id index not built");
                        break;
                    }
                }
            }
            store.cache().done_building();
        });
    }

    /// Reads every resource into the id index; false when a write raced with it (not kept).
    pub(super) async fn rebuild_index(&self) -> Result<bool, sqlx::Error> {
        // On the writer connection: no commit can land between the read and the install (every
        // write holds that one connection until it has updated the cache), so a build is never
        // wasted on a race with the start-up writes.
        let mut writer = self.writer().await?;
        let seen = self.cache().generation();
        // One JSON text rather than a row per resource: sqlx hands every row over from its
        // SQLite thread separately, which cost ~100 ms for 10,000 endpoints (issue 14).
        let (text,): (String,) = sqlx::query_as(
            "SELECT COALESCE(json_group_array(json_array(id, parent_id, kind, name, usage_scope,
                 usage_units)), '[]')
             FROM (SELECT id, parent_id, kind, name, usage_scope, usage_units FROM resources
                   ORDER BY seq)",
        )
        .fetch_one(&mut *writer)
        .await?;
        let all: Vec<super::read_cache::IndexRow<'_>> =
            serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        let installed = self.cache().install_index(seen, all);
        drop(writer);
        Ok(installed)
    }

    /// Inserts or replaces one resource in a transaction of its own.
    pub async fn put<T: Serialize>(
        &self,
        id: &ResourceId,
        kind: ResourceKind,
        parent: Option<&ResourceId>,
        doc: &T,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.begin().await?;
        put_in(&mut tx, id, kind, parent, doc).await?;
        tx.commit().await
    }

    /// Deletes a resource and (by cascade) its children, in one autocommit statement. Returns
    /// whether it existed.
    pub async fn delete(&self, id: &ResourceId) -> Result<bool, sqlx::Error> {
        let mut sent = super::write::Sent::new(self.writer().await?, self.cache.clone());
        let r = sqlx::query::<sqlx::Sqlite>("DELETE FROM resources WHERE id = ?")
            .bind(id.as_str())
            .execute(sent.conn())
            .await;
        let conn = sent.done();
        // Before the writer is lent again: writes and cache updates stay in order.
        match &r {
            Ok(_) => self
                .cache()
                .advance(&[Change::Delete(id.as_str().to_string())]),
            Err(_) => self.cache().bump(),
        }
        drop(conn);
        Ok(r?.rows_affected() > 0)
    }
}

/// Inserts or replaces one resource inside a transaction. An existing row keeps its id casing
/// and its place in creation order.
pub async fn put_in<T: Serialize>(
    tx: &mut WriteTx,
    id: &ResourceId,
    kind: ResourceKind,
    parent: Option<&ResourceId>,
    doc: &T,
) -> Result<(), sqlx::Error> {
    let body = encode(doc)?;
    let usage = super::usage::of(id, kind, &body)?;
    write_row(tx, id, kind, parent, body, usage)
}

/// [`put_in`] for a typed document that knows what it counts toward ([`super::usage::Counted`]):
/// the usage columns come from its fields instead of parsing the encoded body again.
/// `target` is `(id, kind, parent)`.
pub async fn put_counted_in<T: Serialize + super::usage::Counted>(
    tx: &mut WriteTx,
    (id, kind, parent): (&ResourceId, ResourceKind, Option<&ResourceId>),
    doc: &T,
) -> Result<(), sqlx::Error> {
    let body = encode(doc)?;
    let usage = super::usage::of_doc(id, kind, doc);
    debug_assert_eq!(
        super::usage::of(id, kind, &body).ok().as_ref(),
        Some(&usage),
        "typed and parsed usage of {id:?} disagree"
    );
    write_row(tx, id, kind, parent, body, usage)
}

/// Queues the upsert (the batch is sent at commit, [`WriteTx`]).
fn write_row(
    tx: &mut WriteTx,
    id: &ResourceId,
    kind: ResourceKind,
    parent: Option<&ResourceId>,
    body: String,
    (usage_scope, usage_units): super::usage::Usage,
) -> Result<(), sqlx::Error> {
    let row = Row {
        id: id.as_str().to_string(),
        kind: kind.tag().to_string(),
        parent_id: parent.map(|p| p.as_str().to_string()),
        name: id.name().to_string(),
        body,
    };
    // Positional parameters only: they are numbered across the batch.
    tx.queue(
        "INSERT INTO resources (id, kind, parent_id, name, body, seq, usage_scope, usage_units)
         VALUES (?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM resources), ?, ?)
         ON CONFLICT(id) DO UPDATE SET body = excluded.body,
             usage_scope = excluded.usage_scope, usage_units = excluded.usage_units",
        Change::Put(row.clone(), (usage_scope.clone(), usage_units)),
        |a| {
            a.add(row.id)?;
            a.add(row.kind)?;
            a.add(row.parent_id)?;
            a.add(row.name)?;
            a.add(row.body)?;
            a.add(usage_scope)?;
            a.add(usage_units)
        },
    )
}

/// Deletes a resource (and children by cascade) inside a transaction.
pub async fn delete_in(tx: &mut WriteTx, id: &ResourceId) -> Result<(), sqlx::Error> {
    let id = id.as_str().to_string();
    tx.queue(
        "DELETE FROM resources WHERE id = ?",
        Change::Delete(id.clone()),
        |a| a.add(id),
    )
}

/// Reads one resource inside a transaction (so a read-modify-write sees its own writes).
pub async fn get_in(tx: &mut WriteTx, id: &ResourceId) -> Result<Option<Row>, sqlx::Error> {
    sqlx::query_as::<_, Row>(&format!("SELECT {COLS} FROM resources WHERE id = ?"))
        .bind(id.as_str())
        .fetch_optional(tx.conn().await?)
        .await
}

//! Reads of committed blobs: one blob with its parts in one snapshot, and listings by prefix in
//! pages. Only SQL here; the Blob service decides what to answer.
use super::blobs::{BlobPart, BlobRow, COLS};
use super::Store;

/// Most blobs one List Blobs page holds (Azure Storage's `maxresults` default and maximum).
pub const MAX_PAGE: usize = 5000;

/// The statement of [`Store::blob_with_parts`], made once (Get Blob is a hot path).
static BLOB_WITH_PARTS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let cols: Vec<String> = COLS.split(", ").map(|c| format!("b.{c}")).collect();
    format!(
        "SELECT {}, p.sha256 AS part_sha256, p.size AS part_size FROM blobs b \
         LEFT JOIN blob_parts p ON p.account = b.account AND p.container = b.container AND p.name = b.name \
         WHERE b.account = ? AND b.container = ? AND b.name = ? ORDER BY p.idx",
        cols.join(", ")
    )
});

/// A blob row joined with one of its parts (none for an empty blob).
struct WithPart {
    blob: BlobRow,
    part_sha256: Option<String>,
    part_size: Option<i64>,
}

impl<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> for WithPart {
    fn from_row(row: &'r sqlx::sqlite::SqliteRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row as _;
        Ok(WithPart {
            blob: BlobRow::from_row(row)?,
            part_sha256: row.try_get("part_sha256")?,
            part_size: row.try_get("part_size")?,
        })
    }
}

impl Store {
    /// A committed blob.
    pub async fn blob(
        &self,
        account: &str,
        container: &str,
        name: &str,
    ) -> Result<Option<BlobRow>, sqlx::Error> {
        sqlx::query_as::<_, BlobRow>(&format!(
            "SELECT {COLS} FROM blobs WHERE account = ? AND container = ? AND name = ?"
        ))
        .bind(account)
        .bind(container)
        .bind(name)
        .fetch_optional(&mut *self.reader().await?)
        .await
    }

    /// A committed blob and its parts, in order, read by one statement so that both come from
    /// the same committed version (two reads could pair a blob with another version's parts
    /// while it is overwritten: a 500, or one version's MD5 with another's bytes).
    pub async fn blob_with_parts(
        &self,
        account: &str,
        container: &str,
        name: &str,
    ) -> Result<Option<(BlobRow, Vec<BlobPart>)>, sqlx::Error> {
        let rows = sqlx::query_as::<_, WithPart>(&BLOB_WITH_PARTS)
            .bind(account)
            .bind(container)
            .bind(name)
            .fetch_all(&mut *self.reader().await?)
            .await?;
        // Every row repeats the blob; an empty blob is one row without a part.
        let mut blob = None;
        let mut parts = Vec::with_capacity(rows.len());
        for r in rows {
            if let (Some(sha256), Some(size)) = (r.part_sha256, r.part_size) {
                parts.push(BlobPart { sha256, size });
            }
            blob.get_or_insert(r.blob);
        }
        Ok(blob.map(|b| (b, parts)))
    }

    /// The parts of a committed blob, in order (empty for an empty block list or no blob).
    pub async fn blob_parts(
        &self,
        account: &str,
        container: &str,
        name: &str,
    ) -> Result<Vec<BlobPart>, sqlx::Error> {
        sqlx::query_as::<_, BlobPart>(
            "SELECT sha256, size FROM blob_parts WHERE account = ? AND container = ? AND name = ? ORDER BY idx",
        )
        .bind(account)
        .bind(container)
        .bind(name)
        .fetch_all(&mut *self.reader().await?)
        .await
    }

    /// One page of the committed blobs of a container whose names start with `prefix`, by name:
    /// at most `limit` (≤ [`MAX_PAGE`]) after `marker` (the last name of the previous page), and
    /// whether more follow. The prefix is compared in characters (`length`), as SQLite's `substr`
    /// counts them: a byte length cut non-ASCII names short and listed nothing.
    pub async fn list_blobs(
        &self,
        account: &str,
        container: &str,
        prefix: &str,
        marker: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<BlobRow>, bool), sqlx::Error> {
        let limit = limit.clamp(1, MAX_PAGE);
        let mut rows = sqlx::query_as::<_, BlobRow>(&format!(
            "SELECT {COLS} FROM blobs WHERE account = ? AND container = ? AND substr(name, 1, length(?)) = ? AND name > ? ORDER BY name LIMIT ?"
        ))
        .bind(account)
        .bind(container)
        .bind(prefix)
        .bind(prefix)
        .bind(marker.unwrap_or(""))
        .bind(i64::try_from(limit + 1).unwrap_or(i64::MAX))
        .fetch_all(&mut *self.reader().await?)
        .await?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        Ok((rows, more))
    }

    /// Every committed blob whose name starts with `prefix`, page after page.
    pub async fn all_blobs(
        &self,
        account: &str,
        container: &str,
        prefix: &str,
    ) -> Result<Vec<BlobRow>, sqlx::Error> {
        let mut out: Vec<BlobRow> = Vec::new();
        loop {
            let marker = out.last().map(|b| b.name.clone());
            let (page, more) = self
                .list_blobs(account, container, prefix, marker.as_deref(), MAX_PAGE)
                .await?;
            out.extend(page);
            if !more {
                return Ok(out);
            }
        }
    }

    /// A blob's uncommitted blocks: `(block id, sha256, size)`.
    pub async fn blocks(
        &self,
        account: &str,
        container: &str,
        name: &str,
    ) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
        let sql = "SELECT block_id, sha256, size FROM blocks \
                   WHERE account = ? AND container = ? AND name = ?";
        self.block_rows(sql, account, container, name).await
    }

    /// A committed blob's parts that were committed from blocks: `(block id, sha256, size)`, the
    /// blocks a later Put Block List may name as `Committed` or `Latest`.
    pub async fn committed_blocks(
        &self,
        account: &str,
        container: &str,
        name: &str,
    ) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
        let sql = "SELECT block_id, sha256, size FROM blob_parts \
                   WHERE account = ? AND container = ? AND name = ? AND block_id IS NOT NULL";
        self.block_rows(sql, account, container, name).await
    }

    async fn block_rows(
        &self,
        sql: &str,
        account: &str,
        container: &str,
        name: &str,
    ) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
        sqlx::query_as(sql)
            .bind(account)
            .bind(container)
            .bind(name)
            .fetch_all(&mut *self.reader().await?)
            .await
    }

    /// The id of one uncommitted block of a blob, if it has any (Put Block checks that a new
    /// block's id has the same length).
    pub async fn some_block_id(
        &self,
        account: &str,
        container: &str,
        name: &str,
    ) -> Result<Option<String>, sqlx::Error> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT block_id FROM blocks WHERE account = ? AND container = ? AND name = ? LIMIT 1",
        )
        .bind(account)
        .bind(container)
        .bind(name)
        .fetch_optional(&mut *self.reader().await?)
        .await?;
        Ok(row.map(|r| r.0))
    }
}

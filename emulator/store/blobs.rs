//! Blob Storage tables: content-addressed bytes (`contents`), committed blobs and uncommitted
//! blocks (SPEC §2.1). Names arrive already validated by `blob/`.
//!
//! Bytes and the row that refers to them are written in one transaction, so
//! [`Store::prune_contents`] (contents no blob or block refers to: replaced blobs, committed
//! blocks) can run beside uploads without ever deleting bytes a reference is about to name.
use sqlx::Sqlite;

use super::Store;

/// A committed blob's properties.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BlobRow {
    /// Account (path-style first segment).
    pub account: String,
    /// Container.
    pub container: String,
    /// Blob name (may contain `/`).
    pub name: String,
    /// SHA-256 of the content (hex).
    pub sha256: String,
    /// Size in bytes.
    pub size: i64,
    /// `Content-Type` given at upload.
    pub content_type: Option<String>,
    /// `Content-MD5` (base64).
    pub content_md5: Option<String>,
    /// `x-ms-meta-*` as a JSON object.
    pub metadata: String,
    /// ETag (quoted).
    pub etag: String,
    /// RFC 1123 time.
    pub last_modified: String,
}

const COLS: &str = "account, container, name, sha256, size, content_type, content_md5, metadata, etag, last_modified";

impl Store {
    /// The bytes stored under a SHA-256.
    pub async fn content(&self, sha256: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
        let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT data FROM contents WHERE sha256 = ?")
            .bind(sha256)
            .fetch_optional(self.reader())
            .await?;
        Ok(row.map(|r| r.0))
    }

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
        .fetch_optional(self.reader())
        .await
    }

    /// Stores `data` (the blob's bytes, under `b.sha256`), inserts or replaces the committed
    /// blob and drops its uncommitted blocks, in one transaction.
    pub async fn put_blob(&self, b: &BlobRow, data: &[u8]) -> Result<(), sqlx::Error> {
        let mut tx = self.begin().await?;
        insert_content(&mut tx, &b.sha256, data).await?;
        sqlx::query::<Sqlite>(&format!(
            "INSERT OR REPLACE INTO blobs ({COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(&b.account)
        .bind(&b.container)
        .bind(&b.name)
        .bind(&b.sha256)
        .bind(b.size)
        .bind(&b.content_type)
        .bind(&b.content_md5)
        .bind(&b.metadata)
        .bind(&b.etag)
        .bind(&b.last_modified)
        .execute(&mut **tx)
        .await?;
        sqlx::query::<Sqlite>(
            "DELETE FROM blocks WHERE account = ? AND container = ? AND name = ?",
        )
        .bind(&b.account)
        .bind(&b.container)
        .bind(&b.name)
        .execute(&mut **tx)
        .await?;
        tx.commit().await
    }

    /// Stores a block's bytes (under `sha256`) and records the uncommitted block, in one
    /// transaction.
    pub async fn put_block(
        &self,
        account: &str,
        container: &str,
        name: &str,
        block_id: &str,
        sha256: &str,
        data: &[u8],
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.begin().await?;
        insert_content(&mut tx, sha256, data).await?;
        sqlx::query::<Sqlite>("INSERT OR REPLACE INTO blocks VALUES (?, ?, ?, ?, ?, ?)")
            .bind(account)
            .bind(container)
            .bind(name)
            .bind(block_id)
            .bind(sha256)
            .bind(data.len() as i64)
            .execute(&mut **tx)
            .await?;
        tx.commit().await
    }

    /// The uncommitted blocks of a blob: `(block id, content hash, size)`.
    pub async fn blocks(
        &self,
        account: &str,
        container: &str,
        name: &str,
    ) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
        sqlx::query_as(
            "SELECT block_id, sha256, size FROM blocks WHERE account = ? AND container = ? AND name = ?",
        )
        .bind(account)
        .bind(container)
        .bind(name)
        .fetch_all(self.reader())
        .await
    }

    /// Deletes stored bytes that no committed blob and no uncommitted block refers to (a blob
    /// replaced by a new upload, blocks once committed); returns how many went.
    pub async fn prune_contents(&self) -> Result<u64, sqlx::Error> {
        let r = sqlx::query::<Sqlite>(
            // NOT IN over a UNION: SQLite builds the referenced set once (no index on the
            // sha256 columns is needed), instead of probing both tables per row.
            "DELETE FROM contents WHERE sha256 NOT IN (SELECT sha256 FROM blobs UNION SELECT sha256 FROM blocks)",
        )
        .execute(self.writer())
        .await?;
        Ok(r.rows_affected())
    }

    /// How many contents rows are stored (tests and diagnostics).
    pub async fn content_count(&self) -> Result<i64, sqlx::Error> {
        let row: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM contents")
            .fetch_one(self.reader())
            .await?;
        Ok(row.0)
    }

    /// The content hash of an uncommitted block.
    pub async fn block(
        &self,
        account: &str,
        container: &str,
        name: &str,
        block_id: &str,
    ) -> Result<Option<String>, sqlx::Error> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT sha256 FROM blocks WHERE account = ? AND container = ? AND name = ? AND block_id = ?",
        )
        .bind(account)
        .bind(container)
        .bind(name)
        .bind(block_id)
        .fetch_optional(self.reader())
        .await?;
        Ok(row.map(|r| r.0))
    }

    /// Committed blobs of a container whose names start with `prefix`, by name.
    pub async fn list_blobs(
        &self,
        account: &str,
        container: &str,
        prefix: &str,
    ) -> Result<Vec<BlobRow>, sqlx::Error> {
        sqlx::query_as::<_, BlobRow>(&format!(
            "SELECT {COLS} FROM blobs WHERE account = ? AND container = ? AND substr(name, 1, ?) = ? ORDER BY name LIMIT 5000"
        ))
        .bind(account)
        .bind(container)
        .bind(prefix.len() as i64)
        .bind(prefix)
        .fetch_all(self.reader())
        .await
    }

    /// Replaces a blob's metadata; false when the blob does not exist.
    pub async fn set_blob_metadata(
        &self,
        account: &str,
        container: &str,
        name: &str,
        metadata: &str,
        etag: &str,
        last_modified: &str,
    ) -> Result<bool, sqlx::Error> {
        let r = sqlx::query::<Sqlite>(
            "UPDATE blobs SET metadata = ?, etag = ?, last_modified = ? WHERE account = ? AND container = ? AND name = ?",
        )
        .bind(metadata)
        .bind(etag)
        .bind(last_modified)
        .bind(account)
        .bind(container)
        .bind(name)
        .execute(self.writer())
        .await?;
        Ok(r.rows_affected() > 0)
    }
}

/// Stores bytes under their SHA-256 inside a transaction (no-op when present).
async fn insert_content(
    tx: &mut super::WriteTx,
    sha256: &str,
    data: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query::<Sqlite>("INSERT OR IGNORE INTO contents (sha256, data) VALUES (?, ?)")
        .bind(sha256)
        .bind(data)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

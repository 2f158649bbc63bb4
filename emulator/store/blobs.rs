//! Blob Storage tables: content-addressed bytes (`contents`), committed blobs and uncommitted
//! blocks (SPEC §2.1). Names arrive already validated by `blob/`.
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
    /// Stores bytes under their SHA-256 (no-op when present).
    pub async fn put_content(&self, sha256: &str, data: &[u8]) -> Result<(), sqlx::Error> {
        sqlx::query::<Sqlite>("INSERT OR IGNORE INTO contents (sha256, data) VALUES (?, ?)")
            .bind(sha256)
            .bind(data)
            .execute(self.writer())
            .await?;
        Ok(())
    }

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

    /// Inserts or replaces a committed blob and drops its uncommitted blocks.
    pub async fn put_blob(&self, b: &BlobRow) -> Result<(), sqlx::Error> {
        let mut tx = self.begin().await?;
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

    /// Records an uncommitted block.
    pub async fn put_block(
        &self,
        account: &str,
        container: &str,
        name: &str,
        block_id: &str,
        sha256: &str,
        size: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query::<Sqlite>("INSERT OR REPLACE INTO blocks VALUES (?, ?, ?, ?, ?, ?)")
            .bind(account)
            .bind(container)
            .bind(name)
            .bind(block_id)
            .bind(sha256)
            .bind(size)
            .execute(self.writer())
            .await?;
        Ok(())
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

//! Blob Storage tables: content-addressed bytes (`contents`), committed blobs, the ordered parts
//! each blob is made of (`blob_parts`, each naming a content) and uncommitted blocks
//! (SPEC §2.1). Names arrive already validated by `blob/`.
//!
//! A Put Blob is one part; Put Block List records the committed blocks' contents as its parts,
//! so no blob is ever concatenated in memory, and readers fetch one part at a time (issue 9).
//! Bytes and the rows that refer to them are written in one transaction, so
//! [`Store::prune_contents`] (contents no blob part or block refers to: replaced blobs, blocks
//! never committed) can run beside uploads without ever deleting bytes a reference is about to
//! name.
use std::collections::HashSet;

use sqlx::{Arguments, Sqlite};

use super::read_cache::Change;
use super::Store;

/// A committed blob's properties.
#[derive(Debug, Clone)]
pub struct BlobRow {
    /// Account (path-style first segment).
    pub account: String,
    /// Container.
    pub container: String,
    /// Blob name (may contain `/`).
    pub name: String,
    /// Size in bytes (the sum of its parts).
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

from_row!(BlobRow {
    account,
    container,
    name,
    size,
    content_type,
    content_md5,
    metadata,
    etag,
    last_modified
});

/// One part of a committed blob: `size` bytes stored under `sha256`, in `blob_parts.idx` order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobPart {
    /// SHA-256 (hex) of the content holding the part's bytes.
    pub sha256: String,
    /// Size in bytes.
    pub size: i64,
}

from_row!(BlobPart { sha256, size });

pub(super) const COLS: &str =
    "account, container, name, size, content_type, content_md5, metadata, etag, last_modified";

/// Parts inserted per statement: 7 bound values each, well under SQLite's 32766 variables.
const PARTS_PER_INSERT: usize = 1000;

impl Store {
    /// The bytes stored under a SHA-256.
    pub async fn content(&self, sha256: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
        let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT data FROM contents WHERE sha256 = ?")
            .bind(sha256)
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        Ok(row.map(|r| r.0))
    }

    /// Stores `data` (a Put Blob's bytes, under `sha256`) and makes it the committed blob's only
    /// part, replacing any earlier blob and dropping its uncommitted blocks, in one transaction,
    /// when `pre` holds (checked inside the transaction: two conditional uploads cannot both
    /// succeed).
    pub async fn put_blob(
        &self,
        b: &BlobRow,
        sha256: &str,
        data: &[u8],
        pre: &Precondition,
    ) -> Result<Written, sqlx::Error> {
        let mut tx = self.begin().await?;
        if let Some(refused) = refused(&mut tx, b, pre).await? {
            return Ok(refused);
        }
        insert_content(&mut tx, sha256, data)?;
        let part = BlobPart {
            sha256: sha256.to_string(),
            size: b.size,
        };
        commit_blob(tx, b, (std::slice::from_ref(&part), &[]), pre).await
    }

    /// Commits a block list: the blob row and `parts` (the listed blocks' contents, in order)
    /// replace any earlier blob, and the blob's uncommitted blocks are dropped, in one
    /// transaction. No byte is read or copied. Returns false, writing nothing, when a part no
    /// longer names one of the blob's uncommitted blocks (another commit took them since the
    /// caller read them), so the caller answers `InvalidBlockList` rather than refer to bytes
    /// that may be pruned.
    pub async fn commit_block_list(
        &self,
        b: &BlobRow,
        (parts, ids): (&[BlobPart], &[String]),
        pre: &Precondition,
    ) -> Result<Written, sqlx::Error> {
        let mut tx = self.begin().await?;
        if let Some(refused) = refused(&mut tx, b, pre).await? {
            return Ok(refused);
        }
        // What the parts may name: the blob's uncommitted blocks and its committed parts.
        let current: Vec<(String,)> = sqlx::query_as(
            "SELECT sha256 FROM blocks WHERE account = ? AND container = ? AND name = ? \
             UNION SELECT sha256 FROM blob_parts WHERE account = ? AND container = ? AND name = ?",
        )
        .bind(&b.account)
        .bind(&b.container)
        .bind(&b.name)
        .bind(&b.account)
        .bind(&b.container)
        .bind(&b.name)
        .fetch_all(tx.conn().await?)
        .await?;
        let current: HashSet<String> = current.into_iter().map(|r| r.0).collect();
        if !parts.iter().all(|p| current.contains(&p.sha256)) {
            return Ok(Written::StaleBlocks);
        }
        commit_blob(tx, b, (parts, ids), pre).await
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
        insert_content(&mut tx, sha256, data)?;
        let row = [account, container, name, block_id, sha256].map(str::to_string);
        tx.queue(
            "INSERT OR REPLACE INTO blocks VALUES (?, ?, ?, ?, ?, ?)",
            Change::None,
            |a| {
                for v in row {
                    a.add(v)?;
                }
                a.add(data.len() as i64)
            },
        )?;
        tx.commit().await
    }

    /// Deletes stored bytes that no committed blob's part and no uncommitted block refers to (a
    /// blob replaced by a new upload, blocks dropped without being committed); returns how many
    /// went.
    pub async fn prune_contents(&self) -> Result<u64, sqlx::Error> {
        let r = sqlx::query::<Sqlite>(
            // NOT IN over a UNION: SQLite builds the referenced set once (no index on the
            // sha256 columns is needed), instead of probing both tables per row.
            "DELETE FROM contents WHERE sha256 NOT IN (SELECT sha256 FROM blob_parts UNION SELECT sha256 FROM blocks)",
        )
        .execute(&mut *self.writer().await?)
        .await?;
        Ok(r.rows_affected())
    }

    /// How many contents rows are stored (tests and diagnostics).
    pub async fn content_count(&self) -> Result<i64, sqlx::Error> {
        let row: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM contents")
            .fetch_one(&mut *self.reader().await?)
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
        .fetch_optional(&mut *self.reader().await?)
        .await?;
        Ok(row.map(|r| r.0))
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
        .execute(&mut *self.writer().await?)
        .await?;
        Ok(r.rows_affected() > 0)
    }
}

/// Queues storing bytes under their SHA-256 (no-op when present).
fn insert_content(tx: &mut super::WriteTx, sha256: &str, data: &[u8]) -> Result<(), sqlx::Error> {
    let (sha256, data) = (sha256.to_string(), data.to_vec());
    tx.queue(
        "INSERT OR IGNORE INTO contents (sha256, data) VALUES (?, ?)",
        Change::None,
        |a| {
            a.add(sha256)?;
            a.add(data)
        },
    )
}

/// What a blob write must find (`If-None-Match: *`, `If-Match`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// No condition.
    None,
    /// `If-None-Match: *`: the blob must not exist.
    Absent,
    /// `If-Match`: the blob must exist with this ETag (`*`: with any).
    Etag(String),
}

/// The outcome of a conditional blob write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Yes,
    /// [`Precondition::Absent`] and the blob exists (Storage: 409 `BlobAlreadyExists`).
    Exists,
    /// [`Precondition::Etag`] and the blob is missing or has another ETag (412).
    NotMatched,
    /// A block list part is no longer one of the blob's uncommitted blocks.
    StaleBlocks,
}

/// An `If-Match` the blob does not meet, read inside the write transaction.
async fn refused(
    tx: &mut super::WriteTx,
    b: &BlobRow,
    pre: &Precondition,
) -> Result<Option<Written>, sqlx::Error> {
    let Precondition::Etag(wanted) = pre else {
        return Ok(None);
    };
    let current: Option<(String,)> =
        sqlx::query_as("SELECT etag FROM blobs WHERE account = ? AND container = ? AND name = ?")
            .bind(&b.account)
            .bind(&b.container)
            .bind(&b.name)
            .fetch_optional(tx.conn().await?)
            .await?;
    let unquoted = |s: &str| s.trim().trim_matches('"').to_string();
    let met = current.is_some_and(|(etag,)| wanted == "*" || unquoted(&etag) == unquoted(wanted));
    Ok((!met).then_some(Written::NotMatched))
}

/// Queues the blob's row and parts and commits; with [`Precondition::Absent`] the row is a plain
/// `INSERT`, so an existing blob fails the commit instead of being replaced.
async fn commit_blob(
    mut tx: super::WriteTx,
    b: &BlobRow,
    parts: (&[BlobPart], &[String]),
    pre: &Precondition,
) -> Result<Written, sqlx::Error> {
    let absent = *pre == Precondition::Absent;
    let verb = if absent {
        "INSERT"
    } else {
        "INSERT OR REPLACE"
    };
    write_blob(&mut tx, verb, b, parts)?;
    match tx.commit().await {
        Ok(()) => Ok(Written::Yes),
        Err(sqlx::Error::Database(e)) if absent && e.is_unique_violation() => Ok(Written::Exists),
        Err(e) => Err(e),
    }
}

/// Queues writing the blob row (`verb`: `INSERT OR REPLACE`, or `INSERT`, which fails on an
/// existing blob), replacing its part list with `parts` (each committed as the block id of the
/// same index in `ids`; none for a Put Blob) and dropping its uncommitted blocks.
fn write_blob(
    tx: &mut super::WriteTx,
    verb: &str,
    b: &BlobRow,
    (parts, ids): (&[BlobPart], &[String]),
) -> Result<(), sqlx::Error> {
    let key = [&b.account, &b.container, &b.name].map(|s| s.to_string());
    let row = b.clone();
    tx.queue(
        &format!("{verb} INTO blobs ({COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        Change::None,
        |a| {
            a.add(row.account)?;
            a.add(row.container)?;
            a.add(row.name)?;
            a.add(row.size)?;
            a.add(row.content_type)?;
            a.add(row.content_md5)?;
            a.add(row.metadata)?;
            a.add(row.etag)?;
            a.add(row.last_modified)
        },
    )?;
    for table in ["blob_parts", "blocks"] {
        let key = key.clone();
        tx.queue(
            &format!("DELETE FROM {table} WHERE account = ? AND container = ? AND name = ?"),
            Change::None,
            |a| {
                for v in key {
                    a.add(v)?;
                }
                Ok(())
            },
        )?;
    }
    for (n, chunk) in parts.chunks(PARTS_PER_INSERT).enumerate() {
        let first = n * PARTS_PER_INSERT;
        let values = vec!["(?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ");
        let key = key.clone();
        let ids: Vec<Option<String>> = (first..first + chunk.len())
            .map(|i| ids.get(i).cloned())
            .collect();
        tx.queue(
            &format!(
                "INSERT INTO blob_parts (account, container, name, idx, sha256, size, block_id) VALUES {values}"
            ),
            Change::None,
            |a| {
                for (i, p) in chunk.iter().enumerate() {
                    for v in key.iter() {
                        a.add(v.clone())?;
                    }
                    a.add((first + i) as i64)?;
                    a.add(p.sha256.clone())?;
                    a.add(p.size)?;
                    a.add(ids[i].clone())?;
                }
                Ok(())
            },
        )?;
    }
    Ok(())
}

/// Queues deleting every blob, part and uncommitted block of storage account `account`, whose
/// account resource goes in the same transaction: Azure deletes an account's data with it (a
/// resource group DELETE left the blobs readable, and a new account of the same name found
/// them). Contents no part refers to any more go with the next [`Store::prune_contents`].
pub fn delete_account_in(tx: &mut super::WriteTx, account: &str) -> Result<(), sqlx::Error> {
    for table in ["blob_parts", "blocks", "blobs"] {
        let account = account.to_string();
        tx.queue(
            &format!("DELETE FROM {table} WHERE account = ?"),
            Change::None,
            |a| a.add(account),
        )?;
    }
    Ok(())
}

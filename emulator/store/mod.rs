//! The ONLY module that speaks SQL (sqlx + SQLite). It decides nothing: it reads and writes
//! domain documents, operations and blobs.
//!
//! Writes go through the single writer connection ([`connections`]) so they serialise inside the
//! process and never meet `database is locked`; a write transaction is sent as one batch
//! ([`WriteTx`]). Reads use up to four read-only connections (WAL lets them run beside the
//! writer), but most never reach them:
//! the id index and the row and operation caches ([`read_cache`]) answer them from memory and
//! every commit updates them. `--in-memory` uses the same shape on a scratch file deleted at
//! close.
#[macro_use]
mod rows;
pub mod admin;
pub mod blob_reads;
pub mod blobs;
mod connections;
pub mod external_services;
mod index;
mod migrations;
pub mod operations;
mod pages;
pub mod read_cache;
pub mod read_models;
pub mod resources;
pub mod usage;
mod write;

use connections::{ReaderConn, Readers, Writer, WriterConn};

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod index_tests;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod connections_tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};

pub use operations::OperationRow;
pub use resources::Row;
pub use write::WriteTx;

/// Handle to the database.
#[derive(Clone, Debug)]
pub struct Store {
    reader: Arc<Readers>,
    writer: Arc<Writer>,
    /// The scratch file behind an `--in-memory` store, removed by [`Store::close`].
    scratch: Option<PathBuf>,
    /// The id index and the read caches (`read_cache`), updated by every commit.
    cache: Arc<read_cache::ReadCache>,
}

/// Whether a database error means the data folder's file system is full (`SQLITE_FULL`, 13)
/// or failing (`SQLITE_IOERR`, 10, and its extended codes; busy or locked by another process): the caller answers 507/503 and the
/// store recovers by itself once space is back.
pub fn storage_failure(e: &sqlx::Error) -> Option<StorageFailure> {
    match e {
        sqlx::Error::Database(db) => {
            let code: i64 = db.code()?.parse().ok()?;
            match code & 0xff {
                13 => Some(StorageFailure::Full),
                // IOERR, CANTOPEN; BUSY/LOCKED: another process holds the database.
                5 | 6 | 10 | 14 => Some(StorageFailure::Io),
                _ => None,
            }
        }
        sqlx::Error::Io(io) => Some(StorageFailure::from_io(io)),
        _ => None,
    }
}

/// Why the data folder could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageFailure {
    /// No space left (`ENOSPC`, `EDQUOT`, `SQLITE_FULL`).
    Full,
    /// Any other I/O failure.
    Io,
}

impl StorageFailure {
    /// Classifies a file-system error of the data folder.
    pub fn from_io(e: &std::io::Error) -> Self {
        match e.raw_os_error() {
            Some(libc::ENOSPC) | Some(libc::EDQUOT) => StorageFailure::Full,
            _ if e.kind() == std::io::ErrorKind::StorageFull => StorageFailure::Full,
            _ => StorageFailure::Io,
        }
    }
}

/// Failure opening or migrating the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused.
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl Store {
    /// Opens (creating if needed) `path` in WAL mode with foreign keys on and runs
    /// `migrations/`. `None` is the `--in-memory` store: see [`Store::open_ephemeral`] in the
    /// system temporary folder.
    pub async fn open(path: Option<&Path>) -> Result<Self, StoreError> {
        match path {
            // WAL + NORMAL: a commit survives a crash or SIGKILL of amlite (the WAL is written
            // before the commit returns); only an OS crash or power loss could drop the last
            // commits. FULL costs an fsync per commit, measured as ~25 % of every write
            // (bench/ANALYSIS.md), and an emulator's data does not outlive its machine.
            Some(p) => Self::open_file(p, SqliteSynchronous::Normal, None).await,
            None => Self::open_ephemeral(&std::env::temp_dir()).await,
        }
    }

    /// The `--in-memory` store: a private database file under `dir` that [`Store::close`]
    /// deletes, so nothing is kept across runs.
    ///
    /// Why not SQLite's `:memory:`: a memory database lives on one connection, so a handler
    /// that reads while it holds the write transaction (or 64 concurrent requests) would wait
    /// for itself. A scratch file gives `--in-memory` exactly the concurrency of the on-disk
    /// store (one writer beside several WAL readers); `synchronous = OFF` keeps it fast since
    /// durability is not wanted.
    pub async fn open_ephemeral(dir: &Path) -> Result<Self, StoreError> {
        let path = dir.join(format!(
            ".amlite-memory-{}.db",
            uuid::Uuid::new_v4().simple()
        ));
        Self::open_file(&path, SqliteSynchronous::Off, Some(path.clone())).await
    }

    async fn open_file(
        p: &Path,
        sync: SqliteSynchronous,
        scratch: Option<PathBuf>,
    ) -> Result<Self, StoreError> {
        let opts = SqliteConnectOptions::new()
            .filename(p)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(sync)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = Arc::new(Writer::open(opts.clone()).await?);
        {
            // Migrations first: read-only connections cannot create the WAL index of a new file.
            let mut conn = writer.acquire().await?;
            migrations::migrator().await?.run(&mut *conn).await?;
            usage::backfill(&mut conn).await?;
        }
        let reader = Arc::new(Readers::open(opts.read_only(true)).await?);
        // The id index is built once the server serves (`Store::build_index_in_background`).
        Ok(Store {
            reader,
            writer,
            scratch,
            cache: Arc::default(),
        })
    }

    /// Closes every connection (checkpointing the WAL); an `--in-memory` store's files are deleted.
    pub async fn close(&self) {
        // Readers first: the last connection to close checkpoints the WAL and removes it, and
        // read-only connections cannot do that.
        self.reader.close().await;
        self.writer.close().await;
        if let Some(p) = &self.scratch {
            for suffix in ["", "-wal", "-shm"] {
                let mut f = p.clone().into_os_string();
                f.push(suffix);
                let _ = std::fs::remove_file(f);
            }
        }
    }

    /// Starts a write transaction on the writer connection (see [`WriteTx`]: its statements are
    /// sent to SQLite together, with `BEGIN IMMEDIATE` and `COMMIT`).
    pub async fn begin(&self) -> Result<WriteTx, sqlx::Error> {
        Ok(WriteTx::new(
            self.writer.acquire().await?,
            self.cache.clone(),
        ))
    }

    /// A counter every committed write to `resources` advances: caches built from stored state
    /// (the scoring routes, the read cache) tag entries with it and serve them only while it is
    /// unchanged, so no handler has to remember to invalidate them.
    pub fn write_generation(&self) -> u64 {
        self.cache.generation()
    }

    pub(crate) fn cache(&self) -> &read_cache::ReadCache {
        &self.cache
    }

    /// A read-only connection, for reads the caches do not answer.
    pub(crate) async fn reader(&self) -> Result<ReaderConn<'_>, sqlx::Error> {
        self.reader.acquire().await
    }

    /// The writer connection, outside a transaction (one autocommit statement).
    pub(crate) async fn writer(&self) -> Result<WriterConn, sqlx::Error> {
        self.writer.acquire().await
    }
}

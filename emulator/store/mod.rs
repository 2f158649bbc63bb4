//! The ONLY module that speaks SQL (sqlx + SQLite). It decides nothing: it reads and writes
//! domain documents, operations and blobs.
//!
//! Writes go through a single-connection writer pool so they serialise inside the process and
//! never meet `database is locked`; reads use a separate pool (WAL lets them run beside the
//! writer). `--in-memory` uses the same shape on a scratch file deleted at close.
pub mod admin;
pub mod blobs;
pub mod casing;
pub mod external_services;
pub mod operations;
pub mod read_models;
pub mod resources;
pub mod usage;

use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Sqlite;

pub use operations::OperationRow;
pub use resources::Row;

/// Handle to the database.
#[derive(Clone, Debug)]
pub struct Store {
    reader: SqlitePool,
    writer: SqlitePool,
    /// The scratch file behind an `--in-memory` store, removed by [`Store::close`].
    scratch: Option<PathBuf>,
    /// Which resource ids exist, in their stored casing; invalidated by every write.
    casing: Arc<casing::CasingCache>,
}

/// A write transaction on the writer connection. `&mut tx` is a connection (it derefs to the
/// pooled [`sqlx::SqliteConnection`]); [`WriteTx::commit`] also invalidates the in-memory
/// caches of the store once the commit is visible.
///
/// Why not `sqlx::Transaction`: when SQLite fails a statement or a `COMMIT` with
/// `SQLITE_FULL`/`SQLITE_IOERR` it may roll the transaction back by itself (or keep it open),
/// sqlx's own depth counter then disagrees with SQLite, and the next "transaction" becomes a
/// savepoint inside one that never commits: every later write answered 2xx and was lost
/// (issue 9, "disk full poisons the writer"). So the transaction is ours: an explicit
/// `BEGIN IMMEDIATE` / `COMMIT`, and on any failure or drop without commit a `ROLLBACK` before
/// the connection is handed to anyone else; a connection that cannot be brought back to
/// autocommit is closed, and the pool opens a fresh one.
pub struct WriteTx {
    /// `Some` until [`WriteTx::commit`] or drop takes it.
    conn: Option<PoolConnection<Sqlite>>,
    casing: Arc<casing::CasingCache>,
}

impl WriteTx {
    /// Commits, then invalidates the store's caches (also when the commit failed: its outcome
    /// is then unknown). An `Ok` means the write is in the database.
    ///
    /// The connection stays inside `self` while `COMMIT` runs, so a failed commit, or a request
    /// cancelled mid-commit, reaches `Drop`, which rolls back before anyone else gets it.
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        let r = sqlx::query::<Sqlite>("COMMIT").execute(&mut **self).await;
        self.casing.bump();
        match r {
            Ok(_) => {
                // Back to the pool as is: it is in autocommit.
                drop(self.conn.take());
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, "commit failed; rolling back");
                Err(e)
            }
        }
    }

    fn conn(&self) -> &PoolConnection<Sqlite> {
        // Invariant: only `commit` (which consumes self) and `drop` take the connection.
        self.conn
            .as_ref()
            .expect("a WriteTx holds its connection until commit")
    }
}

impl Drop for WriteTx {
    /// Dropped without commit (an error path, or a handler that decided not to write): the
    /// rollback runs on a task that owns the connection, so the single-writer pool cannot hand
    /// it to the next request before it is back in autocommit.
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(reset_writer(conn));
            }
            // No runtime (process exit): closing the connection rolls back.
            Err(_) => conn.close_on_drop(),
        }
    }
}

impl Deref for WriteTx {
    type Target = PoolConnection<Sqlite>;
    fn deref(&self) -> &Self::Target {
        self.conn()
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.conn
            .as_mut()
            .expect("a WriteTx holds its connection until commit")
    }
}

/// Brings the writer connection back to autocommit after a failed or abandoned transaction.
/// SQLite may already have rolled back by itself (`ROLLBACK` then says "no transaction is
/// active", which is the state we want); any other failure closes the connection so a fresh
/// one replaces it.
async fn reset_writer(mut conn: PoolConnection<Sqlite>) {
    match sqlx::query::<Sqlite>("ROLLBACK").execute(&mut *conn).await {
        Ok(_) => {}
        Err(e) if e.to_string().contains("no transaction is active") => {}
        Err(e) => {
            tracing::warn!(error = %e, "rollback failed; replacing the writer connection");
            conn.close_on_drop();
        }
    }
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
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(opts.clone())
            .await?;
        // Migrations first: read-only connections cannot create the WAL index of a new file.
        sqlx::migrate!("./migrations").run(&writer).await?;
        usage::backfill(&mut *writer.acquire().await?).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(opts.read_only(true))
            .await?;
        Ok(Store {
            reader,
            writer,
            scratch,
            casing: Arc::default(),
        })
    }

    /// Closes both pools (checkpointing the WAL); an `--in-memory` store's files are deleted.
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

    /// Starts a write transaction on the writer connection.
    ///
    /// `BEGIN IMMEDIATE` takes the write lock now rather than at the first write, and fails
    /// (instead of nesting) if the connection were somehow still inside a transaction; that
    /// connection is then reset and the begin retried once. The connection is owned by the
    /// `WriteTx` before `BEGIN` is sent, so a cancelled request still rolls back.
    pub async fn begin(&self) -> Result<WriteTx, sqlx::Error> {
        let mut tx = self.write_tx().await?;
        if let Err(e) = sqlx::query::<Sqlite>("BEGIN IMMEDIATE")
            .execute(&mut **tx)
            .await
        {
            tracing::warn!(error = %e, "BEGIN failed; resetting the writer connection");
            // Dropping resets it; the pool hands it out again only once that is done.
            drop(tx);
            tx = self.write_tx().await?;
            sqlx::query::<Sqlite>("BEGIN IMMEDIATE")
                .execute(&mut **tx)
                .await?;
        }
        Ok(tx)
    }

    async fn write_tx(&self) -> Result<WriteTx, sqlx::Error> {
        Ok(WriteTx {
            conn: Some(self.writer.acquire().await?),
            casing: self.casing.clone(),
        })
    }

    /// A counter every committed write to `resources` advances: caches built from stored state
    /// (the scoring routes, the read cache) tag entries with it and serve them only while it is
    /// unchanged, so no handler has to remember to invalidate them.
    pub fn write_generation(&self) -> u64 {
        self.casing.generation()
    }

    pub(crate) fn casing(&self) -> &casing::CasingCache {
        &self.casing
    }

    pub(crate) fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    pub(crate) fn writer(&self) -> &SqlitePool {
        &self.writer
    }
}

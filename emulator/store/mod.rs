//! The ONLY module that speaks SQL (sqlx + SQLite). It decides nothing: it reads and writes
//! domain documents, operations and blobs.
//!
//! Writes go through a single-connection writer pool so they serialise inside the process and
//! never meet `database is locked`; reads use a separate pool (WAL lets them run beside the
//! writer). With `--in-memory` both are the same single connection.
pub mod blobs;
pub mod operations;
pub mod resources;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

pub use operations::OperationRow;
pub use resources::Row;

/// Handle to the database.
#[derive(Clone, Debug)]
pub struct Store {
    reader: SqlitePool,
    writer: SqlitePool,
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
    /// Opens (creating if needed) `path` in WAL mode with foreign keys on, or an in-memory
    /// database when `path` is `None`, and runs `migrations/`.
    pub async fn open(path: Option<&Path>) -> Result<Self, StoreError> {
        let store = match path {
            Some(p) => {
                let opts = SqliteConnectOptions::new()
                    .filename(p)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10));
                let writer = SqlitePoolOptions::new().max_connections(1).connect_with(opts.clone()).await?;
                let reader = SqlitePoolOptions::new().max_connections(4).connect_with(opts.read_only(true)).await?;
                Store { reader, writer }
            }
            None => {
                let opts = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .connect_with(opts)
                    .await?;
                Store { reader: pool.clone(), writer: pool }
            }
        };
        sqlx::migrate!("./migrations").run(&store.writer).await?;
        Ok(store)
    }

    /// Closes both pools (checkpointing the WAL).
    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }

    /// Starts a write transaction on the writer connection.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.writer.begin().await
    }

    pub(crate) fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    pub(crate) fn writer(&self) -> &SqlitePool {
        &self.writer
    }
}

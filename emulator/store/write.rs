//! A write transaction on the single writer connection, sent to SQLite as one batch.
//!
//! Why a batch: sqlx runs an SQLite connection on its own thread, so every statement is a
//! round trip from the request's task to that thread (≈ 50 µs on 2 cores, bench/ANALYSIS.md).
//! A write is queued, and `BEGIN IMMEDIATE`, the writes and `COMMIT` go together in one
//! multi-statement query: one hand-off per request instead of four or more (issue 14). A read
//! inside the transaction ([`WriteTx::conn`]) first sends what is queued, so it sees its own
//! writes.
//!
//! Serialisation is unchanged: there is one writer connection and a `WriteTx` holds it from
//! [`super::Store::begin`] to commit or drop, so no other write can run between a handler's
//! reads and its commit; only the `BEGIN` statement is deferred, which nobody can observe.
//!
//! Why not `sqlx::Transaction`: when SQLite fails a statement or a `COMMIT` with
//! `SQLITE_FULL`/`SQLITE_IOERR` it may roll the transaction back by itself (or keep it open),
//! sqlx's own depth counter then disagrees with SQLite, and the next "transaction" becomes a
//! savepoint inside one that never commits: every later write answered 2xx and was lost
//! (issue 9, "disk full poisons the writer"). So the transaction is ours: on any failure, or a
//! drop after something was sent, a `ROLLBACK` runs before the connection is handed to anyone
//! else; a connection that cannot be brought back to autocommit is discarded, and the next writer opens a
//! fresh one.
//!
//! Every commit tells the read cache ([`super::read_cache`]) what it wrote, so rows a request did not
//! touch stay cached across writes.
use std::sync::Arc;

use sqlx::error::BoxDynError;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Sqlite, SqliteConnection};

use super::connections::WriterConn;
use super::read_cache::{Change, ReadCache};

/// See the module documentation.
pub struct WriteTx {
    /// `Some` until [`WriteTx::commit`] or drop takes it.
    conn: Option<WriterConn>,
    cache: Arc<ReadCache>,
    /// Queued statements (`;`-separated, positional `?` parameters only: sqlx numbers them
    /// across the statements of one query) and their arguments, in order.
    sql: String,
    args: SqliteArguments<'static>,
    /// Whether `BEGIN IMMEDIATE` was sent (the connection may be inside a transaction).
    began: bool,
    /// A statement's arguments could not be encoded: the transaction must not commit.
    poisoned: bool,
    /// What the queued and sent statements change, for the read cache.
    changes: Vec<Change>,
}

impl WriteTx {
    pub(super) fn new(conn: WriterConn, cache: Arc<ReadCache>) -> Self {
        WriteTx {
            conn: Some(conn),
            cache,
            sql: String::new(),
            args: SqliteArguments::default(),
            began: false,
            poisoned: false,
            changes: Vec::new(),
        }
    }

    /// Queues one statement; `bind` adds its arguments in the order of its `?`s. `change` is
    /// what it does to the rows the read cache keeps.
    pub(super) fn queue(
        &mut self,
        sql: &str,
        change: Change,
        bind: impl FnOnce(&mut SqliteArguments<'static>) -> Result<(), BoxDynError>,
    ) -> Result<(), sqlx::Error> {
        if let Err(e) = bind(&mut self.args) {
            // Some of its arguments may be in `args` already: nothing queued may be sent.
            self.poisoned = true;
            return Err(sqlx::Error::Encode(e));
        }
        self.sql.push_str(sql);
        self.sql.push_str(";\n");
        self.changes.push(change);
        Ok(())
    }

    /// Records a change made through [`WriteTx::conn`] (e.g. a whole-table delete).
    pub(super) fn note(&mut self, change: Change) {
        self.changes.push(change);
    }

    /// The connection, inside the transaction, with everything queued sent: for reads that must
    /// see this transaction's writes, and for statements on tables the read cache does not keep
    /// (anything else must be [`WriteTx::note`]d).
    pub async fn conn(&mut self) -> Result<&mut SqliteConnection, sqlx::Error> {
        self.send(false).await?;
        Ok(self.connection())
    }

    /// Commits, then tells the read cache what changed (or, when the commit failed and its
    /// outcome is unknown, to forget everything). An `Ok` means the write is in the database.
    ///
    /// The connection stays inside `self` while the batch runs, so a failed commit, or a request
    /// cancelled mid-commit, reaches `Drop`, which rolls back before anyone else gets it.
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        if !self.began && self.sql.is_empty() && !self.poisoned {
            // Nothing was written: the connection never left autocommit.
            drop(self.conn.take());
            return Ok(());
        }
        let r = self.send(true).await;
        match r {
            Ok(()) => {
                self.cache.advance(&std::mem::take(&mut self.changes));
                // Back to the next writer as is: it is in autocommit.
                drop(self.conn.take());
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, "commit failed; rolling back");
                Err(e)
            }
        }
    }

    /// Sends the queued statements (after `BEGIN IMMEDIATE` if not yet sent, before `COMMIT` if
    /// `commit`) as one query.
    async fn send(&mut self, commit: bool) -> Result<(), sqlx::Error> {
        if self.poisoned {
            return Err(sqlx::Error::Protocol(
                "a statement of this transaction could not be encoded".into(),
            ));
        }
        let mut sql = String::with_capacity(self.sql.len() + 40);
        if !self.began {
            sql.push_str("BEGIN IMMEDIATE;\n");
        }
        sql.push_str(&self.sql);
        if commit {
            sql.push_str("COMMIT;");
        }
        self.sql.clear();
        let args = std::mem::take(&mut self.args);
        // Before the query runs: from here on a failure or a cancellation must roll back.
        self.began = true;
        sqlx::query_with::<Sqlite, _>(&sql, args)
            .execute(self.connection())
            .await?;
        Ok(())
    }

    fn connection(&mut self) -> &mut SqliteConnection {
        // Invariant: only `commit` (which consumes self) and `drop` take the connection.
        self.conn
            .as_mut()
            .expect("a WriteTx holds its connection until commit")
    }
}

impl Drop for WriteTx {
    /// Dropped without commit (an error path, a cancelled request, or a handler that decided
    /// not to write): if anything was sent, the rollback runs on a task that owns the
    /// connection, so the writer cannot be lent to the next request before it is
    /// back in autocommit, and the read cache forgets everything (a cancelled commit may have
    /// landed).
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        if !self.began {
            return;
        }
        tracing::debug!("write transaction dropped after it began: the read cache forgets");
        self.cache.advance(&[Change::Any]);
        reset_in_background(conn, self.cache.clone(), "ROLLBACK");
    }
}

/// Runs [`reset_writer`] on a task of its own, which owns the writer until it is done; without a
/// runtime (process exit) the connection is closed instead, which rolls back.
fn reset_in_background(conn: WriterConn, cache: Arc<ReadCache>, statement: &'static str) {
    match tokio::runtime::Handle::try_current() {
        Ok(rt) => {
            rt.spawn(reset_writer(conn, cache, statement));
        }
        Err(_) => {
            conn.discard();
            cache.advance(&[Change::Any]);
        }
    }
}

/// Brings the writer connection back to autocommit after a failed or abandoned transaction
/// (`statement` is `ROLLBACK`), or waits on it for an abandoned autocommit statement (`SELECT 1`:
/// the connection's thread runs commands in order). SQLite may already have rolled back by itself
/// (`ROLLBACK` then says "no transaction is active", which is the state we want); any other
/// failure closes the connection so a fresh one replaces it.
///
/// The read cache forgets once the statement has run: what was abandoned may still have been
/// committing on SQLite's thread when its request went, and a read in between could have cached
/// the state from before it.
async fn reset_writer(mut conn: WriterConn, cache: Arc<ReadCache>, statement: &'static str) {
    match sqlx::query::<Sqlite>(statement).execute(&mut *conn).await {
        Ok(_) => {}
        Err(e) if e.to_string().contains("no transaction is active") => {}
        Err(e) => {
            tracing::warn!(error = %e, "{statement} failed; replacing the writer connection");
            conn.discard();
        }
    }
    cache.advance(&[Change::Any]);
}

/// A writer connection with an autocommit statement in flight on it. Dropped before
/// [`Sent::done`] (the request was cancelled while SQLite ran the statement), it keeps the
/// writer until the statement has finished ([`reset_writer`] with `SELECT 1`), then the read
/// cache forgets: the statement's change is not known, and the cache must not keep what it
/// changed (a row a cancelled DELETE removed).
pub(super) struct Sent {
    conn: Option<WriterConn>,
    cache: Arc<ReadCache>,
}

impl Sent {
    pub(super) fn new(conn: WriterConn, cache: Arc<ReadCache>) -> Self {
        Sent {
            conn: Some(conn),
            cache,
        }
    }

    /// The connection, to run the statement on.
    pub(super) fn conn(&mut self) -> &mut SqliteConnection {
        // Invariant: only `done` and `drop` take it.
        self.conn
            .as_mut()
            .expect("a Sent holds its connection until done")
    }

    /// The statement returned: the caller tells the cache what it did, then the writer is free.
    pub(super) fn done(mut self) -> WriterConn {
        self.conn
            .take()
            .expect("a Sent holds its connection until done")
    }
}

impl Drop for Sent {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            reset_in_background(conn, self.cache.clone(), "SELECT 1");
        }
    }
}

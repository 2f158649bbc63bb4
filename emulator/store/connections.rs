//! The store's SQLite connections: the one writer behind an async mutex, and up to
//! [`READERS`] read-only connections handed out in turn. Owns opening, lending and closing them;
//! knows nothing of tables (that is the rest of `store/`).
//!
//! Why not sqlx's `SqlitePool`: the pool pings a connection when it is acquired
//! (`test_before_acquire`) and again, on a spawned task, when it is released, and with SQLite each
//! ping is a round trip to the connection's own thread. A write (one batch, [`super::WriteTx`])
//! cost three round trips and nine thread switches per request instead of one round trip
//! (bench/ANALYSIS.md, issue 14). A SQLite connection cannot be dropped by a peer the way a
//! network connection can, so the pings found nothing; what they also did, wait for a cancelled
//! statement before the next borrower, the connection's thread does anyway (it runs commands in
//! order), and an abandoned transaction is rolled back by `WriteTx` before the writer is lent
//! again.
//!
//! The pool's other duties are kept: a borrower waits at most [`ACQUIRE_TIMEOUT`]
//! (`PoolTimedOut`), a writer connection that could not be brought back to autocommit is
//! discarded and the next borrower opens a fresh one, and [`Writer::close`] / [`Readers::close`]
//! wait for borrowed connections and close them (the last close checkpoints the WAL).
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex as StdMutex, PoisonError};
use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};
use tokio::sync::{Mutex, OwnedMutexGuard, Semaphore, SemaphorePermit};

/// How long a borrower waits for a connection (what the pools' `acquire_timeout` was).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(60);

/// Read-only connections at most (WAL lets them read beside the writer).
pub const READERS: usize = 4;

/// The single writer connection: writes serialise inside the process and never meet
/// `database is locked`.
#[derive(Debug)]
pub struct Writer {
    slot: Arc<Mutex<Option<SqliteConnection>>>,
    opts: SqliteConnectOptions,
    closed: AtomicBool,
}

/// The writer, lent: only one exists at a time.
pub struct WriterConn(OwnedMutexGuard<Option<SqliteConnection>>);

impl Writer {
    /// Opens the writer connection (creating the database file if the options say so).
    pub async fn open(opts: SqliteConnectOptions) -> Result<Self, sqlx::Error> {
        let conn = opts.connect().await?;
        Ok(Writer {
            slot: Arc::new(Mutex::new(Some(conn))),
            opts,
            closed: AtomicBool::new(false),
        })
    }

    /// Waits for the writer; opens a fresh connection if the last one was discarded.
    pub async fn acquire(&self) -> Result<WriterConn, sqlx::Error> {
        let mut guard = tokio::time::timeout(ACQUIRE_TIMEOUT, self.slot.clone().lock_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?;
        if self.closed.load(Ordering::Acquire) {
            return Err(sqlx::Error::PoolClosed);
        }
        if guard.is_none() {
            *guard = Some(self.opts.connect().await?);
        }
        Ok(WriterConn(guard))
    }

    /// Waits for the borrower, then closes the connection; later borrowers get `PoolClosed`.
    pub async fn close(&self) {
        let mut guard = self.slot.lock().await;
        self.closed.store(true, Ordering::Release);
        if let Some(conn) = guard.take() {
            if let Err(e) = conn.close().await {
                tracing::warn!(error = %e, "closing the writer connection failed");
            }
        }
    }
}

impl WriterConn {
    /// Drops the connection (SQLite rolls back whatever it had open); the next borrower opens a
    /// fresh one.
    pub fn discard(mut self) {
        self.0.take();
    }
}

impl Deref for WriterConn {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        // Invariant: `Writer::acquire` lends only a filled slot, and only `discard`, which
        // consumes the borrow, empties it.
        self.0.as_ref().expect("a lent writer holds its connection")
    }
}

impl DerefMut for WriterConn {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.0.as_mut().expect("a lent writer holds its connection")
    }
}

/// Up to [`READERS`] read-only connections, opened when first needed.
#[derive(Debug)]
pub struct Readers {
    idle: StdMutex<Vec<SqliteConnection>>,
    permits: Semaphore,
    opts: SqliteConnectOptions,
}

/// A reader, lent; it goes back to the idle list when dropped.
pub struct ReaderConn<'a> {
    conn: Option<SqliteConnection>,
    home: &'a Readers,
    _permit: SemaphorePermit<'a>,
}

impl Readers {
    /// Opens one reader now, so a file that cannot be read fails at start-up.
    pub async fn open(opts: SqliteConnectOptions) -> Result<Self, sqlx::Error> {
        let first = opts.connect().await?;
        Ok(Readers {
            idle: StdMutex::new(vec![first]),
            permits: Semaphore::new(READERS),
            opts,
        })
    }

    pub async fn acquire(&self) -> Result<ReaderConn<'_>, sqlx::Error> {
        let permit = tokio::time::timeout(ACQUIRE_TIMEOUT, self.permits.acquire())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let idle = self.idle().pop();
        let conn = match idle {
            Some(c) => c,
            None => self.opts.connect().await?,
        };
        Ok(ReaderConn {
            conn: Some(conn),
            home: self,
            _permit: permit,
        })
    }

    /// Waits for every lent reader, then closes them all; later borrowers get `PoolClosed`.
    pub async fn close(&self) {
        let all = u32::try_from(READERS).unwrap_or(u32::MAX);
        let held = self.permits.acquire_many(all).await;
        self.permits.close();
        let conns = std::mem::take(&mut *self.idle());
        for conn in conns {
            if let Err(e) = conn.close().await {
                tracing::warn!(error = %e, "closing a reader connection failed");
            }
        }
        drop(held);
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<SqliteConnection>> {
        // A panic while the list was held left it whole (a push or a pop): keep using it.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for ReaderConn<'_> {
    fn drop(&mut self) {
        // Before the permit is released (fields drop after this), so the next borrower
        // finds it.
        if let Some(conn) = self.conn.take() {
            self.home.idle().push(conn);
        }
    }
}

impl Deref for ReaderConn<'_> {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        // Invariant: filled from `acquire` until `drop`.
        self.conn
            .as_ref()
            .expect("a lent reader holds its connection")
    }
}

impl DerefMut for ReaderConn<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.conn
            .as_mut()
            .expect("a lent reader holds its connection")
    }
}

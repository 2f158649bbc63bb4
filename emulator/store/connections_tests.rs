//! The store's own connections ([`super::connections`]): what the sqlx pool did for us and they
//! must still do: one writer at a time, a discarded writer replaced, at most `READERS` readers
//! reused in turn, closed connections refused; a write cancelled while SQLite runs it leaves
//! the read cache agreeing with the database. And what the schema's indexes must still serve.
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};

use super::connections::{Readers, Writer, READERS};

fn opts(dir: &tempfile::TempDir) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(dir.path().join("t.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
}

async fn one(conn: &mut sqlx::SqliteConnection, sql: &str) -> i64 {
    let (v,): (i64,) = sqlx::query_as(sql).fetch_one(conn).await.unwrap();
    v
}

#[tokio::test]
async fn the_writer_is_lent_to_one_borrower_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let writer = Writer::open(opts(&dir)).await.unwrap();
    let first = writer.acquire().await.unwrap();
    let second = tokio::time::timeout(Duration::from_millis(50), writer.acquire()).await;
    assert!(second.is_err(), "a second borrower must wait");
    drop(first);
    let mut again = writer.acquire().await.unwrap();
    assert_eq!(one(&mut again, "SELECT 1").await, 1);
}

#[tokio::test]
async fn a_discarded_writer_is_replaced_by_a_fresh_connection() {
    let dir = tempfile::tempdir().unwrap();
    let writer = Writer::open(opts(&dir)).await.unwrap();
    let mut conn = writer.acquire().await.unwrap();
    sqlx::query("CREATE TABLE t (x INTEGER)")
        .execute(&mut *conn)
        .await
        .unwrap();
    // Left inside a transaction, as a failed rollback would leave it.
    sqlx::query("BEGIN IMMEDIATE; INSERT INTO t VALUES (1)")
        .execute(&mut *conn)
        .await
        .unwrap();
    conn.discard();
    let mut fresh = writer.acquire().await.unwrap();
    // In autocommit again, and the abandoned insert was rolled back.
    assert_eq!(one(&mut fresh, "SELECT COUNT(*) FROM t").await, 0);
    sqlx::query("BEGIN IMMEDIATE; INSERT INTO t VALUES (2); COMMIT")
        .execute(&mut *fresh)
        .await
        .unwrap();
    assert_eq!(one(&mut fresh, "SELECT COUNT(*) FROM t").await, 1);
}

#[tokio::test]
async fn readers_are_bounded_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let writer = Writer::open(opts(&dir)).await.unwrap();
    let readers = Readers::open(opts(&dir).read_only(true)).await.unwrap();
    let mut lent = Vec::new();
    for _ in 0..READERS {
        lent.push(readers.acquire().await.unwrap());
    }
    let extra = tokio::time::timeout(Duration::from_millis(50), readers.acquire()).await;
    assert!(extra.is_err(), "no more than READERS connections are lent");
    lent.pop();
    let mut back = readers.acquire().await.unwrap();
    assert_eq!(one(&mut back, "SELECT 1").await, 1);
    drop(back);
    drop(lent);
    readers.close().await;
    writer.close().await;
}

#[tokio::test]
async fn closed_connections_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let writer = Writer::open(opts(&dir)).await.unwrap();
    let readers = Readers::open(opts(&dir).read_only(true)).await.unwrap();
    readers.close().await;
    writer.close().await;
    assert!(matches!(
        readers.acquire().await.err(),
        Some(sqlx::Error::PoolClosed)
    ));
    assert!(matches!(
        writer.acquire().await.err(),
        Some(sqlx::Error::PoolClosed)
    ));
}

/// Migration 0007: the queries that read operations by status still find them through an index
/// (no scan that grows with every operation ever written); parent lookups keep theirs.
#[tokio::test]
async fn status_and_parent_queries_use_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let store = super::Store::open(Some(&dir.path().join("p.db")))
        .await
        .unwrap();
    let plans = [
        (
            "SELECT id FROM operations WHERE status = 'InProgress' AND due_at_ms <= 1 \
             ORDER BY due_at_ms, rowid",
            "operations_in_progress",
        ),
        (
            "SELECT MIN(due_at_ms) FROM operations WHERE status = 'InProgress' AND due_at_ms < 1",
            "operations_in_progress",
        ),
        (
            "SELECT COUNT(*) FROM operations WHERE resource_id = 'x' AND status = 'InProgress'",
            "operations_in_progress_by_resource",
        ),
        (
            "SELECT id FROM resources WHERE parent_id = 'p' AND kind = 'k' ORDER BY seq",
            "resources_by_parent_seq",
        ),
        (
            "DELETE FROM resources WHERE parent_id = 'p'",
            "resources_by_parent_seq",
        ),
    ];
    let mut conn = store.writer().await.unwrap();
    for (sql, index) in plans {
        let rows: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        let plan: Vec<String> = rows.into_iter().map(|r| r.3).collect();
        assert!(
            plan.iter().any(|p| p.contains(index)) && !plan.iter().any(|p| p.starts_with("SCAN")),
            "{sql}: {plan:?}"
        );
    }
    drop(conn);
    store.close().await;
}

/// A request cancelled while its DELETE runs on SQLite's thread (a client that hung up): the
/// delete lands, and the row it removed is not served from the read cache afterwards. Without
/// `write::Sent` the writer was free at once and the cache kept the row.
#[tokio::test]
async fn a_cancelled_delete_leaves_no_cached_row() {
    use crate::domain::{ResourceId, ResourceKind};
    use sqlx::ConnectOptions;
    let dir = tempfile::tempdir().unwrap();
    let store = super::Store::open(Some(&dir.path().join("c.db")))
        .await
        .unwrap();
    let id = ResourceId::from_string("/subscriptions/s/resourceGroups/g".into());
    store
        .put(
            &id,
            ResourceKind::ResourceGroup,
            None,
            &serde_json::json!({}),
        )
        .await
        .unwrap();
    assert!(store.get(&id).await.unwrap().is_some(), "read and cached");
    // Another process holds the write lock, so the DELETE waits inside SQLite (busy timeout):
    // one poll sends it to the connection's thread, then the request is gone.
    let mut other = SqliteConnectOptions::new()
        .filename(dir.path().join("c.db"))
        .connect()
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    let mut delete = Box::pin(store.delete(&id));
    assert!(futures::poll!(delete.as_mut()).is_pending());
    drop(delete);
    sqlx::query("COMMIT").execute(&mut other).await.unwrap();
    // Whatever still holds the writer finishes first.
    let mut writer = store.writer().await.unwrap();
    let (stored,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM resources WHERE id = ?")
        .bind(id.as_str())
        .fetch_one(&mut *writer)
        .await
        .unwrap();
    drop(writer);
    assert_eq!(stored, 0, "the cancelled DELETE ran");
    assert!(
        store.get(&id).await.unwrap().is_none(),
        "served from the cache"
    );
    store.close().await;
}

//! Disk full (issue 9, "Nothing acknowledged is lost"): amlite's data folder sits on a real,
//! small tmpfs that the test fills until SQLite answers "database or disk is full".
//!
//! - While full, every write answers 2xx (it fitted) or the 507 `InsufficientStorage` envelope
//!   (ARM JSON, Storage XML for blobs): never a 500, never a 2xx for a write not committed.
//! - Once space is freed, amlite recovers by itself: the writer connection is back in
//!   autocommit (another process can `BEGIN IMMEDIATE`), and every write acknowledged before,
//!   during and after the full period is there after a restart.
//!
//! Mounting needs root (CI runs as root). Elsewhere the test says why and passes, unless `CI`
//! is set, where a missing mount is a failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::TestApp;
use serde_json::json;

/// A tmpfs mounted over a temporary folder, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Tmpfs { dir })
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Writes zeros to `path` until the file system refuses (ENOSPC).
fn fill(path: &Path) {
    let mut f = std::fs::File::create(path).unwrap();
    let chunk = vec![0u8; 16 * 1024];
    while f.write_all(&chunk).is_ok() {}
    let _ = f.sync_all();
}

/// Another process's view: can it take the write lock right now? (The bug left amlite's
/// writer inside a transaction forever, so this said "database is locked".)
async fn external_writer_can_lock(db: &Path) -> Result<(), String> {
    use sqlx::{ConnectOptions, Connection};
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(db)
        .busy_timeout(std::time::Duration::from_millis(500))
        .connect()
        .await
        .map_err(|e| e.to_string())?;
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    sqlx::query("ROLLBACK")
        .execute(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    conn.close().await.map_err(|e| e.to_string())
}

fn endpoint_body(tag: &str) -> serde_json::Value {
    // A few KiB per write so the database needs new pages and really meets the full disk.
    json!({ "location": "eastus", "properties": { "authMode": "Key",
        "description": format!("{tag}{}", "x".repeat(6000)) } })
}

/// What the client was told was stored.
#[derive(Default)]
struct Acked {
    endpoints: Vec<String>,
    models: Vec<String>,
    blobs: Vec<(String, Vec<u8>)>,
}

/// One round of writes of every kind; asserts each answer is a 2xx or the storage envelope.
/// Returns how many were refused for lack of space.
async fn write_round(app: &TestApp, round: &str, n: usize, acked: &mut Acked) -> usize {
    let mut refused = 0;
    for i in 0..n {
        let name = format!("ep-{round}-{i}");
        let r = app.put(&app.ep_path(&name), endpoint_body(&name)).await;
        match r.status {
            200 | 201 => {
                app.wait(&r).await;
                acked.endpoints.push(name);
            }
            507 => {
                assert_eq!(r.code(), "InsufficientStorage", "{}", r.text);
                assert_eq!(r.header("retry-after").as_deref(), Some("10"), "{}", r.text);
                assert!(r.message().contains("full"), "{}", r.text);
                refused += 1;
            }
            s => panic!("endpoint PUT during {round}: {s} {}", r.text),
        }
        let model = format!("m-{round}-{i}");
        let path = format!("{}/models/{model}/versions/1", app.ws_path());
        let r = app
            .put(
                &path,
                json!({ "properties": { "description": "y".repeat(6000) } }),
            )
            .await;
        match r.status {
            200 | 201 => acked.models.push(path),
            507 => refused += 1,
            s => panic!("model PUT during {round}: {s} {}", r.text),
        }
        let blob = format!("c1/{round}/{i}.bin");
        let data: Vec<u8> = (0..20_000u32).map(|b| (b % 251) as u8 ^ i as u8).collect();
        let r = app
            .client
            .put(format!("{}/amlitestore/{blob}", app.base))
            .header("x-ms-blob-type", "BlockBlob")
            .body(data.clone())
            .send()
            .await
            .unwrap();
        match r.status().as_u16() {
            201 => acked.blobs.push((blob, data)),
            507 => {
                assert_eq!(r.headers()["x-ms-error-code"], "InsufficientStorage");
                assert_eq!(r.headers()["retry-after"], "10", "507 says when to retry");
                let text = r.text().await.unwrap();
                assert!(text.starts_with("<?xml"), "Storage answers XML: {text}");
                refused += 1;
            }
            s => panic!("blob PUT during {round}: {s} {}", r.text().await.unwrap()),
        }
    }
    refused
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_full_answers_507_and_recovers_without_losing_acknowledged_writes() {
    let Some(fs) = Tmpfs::mount("4m") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must be able to mount a tmpfs (it runs as root)"
        );
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    };
    let data = tempfile::tempdir_in(fs.path()).unwrap();
    let db: PathBuf = data.path().join("amlite.db");
    let app = TestApp::spawn_in(data, |c| c.in_memory = false).await;
    let mut acked = Acked::default();
    assert_eq!(write_round(&app, "before", 2, &mut acked).await, 0);

    let filler = fs.path().join("filler");
    fill(&filler);
    let refused = write_round(&app, "full", 8, &mut acked).await;
    assert!(refused > 0, "the file system never filled up");

    std::fs::remove_file(&filler).unwrap();
    // Recovery is automatic: the very next writes succeed, and the writer holds no lock.
    assert_eq!(write_round(&app, "after", 4, &mut acked).await, 0);
    let r = app
        .create_deployment(
            &acked.endpoints[acked.endpoints.len() - 1],
            "blue",
            json!({}),
            1,
        )
        .await;
    assert_eq!(r.body["status"], "Succeeded", "{}", r.text);
    external_writer_can_lock(&db)
        .await
        .expect("amlite's writer is back in autocommit");

    let dir = app.stop().await;
    let app = TestApp::spawn_in(dir, |c| c.in_memory = false).await;
    for name in &acked.endpoints {
        let r = app.get(&app.ep_path(name)).await;
        assert_eq!(
            r.status, 200,
            "acknowledged endpoint {name} lost: {}",
            r.text
        );
    }
    let last = &acked.endpoints[acked.endpoints.len() - 1];
    let r = app
        .get(&format!("{}/deployments/blue", app.ep_path(last)))
        .await;
    assert_eq!(r.status, 200, "acknowledged deployment lost: {}", r.text);
    for path in &acked.models {
        assert_eq!(
            app.get(path).await.status,
            200,
            "acknowledged model {path} lost"
        );
    }
    for (blob, bytes) in &acked.blobs {
        let r = app
            .client
            .get(format!("{}/amlitestore/{blob}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "acknowledged blob {blob} lost");
        assert_eq!(
            &r.bytes().await.unwrap()[..],
            &bytes[..],
            "blob {blob} differs"
        );
    }
    let dir = app.stop().await;
    drop(dir);
    drop(fs);
}

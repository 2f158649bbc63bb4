//! The Blob Storage slice the SDK uploads through (SPEC §2.1): Put Blob (If-None-Match), Get Blob
//! Properties (404 with `x-ms-error-code`), metadata, ranged Get Blob, Put Block + Put Block List,
//! List Blobs, and blob names that try to escape.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use common::TestApp;

pub(crate) fn url(app: &TestApp, path: &str) -> String {
    format!("{}/amlitestore/{path}", app.base)
}

pub(crate) async fn put_blob(
    app: &TestApp,
    path: &str,
    body: impl Into<Vec<u8>>,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut rb = app
        .client
        .put(url(app, path))
        .header("x-ms-blob-type", "BlockBlob")
        .body(body.into());
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    rb.send().await.unwrap()
}

#[tokio::test]
async fn put_blob_with_if_none_match_and_head() {
    let app = TestApp::spawn().await;
    let h = app
        .client
        .head(url(&app, "c1/a/b.txt"))
        .send()
        .await
        .unwrap();
    assert_eq!(h.status().as_u16(), 404);
    assert_eq!(h.headers()["x-ms-error-code"], "BlobNotFound");
    let r = put_blob(
        &app,
        "c1/a/b.txt",
        b"hello world",
        &[("if-none-match", "*"), ("x-ms-meta-origin", "test")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 201);
    assert!(r.headers().contains_key("etag"));
    let r = put_blob(&app, "c1/a/b.txt", b"again", &[("if-none-match", "*")]).await;
    assert_eq!(r.status().as_u16(), 409);
    assert_eq!(r.headers()["x-ms-error-code"], "BlobAlreadyExists");
    let h = app
        .client
        .head(url(&app, "c1/a/b.txt"))
        .send()
        .await
        .unwrap();
    assert_eq!(h.status().as_u16(), 200);
    assert_eq!(h.headers()["content-length"], "11");
    assert_eq!(h.headers()["x-ms-meta-origin"], "test");
    // Set Blob Metadata replaces it.
    let m = app
        .client
        .put(format!("{}?comp=metadata", url(&app, "c1/a/b.txt")))
        .header("x-ms-meta-k", "v")
        .send()
        .await
        .unwrap();
    assert_eq!(m.status().as_u16(), 200);
    let h = app
        .client
        .head(url(&app, "c1/a/b.txt"))
        .send()
        .await
        .unwrap();
    assert_eq!(h.headers()["x-ms-meta-k"], "v");
    assert!(!h.headers().contains_key("x-ms-meta-origin"));
    let m = app
        .client
        .put(format!("{}?comp=metadata", url(&app, "c1/none")))
        .send()
        .await
        .unwrap();
    assert_eq!(m.status().as_u16(), 404);
}

#[tokio::test]
async fn concurrent_uploads_without_overwrite_create_the_blob_once() {
    // `If-None-Match: *` is checked by the write itself: of uploads racing for one name, exactly
    // one is created and the others are Azure's 409 BlobAlreadyExists.
    let app = TestApp::spawn().await;
    let tries = (0..8).map(|_| put_blob(&app, "race/one.bin", b"x", &[("if-none-match", "*")]));
    let statuses: Vec<u16> = futures::future::join_all(tries)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        7,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn get_blob_with_range() {
    let app = TestApp::spawn().await;
    put_blob(&app, "c1/r.bin", b"0123456789", &[]).await;
    let g = app
        .client
        .get(url(&app, "c1/r.bin"))
        .header("x-ms-range", "bytes=2-5")
        .send()
        .await
        .unwrap();
    assert_eq!(g.status().as_u16(), 206);
    assert_eq!(g.headers()["content-range"], "bytes 2-5/10");
    assert_eq!(g.bytes().await.unwrap().as_ref(), b"2345");
    let g = app
        .client
        .get(url(&app, "c1/r.bin"))
        .header("range", "bytes=7-")
        .send()
        .await
        .unwrap();
    assert_eq!(g.bytes().await.unwrap().as_ref(), b"789");
    let g = app.client.get(url(&app, "c1/r.bin")).send().await.unwrap();
    assert_eq!(g.status().as_u16(), 200);
    assert_eq!(g.bytes().await.unwrap().as_ref(), b"0123456789");
}

#[tokio::test]
async fn put_block_and_block_list() {
    let app = TestApp::spawn().await;
    let (b1, b2) = ("YmxvY2stMDAx", "YmxvY2stMDAy");
    for (id, data) in [(b1, &b"first-"[..]), (b2, &b"second"[..])] {
        let r = app
            .client
            .put(format!(
                "{}?comp=block&blockid={id}",
                url(&app, "c2/big.bin")
            ))
            .body(data)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
    }
    assert_eq!(
        app.client
            .head(url(&app, "c2/big.bin"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        404,
        "blocks are uncommitted"
    );
    let list = format!("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList><Latest>{b1}</Latest><Latest>{b2}</Latest></BlockList>");
    let r = app
        .client
        .put(format!("{}?comp=blocklist", url(&app, "c2/big.bin")))
        .body(list)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let g = app
        .client
        .get(url(&app, "c2/big.bin"))
        .send()
        .await
        .unwrap();
    assert_eq!(g.bytes().await.unwrap().as_ref(), b"first-second");
    let bad = "<BlockList><Latest>bm9wZQ==</Latest></BlockList>";
    let r = app
        .client
        .put(format!("{}?comp=blocklist", url(&app, "c2/other.bin")))
        .body(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(r.headers()["x-ms-error-code"], "InvalidBlockList");
}

#[tokio::test]
async fn list_blobs_with_prefix() {
    let app = TestApp::spawn().await;
    for p in ["c3/m/a.txt", "c3/m/b.txt", "c3/other.txt"] {
        put_blob(&app, p, b"x", &[]).await;
    }
    let r = app
        .client
        .get(format!(
            "{}?restype=container&comp=list&prefix=m/",
            url(&app, "c3")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let xml = r.text().await.unwrap();
    assert!(
        xml.contains("<Name>m/a.txt</Name>") && xml.contains("<Name>m/b.txt</Name>"),
        "{xml}"
    );
    assert!(!xml.contains("other.txt"), "{xml}");
    let c = app
        .client
        .put(format!("{}?restype=container", url(&app, "c4")))
        .send()
        .await
        .unwrap();
    assert_eq!(c.status().as_u16(), 201);
}

#[tokio::test]
async fn blob_names_cannot_escape() {
    let app = TestApp::spawn().await;
    put_blob(&app, "c5/keep.txt", b"keep", &[]).await;
    // The HTTP client itself resolves literal `..` segments, so these reach the server as
    // single segments with encoded separators (raw `..` is covered in tests/hardening.rs).
    for bad in [
        "c5/a%2F..%2F..%2Fc6%2Fx",
        "c5/%2E%2E%2Fc6%2Fx",
        "..%2Fc6/x",
        "c5/a%5C..%5Cx",
    ] {
        let r = app
            .client
            .put(format!("{}/amlitestore/{bad}", app.base))
            .header("x-ms-blob-type", "BlockBlob")
            .body("evil")
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        assert!((400..500).contains(&s) || s == 201, "{bad}: {s}");
        if s == 201 {
            // Accepted only as a literal name inside the container (never outside it).
            let back = app
                .client
                .get(format!("{}/amlitestore/{bad}", app.base))
                .send()
                .await
                .unwrap();
            assert_eq!(back.status().as_u16(), 200, "{bad}");
        }
    }
    let g = app
        .client
        .get(url(&app, "c5/keep.txt"))
        .send()
        .await
        .unwrap();
    assert_eq!(g.bytes().await.unwrap().as_ref(), b"keep");
    let list = app
        .client
        .get(format!("{}?restype=container&comp=list", url(&app, "c6")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!list.contains("<Blob>"), "{list}");
}

/// Body of a GET (optionally ranged) of `path`.
async fn read(app: &TestApp, path: &str, range: Option<&str>) -> (u16, Vec<u8>) {
    let mut rb = app.client.get(url(app, path));
    if let Some(r) = range {
        rb = rb.header("x-ms-range", r);
    }
    let r = rb.send().await.unwrap();
    (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn blobs_stored_before_blob_parts_stay_readable_and_no_part_is_pruned() {
    use sha2::Digest as _;
    // A data folder as amlite left it before migration 0005: each blob names one `contents` row.
    let dir = tempfile::tempdir().unwrap();
    let old = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations")).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.as_str() < "0005" {
            std::fs::copy(&p, old.path().join(name)).unwrap();
        }
    }
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.path().join("amlite.db"))
        .create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(opts).await.unwrap();
    let migrator = sqlx::migrate::Migrator::new(old.path()).await.unwrap();
    migrator.run(&pool).await.unwrap();
    let data = b"0123456789";
    let sha = hex::encode(sha2::Sha256::digest(data));
    sqlx::query("INSERT INTO contents VALUES (?, ?)")
        .bind(&sha)
        .bind(&data[..])
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO blobs VALUES ('amlitestore', 'c7', 'old/a.bin', ?, 10, 'text/plain', NULL, '{}', '\"0x1\"', 'Mon, 01 Jan 2024 00:00:00 GMT')")
        .bind(&sha)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let app = TestApp::spawn_in(dir, |c| c.in_memory = false).await;
    assert_eq!(read(&app, "c7/old/a.bin", None).await, (200, data.to_vec()));
    assert_eq!(
        read(&app, "c7/old/a.bin", Some("bytes=2-5")).await,
        (206, b"2345".to_vec())
    );
    let list = app
        .client
        .get(format!("{}?restype=container&comp=list", url(&app, "c7")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("<Content-Length>10</Content-Length>"),
        "{list}"
    );
    // Once committed, a block list's bytes are referenced only by the blob's parts.
    let (b1, b2) = ("YmxvY2stMDAx", "YmxvY2stMDAy");
    for (id, body) in [(b1, &b"abc"[..]), (b2, &b"defg"[..])] {
        let r = app
            .client
            .put(format!(
                "{}?comp=block&blockid={id}",
                url(&app, "c7/new.bin")
            ))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
    }
    let list = format!(
        "<BlockList><Latest>{b2}</Latest><Latest>{b1}</Latest><Latest>{b2}</Latest></BlockList>"
    );
    let r = app
        .client
        .put(format!("{}?comp=blocklist", url(&app, "c7/new.bin")))
        .header("x-ms-blob-content-md5", "given==")
        .body(list)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    amlite::janitor::prune_once(&app.state).await.unwrap();
    assert_eq!(app.state.store.content_count().await.unwrap(), 3);
    assert_eq!(read(&app, "c7/old/a.bin", None).await.1, data.to_vec());
    assert_eq!(
        read(&app, "c7/new.bin", None).await,
        (200, b"defgabcdefg".to_vec())
    );
    assert_eq!(
        read(&app, "c7/new.bin", Some("bytes=3-7")).await,
        (206, b"gabcd".to_vec())
    );
    let head = app
        .client
        .head(url(&app, "c7/new.bin"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.headers()["content-length"], "11");
    // x-ms-blob-content-md5 is stored as given (Azure does not validate it for block lists).
    assert_eq!(head.headers()["content-md5"], "given==");
}

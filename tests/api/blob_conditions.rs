//! The Blob slice under conditions and at scale, found from outside: `If-None-Match: *` on Put
//! Block List and `If-Match` on writes (both overwrote), listings past 5,000 blobs or with a
//! non-ASCII prefix (both lost blobs), reads racing an overwrite (500s, torn MD5), ranges past
//! the end, a block list that is not XML.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use common::TestApp;

use super::blob::{put_blob as put, url};

async fn get_text(app: &TestApp, path: &str) -> (u16, String) {
    let r = app.client.get(url(app, path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn conditional_writes_do_not_overwrite() {
    let app = TestApp::spawn().await;
    let r = put(&app, "c/x.bin", b"ORIGINAL".to_vec(), &[]).await;
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    put(
        &app,
        "c/x.bin?comp=block&blockid=YjE=",
        b"NEW".to_vec(),
        &[],
    )
    .await;
    let list = b"<BlockList><Latest>YjE=</Latest></BlockList>".to_vec();
    let r = put(
        &app,
        "c/x.bin?comp=blocklist",
        list.clone(),
        &[("if-none-match", "*")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 409);
    assert_eq!(r.headers()["x-ms-error-code"], "BlobAlreadyExists");
    assert_eq!(get_text(&app, "c/x.bin").await.1, "ORIGINAL");
    let r = put(
        &app,
        "c/x.bin",
        b"NEW".to_vec(),
        &[("if-match", "\"0xDEAD\"")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 412);
    assert_eq!(r.headers()["x-ms-error-code"], "ConditionNotMet");
    let r = put(&app, "c/gone.bin", b"NEW".to_vec(), &[("if-match", "*")]).await;
    assert_eq!(r.status().as_u16(), 412, "If-Match needs the blob to exist");
    assert_eq!(get_text(&app, "c/x.bin").await.1, "ORIGINAL");
    let r = put(
        &app,
        "c/x.bin?comp=blocklist",
        list,
        &[("if-match", etag.as_str())],
    )
    .await;
    assert_eq!(r.status().as_u16(), 201);
    assert_eq!(get_text(&app, "c/x.bin").await.1, "NEW");
    let r = put(&app, "c/y.bin?comp=blocklist", b"not xml".to_vec(), &[]).await;
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(r.headers()["x-ms-error-code"], "InvalidXmlDocument");
    assert_eq!(get_text(&app, "c/y.bin").await.0, 404);
}

#[tokio::test]
async fn listings_page_past_their_limit_and_match_non_ascii_prefixes() {
    let app = TestApp::spawn().await;
    put(&app, "l/%C3%A9t%C3%A9/a.txt", b"a".to_vec(), &[]).await;
    let (_, xml) = get_text(&app, "l?restype=container&comp=list&prefix=%C3%A9t%C3%A9/").await;
    assert!(xml.contains("<Name>été/a.txt</Name>"), "{xml}");
    for i in 0..5 {
        put(&app, &format!("l/p/{i}.txt"), b"x".to_vec(), &[]).await;
    }
    let mut names = Vec::new();
    let mut marker = String::new();
    for _ in 0..10 {
        let (status, xml) = get_text(
            &app,
            &format!("l?restype=container&comp=list&prefix=p/&maxresults=2&marker={marker}"),
        )
        .await;
        assert_eq!(status, 200, "{xml}");
        names.extend(
            xml.split("<Name>")
                .skip(1)
                .map(|s| s.split('<').next().unwrap().to_string()),
        );
        marker = xml
            .split("<NextMarker>")
            .nth(1)
            .map(|s| s.split('<').next().unwrap().to_string())
            .unwrap_or_default();
        if marker.is_empty() {
            break;
        }
    }
    let expected: Vec<String> = (0..5).map(|i| format!("p/{i}.txt")).collect();
    assert_eq!(names, expected);
    let (status, _) = get_text(&app, "l?restype=container&comp=list&maxresults=0").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn reads_racing_an_overwrite_see_one_version_and_ranges_past_the_end_are_416() {
    let app = TestApp::spawn().await;
    put(&app, "r/v.bin", b"1".to_vec(), &[]).await;
    let writer = async {
        for i in 0..150usize {
            let body = vec![b'a' + (i % 7) as u8; 1 + i % 7];
            put(&app, "r/v.bin", body, &[]).await;
        }
    };
    let reader = async {
        let mut bad = Vec::new();
        for _ in 0..150 {
            let r = app.client.get(url(&app, "r/v.bin")).send().await.unwrap();
            let status = r.status().as_u16();
            let md5 = r
                .headers()
                .get("content-md5")
                .map(|v| v.to_str().unwrap().to_string());
            let body = r.bytes().await.unwrap();
            use base64::Engine as _;
            use md5::Digest as _;
            let actual = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(&body));
            if status != 200 || md5.as_deref() != Some(actual.as_str()) {
                bad.push((status, md5, actual));
            }
        }
        bad
    };
    let ((), bad) = tokio::join!(writer, reader);
    assert!(bad.is_empty(), "{bad:?}");
    put(&app, "r/ten.bin", b"0123456789".to_vec(), &[]).await;
    for range in ["bytes=100-200", "bytes=10-"] {
        let r = app
            .client
            .get(url(&app, "r/ten.bin"))
            .header("x-ms-range", range)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 416, "{range}");
        assert_eq!(r.headers()["x-ms-error-code"], "InvalidRange");
    }
}

/// A block list cut short or naming another element is not a block list: 400
/// `InvalidXmlDocument`, and the blob keeps its content (both were 201 and emptied the blob).
#[tokio::test]
async fn a_malformed_block_list_leaves_the_blob_as_it_was() {
    let app = TestApp::spawn().await;
    put(&app, "c/kept.bin", b"important data".to_vec(), &[]).await;
    for body in [
        "<BlockList><Latest>",
        "<BlockList><Bogus>QUFBQQ==</Bogus></BlockList>",
        "<BlockList><Latest>QUFBQQ==</Latest>",
        "<BlockList></BlockList><BlockList></BlockList>",
        "<Other><Latest>QUFBQQ==</Latest></Other>",
    ] {
        let r = put(
            &app,
            "c/kept.bin?comp=blocklist",
            body.as_bytes().to_vec(),
            &[],
        )
        .await;
        assert_eq!(r.status().as_u16(), 400, "{body}");
        assert_eq!(
            r.headers()["x-ms-error-code"],
            "InvalidXmlDocument",
            "{body}"
        );
        assert_eq!(
            get_text(&app, "c/kept.bin").await.1,
            "important data",
            "{body}"
        );
    }
    let empty = b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<BlockList />".to_vec();
    let r = put(&app, "c/kept.bin?comp=blocklist", empty, &[]).await;
    assert_eq!(r.status().as_u16(), 201, "an empty list is a list");
}

/// Deleting a storage account, or the resource group it is in, deletes its blobs (they stayed
/// readable, and a new account of the same name found them).
#[tokio::test]
async fn a_deleted_storage_account_takes_its_blobs_with_it() {
    let app = TestApp::spawn().await;
    let sub = app.ws_path().split('/').nth(2).unwrap().to_string();
    for (rg, delete_group) in [("rg-gone", true), ("rg-kept", false)] {
        let group = format!("/subscriptions/{sub}/resourceGroups/{rg}");
        let r = app
            .put(&group, serde_json::json!({ "location": "eastus" }))
            .await;
        assert!(r.status < 300, "{}", r.text);
        let ws = format!("{group}/providers/Microsoft.MachineLearningServices/workspaces/ws-{rg}");
        let body = serde_json::json!({ "location": "eastus",
            "identity": { "type": "SystemAssigned" }, "properties": {} });
        let r = app.put(&ws, body).await;
        assert!(r.status < 300, "{}", r.text);
        if r.header("azure-asyncoperation").is_some() || r.header("location").is_some() {
            app.wait(&r).await;
        }
        let account = app.get(&ws).await.body["properties"]["storageAccount"]
            .as_str()
            .unwrap()
            .to_string();
        let name = account.rsplit('/').next().unwrap().to_string();
        let blob = format!("{}/{name}/data/f.txt", app.base);
        let put = app
            .client
            .put(&blob)
            .header("x-ms-blob-type", "BlockBlob")
            .body("secret")
            .send()
            .await
            .unwrap();
        assert_eq!(put.status().as_u16(), 201);
        let gone = if delete_group {
            app.delete(&group).await
        } else {
            app.delete(&account).await
        };
        assert_eq!(gone.status, 200, "{}", gone.text);
        let got = app.client.get(&blob).send().await.unwrap();
        assert_eq!(
            got.status().as_u16(),
            404,
            "{rg}: the blob outlived its account"
        );
    }
}

/// Put Block takes what Azure takes: a base64 id of at most 64 bytes, all of a blob's
/// uncommitted ids of one length (each was 201; code that numbers its blocks without padding
/// passed here and failed on Azure at its eleventh block).
#[tokio::test]
async fn block_ids_are_checked_as_azure_checks_them() {
    let app = TestApp::spawn().await;
    let long = base64_of(&[b'x'; 65]);
    for bad in ["!!!", "", long.as_str()] {
        let path = format!("c/ids.bin?comp=block&blockid={}", urlencode(bad));
        let r = put(&app, &path, b"data".to_vec(), &[]).await;
        assert_eq!(r.status().as_u16(), 400, "{bad}");
        assert_eq!(
            r.headers()["x-ms-error-code"],
            "InvalidQueryParameterValue",
            "{bad}"
        );
    }
    let block = |id: &str| format!("c/ids.bin?comp=block&blockid={}", urlencode(id));
    assert_eq!(
        put(&app, &block("MDA="), b"a".to_vec(), &[])
            .await
            .status()
            .as_u16(),
        201
    );
    assert_eq!(
        put(&app, &block("MTA="), b"b".to_vec(), &[])
            .await
            .status()
            .as_u16(),
        201
    );
    let r = put(&app, &block("MTAwMA=="), b"c".to_vec(), &[]).await;
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(r.headers()["x-ms-error-code"], "InvalidBlobOrBlock");
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A block id in a block list may be written with XML's references (`&#43;` for `+`): they are
/// resolved, as any XML reader does (the list was refused as not XML).
#[tokio::test]
async fn a_block_list_resolves_xml_references() {
    let app = TestApp::spawn().await;
    let block = format!("c/refs.bin?comp=block&blockid={}", urlencode("+/8A"));
    assert_eq!(
        put(&app, &block, b"plus".to_vec(), &[])
            .await
            .status()
            .as_u16(),
        201
    );
    let list = b"<BlockList><Latest>&#43;/8A</Latest></BlockList>".to_vec();
    let r = put(&app, "c/refs.bin?comp=blocklist", list, &[]).await;
    assert_eq!(r.status().as_u16(), 201);
    assert_eq!(get_text(&app, "c/refs.bin").await.1, "plus");
    let unknown = b"<BlockList><Latest>a&amp;b</Latest></BlockList>".to_vec();
    let r = put(&app, "c/refs.bin?comp=blocklist", unknown, &[]).await;
    assert_eq!(r.headers()["x-ms-error-code"], "InvalidBlockList");
}

/// A block list may name the blob's committed blocks (`Committed`, or `Latest` when no
/// uncommitted block has the id), as Azure's does: rewriting one block of a blob was
/// `InvalidBlockList`.
#[tokio::test]
async fn a_block_list_may_name_committed_blocks() {
    let app = TestApp::spawn().await;
    let block = |id: &str| format!("c/kept.bin?comp=block&blockid={}", urlencode(id));
    let commit = |list: &str| {
        (
            "c/kept.bin?comp=blocklist",
            format!("<BlockList>{list}</BlockList>").into_bytes(),
        )
    };
    for (id, data) in [("QQ==", "a"), ("Qg==", "b")] {
        assert_eq!(
            put(&app, &block(id), data.as_bytes().to_vec(), &[])
                .await
                .status()
                .as_u16(),
            201
        );
    }
    let (path, body) = commit("<Latest>QQ==</Latest><Latest>Qg==</Latest>");
    assert_eq!(put(&app, path, body, &[]).await.status().as_u16(), 201);
    assert_eq!(get_text(&app, "c/kept.bin").await.1, "ab");
    assert_eq!(
        put(&app, &block("Qw=="), b"c".to_vec(), &[])
            .await
            .status()
            .as_u16(),
        201
    );
    let (path, body) = commit("<Committed>QQ==</Committed><Latest>Qw==</Latest>");
    assert_eq!(put(&app, path, body, &[]).await.status().as_u16(), 201);
    assert_eq!(get_text(&app, "c/kept.bin").await.1, "ac");
    for list in [
        "<Uncommitted>QQ==</Uncommitted>",
        "<Committed>Qg==</Committed>",
    ] {
        let (path, body) = commit(list);
        let r = put(&app, path, body, &[]).await;
        assert_eq!(r.headers()["x-ms-error-code"], "InvalidBlockList", "{list}");
    }
    assert_eq!(get_text(&app, "c/kept.bin").await.1, "ac");
}

//! Put Block List (SPEC §2.1): commits uncommitted blocks in the listed order.
//!
//! The committed size is summed from the blocks' recorded sizes, and a blob larger than
//! `--max-blob-body` (a single Put Blob's limit) is refused with Storage's 413
//! `RequestBodyTooLarge` (issue 9). The commit reads no byte: the blob is recorded as the list of
//! its blocks' stored contents (`store::blobs::BlobPart`), so memory is O(number of blocks)
//! whatever the blocks weigh, and Get Blob streams it part by part.
//!
//! As in Azure, a committed block list has a `Content-MD5` only when the request gives one in
//! `x-ms-blob-content-md5` (not validated: each block was checked when it was put).
use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::Response;

use super::storage_error;
use crate::app::AppState;
use crate::error::ArmResult;
use crate::http::Request;
use crate::store::blobs::BlobPart;

/// Storage's code for a body (here: a committed blob) over the limit.
pub const REQUEST_BODY_TOO_LARGE: &str = "RequestBodyTooLarge";
/// Storage's code for a block list longer than [`MAX_BLOCKS`].
pub const BLOCK_LIST_TOO_LONG: &str = "BlockListTooLong";
/// Storage's code for a list naming a block that was never uploaded.
pub const INVALID_BLOCK_LIST: &str = "InvalidBlockList";
/// Most blocks a committed block blob may have (Azure Storage's limit).
pub const MAX_BLOCKS: usize = 50_000;

/// 413 `RequestBodyTooLarge` (Azure Storage's text, then what amlite measured).
pub fn request_body_too_large(size: u64, limit: u64) -> Response {
    storage_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        REQUEST_BODY_TOO_LARGE,
        &format!("The request body is too large and exceeds the maximum permissible limit. The committed blob would be {size} bytes; amlite's limit is {limit} bytes (--max-blob-body)."),
    )
}

/// 400 `BlockListTooLong`.
pub fn block_list_too_long() -> Response {
    storage_error(
        StatusCode::BAD_REQUEST,
        BLOCK_LIST_TOO_LONG,
        &format!("The block list may not contain more than {MAX_BLOCKS} blocks."),
    )
}

/// 400 `InvalidBlockList`.
pub fn invalid_block_list() -> Response {
    storage_error(
        StatusCode::BAD_REQUEST,
        INVALID_BLOCK_LIST,
        "The specified block list is invalid.",
    )
}

/// The largest blob a block list may commit: `--max-blob-body`, like a single Put Blob.
pub fn committed_limit(state: &AppState) -> u64 {
    state.config.max_blob_body as u64
}

/// `PUT …?comp=blocklist`.
pub async fn put_block_list(
    state: &AppState,
    req: &Request,
    account: &str,
    container: &str,
    name: &str,
) -> ArmResult<Response> {
    let text = String::from_utf8_lossy(&req.body);
    if !text.contains("<BlockList") {
        // Not a block list at all (Storage refuses it; amlite committed an empty blob).
        return Ok(storage_error(
            StatusCode::BAD_REQUEST,
            "InvalidXmlDocument",
            "XML specified is not syntactically valid.",
        ));
    }
    let ids = block_ids(&text);
    if ids.len() > MAX_BLOCKS {
        return Ok(block_list_too_long());
    }
    let known: HashMap<String, (String, i64)> = state
        .store
        .blocks(account, container, name)
        .await?
        .into_iter()
        .map(|(id, sha, size)| (id, (sha, size)))
        .collect();
    let mut parts = Vec::with_capacity(ids.len());
    let mut total: u64 = 0;
    for id in &ids {
        let Some((sha, size)) = known.get(id) else {
            return Ok(invalid_block_list());
        };
        total = total.saturating_add(u64::try_from(*size).unwrap_or(0));
        parts.push(BlobPart {
            sha256: sha.clone(),
            size: *size,
        });
    }
    let limit = committed_limit(state);
    if total > limit {
        return Ok(request_body_too_large(total, limit));
    }
    let md5 = req.header("x-ms-blob-content-md5").map(str::to_string);
    let row = super::blob_row(req, account, container, name, total, md5);
    let written = state
        .store
        .commit_block_list(&row, &parts, &super::precondition(req))
        .await?;
    if let Some(refused) = super::refusal(req, written) {
        return Ok(refused);
    }
    Ok(super::created(&row.etag))
}

/// The block ids of a `<BlockList>` body, in order (`Latest`, `Committed` and `Uncommitted`).
fn block_ids(xml: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let Some(end) = rest.find('>') else { break };
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if matches!(tag, "Latest" | "Committed" | "Uncommitted") {
            if let Some(close) = rest.find('<') {
                out.push(rest[..close].trim().to_string());
            }
        }
    }
    out
}

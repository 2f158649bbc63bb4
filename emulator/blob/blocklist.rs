//! Put Block List (SPEC §2.1): commits uncommitted blocks in the listed order.
//!
//! The committed size is summed from the blocks' recorded sizes before any byte is read, and a
//! blob larger than `--max-blob-body` (a single Put Blob's limit) is refused with Storage's 413
//! `RequestBodyTooLarge`, so a list that repeats one block many times can neither build a huge
//! blob in memory nor hit SQLite's `string or blob too big` (issue 9). Bytes are then copied
//! block by block into one buffer of exactly the committed size: the database keeps a blob as one
//! row, so the bytes are held once (at most `--max-blob-body`) while they are hashed and stored.
use std::collections::HashMap;

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::Response;

use super::storage_error;
use crate::app::AppState;
use crate::arm::ArmRequest;
use crate::error::ArmResult;

/// Storage's code for a body (here: a committed blob) over the limit.
pub const REQUEST_BODY_TOO_LARGE: &str = "RequestBodyTooLarge";
/// Storage's code for a block list longer than [`MAX_BLOCKS`].
pub const BLOCK_LIST_TOO_LONG: &str = "BlockListTooLong";
/// Storage's code for a list naming a block that was never uploaded.
pub const INVALID_BLOCK_LIST: &str = "InvalidBlockList";
/// Most blocks a committed block blob may have (Azure Storage's limit).
pub const MAX_BLOCKS: usize = 50_000;
/// SQLite's default `SQLITE_MAX_LENGTH`: no stored value may be larger, whatever the flag says.
pub const SQLITE_MAX_LENGTH: u64 = 1_000_000_000;

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

/// The largest blob a block list may commit: `--max-blob-body`, and never more than SQLite stores.
pub fn committed_limit(state: &AppState) -> u64 {
    (state.config.max_blob_body as u64).min(SQLITE_MAX_LENGTH)
}

/// `PUT …?comp=blocklist`.
pub async fn put_block_list(
    state: &AppState,
    req: &ArmRequest,
    account: &str,
    container: &str,
    name: &str,
) -> ArmResult<Response> {
    let text = String::from_utf8_lossy(&req.body);
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
        parts.push(sha.as_str());
    }
    let limit = committed_limit(state);
    if total > limit {
        return Ok(request_body_too_large(total, limit));
    }
    let mut data = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    for sha in parts {
        match state.store.content(sha).await? {
            Some(bytes) => data.extend_from_slice(&bytes),
            None => return Ok(invalid_block_list()),
        }
    }
    super::commit(state, req, account, container, name, Bytes::from(data)).await
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

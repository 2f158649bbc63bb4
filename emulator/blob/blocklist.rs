//! Put Block List (SPEC §2.1): commits the listed blocks in order: uncommitted ones, and the
//! blob's committed ones named as `Committed` or `Latest` (Azure keeps a blob's committed block
//! list, so a client can rewrite part of a blob).
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

use sha2::{Digest, Sha256};

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

/// `PUT …?comp=block&blockid=…`. As Azure: the id is a base64 string of at most 64 bytes
/// (else 400 `InvalidQueryParameterValue`), and every uncommitted block of a blob has an id of
/// the same length (else 400 `InvalidBlobOrBlock`: the Put Block documentation's rule, which
/// clients that number blocks `0`, `1`, … `10` without padding meet on their eleventh block).
pub async fn put_block(
    state: &AppState,
    req: &Request,
    account: &str,
    container: &str,
    name: &str,
) -> ArmResult<Response> {
    use base64::Engine as _;
    let id = req.q("blockid").unwrap_or("");
    let decoded = base64::engine::general_purpose::STANDARD.decode(id);
    if id.is_empty() || decoded.map_or(true, |d| d.len() > 64) {
        return Ok(storage_error(
            StatusCode::BAD_REQUEST,
            "InvalidQueryParameterValue",
            "Value for one of the query parameters specified in the request URI is invalid.",
        ));
    }
    let other = state.store.some_block_id(account, container, name).await?;
    if other.is_some_and(|o| o.len() != id.len()) {
        return Ok(storage_error(
            StatusCode::BAD_REQUEST,
            "InvalidBlobOrBlock",
            "The specified blob or block content is invalid.",
        ));
    }
    let sha = hex::encode(Sha256::digest(&req.body));
    state
        .store
        .put_block(account, container, name, id, &sha, &req.body)
        .await?;
    Ok(super::created(&super::new_etag()))
}

/// `PUT …?comp=blocklist`.
pub async fn put_block_list(
    state: &AppState,
    req: &Request,
    account: &str,
    container: &str,
    name: &str,
) -> ArmResult<Response> {
    let ids = std::str::from_utf8(&req.body).ok().and_then(block_ids);
    let Some(ids) = ids else {
        // Not a block list (Storage refuses it; committing it emptied the blob).
        return Ok(storage_error(
            StatusCode::BAD_REQUEST,
            "InvalidXmlDocument",
            "XML specified is not syntactically valid.",
        ));
    };
    if ids.len() > MAX_BLOCKS {
        return Ok(block_list_too_long());
    }
    let known = |blocks: Vec<(String, String, i64)>| -> HashMap<String, (String, i64)> {
        blocks
            .into_iter()
            .map(|(id, sha, size)| (id, (sha, size)))
            .collect()
    };
    let uncommitted = known(state.store.blocks(account, container, name).await?);
    let committed = if ids.iter().any(|(list, _)| *list != List::Uncommitted) {
        known(
            state
                .store
                .committed_blocks(account, container, name)
                .await?,
        )
    } else {
        HashMap::new()
    };
    let mut parts = Vec::with_capacity(ids.len());
    let mut total: u64 = 0;
    for (list, id) in &ids {
        // Azure's lookup per element: `Uncommitted` and `Committed` in their own list, `Latest`
        // in the uncommitted blocks first, then the committed ones.
        let found = match list {
            List::Uncommitted => uncommitted.get(id),
            List::Committed => committed.get(id),
            List::Latest => uncommitted.get(id).or_else(|| committed.get(id)),
        };
        let Some((sha, size)) = found else {
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
    let block_ids: Vec<String> = ids.into_iter().map(|(_, id)| id).collect();
    let written = state
        .store
        .commit_block_list(&row, (&parts, &block_ids), &super::precondition(req))
        .await?;
    if let Some(refused) = super::refusal(req, written) {
        return Ok(refused);
    }
    Ok(super::created(&row.etag))
}

/// The block ids of a `<BlockList>` body, in order (`Latest`, `Committed` and `Uncommitted`);
/// `None` for anything else: XML that is not well formed (a body cut short), another root, or
/// another element in it. A scan that only looked for those three tags took a truncated body
/// for an empty list, and committing it emptied the blob.
fn block_ids(xml: &str) -> Option<Vec<(List, String)>> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let (mut ids, mut open, mut id, mut rooted) = (Vec::new(), 0usize, String::new(), false);
    let mut list = List::Latest;
    let blank = |t: &str| t.chars().all(char::is_whitespace);
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => {
                match (open, List::of(e.name().as_ref())) {
                    (0, _) if e.name().as_ref() == "BlockList" && !rooted => rooted = true,
                    (1, Some(l)) => (list, id) = (l, String::new()),
                    _ => return None,
                }
                open += 1;
            }
            Event::Empty(e) => match (open, List::of(e.name().as_ref())) {
                (0, _) if e.name().as_ref() == "BlockList" && !rooted => rooted = true,
                (1, Some(l)) => ids.push((l, String::new())),
                _ => return None,
            },
            Event::Text(t) if open == 2 => id.push_str(t.as_ref()),
            Event::CData(t) if open == 2 => id.push_str(t.as_ref()),
            // `&#43;` or `&amp;` in an id: XML's references, resolved (a base64 id may hold `+`).
            Event::GeneralRef(r) if open == 2 => match r.resolve_char_ref().ok()? {
                Some(c) => id.push(c),
                None => id.push_str(quick_xml::escape::resolve_predefined_entity(r.as_ref())?),
            },
            Event::Text(t) if blank(t.as_ref()) => {}
            Event::End(_) => {
                if open == 2 {
                    ids.push((list, id.trim().to_string()));
                }
                open = open.checked_sub(1)?;
            }
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => return (rooted && open == 0).then_some(ids),
            _ => return None,
        }
    }
}

/// Which of a blob's block lists a `<BlockList>` element names its block in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum List {
    Latest,
    Committed,
    Uncommitted,
}

impl List {
    fn of(element: &str) -> Option<Self> {
        match element {
            "Latest" => Some(Self::Latest),
            "Committed" => Some(Self::Committed),
            "Uncommitted" => Some(Self::Uncommitted),
            _ => None,
        }
    }
}

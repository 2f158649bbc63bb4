//! The slice of Azure Blob Storage the SDK uses to upload local model and code folders
//! (SPEC §2.1): Put Blob, Put Block, Put Block List, Set Blob Metadata, Get Blob (with ranges),
//! Get Blob Properties, List Blobs, Create Container. Path-style addressing:
//! `/{account}[.blob.core.windows.net]/{container}/{blob}`. Under `--auth strict` every request
//! needs a Shared Key signature or SAS made with the account key `listSecrets` returns
//! ([`auth`], checked by the dispatcher before the body is read); lenient mode accepts any.
//! Bytes are stored content-addressed in the database, a blob as an ordered list of parts (one
//! for Put Blob, the committed blocks for Put Block List) that [`read`] streams, so no blob is
//! assembled in memory; a blob name reaches the file system only through
//! `runtime::materialize`'s checked join.
pub mod addressing;
pub mod auth;
pub mod blocklist;
pub mod errors;
pub mod keys;
pub mod read;

use crate::store::blob_reads::MAX_PAGE;
use crate::store::blobs::{Precondition, Written};
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use md5::Digest as _;
use sha2::Sha256;

use crate::app::AppState;
use crate::error::ArmResult;
use crate::http::Request;
use crate::store::blobs::BlobRow;

pub use crate::domain::storage_auth::API_VERSION;

/// A Blob Storage error: XML body plus `x-ms-error-code`, as the storage SDK expects.
fn storage_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = format!("<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{}</Message></Error>", xml_escape(message));
    let mut r = (status, [("content-type", "application/xml")], body).into_response();
    set(r.headers_mut(), "x-ms-error-code", code);
    set(r.headers_mut(), "x-ms-version", API_VERSION);
    r
}

/// 400 `InvalidUri` (Storage's common REST error) for a path or query that is not UTF-8 once
/// percent-decoded: refused rather than decoded lossily, so `a%ff` and `a%fe` stay distinct.
pub fn invalid_uri() -> Response {
    storage_error(
        StatusCode::BAD_REQUEST,
        "InvalidUri",
        "The requested URI does not represent any resource on the server.",
    )
}

fn set(h: &mut HeaderMap, name: &str, value: &str) {
    if let (Ok(n), Ok(v)) = (
        axum::http::HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        h.insert(n, v);
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn http_date() -> String {
    chrono::Utc::now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

fn new_etag() -> String {
    format!(
        "\"0x{:X}\"",
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
    )
}

/// Blob names: non-empty, at most 1024 characters, no `.`/`..` segments, no control characters.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 1024
        && !name.split('/').any(|s| s == ".." || s == ".")
        && !name.chars().any(char::is_control)
}

/// Entry point for every non-ARM, non-scoring path.
pub async fn handle(state: &AppState, req: Request) -> ArmResult<Response> {
    let account = req.segs[0]
        .split('.')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let container = req.segs.get(1).cloned().unwrap_or_default();
    let name = req.segs.get(2..).map(|s| s.join("/")).unwrap_or_default();
    if account.is_empty() || container.is_empty() || !crate::domain::is_safe_name(&container) {
        return Ok(storage_error(
            StatusCode::BAD_REQUEST,
            "InvalidResourceName",
            "The specified resource name contains invalid characters.",
        ));
    }
    let comp = req.q("comp").map(str::to_ascii_lowercase);
    let restype = req.q("restype").map(str::to_ascii_lowercase);
    let r = if name.is_empty() {
        container_op(
            state,
            &req,
            &account,
            &container,
            restype.as_deref(),
            comp.as_deref(),
        )
        .await
    } else if !valid_name(&name) {
        Ok(storage_error(
            StatusCode::BAD_REQUEST,
            "InvalidResourceName",
            "The specified blob name is invalid.",
        ))
    } else {
        blob_op(state, &req, &account, &container, &name, comp.as_deref()).await
    };
    // Storage answers its own XML errors, also for amlite's failures (a full data folder), with
    // the envelope's headers (`Retry-After` on 503/507).
    let mut resp = r.unwrap_or_else(|e| {
        let mut resp = storage_error(e.status, &e.code, &e.message);
        for (name, value) in &e.headers {
            set(resp.headers_mut(), name, value);
        }
        resp
    });
    set(resp.headers_mut(), "x-ms-version", API_VERSION);
    Ok(resp)
}

async fn container_op(
    state: &AppState,
    req: &Request,
    account: &str,
    container: &str,
    restype: Option<&str>,
    comp: Option<&str>,
) -> ArmResult<Response> {
    match (&req.method, restype, comp) {
        (&Method::PUT, Some("container"), None) => Ok(created(&new_etag())),
        (&Method::GET | &Method::HEAD, Some("container"), None) => {
            let mut r = StatusCode::OK.into_response();
            set(r.headers_mut(), "etag", &new_etag());
            set(r.headers_mut(), "last-modified", &http_date());
            Ok(r)
        }
        (&Method::GET, Some("container"), Some("list")) => {
            list(state, req, account, container).await
        }
        _ => Ok(storage_error(
            StatusCode::BAD_REQUEST,
            "UnsupportedHttpVerb",
            "amlite does not emulate this Blob Storage operation.",
        )),
    }
}

fn created(etag: &str) -> Response {
    let mut r = StatusCode::CREATED.into_response();
    set(r.headers_mut(), "etag", etag);
    set(r.headers_mut(), "last-modified", &http_date());
    set(r.headers_mut(), "x-ms-request-server-encrypted", "true");
    r
}

async fn list(
    state: &AppState,
    req: &Request,
    account: &str,
    container: &str,
) -> ArmResult<Response> {
    let prefix = req.q("prefix").unwrap_or("");
    let marker = req.q("marker").filter(|m| !m.is_empty());
    // Pages as Storage pages (`maxresults`, at most 5000; `NextMarker` when more follow: the SDK
    // lists on while it is not empty). The marker is the last name of the page before.
    let limit = match req.q("maxresults") {
        None => MAX_PAGE,
        Some(n) => match n.parse::<usize>() {
            Ok(n) if n > 0 => n.min(MAX_PAGE),
            _ => {
                return Ok(storage_error(
                    StatusCode::BAD_REQUEST,
                    "OutOfRangeQueryParameterValue",
                    "One of the query parameters specified in the request URI is outside the permissible range.",
                ))
            }
        },
    };
    let (rows, more) = state
        .store
        .list_blobs(account, container, prefix, marker, limit)
        .await?;
    let mut xml = format!("<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults ServiceEndpoint=\"{}/{account}\" ContainerName=\"{}\"><Prefix>{}</Prefix>", xml_escape(&req.listener.base_url), xml_escape(container), xml_escape(prefix));
    if let Some(m) = marker {
        xml.push_str(&format!("<Marker>{}</Marker>", xml_escape(m)));
    }
    if req.q("maxresults").is_some() {
        xml.push_str(&format!("<MaxResults>{limit}</MaxResults>"));
    }
    xml.push_str("<Blobs>");
    for b in &rows {
        xml.push_str(&format!(
            "<Blob><Name>{}</Name><Properties><Last-Modified>{}</Last-Modified><Etag>{}</Etag><Content-Length>{}</Content-Length><Content-Type>{}</Content-Type><Content-MD5>{}</Content-MD5><BlobType>BlockBlob</BlobType></Properties></Blob>",
            xml_escape(&b.name), b.last_modified, xml_escape(&b.etag), b.size, xml_escape(b.content_type.as_deref().unwrap_or("application/octet-stream")), b.content_md5.as_deref().unwrap_or("")
        ));
    }
    match rows.last().filter(|_| more) {
        Some(last) => xml.push_str(&format!(
            "</Blobs><NextMarker>{}</NextMarker></EnumerationResults>",
            xml_escape(&last.name)
        )),
        None => xml.push_str("</Blobs><NextMarker /></EnumerationResults>"),
    }
    Ok((StatusCode::OK, [("content-type", "application/xml")], xml).into_response())
}

fn metadata_of(headers: &HeaderMap) -> String {
    let m: serde_json::Map<String, serde_json::Value> = headers
        .iter()
        .filter_map(|(k, v)| {
            k.as_str()
                .strip_prefix("x-ms-meta-")
                .map(|n| (n.to_string(), serde_json::json!(v.to_str().unwrap_or(""))))
        })
        .collect();
    serde_json::Value::Object(m).to_string()
}

async fn blob_op(
    state: &AppState,
    req: &Request,
    account: &str,
    container: &str,
    name: &str,
    comp: Option<&str>,
) -> ArmResult<Response> {
    match (&req.method, comp) {
        (&Method::PUT, None) => {
            commit(state, req, account, container, name, req.body.clone()).await
        }
        (&Method::PUT, Some("block")) => {
            blocklist::put_block(state, req, account, container, name).await
        }
        (&Method::PUT, Some("blocklist")) => {
            blocklist::put_block_list(state, req, account, container, name).await
        }
        (&Method::PUT, Some("metadata")) => {
            let etag = new_etag();
            if !state
                .store
                .set_blob_metadata(
                    account,
                    container,
                    name,
                    &metadata_of(&req.headers),
                    &etag,
                    &http_date(),
                )
                .await?
            {
                return Ok(storage_error(
                    StatusCode::NOT_FOUND,
                    "BlobNotFound",
                    "The specified blob does not exist.",
                ));
            }
            let mut r = StatusCode::OK.into_response();
            set(r.headers_mut(), "etag", &etag);
            Ok(r)
        }
        (&Method::GET | &Method::HEAD, None) => {
            read::get(state, req, account, container, name).await
        }
        _ => Ok(storage_error(
            StatusCode::BAD_REQUEST,
            "UnsupportedHttpVerb",
            "amlite does not emulate this Blob Storage operation.",
        )),
    }
}

/// A write's precondition: `If-None-Match: *` (the SDK's upload without overwrite), or a SAS
/// that may only create (`Request::create_only`), or `If-Match`; each is checked by the write
/// itself, inside its transaction, so a blob created meanwhile is never replaced.
fn precondition(req: &Request) -> Precondition {
    if req.create_only || req.header("if-none-match").map(str::trim) == Some("*") {
        Precondition::Absent
    } else if let Some(etag) = req.header("if-match") {
        Precondition::Etag(etag.to_string())
    } else {
        Precondition::None
    }
}

/// Storage's answer to a write its precondition refused (`None` when it was written). A
/// create-only SAS that lost the race to another writer is refused as it would have been had
/// the blob existed when it was checked (403 `AuthorizationPermissionMismatch`).
fn refusal(req: &Request, w: Written) -> Option<Response> {
    match w {
        Written::Yes => None,
        Written::Exists if req.create_only => Some(
            errors::Refusal::permission_mismatch()
                .into_response(chrono::Utc::now(), &req.request_id),
        ),
        Written::Exists => Some(storage_error(
            StatusCode::CONFLICT,
            "BlobAlreadyExists",
            "The specified blob already exists.",
        )),
        Written::NotMatched => Some(storage_error(
            StatusCode::PRECONDITION_FAILED,
            "ConditionNotMet",
            "The condition specified using HTTP conditional header(s) is not met.",
        )),
        Written::StaleBlocks => Some(blocklist::invalid_block_list()),
    }
}

/// The row of a blob committed now: properties from the request's `x-ms-blob-*` headers (or
/// `Content-Type`), metadata from `x-ms-meta-*`, a fresh ETag.
fn blob_row(
    req: &Request,
    account: &str,
    container: &str,
    name: &str,
    size: u64,
    content_md5: Option<String>,
) -> BlobRow {
    BlobRow {
        account: account.to_string(),
        container: container.to_string(),
        name: name.to_string(),
        size: i64::try_from(size).unwrap_or(i64::MAX),
        content_type: req
            .header("x-ms-blob-content-type")
            .or(req.header("content-type"))
            .map(str::to_string),
        content_md5,
        metadata: metadata_of(&req.headers),
        etag: new_etag(),
        last_modified: http_date(),
    }
}

/// Put Blob: the body is the blob, stored as one part; Storage computes its `Content-MD5`.
async fn commit(
    state: &AppState,
    req: &Request,
    account: &str,
    container: &str,
    name: &str,
    data: Bytes,
) -> ArmResult<Response> {
    let sha = hex::encode(Sha256::digest(&data));
    let md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(&data));
    let row = blob_row(
        req,
        account,
        container,
        name,
        data.len() as u64,
        Some(md5.clone()),
    );
    let written = state
        .store
        .put_blob(&row, &sha, &data, &precondition(req))
        .await?;
    if let Some(refused) = refusal(req, written) {
        return Ok(refused);
    }
    let mut r = created(&row.etag);
    set(r.headers_mut(), "content-md5", &md5);
    Ok(r)
}

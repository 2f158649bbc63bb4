//! Get Blob and Get Blob Properties (SPEC §2.1), with `Range` / `x-ms-range`.
//!
//! A blob is stored as an ordered list of parts (`store::blobs`), and the body is streamed part
//! by part: only the part list (a few dozen bytes per block) and the part being sent are held,
//! never the whole blob, however many times a block list repeats one block (issue 9). Parts are
//! content-addressed and immutable, so a download never mixes bytes of two versions: if the
//! blob is replaced and its old bytes pruned mid-download, the connection ends early instead.
use axum::body::{Body, Bytes};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{set, storage_error};
use crate::app::AppState;
use crate::error::{ArmError, ArmResult};
use crate::http::Request;
use crate::store::blobs::BlobPart;
use crate::store::Store;

/// The bytes `from..to` of the part stored under `sha256`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    /// The part's content hash.
    pub sha256: String,
    /// First byte within the part.
    pub from: usize,
    /// One past the last byte within the part.
    pub to: usize,
}

/// `bytes=a-b` / `bytes=a-` of a blob of `len` bytes, as an inclusive range clipped to it;
/// `None` (the whole blob) when absent or unsatisfiable.
pub fn parse_range(h: Option<&str>, len: u64) -> Option<(u64, u64)> {
    let spec = h?.trim().strip_prefix("bytes=")?;
    let (a, b) = spec.split_once('-')?;
    let start: u64 = a.trim().parse().ok()?;
    let end: u64 = if b.trim().is_empty() {
        len.checked_sub(1)?
    } else {
        b.trim().parse::<u64>().ok()?.min(len.checked_sub(1)?)
    };
    (start <= end).then_some((start, end))
}

/// Whether `bytes=a-…` starts at or past the end of a blob of `len` bytes: Storage's 416
/// `InvalidRange` (an empty blob has no satisfiable range; the Storage SDKs then download it
/// without one).
pub fn starts_past_the_end(h: Option<&str>, len: u64) -> bool {
    h.and_then(|h| h.trim().strip_prefix("bytes="))
        .and_then(|spec| spec.split_once('-'))
        .and_then(|(a, _)| a.trim().parse::<u64>().ok())
        .is_some_and(|start| start >= len)
}

/// The slices of `parts` that hold the blob's bytes `start..=end`, in order.
pub fn plan(parts: &[BlobPart], start: u64, end: u64) -> Vec<Slice> {
    let mut out = Vec::new();
    let mut offset: u64 = 0;
    for p in parts {
        let size = u64::try_from(p.size).unwrap_or(0);
        let (lo, hi) = (offset, offset.saturating_add(size));
        offset = hi;
        if size == 0 || hi <= start {
            continue;
        }
        if lo > end {
            break;
        }
        let from = start.saturating_sub(lo);
        let to = (end + 1).min(hi) - lo;
        if let (Ok(from), Ok(to)) = (usize::try_from(from), usize::try_from(to)) {
            out.push(Slice {
                sha256: p.sha256.clone(),
                from,
                to,
            });
        }
    }
    out
}

/// A response body that reads and sends one slice at a time.
fn body(store: Store, slices: Vec<Slice>) -> Body {
    use futures::StreamExt as _;
    let stream = futures::stream::iter(slices).then(move |s| {
        let store = store.clone();
        async move {
            let data = store
                .content(&s.sha256)
                .await
                .map_err(std::io::Error::other)?
                .ok_or_else(|| std::io::Error::other("blob content no longer stored"))?;
            let bytes = Bytes::from(data);
            if s.to > bytes.len() {
                return Err(std::io::Error::other("blob part shorter than recorded"));
            }
            Ok::<_, std::io::Error>(bytes.slice(s.from..s.to))
        }
    });
    Body::from_stream(stream)
}

/// `GET` / `HEAD` of a blob.
pub async fn get(
    state: &AppState,
    req: &Request,
    account: &str,
    container: &str,
    name: &str,
) -> ArmResult<Response> {
    let head = req.method == Method::HEAD;
    let found = if head {
        state
            .store
            .blob(account, container, name)
            .await?
            .map(|b| (b, Vec::new()))
    } else {
        state
            .store
            .blob_with_parts(account, container, name)
            .await?
    };
    let Some((b, parts)) = found else {
        return Ok(if head {
            let mut r = StatusCode::NOT_FOUND.into_response();
            set(r.headers_mut(), "x-ms-error-code", "BlobNotFound");
            r
        } else {
            storage_error(
                StatusCode::NOT_FOUND,
                "BlobNotFound",
                "The specified blob does not exist.",
            )
        });
    };
    let total = u64::try_from(b.size).unwrap_or(0);
    let asked = req.header("x-ms-range").or(req.header("range"));
    if !head && starts_past_the_end(asked, total) {
        return Ok(storage_error(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "InvalidRange",
            "The range specified is invalid for the current size of the resource.",
        ));
    }
    let range = parse_range(asked, total).filter(|_| !head);
    let (status, len, body) = if head {
        (StatusCode::OK, total, Body::empty())
    } else {
        let stored: u64 = parts
            .iter()
            .map(|p| u64::try_from(p.size).unwrap_or(0))
            .sum();
        if stored != total {
            return Err(ArmError::internal(format!(
                "blob {account}/{container}/{name}: parts hold {stored} bytes, the blob {total}"
            )));
        }
        let (status, (s, e)) = match range {
            Some(r) => (StatusCode::PARTIAL_CONTENT, r),
            None => (StatusCode::OK, (0, total)),
        };
        let len = if status == StatusCode::OK {
            total
        } else {
            e - s + 1
        };
        let slices = if len == 0 {
            Vec::new()
        } else {
            plan(&parts, s, s + len - 1)
        };
        (status, len, body(state.store.clone(), slices))
    };
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    set(
        h,
        "content-type",
        b.content_type
            .as_deref()
            .unwrap_or("application/octet-stream"),
    );
    set(h, "content-length", &len.to_string());
    set(h, "etag", &b.etag);
    set(h, "last-modified", &b.last_modified);
    set(h, "x-ms-blob-type", "BlockBlob");
    set(h, "accept-ranges", "bytes");
    if let Some(md5) = &b.content_md5 {
        set(h, "content-md5", md5);
    }
    if let Some((s, e)) = range {
        set(h, "content-range", &format!("bytes {s}-{e}/{total}"));
    }
    if let Ok(serde_json::Value::Object(meta)) =
        serde_json::from_str::<serde_json::Value>(&b.metadata)
    {
        for (k, v) in meta {
            set(h, &format!("x-ms-meta-{k}"), v.as_str().unwrap_or(""));
        }
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(sha: &str, size: i64) -> BlobPart {
        BlobPart {
            sha256: sha.into(),
            size,
        }
    }

    fn s(sha: &str, from: usize, to: usize) -> Slice {
        Slice {
            sha256: sha.into(),
            from,
            to,
        }
    }

    #[test]
    fn plans_whole_and_ranged_reads_across_part_boundaries() {
        let parts = [part("a", 4), part("z", 0), part("b", 4), part("a", 4)];
        assert_eq!(
            plan(&parts, 0, 11),
            vec![s("a", 0, 4), s("b", 0, 4), s("a", 0, 4)]
        );
        assert_eq!(plan(&parts, 2, 5), vec![s("a", 2, 4), s("b", 0, 2)]);
        assert_eq!(plan(&parts, 4, 7), vec![s("b", 0, 4)]);
        assert_eq!(plan(&parts, 11, 11), vec![s("a", 3, 4)]);
        assert_eq!(parse_range(Some("bytes=2-"), 12), Some((2, 11)));
        assert_eq!(parse_range(Some("bytes=2-100"), 12), Some((2, 11)));
        assert_eq!(parse_range(Some("bytes=5-2"), 12), None);
        assert_eq!(parse_range(Some("bytes=0-"), 0), None);
        assert!(starts_past_the_end(Some("bytes=100-200"), 10));
        assert!(starts_past_the_end(Some("bytes=10-"), 10));
        assert!(starts_past_the_end(Some("bytes=0-"), 0));
        assert!(!starts_past_the_end(Some("bytes=9-"), 10));
        assert!(!starts_past_the_end(Some("bytes=5-2"), 10));
        assert!(!starts_past_the_end(None, 0));
    }
}

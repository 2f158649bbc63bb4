//! ARM paging of the online endpoint and deployment lists (issue 14: a list call reads one
//! page, however many resources exist): a page holds at most [`PAGE_SIZE`] items in creation
//! order; when more remain it carries `nextLink`, the same URL with `$skipToken` saying where
//! the next page starts (the creation-order number of the last item served, opaque to
//! clients). The contracts declare `nextLink` and `$skipToken` (`PaginationParameter`) but no
//! page size; 100 is amlite's choice. `count` (onlineEndpoints: "Number of endpoints to be
//! retrieved in a page of results") asks for a smaller page.
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::errors;
use crate::error::ArmResult;
use crate::http::Request;

/// Items per page when the request asks for no fewer.
pub const PAGE_SIZE: usize = 100;

/// What a query value keeps unencoded in a `nextLink` (RFC 3986 unreserved, and `$`).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'$');

/// Where a page starts (after this creation-order number) and how many items it holds at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Creation-order number of the last item already served (0: from the start).
    pub after: i64,
    /// Items on this page.
    pub size: usize,
}

impl Page {
    /// The page a request asks for: `$skipToken` (from a `nextLink`; anything else → 400) and
    /// `count` when `count_param` (1 to [`PAGE_SIZE`]; others give the default size).
    pub fn of(req: &Request, count_param: bool) -> ArmResult<Page> {
        let after = match req.q("$skipToken") {
            None => 0,
            Some(t) => t
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| errors::invalid_skip_token(t))?,
        };
        let size = count_param
            .then(|| req.q("count").and_then(|c| c.parse::<usize>().ok()))
            .flatten()
            .filter(|n| (1..=PAGE_SIZE).contains(n))
            .unwrap_or(PAGE_SIZE);
        Ok(Page { after, size })
    }
}

/// The `nextLink` of a page of `req` that stopped after creation-order number `last`: the
/// request's URL with its query (less any `$skipToken`) and `$skipToken={last}`.
pub fn next_link(req: &Request, last: i64) -> String {
    let mut query: Vec<String> = req
        .query
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("$skipToken"))
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, QUERY_VALUE),
                utf8_percent_encode(v, QUERY_VALUE)
            )
        })
        .collect();
    query.push(format!("$skipToken={last}"));
    format!("{}{}?{}", req.base_from_host(), req.path, query.join("&"))
}

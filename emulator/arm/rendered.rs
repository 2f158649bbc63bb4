//! GET answers of single resources, kept with the stored row they were rendered from (issue 14:
//! decoding the row's JSON, building Azure's wire shape and serialising it were ≈ 14 % of a GET
//! endpoint's server CPU, bench/ANALYSIS.md).
//!
//! An answer is reused only for the same stored id, the same stored body byte for byte, and the
//! same `variant`: every other input its renderer reads, as the caller passes them (the
//! listener's base URL, which `scoringUri` and monitor URLs name; the api-version where the shape
//! depends on it). The tenant, the renderers' last input, is fixed for the process. So no write has to
//! invalidate anything: a row written since has another body and renders afresh, and the map
//! only ever holds answers that rendering would produce again. Bounded: least recently used
//! entries go first, and an answer larger than 16 KiB with its body is not kept.
//!
//! Owns only that map; reads nothing from the store (callers pass the row they read).
use std::sync::{Mutex, PoisonError};

use axum::response::Response;
use bytes::Bytes;
use hashlink::LruCache;

use crate::error::ArmResult;
use crate::store::Row;

/// Answers kept at most (a GET answer is 1–3 KiB, the row's body about as much).
const ENTRIES: usize = 512;

/// An answer whose body and bytes together pass this is served but not kept, so the map holds at
/// most `ENTRIES` × 16 KiB however large the bodies a client stores (up to `--max-body` each).
const MAX_KEPT_BYTES: usize = 16 * 1024;

/// See the module documentation.
pub struct Rendered {
    /// The variant's parts and the id, each ended by `\n` (neither contains one) → (the body
    /// rendered, the serialised answer).
    map: Mutex<LruCache<String, (String, Bytes)>>,
}

impl Default for Rendered {
    fn default() -> Self {
        Rendered {
            map: Mutex::new(LruCache::new(ENTRIES)),
        }
    }
}

impl std::fmt::Debug for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rendered").finish_non_exhaustive()
    }
}

impl Rendered {
    /// 200 with the JSON `render` produces for `row`, or the bytes it produced last time for
    /// this row, body and `variant`.
    pub fn ok<T: serde::Serialize>(
        &self,
        row: &Row,
        variant: &[&str],
        render: impl FnOnce() -> ArmResult<T>,
    ) -> ArmResult<Response> {
        Ok(crate::http::ok_json_bytes(
            self.bytes(row, variant, render)?,
        ))
    }

    fn bytes<T: serde::Serialize>(
        &self,
        row: &Row,
        variant: &[&str],
        render: impl FnOnce() -> ArmResult<T>,
    ) -> ArmResult<Bytes> {
        let mut key = String::with_capacity(row.id.len() + 80);
        for part in variant.iter().chain([&row.id.as_str()]) {
            key.push_str(part);
            key.push('\n');
        }
        if let Some((body, answer)) = self.map().get(&key) {
            if *body == row.body {
                return Ok(answer.clone());
            }
        }
        let answer = Bytes::from(crate::http::json_bytes(&render()?)?);
        if row.body.len() + answer.len() <= MAX_KEPT_BYTES {
            self.map().insert(key, (row.body.clone(), answer.clone()));
        }
        Ok(answer)
    }

    fn map(&self) -> std::sync::MutexGuard<'_, LruCache<String, (String, Bytes)>> {
        // A panic while the map was held left it whole (a get or an insert): keep using it.
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn row(body: &str) -> Row {
        Row {
            id: "/subscriptions/s/resourceGroups/g/x/E1".into(),
            kind: "onlineEndpoint".into(),
            parent_id: None,
            name: "E1".into(),
            body: body.into(),
        }
    }

    fn answer(cache: &Rendered, r: &Row, variant: &str, calls: &Cell<u32>) -> Bytes {
        cache
            .bytes(r, &[variant], || {
                calls.set(calls.get() + 1);
                Ok(serde_json::json!({ "body": r.body, "variant": variant }))
            })
            .expect("renders")
    }

    #[test]
    fn the_same_row_and_variant_render_once() {
        let (cache, calls) = (Rendered::default(), Cell::new(0));
        let a = answer(&cache, &row("{\"a\":1}"), "https://h:1", &calls);
        let b = answer(&cache, &row("{\"a\":1}"), "https://h:1", &calls);
        assert_eq!((a, calls.get()), (b, 1));
    }

    #[test]
    fn a_row_written_since_renders_afresh() {
        let (cache, calls) = (Rendered::default(), Cell::new(0));
        answer(&cache, &row("{\"a\":1}"), "https://h:1", &calls);
        let b = answer(&cache, &row("{\"a\":2}"), "https://h:1", &calls);
        assert_eq!(calls.get(), 2);
        assert!(
            String::from_utf8_lossy(&b).contains("{\\\"a\\\":2}"),
            "{b:?}"
        );
    }

    #[test]
    fn another_listener_renders_its_own_answer() {
        let (cache, calls) = (Rendered::default(), Cell::new(0));
        answer(&cache, &row("{}"), "https://h:1", &calls);
        let b = answer(&cache, &row("{}"), "https://vnet:2", &calls);
        assert_eq!(calls.get(), 2);
        assert!(String::from_utf8_lossy(&b).contains("https://vnet:2"));
    }

    #[test]
    fn a_large_answer_is_served_but_not_kept() {
        let (cache, calls) = (Rendered::default(), Cell::new(0));
        let big = row(&format!("{{\"tags\":\"{}\"}}", "x".repeat(MAX_KEPT_BYTES)));
        let a = answer(&cache, &big, "v", &calls);
        let b = answer(&cache, &big, "v", &calls);
        assert_eq!((a, calls.get()), (b, 2));
    }

    #[test]
    fn a_failed_render_is_not_kept() {
        let cache = Rendered::default();
        let failed = cache.bytes(&row("{}"), &["v"], || -> ArmResult<u8> {
            Err(crate::error::ArmError::internal("no"))
        });
        assert!(failed.is_err());
        let calls = Cell::new(0);
        answer(&cache, &row("{}"), "v", &calls);
        assert_eq!(calls.get(), 1);
    }
}

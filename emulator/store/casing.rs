//! An in-memory read-through cache of the `resources` table: which ids exist and in what casing
//! (SPEC §3: responses echo the stored casing) and the rows `Store::get` reads, so the casing
//! lookup every ARM request makes and the handler's reads of the workspace and the resource
//! cost no SQLite round trip (each statement is a hand-off to sqlx's connection thread,
//! bench/ANALYSIS.md).
//!
//! Correctness rests on a generation counter that every write to the database advances *after*
//! it is visible (`Store::put`/`delete` once the statement returns, [`super::WriteTx::commit`]
//! once the commit returns). A lookup remembers the generation it started under and its answer
//! is only kept while that generation is current, so a read that raced with a commit never
//! outlives it.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use super::Row;

/// Entries kept before the cache starts over (request paths are caller-chosen).
const MAX_ENTRIES: usize = 10_000;

/// Lower-cased id → the stored spelling, or `None` for "does not exist".
#[derive(Debug, Default)]
pub struct CasingCache {
    generation: AtomicU64,
    /// `(generation the entries belong to, entries)`.
    map: Mutex<(u64, HashMap<String, Option<String>>)>,
    /// `(generation, lower-cased id → the row or None)` for `Store::get`.
    rows: Mutex<(u64, HashMap<String, Option<Row>>)>,
}

impl CasingCache {
    /// Invalidates every entry (call after a write became visible).
    pub fn bump(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The current generation, to pass to [`CasingCache::fill`] after the query.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// The cached answers for `ids`, or `None` if any of them is not cached.
    pub fn lookup(&self, ids: &[String]) -> Option<Vec<String>> {
        let now = self.generation();
        let map = self.map.lock().ok()?;
        if map.0 != now {
            return None;
        }
        let mut found = Vec::new();
        for id in ids {
            if let Some(stored) = map.1.get(&id.to_ascii_lowercase())? {
                found.push(stored.clone());
            }
        }
        Some(found)
    }

    /// Records the answer of a query for `ids` (`found`: the stored spelling of those that
    /// exist) made under generation `seen`; dropped if a write happened since.
    pub fn fill(&self, seen: u64, ids: &[String], found: &[String]) {
        let Ok(mut map) = self.map.lock() else {
            return;
        };
        if self.generation() != seen {
            return;
        }
        if map.0 != seen || map.1.len() + ids.len() > MAX_ENTRIES {
            map.0 = seen;
            map.1.clear();
        }
        for id in ids {
            let key = id.to_ascii_lowercase();
            let stored = found.iter().find(|f| f.eq_ignore_ascii_case(id)).cloned();
            map.1.insert(key, stored);
        }
    }
}

impl CasingCache {
    /// The cached answer of `Store::get(id)`: `Some(None)` is a cached "does not exist",
    /// `None` means not cached.
    pub fn lookup_row(&self, id: &str) -> Option<Option<Row>> {
        let now = self.generation();
        let map = self.rows.lock().ok()?;
        if map.0 != now {
            return None;
        }
        map.1.get(&id.to_ascii_lowercase()).cloned()
    }

    /// Records the answer of `Store::get(id)` read under generation `seen` (see
    /// [`CasingCache::fill`]).
    pub fn fill_row(&self, seen: u64, id: &str, row: &Option<Row>) {
        let Ok(mut map) = self.rows.lock() else {
            return;
        };
        if self.generation() != seen {
            return;
        }
        if map.0 != seen || map.1.len() >= MAX_ENTRIES {
            map.0 = seen;
            map.1.clear();
        }
        map.1.insert(id.to_ascii_lowercase(), row.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn answers_from_cache_until_a_write() {
        let c = CasingCache::default();
        let q = ids(&["/subscriptions/S", "/subscriptions/S/resourceGroups/x"]);
        assert_eq!(c.lookup(&q), None);
        c.fill(c.generation(), &q, &ids(&["/subscriptions/s"]));
        assert_eq!(c.lookup(&q), Some(ids(&["/subscriptions/s"])));
        assert_eq!(
            c.lookup(&ids(&["/SUBSCRIPTIONS/S"])),
            Some(ids(&["/subscriptions/s"]))
        );
        assert_eq!(c.lookup(&ids(&["/other"])), None);
        c.bump();
        assert_eq!(c.lookup(&q), None);
    }

    #[test]
    fn a_query_that_raced_with_a_write_is_not_kept() {
        let c = CasingCache::default();
        let q = ids(&["/a"]);
        let seen = c.generation();
        c.bump();
        c.fill(seen, &q, &[]);
        assert_eq!(c.lookup(&q), None);
    }
}

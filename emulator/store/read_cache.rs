//! What the store keeps in memory so that most requests cost no SQLite statement (each is a
//! hand-off to sqlx's connection thread, bench/ANALYSIS.md, issue 14):
//! - the **id index**: every resource id in its stored casing (SPEC §3: responses echo it), its
//!   parent, kind, name and usage columns, complete, so the casing lookup every ARM request
//!   makes, "does it exist?", "which children / which of a kind and name" and the CP-5/CP-8
//!   usage totals never need SQL (the rows themselves come from the row cache or one query);
//! - the **row cache**: the rows `Store::get` read or a commit wrote;
//! - the **operation cache**: the operations `Store::operation` read (every poll of a
//!   monitor) or a commit wrote.
//!
//! Correctness rests on a generation counter that every write advances *after* it is visible
//! ([`super::WriteTx::commit`] once the commit returns; a statement outside it calls
//! [`ReadCache::advance`] itself, and may skip it when it changed no row), under the locks of all
//! three maps, with
//! the [`Change`]s the commit made: the index and the caches are updated in the same step, so a
//! lookup sees either the state before that commit or the state after it. A read that went to
//! SQLite remembers the generation it started under and is only kept while that generation is
//! current, so a read that raced with a commit never outlives it. A write whose effect is not
//! known exactly ([`Change::Any`]: a failed or cancelled commit) empties the caches and marks the
//! index stale: lookups go to SQLite until a background build (`Store::build_index_in_background`,
//! started by the next casing lookup once the server asked for the index) has replaced it.
//!
//! Must not depend on anything outside `store/`.
use hashlink::LruCache;

pub use super::index::IndexRow;
use super::index::{delete_rows, put_row, Index};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::{OperationRow, Row};

/// Cached rows and operations kept, each map (ids are caller-chosen; 2,048 endpoint documents are
/// ~4 MiB of issue 14's 60 MiB budget at 10,000 endpoints); a full map evicts the entry least
/// recently read or written. The id index is not bounded: it holds what the database holds.
pub(super) const MAX_ENTRIES: usize = 2_048;

/// What one statement of a write transaction did to what this module keeps.
#[derive(Debug, Clone)]
pub enum Change {
    /// Nothing it keeps (another table).
    None,
    /// Upserted a resource row (as sent; an existing row keeps its id, kind, parent and name)
    /// with these usage columns.
    Put(Row, super::usage::Usage),
    /// Deleted a resource, and by cascade its children.
    Delete(String),
    /// Emptied every table.
    Wipe,
    /// Changed operations other than one by one.
    Operations,
    /// May have changed anything (the outcome of the write is unknown).
    Any,
    /// Inserted an operation.
    NewOperation(OperationRow),
    /// Ended operation `id` if it was `InProgress`.
    EndOperation {
        id: String,
        status: String,
        ended_at: String,
        error: Option<String>,
    },
    /// Changed operation `id` otherwise.
    Operation(String),
}

/// `(generation, lower-cased key → the value or None)`, least recently used first. Every
/// request reads its workspace and endpoint rows, so they stay while a world of 10,000 endpoints
/// is written past them, and the row a request just wrote is there for the next one (issue 14:
/// a deployment PUT read its newest sibling from SQLite once the map was full).
pub(super) type Cache<V> = (u64, Lru<V>);

/// A bounded least-recently-used map of [`MAX_ENTRIES`].
#[derive(Debug)]
pub(super) struct Lru<V>(LruCache<String, Option<V>>);

impl<V> Default for Lru<V> {
    fn default() -> Self {
        Self(LruCache::new(MAX_ENTRIES))
    }
}

impl<V> std::ops::Deref for Lru<V> {
    type Target = LruCache<String, Option<V>>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<V> std::ops::DerefMut for Lru<V> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

/// See the module documentation.
#[derive(Debug, Default)]
pub struct ReadCache {
    generation: AtomicU64,
    /// A background build of the index is running.
    building: AtomicBool,
    /// The server asked for the index ([`ReadCache::keep_index`]): rebuild it when it goes stale.
    wanted: AtomicBool,
    index: Mutex<Index>,
    /// `(generation the entries belong to, lower-cased id → the row or None)`.
    rows: Mutex<Cache<Row>>,
    /// `(generation, operation id → the row or None)`.
    operations: Mutex<Cache<OperationRow>>,
}

impl ReadCache {
    /// The current generation: caches built from stored state tag entries with it.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Forgets everything (a write of unknown effect became visible).
    pub fn bump(&self) {
        self.advance(&[Change::Any]);
    }

    /// Starts a new generation after a write became visible, applying what it changed (see the
    /// module documentation).
    pub fn advance(&self, changes: &[Change]) {
        let (Ok(mut index), Ok(mut rows), Ok(mut ops)) =
            (self.index.lock(), self.rows.lock(), self.operations.lock())
        else {
            // A poisoned lock: the maps are never trusted again (lookups fail to lock too).
            self.generation.fetch_add(1, Ordering::SeqCst);
            return;
        };
        let old = self.generation.fetch_add(1, Ordering::SeqCst);
        let rows_current = rows.0 == old;
        let ops_current = ops.0 == old;
        let mut keep = (rows_current, ops_current);
        for change in changes {
            match change {
                Change::Any => {
                    index.valid = false;
                    index.clear();
                    keep = (false, false);
                }
                Change::Wipe => {
                    index.clear();
                    rows.1.clear();
                    ops.1.clear();
                }
                Change::Operations => keep.1 = false,
                Change::Put(row, usage) => put_row(&mut index, &mut rows, row, usage),
                Change::Delete(id) => delete_rows(&mut index, &mut rows, id),
                Change::NewOperation(op) => {
                    ops.1.insert(op.id.clone(), Some(op.clone()));
                }
                Change::EndOperation {
                    id,
                    status,
                    ended_at,
                    error,
                } => match ops.1.get_mut(id) {
                    Some(Some(op)) if op.status == "InProgress" => {
                        op.status = status.clone();
                        op.ended_at = Some(ended_at.clone());
                        op.error = error.clone();
                    }
                    Some(Some(_)) => {}
                    _ => {
                        ops.1.remove(id);
                    }
                },
                Change::Operation(id) => {
                    ops.1.remove(id);
                }
                Change::None => {}
            }
        }
        // A cache of an older generation stays behind (lookups miss; the next fill clears it).
        if keep.0 {
            rows.0 = old + 1;
        }
        if keep.1 {
            ops.0 = old + 1;
        }
    }
}

impl ReadCache {
    /// The stored spelling of whichever of `ids` exist, in the order of `ids`; `None` while the
    /// index is not built.
    pub fn lookup(&self, ids: &[String]) -> Option<Vec<String>> {
        let index = self.index.lock().ok()?;
        if !index.valid {
            return None;
        }
        Some(
            ids.iter()
                .filter_map(|id| index.ids.get(id.to_ascii_lowercase().as_str()))
                .map(|e| e.id.to_string())
                .collect(),
        )
    }

    /// Lower-cased ids of the children of `parent` of `kind`, in creation order.
    pub fn children(&self, parent: &str, kind: &str) -> Option<Vec<String>> {
        self.with_index(|i| {
            i.children
                .get(parent.to_ascii_lowercase().as_str())
                .and_then(|kinds| kinds.get(kind))
                .into_iter()
                .flat_map(|m| m.values())
                .map(|k| k.to_string())
                .collect()
        })
    }

    /// Lower-cased ids of the resources of `kind` named `name`, in creation order.
    pub fn by_kind_and_name(&self, kind: &str, name: &str) -> Option<Vec<String>> {
        self.with_index(|i| {
            i.by_kind_and_name
                .get(&(Arc::from(kind), Arc::from(name.to_ascii_lowercase())))
                .into_iter()
                .flat_map(|v| v.iter().map(|(_, k)| k.to_string()))
                .collect()
        })
    }

    /// Lower-cased ids of the resources of `kind` whose id starts with `prefix`
    /// (case-insensitive), in creation order.
    pub fn by_kind_under(&self, kind: &str, prefix: &str) -> Option<Vec<String>> {
        let prefix = prefix.to_ascii_lowercase();
        self.with_index(|i| {
            i.by_kind
                .get(kind)
                .into_iter()
                .flat_map(|m| m.values())
                .filter(|k| k.starts_with(&prefix))
                .map(|k| k.to_string())
                .collect()
        })
    }

    /// The usage totals `(rows, units)` of `kind` in `scope`.
    pub fn totals(&self, kind: &str, scope: &str) -> Option<(i64, i64)> {
        self.with_index(|i| {
            i.totals
                .get(&(Arc::from(kind), Arc::from(scope)))
                .copied()
                .unwrap_or((0, 0))
        })
    }

    fn with_index<T>(&self, f: impl FnOnce(&Index) -> T) -> Option<T> {
        let index = self.index.lock().ok()?;
        index.valid.then(|| f(&index))
    }

    /// From now on the index is rebuilt whenever it goes stale.
    pub fn keep_index(&self) {
        self.wanted.store(true, Ordering::SeqCst);
    }

    /// Whether [`ReadCache::keep_index`] was called.
    pub fn keeps_index(&self) -> bool {
        self.wanted.load(Ordering::SeqCst)
    }

    /// Claims the one background build of the index; false if one runs.
    pub fn start_building(&self) -> bool {
        !self.building.swap(true, Ordering::SeqCst)
    }

    /// Ends the background build claimed by [`ReadCache::start_building`].
    pub fn done_building(&self) {
        self.building.store(false, Ordering::SeqCst);
    }

    /// Builds the index from every row of the database (in creation order), read under
    /// generation `seen`; dropped (false) if a write happened since.
    pub fn install_index(&self, seen: u64, all: Vec<IndexRow<'_>>) -> bool {
        let Ok(mut index) = self.index.lock() else {
            return false;
        };
        if self.generation() != seen {
            return false;
        }
        *index = Index::default();
        for IndexRow(id, parent, kind, name, scope, units) in all {
            index.add(
                &id,
                parent.as_deref(),
                &kind,
                &name,
                (scope.as_deref(), units),
            );
        }
        index.valid = true;
        true
    }

    /// The cached answer of `Store::get(id)`: `Some(None)` is "does not exist" (cached, or
    /// absent from the index), `None` means not cached.
    pub fn lookup_row(&self, id: &str) -> Option<Option<Row>> {
        let key = id.to_ascii_lowercase();
        {
            let index = self.index.lock().ok()?;
            if index.valid && !index.ids.contains_key(key.as_str()) {
                return Some(None);
            }
        }
        let now = self.generation();
        let mut map = self.rows.lock().ok()?;
        if map.0 != now {
            return None;
        }
        map.1.get(&key).cloned()
    }

    /// Records the answer of `Store::get(id)` read under generation `seen`.
    pub fn fill_row(&self, seen: u64, id: &str, row: &Option<Row>) {
        self.fill(&self.rows, seen, id.to_ascii_lowercase(), row);
    }

    /// The cached answer of `Store::operation(id)`: `Some(None)` is a cached "does not exist".
    pub fn lookup_operation(&self, id: &str) -> Option<Option<OperationRow>> {
        let now = self.generation();
        let mut map = self.operations.lock().ok()?;
        if map.0 != now {
            return None;
        }
        map.1.get(id).cloned()
    }

    /// Records the answer of `Store::operation(id)` read under generation `seen`.
    pub fn fill_operation(&self, seen: u64, id: &str, op: &Option<OperationRow>) {
        self.fill(&self.operations, seen, id.to_string(), op);
    }

    /// Keeps a read made under generation `seen` if that is still the current one (checked
    /// under the cache's lock, which [`ReadCache::advance`] holds while the generation moves).
    fn fill<V: Clone>(&self, cache: &Mutex<Cache<V>>, seen: u64, key: String, value: &Option<V>) {
        let Ok(mut map) = cache.lock() else {
            return;
        };
        if self.generation() != seen {
            return;
        }
        if map.0 != seen {
            map.0 = seen;
            map.1.clear();
        }
        map.1.insert(key, value.clone());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "read_cache_tests.rs"]
mod tests;

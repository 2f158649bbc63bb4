//! The id index of [`super::read_cache`]: every stored resource with its parent, kind, name and
//! usage columns, the lookups answered from it, and how a commit's upserts and (cascading)
//! deletes change it and the row cache. Must not depend on anything outside `store/`.
use std::collections::{BTreeMap, HashMap};
use std::sync::MutexGuard;

use super::read_cache::{Cache, MAX_ENTRIES};
use super::Row;

/// One row of the id index.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    /// Stored id and parent id (their casing).
    pub(super) id: String,
    pub(super) parent: Option<String>,
    pub(super) kind: String,
    /// Lower-cased `name` column.
    pub(super) name: String,
    /// Creation order (the index's own counter: only the order matters).
    pub(super) seq: i64,
    pub(super) usage: super::usage::Usage,
}

/// Every stored resource, keyed by lower-cased id, with the lookups the store answers from it
/// (each list in creation order).
#[derive(Debug, Default)]
pub(super) struct Index {
    /// False until built, and after a write of unknown effect.
    pub(super) valid: bool,
    pub(super) ids: HashMap<String, Entry>,
    pub(super) children: HashMap<String, BTreeMap<i64, String>>,
    pub(super) by_kind: HashMap<String, BTreeMap<i64, String>>,
    pub(super) by_kind_and_name: HashMap<(String, String), BTreeMap<i64, String>>,
    /// What the `usage` table holds (migration 0006's triggers, mirrored): (kind, scope) →
    /// (rows, units).
    pub(super) totals: HashMap<(String, String), (i64, i64)>,
    pub(super) next_seq: i64,
}

impl Index {
    pub(super) fn clear(&mut self) {
        let valid = self.valid;
        *self = Index::default();
        self.valid = valid;
    }

    pub(super) fn insert(&mut self, key: String, e: Entry) {
        if let Some(p) = &e.parent {
            self.children
                .entry(p.to_ascii_lowercase())
                .or_default()
                .insert(e.seq, key.clone());
        }
        self.by_kind
            .entry(e.kind.clone())
            .or_default()
            .insert(e.seq, key.clone());
        self.by_kind_and_name
            .entry((e.kind.clone(), e.name.clone()))
            .or_default()
            .insert(e.seq, key.clone());
        self.count(&e, 1);
        self.next_seq = self.next_seq.max(e.seq + 1);
        self.ids.insert(key, e);
    }

    pub(super) fn remove(&mut self, key: &str) -> Option<Entry> {
        let e = self.ids.remove(key)?;
        if let Some(p) = &e.parent {
            remove_from(&mut self.children, &p.to_ascii_lowercase(), e.seq);
        }
        remove_from(&mut self.by_kind, &e.kind, e.seq);
        remove_from(
            &mut self.by_kind_and_name,
            &(e.kind.clone(), e.name.clone()),
            e.seq,
        );
        self.count(&e, -1);
        Some(e)
    }

    /// The triggers of migration 0006: a counted row adds one and its units to its scope.
    pub(super) fn count(&mut self, e: &Entry, sign: i64) {
        if let (Some(scope), units) = &e.usage {
            let t = self
                .totals
                .entry((e.kind.clone(), scope.clone()))
                .or_default();
            t.0 += sign;
            t.1 += sign * units;
        }
    }
}

fn remove_from<K: std::hash::Hash + Eq>(
    map: &mut HashMap<K, BTreeMap<i64, String>>,
    key: &K,
    seq: i64,
) {
    if let Some(m) = map.get_mut(key) {
        m.remove(&seq);
        if m.is_empty() {
            map.remove(key);
        }
    }
}

/// A resource row as the index is built from (`SELECT id, parent_id, kind, name, usage_scope,
/// usage_units FROM resources ORDER BY seq`).
pub type IndexRow = (String, Option<String>, String, String, Option<String>, i64);

/// Write-through of an upsert with its usage columns. A new row is stored as sent; an existing
/// one keeps its id, kind, parent and name (the upsert changes only the body and usage), so its
/// cached row gets the new body, and an uncached one stays uncached.
pub(super) fn put_row(
    index: &mut MutexGuard<'_, Index>,
    rows: &mut MutexGuard<'_, Cache<Row>>,
    row: &Row,
    usage: &super::usage::Usage,
) {
    let key = row.id.to_ascii_lowercase();
    let existed = match index.ids.get(&key).cloned() {
        Some(old) => {
            index.count(&old, -1);
            let new = Entry {
                usage: usage.clone(),
                ..old
            };
            index.count(&new, 1);
            index.ids.insert(key.clone(), new);
            true
        }
        None => {
            let seq = index.next_seq;
            let e = Entry {
                id: row.id.clone(),
                parent: row.parent_id.clone(),
                kind: row.kind.clone(),
                name: row.name.to_ascii_lowercase(),
                seq,
                usage: usage.clone(),
            };
            index.insert(key.clone(), e);
            false
        }
    };
    let stored = match rows.1.get(&key) {
        Some(Some(old)) => Some(Row {
            body: row.body.clone(),
            ..old.clone()
        }),
        _ if index.valid && !existed => Some(row.clone()),
        _ => None,
    };
    match stored {
        Some(r) => insert_bounded(&mut rows.1, key, Some(r)),
        None => {
            rows.1.remove(&key);
        }
    }
}

/// A delete and its cascade (`parent_id … ON DELETE CASCADE`): the row and, recursively, its
/// children.
pub(super) fn delete_rows(
    index: &mut MutexGuard<'_, Index>,
    rows: &mut MutexGuard<'_, Cache<Row>>,
    id: &str,
) {
    if !index.valid {
        // Which children went is not known: no cached row can be trusted.
        rows.1.clear();
    }
    let mut todo = vec![id.to_ascii_lowercase()];
    while let Some(key) = todo.pop() {
        if let Some(kids) = index.children.get(&key) {
            todo.extend(kids.values().cloned());
        }
        index.remove(&key);
        if index.valid {
            insert_bounded(&mut rows.1, key, None);
        } else {
            rows.1.remove(&key);
        }
    }
}

pub(super) fn insert_bounded<V>(map: &mut HashMap<String, V>, key: String, value: V) {
    if map.len() < MAX_ENTRIES || map.contains_key(&key) {
        map.insert(key, value);
    } else {
        map.remove(&key);
    }
}

//! The id index of [`super::read_cache`]: every stored resource with its parent, kind, name and
//! usage columns, the lookups answered from it, and how a commit's upserts and (cascading)
//! deletes change it and the row cache. Must not depend on anything outside `store/`.
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, MutexGuard};

use super::read_cache::Cache;
use super::Row;

/// A shared string: the lower-cased id is the key of its entry and the value of every list it
/// is in, a kind or usage scope is held once however many rows have it (10,000 endpoints
/// must fit the RSS budget of issue 14).
type Text = Arc<str>;

/// One row of the id index.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    /// Stored id (its casing).
    pub(super) id: Text,
    /// Lower-cased parent id.
    pub(super) parent: Option<Text>,
    pub(super) kind: Text,
    /// Lower-cased `name` column.
    pub(super) name: Text,
    /// Creation order (the index's own counter: only the order matters).
    pub(super) seq: i64,
    /// `(usage_scope, usage_units)`.
    pub(super) scope: Option<Text>,
    pub(super) units: i64,
}

/// Every stored resource, keyed by lower-cased id, with the lookups the store answers from it
/// (each list in creation order).
#[derive(Debug, Default)]
pub(super) struct Index {
    /// False until built, and after a write of unknown effect.
    pub(super) valid: bool,
    pub(super) ids: HashMap<Text, Entry>,
    /// Parent → kind → children: a workspace with 10,000 endpoints answers "its datastores"
    /// without looking at them.
    pub(super) children: HashMap<Text, HashMap<Text, BTreeMap<i64, Text>>>,
    pub(super) by_kind: HashMap<Text, BTreeMap<i64, Text>>,
    /// A `Vec` in creation order (a name is rarely shared; a tree per name would cost a node).
    pub(super) by_kind_and_name: HashMap<(Text, Text), Vec<(i64, Text)>>,
    /// What the `usage` table holds (migration 0006's triggers, mirrored): (kind, scope) →
    /// (rows, units).
    pub(super) totals: HashMap<(Text, Text), (i64, i64)>,
    pub(super) next_seq: i64,
    /// Kinds, scopes and the ids of parents not (yet) indexed, each held once.
    strings: HashSet<Text>,
}

impl Index {
    pub(super) fn clear(&mut self) {
        let valid = self.valid;
        *self = Index::default();
        self.valid = valid;
    }

    fn intern(&mut self, s: &str) -> Text {
        if let Some(t) = self.strings.get(s) {
            return t.clone();
        }
        let t: Text = Arc::from(s);
        self.strings.insert(t.clone());
        t
    }

    /// Adds a row that is not in the index (`id` in its stored casing), last in creation order.
    pub(super) fn add(
        &mut self,
        id: &str,
        parent: Option<&str>,
        kind: &str,
        name: &str,
        (scope, units): (Option<&str>, i64),
    ) {
        let key: Text = Arc::from(id.to_ascii_lowercase());
        let parent =
            parent.map(
                |p| match self.ids.get_key_value(p.to_ascii_lowercase().as_str()) {
                    Some((k, _)) => k.clone(),
                    None => self.intern(&p.to_ascii_lowercase()),
                },
            );
        let e = Entry {
            id: if id == &*key {
                key.clone()
            } else {
                Arc::from(id)
            },
            parent,
            kind: self.intern(kind),
            // Not interned: names are nearly all distinct, and the intern set never shrinks.
            name: Arc::from(name.to_ascii_lowercase()),
            seq: self.next_seq,
            scope: scope.map(|s| self.intern(s)),
            units,
        };
        self.next_seq += 1;
        if let Some(p) = &e.parent {
            self.children
                .entry(p.clone())
                .or_default()
                .entry(e.kind.clone())
                .or_default()
                .insert(e.seq, key.clone());
        }
        self.by_kind
            .entry(e.kind.clone())
            .or_default()
            .insert(e.seq, key.clone());
        // `seq` only grows, so pushing keeps creation order.
        self.by_kind_and_name
            .entry((e.kind.clone(), e.name.clone()))
            .or_default()
            .push((e.seq, key.clone()));
        self.count(&e, 1);
        self.ids.insert(key, e);
    }

    /// A new row's usage columns on an existing entry (the UPDATE trigger: old out, new in).
    pub(super) fn set_usage(&mut self, key: &str, (scope, units): (Option<&str>, i64)) {
        let Some(old) = self.ids.get(key).cloned() else {
            return;
        };
        self.count(&old, -1);
        let new = Entry {
            scope: scope.map(|s| self.intern(s)),
            units,
            ..old
        };
        self.count(&new, 1);
        if let Some(e) = self.ids.get_mut(key) {
            *e = new;
        }
    }

    pub(super) fn remove(&mut self, key: &str) -> Option<Entry> {
        let e = self.ids.remove(key)?;
        if let Some(kinds) = e.parent.as_ref().and_then(|p| self.children.get_mut(p)) {
            remove_from(kinds, &e.kind, e.seq);
            if kinds.is_empty() {
                if let Some(p) = &e.parent {
                    self.children.remove(p);
                }
            }
        }
        remove_from(&mut self.by_kind, &e.kind, e.seq);
        let named = (e.kind.clone(), e.name.clone());
        if let Some(v) = self.by_kind_and_name.get_mut(&named) {
            v.retain(|(seq, _)| *seq != e.seq);
            if v.is_empty() {
                self.by_kind_and_name.remove(&named);
            }
        }
        self.count(&e, -1);
        Some(e)
    }

    /// The triggers of migration 0006: a counted row adds one and its units to its scope.
    fn count(&mut self, e: &Entry, sign: i64) {
        if let Some(scope) = &e.scope {
            let t = self
                .totals
                .entry((e.kind.clone(), scope.clone()))
                .or_default();
            t.0 += sign;
            t.1 += sign * e.units;
        }
    }
}

fn remove_from<K: std::hash::Hash + Eq>(
    map: &mut HashMap<K, BTreeMap<i64, Text>>,
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

/// A resource row as the index is built from: `[id, parent_id, kind, name, usage_scope,
/// usage_units]`, in creation order (read as one JSON array, `Store::rebuild_index`; the
/// strings borrow from that text where they have no escapes).
#[derive(Debug, serde::Deserialize)]
pub struct IndexRow<'a>(
    #[serde(borrow)] pub Cow<'a, str>,
    #[serde(borrow)] pub Option<Cow<'a, str>>,
    #[serde(borrow)] pub Cow<'a, str>,
    #[serde(borrow)] pub Cow<'a, str>,
    #[serde(borrow)] pub Option<Cow<'a, str>>,
    pub i64,
);

/// Write-through of an upsert with its usage columns. A new row is stored as sent; an existing
/// one keeps its id, kind, parent and name (the upsert changes only the body and usage), so its
/// cached row gets the new body, and an uncached one stays uncached.
pub(super) fn put_row(
    index: &mut MutexGuard<'_, Index>,
    rows: &mut MutexGuard<'_, Cache<Row>>,
    row: &Row,
    (scope, units): &super::usage::Usage,
) {
    let key = row.id.to_ascii_lowercase();
    let usage = (scope.as_deref(), *units);
    let existed = index.ids.contains_key(key.as_str());
    if existed {
        index.set_usage(&key, usage);
    } else {
        let parent = row.parent_id.as_deref();
        index.add(&row.id, parent, &row.kind, &row.name, usage);
    }
    let stored = match rows.1.get(&key) {
        Some(Some(old)) => Some(Row {
            body: row.body.clone(),
            ..old.clone()
        }),
        // A new row's columns are as sent; the cache evicts what was least recently used.
        _ if index.valid && !existed => Some(row.clone()),
        _ => None,
    };
    match stored {
        Some(r) => {
            rows.1.insert(key, Some(r));
        }
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
        if let Some(kinds) = index.children.get(key.as_str()) {
            todo.extend(
                kinds
                    .values()
                    .flat_map(|m| m.values())
                    .map(|k| k.to_string()),
            );
        }
        index.remove(&key);
        if index.valid {
            rows.1.insert(key, None);
        } else {
            rows.1.remove(&key);
        }
    }
}

//! Property names in any casing. Azure ML's resource provider reads request bodies with ASP.NET
//! Core's JSON input formatter, whose property matching ignores case: `{"Properties":
//! {"AuthMode": "Key"}}` is the same request as `{"properties": {"authMode": "Key"}}`. Matching
//! names exactly made such a body a 2xx that silently ignored the fields.
//!
//! [`Folded`] is the `MapAccess` every typed object is decoded through (`body::nested`): it
//! hands the derived `Deserialize` the field name a key matches regardless of case
//! ([`fields_of`] asks serde for the type's field names). Keys of maps (tags,
//! `properties.properties`, `environmentVariables`, outbound rule names) are never renamed: a
//! map has no fields. Two keys naming one field (`location` and `Location`) are refused, as
//! two equal keys are.
//!
//! Where a raw object is kept as sent beside its typed reading (workspace and asset
//! `properties`), [`recording`] notes each rename with its path and [`Renames::apply`] makes the
//! same renames in the raw object, so what amlite stores and echoes is in Azure's casing.
//!
//! Pure: serde only. The log of renames is thread-local because serde's `Deserialize` impls
//! carry no state; a decode runs start to end on one thread (it never awaits).
use std::cell::RefCell;

use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, IntoDeserializer};
use serde::de::{MapAccess, Visitor};
use serde_json::Value;

/// One step of a path inside the decoded value.
#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// A key `from` at `path` that was read as field `to`.
#[derive(Debug)]
struct Rename {
    path: Vec<Seg>,
    from: String,
    to: &'static str,
}

#[derive(Default)]
struct Log {
    path: Vec<Seg>,
    renames: Vec<Rename>,
}

thread_local! {
    static LOG: RefCell<Option<Log>> = const { RefCell::new(None) };
}

/// `f` on the log of the [`recording`] under way, if any.
fn logging<R>(f: impl FnOnce(&mut Log) -> R) -> Option<R> {
    LOG.with(|l| l.borrow_mut().as_mut().map(f))
}

fn is_logging() -> bool {
    LOG.with(|l| l.borrow().is_some())
}

/// The renames a decode made, in the order it made them (a parent's before its children's).
#[derive(Debug, Default)]
pub struct Renames(Vec<Rename>);

impl Renames {
    /// Makes the same renames in `value`, the value that was decoded. Each path names keys as
    /// renamed before it, so applying them in order finds every one.
    pub fn apply(self, value: &mut Value) {
        for r in self.0 {
            if let Some(Value::Object(m)) = at(value, &r.path) {
                if let Some(v) = m.remove(&r.from) {
                    m.insert(r.to.to_string(), v);
                }
            }
        }
    }
}

fn at<'a>(value: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |v, seg| match (seg, v) {
        (Seg::Key(k), Value::Object(m)) => m.get_mut(k),
        (Seg::Index(i), Value::Array(a)) => a.get_mut(*i),
        _ => None,
    })
}

/// Runs `decode` noting every rename it makes (paths from the value it decodes).
pub fn recording<R>(decode: impl FnOnce() -> R) -> (R, Renames) {
    let outer = LOG.with(|l| l.replace(Some(Log::default())));
    let result = decode();
    let log = LOG.with(|l| l.replace(outer)).unwrap_or_default();
    (result, Renames(log.renames))
}

/// Runs `next` (reading element `index` of an array) with the index on the path.
pub fn at_index<R>(index: usize, next: impl FnOnce() -> R) -> R {
    let pushed = logging(|l| l.path.push(Seg::Index(index))).is_some();
    let result = next();
    if pushed {
        logging(|l| l.path.pop());
    }
    result
}

/// The field names `T`'s derived `Deserialize` asks for (none for maps and other non-structs).
pub fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Probe(&mut fields));
    fields
}

/// A deserializer that only notes the field names a struct asks for, then fails.
struct Probe<'a>(&'a mut &'static [&'static str]);

impl<'de> Deserializer<'de> for Probe<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("fields noted"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// An object's entries with each key read as the field it names in any casing.
pub struct Folded<A> {
    inner: A,
    fields: &'static [&'static str],
    seen: Vec<&'static str>,
    /// The key whose value comes next, kept only while recording (for the path).
    key: Option<String>,
}

impl<A> Folded<A> {
    /// `inner`'s entries, for a type with `fields`.
    pub fn new(inner: A, fields: &'static [&'static str]) -> Self {
        Folded {
            inner,
            fields,
            seen: Vec::new(),
            key: None,
        }
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Folded<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let Some(key) = self.inner.next_key_seed(KeyName(self.fields))? else {
            return Ok(None);
        };
        let recording = is_logging();
        match key {
            Key::Field(field, sent) => {
                if self.seen.contains(&field) {
                    let shown = sent.as_deref().unwrap_or(field);
                    return Err(de::Error::custom(format!("duplicate key '{shown}'")));
                }
                self.seen.push(field);
                if let Some(from) = sent {
                    logging(|l| {
                        let path = l.path.clone();
                        l.renames.push(Rename {
                            path,
                            from,
                            to: field,
                        })
                    });
                }
                self.key = recording.then(|| field.to_string());
                seed.deserialize(field.into_deserializer()).map(Some)
            }
            Key::Other(name) => {
                self.key = recording.then(|| name.clone());
                seed.deserialize(name.into_deserializer()).map(Some)
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        let pushed = match self.key.take() {
            Some(k) => logging(|l| l.path.push(Seg::Key(k))).is_some(),
            None => false,
        };
        let value = self.inner.next_value_seed(seed);
        if pushed {
            logging(|l| l.path.pop());
        }
        value
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// A key as read: a field (with the key as sent when its casing differs) or any other name.
enum Key {
    Field(&'static str, Option<String>),
    Other(String),
}

struct KeyName(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for KeyName {
    type Value = Key;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyName {
    type Value = Key;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a property name")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Key, E> {
        if let Some(field) = self.0.iter().find(|f| **f == s) {
            return Ok(Key::Field(field, None));
        }
        Ok(match self.0.iter().find(|f| f.eq_ignore_ascii_case(s)) {
            Some(field) => Key::Field(field, Some(s.to_string())),
            None => Key::Other(s.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Probed {
        auth_mode: Option<String>,
        #[serde(rename = "v1LegacyMode")]
        v1: Option<bool>,
    }

    #[test]
    fn serde_names_a_structs_fields_and_none_for_a_map() {
        assert_eq!(fields_of::<Probed>(), ["authMode", "v1LegacyMode"]);
        assert!(fields_of::<std::collections::BTreeMap<String, String>>().is_empty());
    }

    #[test]
    fn renames_apply_parents_first() {
        let mut v = json!({ "Properties": { "Items": [ { "Name": "a" } ] } });
        let renames = Renames(vec![
            Rename {
                path: vec![],
                from: "Properties".into(),
                to: "properties",
            },
            Rename {
                path: vec![Seg::Key("properties".into())],
                from: "Items".into(),
                to: "items",
            },
            Rename {
                path: vec![
                    Seg::Key("properties".into()),
                    Seg::Key("items".into()),
                    Seg::Index(0),
                ],
                from: "Name".into(),
                to: "name",
            },
        ]);
        renames.apply(&mut v);
        assert_eq!(v, json!({ "properties": { "items": [ { "name": "a" } ] } }));
    }
}

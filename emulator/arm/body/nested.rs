//! Nested objects of typed request bodies: `fields::object`, `fields::list` and
//! `fields::object_map` decode them into their own types, so each field is checked with its
//! property path tracked (`subnets[2].name`), and the body itself is decoded the same way
//! ([`Whole`]). Every object goes through [`casing::Folded`], so property names match in any
//! casing, as Azure reads them.
//!
//! Pure: serde only.
use std::collections::BTreeMap;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use super::casing;
use super::fields::refuse;

/// A nested object decoded into `T` (its own fields checked, their paths tracked).
pub fn object<'de, T: DeserializeOwned, D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
    d.deserialize_option(Optional::<Single<T>>(PhantomData))
        .map(|o| o.map(|s| s.0))
}

/// An array of objects, each decoded into `T` (paths name the index: `subnets[2].name`);
/// `null` entries are skipped.
pub fn list<'de, T: DeserializeOwned, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<T>>, D::Error> {
    d.deserialize_option(Optional::<Many<T>>(PhantomData))
        .map(|o| o.map(|m| m.0))
}

/// A map of name → object-or-null (a model's `flavors`).
pub fn object_map<'de, T: DeserializeOwned, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<BTreeMap<String, Option<T>>>, D::Error> {
    Ok(object::<BTreeMap<String, MaybeObject<T>>, D>(d)?
        .map(|m| m.into_iter().map(|(k, v)| (k, v.0)).collect()))
}

/// A whole body (or an object found in one) decoded into `T`; anything but an object is
/// refused as "an object".
pub struct Whole<T>(pub T);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Whole<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Present::<Single<T>>(PhantomData))
            .map(|s| Self(s.0))
    }
}

struct MaybeObject<T>(Option<T>);

impl<'de, T: DeserializeOwned> Deserialize<'de> for MaybeObject<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        object(d).map(Self)
    }
}

/// What a JSON container decodes into: an object ([`Single`]) or an array of objects ([`Many`]).
/// The other container kind, and every scalar, is refused with the expected type.
trait Container<'de>: Sized {
    const EXPECTED: &'static str;
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        let v = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Err(refuse(Self::EXPECTED, &v))
    }
    fn from_seq<A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error> {
        let v = Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        Err(refuse(Self::EXPECTED, &v))
    }
}

struct Single<T>(T);

impl<'de, T: DeserializeOwned> Container<'de> for Single<T> {
    const EXPECTED: &'static str = "an object";
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        let folded = casing::Folded::new(map, casing::fields_of::<T>());
        T::deserialize(de::value::MapAccessDeserializer::new(folded)).map(Self)
    }
}

struct Many<T>(Vec<T>);

impl<'de, T: DeserializeOwned> Container<'de> for Many<T> {
    const EXPECTED: &'static str = "an array of objects";
    fn from_seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Self, A::Error> {
        let mut out = Vec::new();
        for index in 0.. {
            let next = casing::at_index(index, || seq.next_element::<MaybeObject<T>>())?;
            let Some(MaybeObject(item)) = next else {
                break;
            };
            out.extend(item);
        }
        Ok(Self(out))
    }
}

struct Optional<C>(PhantomData<C>);

impl<'de, C: Container<'de>> Visitor<'de> for Optional<C> {
    type Value = Option<C>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(C::EXPECTED)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(Present::<C>(PhantomData)).map(Some)
    }
}

struct Present<C>(PhantomData<C>);

impl<'de, C: Container<'de>> Visitor<'de> for Present<C> {
    type Value = C;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(C::EXPECTED)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<C, A::Error> {
        C::from_map(map)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<C, A::Error> {
        C::from_seq(seq)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<C, E> {
        Err(refuse(C::EXPECTED, &Value::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<C, E> {
        Err(refuse(C::EXPECTED, &Value::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<C, E> {
        Err(refuse(C::EXPECTED, &Value::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<C, E> {
        Err(refuse(C::EXPECTED, &Value::from(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<C, E> {
        Err(refuse(C::EXPECTED, &Value::from(v)))
    }
}

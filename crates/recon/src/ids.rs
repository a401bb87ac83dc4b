//! [`Ids`]: the bank-line or posting ids of one decision, stored compactly. A run has about one
//! decision per bank line, almost all naming one or two ids a side: the engine's decisions
//! point into their run's id table (one shared buffer, see `run_text`), so they allocate
//! nothing; ids given as strings (`Ids::one`, `collect`, deserialization) are owned.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Index;

use serde::de::{SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::run_text::{SharedText, StringTable};

/// The ids on one side of a match or an exception, in decision order. Serializes as a JSON
/// array of strings (like `Vec<String>`); iterate with [`Ids::iter`], index with `ids[i]`,
/// compare with `==` to arrays, slices and vectors of strings. Ids compare by their strings
/// (fewer ids first: none, one, several; then in order), however they are stored.
#[derive(Clone, Default)]
pub struct Ids(Repr);

#[derive(Clone, Default)]
enum Repr {
    #[default]
    None,
    One(Box<str>),
    Many(Box<[Box<str>]>),
    /// Entries of a run's id table.
    Shared1(SharedText, u32),
    Shared2(SharedText, [u32; 2]),
    SharedMany(Box<(SharedText, Box<[u32]>)>),
}

impl Ids {
    /// No id.
    #[must_use]
    pub fn new() -> Self {
        Self(Repr::None)
    }

    /// One id.
    #[must_use]
    pub fn one(id: impl Into<Box<str>>) -> Self {
        Self(Repr::One(id.into()))
    }

    /// Entries `indices` of `text`'s id table.
    pub(crate) fn shared(text: &SharedText, indices: &[u32]) -> Self {
        match *indices {
            [] => Self::new(),
            [a] => Self(Repr::Shared1(SharedText::clone(text), a)),
            [a, b] => Self(Repr::Shared2(SharedText::clone(text), [a, b])),
            _ => Self(Repr::SharedMany(Box::new((
                SharedText::clone(text),
                indices.into(),
            )))),
        }
    }

    /// How many ids.
    #[must_use]
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::None => 0,
            Repr::One(_) | Repr::Shared1(..) => 1,
            Repr::Many(ids) => ids.len(),
            Repr::Shared2(..) => 2,
            Repr::SharedMany(shared) => shared.1.len(),
        }
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`th id.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&str> {
        self.iter().nth(i)
    }

    /// The ids, in order.
    pub fn iter(&self) -> Iter<'_> {
        let (table, indices): (&StringTable, &[u32]) = match &self.0 {
            Repr::None => return Iter(IterRepr::Owned([].iter())),
            Repr::One(id) => return Iter(IterRepr::Owned(std::slice::from_ref(id).iter())),
            Repr::Many(ids) => return Iter(IterRepr::Owned(ids.iter())),
            Repr::Shared1(text, i) => (&text.ids, std::slice::from_ref(i)),
            Repr::Shared2(text, ij) => (&text.ids, ij),
            Repr::SharedMany(shared) => (&shared.0.ids, &shared.1),
        };
        Iter(IterRepr::Shared(table, indices.iter()))
    }

    /// 0, 1 or 2 for none, one or several ids: the first thing ids are ordered by.
    fn shape(&self) -> u8 {
        self.len().min(2) as u8
    }

    /// Whether `id` is one of them.
    #[must_use]
    pub fn contains(&self, id: &str) -> bool {
        self.iter().any(|x| x == id)
    }

    /// The ids as owned strings.
    #[must_use]
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }
}

impl<S: Into<Box<str>>> FromIterator<S> for Ids {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut iter = iter.into_iter();
        let Some(first) = iter.next() else {
            return Self::new();
        };
        let Some(second) = iter.next() else {
            return Self::one(first);
        };
        let mut all: Vec<Box<str>> = Vec::with_capacity(2 + iter.size_hint().0);
        all.push(first.into());
        all.push(second.into());
        all.extend(iter.map(Into::into));
        Self(Repr::Many(all.into_boxed_slice()))
    }
}

impl From<Vec<String>> for Ids {
    fn from(ids: Vec<String>) -> Self {
        ids.into_iter().collect()
    }
}

impl From<Ids> for Vec<String> {
    fn from(ids: Ids) -> Self {
        ids.to_vec()
    }
}

impl Index<usize> for Ids {
    type Output = str;
    fn index(&self, i: usize) -> &str {
        match self.get(i) {
            Some(id) => id,
            None => panic!("id index {i} out of range for {} ids", self.len()),
        }
    }
}

/// The ids of an [`Ids`], in order.
#[derive(Clone, Debug)]
pub struct Iter<'a>(IterRepr<'a>);

#[derive(Clone, Debug)]
enum IterRepr<'a> {
    Owned(std::slice::Iter<'a, Box<str>>),
    Shared(&'a StringTable, std::slice::Iter<'a, u32>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        match &mut self.0 {
            IterRepr::Owned(ids) => ids.next().map(|id| &**id),
            IterRepr::Shared(table, ids) => ids.next().map(|&i| table.get(i)),
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.0 {
            IterRepr::Owned(ids) => ids.size_hint(),
            IterRepr::Shared(_, ids) => ids.size_hint(),
        }
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            IterRepr::Owned(ids) => ids.next_back().map(|id| &**id),
            IterRepr::Shared(table, ids) => ids.next_back().map(|&i| table.get(i)),
        }
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Ids {
    type Item = &'a str;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl PartialEq for Ids {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Ids {}

impl Ord for Ids {
    fn cmp(&self, other: &Self) -> Ordering {
        self.shape()
            .cmp(&other.shape())
            .then_with(|| self.iter().cmp(other.iter()))
    }
}

impl PartialOrd for Ids {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Hash for Ids {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.len());
        for id in self.iter() {
            id.hash(state);
        }
    }
}

impl fmt::Debug for Ids {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<S: AsRef<str>> PartialEq<[S]> for Ids {
    fn eq(&self, other: &[S]) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == b.as_ref())
    }
}

impl<S: AsRef<str>, const N: usize> PartialEq<[S; N]> for Ids {
    fn eq(&self, other: &[S; N]) -> bool {
        *self == other[..]
    }
}

impl<S: AsRef<str>> PartialEq<Vec<S>> for Ids {
    fn eq(&self, other: &Vec<S>) -> bool {
        *self == other[..]
    }
}

impl Serialize for Ids {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for id in self.iter() {
            seq.serialize_element(id)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Ids {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdsVisitor;
        impl<'de> Visitor<'de> for IdsVisitor {
            type Value = Ids;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of id strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ids, A::Error> {
                let mut all: Vec<String> = Vec::with_capacity(seq.size_hint().unwrap_or(1));
                while let Some(id) = seq.next_element::<String>()? {
                    all.push(id);
                }
                Ok(all.into())
            }
        }
        deserializer.deserialize_seq(IdsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_compare_index_and_iterate() {
        let none = Ids::new();
        let one: Ids = vec!["TRANSFER-1".to_owned()].into();
        let two: Ids = ["Purchase:1", "Purchase:2"].into_iter().collect();
        assert!(none.is_empty() && none == Vec::<String>::new());
        assert_eq!(one, ["TRANSFER-1"]);
        assert_eq!(&one[0], "TRANSFER-1");
        assert_eq!(two.len(), 2);
        assert_eq!(
            two.iter().rev().collect::<Vec<_>>(),
            ["Purchase:2", "Purchase:1"]
        );
        assert!(two.contains("Purchase:2") && !two.contains("Purchase:3"));
        assert_eq!(two.get(2), None);
        assert_eq!(format!("{two:?}"), r#"["Purchase:1", "Purchase:2"]"#);
    }

    #[test]
    fn shared_ids_read_and_compare_like_owned_ones() {
        let mut ids = StringTable::with_capacity(4, 32);
        for id in ["TRANSFER-1", "TRANSFER-2", "Purchase:1", "Purchase:2"] {
            ids.push(id);
        }
        let text = SharedText::new(crate::run_text::RunText {
            currency: "EUR".into(),
            ids,
            names: StringTable::default(),
            tokens: StringTable::default(),
        });
        let one = Ids::shared(&text, &[1]);
        let two = Ids::shared(&text, &[2, 3]);
        let three = Ids::shared(&text, &[3, 0, 2]);
        assert_eq!(one, ["TRANSFER-2"]);
        assert_eq!(one, Ids::one("TRANSFER-2"));
        assert_eq!(two, ["Purchase:1", "Purchase:2"]);
        assert_eq!(&three[1], "TRANSFER-1");
        assert_eq!(three.len(), 3);
        assert_eq!(
            three.iter().rev().collect::<Vec<_>>(),
            ["Purchase:1", "TRANSFER-1", "Purchase:2"]
        );
        assert_eq!(Ids::shared(&text, &[]), Ids::new());
        // Ordered by shape (none, one, several), then by the strings, however stored.
        let owned_two: Ids = ["Purchase:1", "Purchase:3"].into_iter().collect();
        assert!(Ids::new() < one && one < two && two < owned_two);
        assert!(Ids::one("A") < one);
        let hash = |ids: &Ids| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            ids.hash(&mut h);
            h.finish()
        };
        assert_eq!(hash(&one), hash(&Ids::one("TRANSFER-2")));
        assert_eq!(
            serde_json::to_string(&three).unwrap(),
            r#"["Purchase:2","TRANSFER-1","Purchase:1"]"#
        );
    }

    #[test]
    fn json_is_a_list_of_strings_both_ways() {
        for ids in [
            Ids::new(),
            Ids::one("a"),
            ["a", "b", "c"].into_iter().collect(),
        ] {
            let json = serde_json::to_string(&ids).unwrap();
            assert_eq!(json, serde_json::to_string(&ids.to_vec()).unwrap());
            assert_eq!(serde_json::from_str::<Ids>(&json).unwrap(), ids);
        }
    }
}

//! [`Ids`]: the bank-line or posting ids of one decision, stored compactly. A run has about one
//! decision per bank line, almost all naming one id a side. Ids are `Arc<str>`, shared with
//! the inputs ([`crate::BankLine::id`], [`crate::BookEntry::id`]): a decision copies no id
//! (a `Vec<String>` spent two heap blocks and a copy of the text on each).

use std::fmt;
use std::ops::Index;
use std::sync::Arc;

use serde::de::{SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The ids on one side of a match or an exception, in decision order. Serializes as a JSON
/// array of strings (like `Vec<String>`); iterate with [`Ids::iter`], index with `ids[i]`,
/// compare with `==` to arrays, slices and vectors of strings. Compared and ordered as the
/// list of ids.
#[derive(Clone, Default)]
pub struct Ids(Repr);

/// Two words: one id is the shared text itself; none or several sit behind one pointer in
/// the second word (several ids cost a heap block, as any list does; none cost nothing). Three
/// variants took a third word, and a run writes one `Ids` a side per decision.
#[derive(Clone)]
enum Repr {
    One(Arc<str>),
    #[allow(clippy::box_collection)]
    Many(Option<Box<Vec<Arc<str>>>>),
}

impl Default for Repr {
    fn default() -> Self {
        Self::Many(None)
    }
}

impl Ids {
    /// No id.
    #[must_use]
    pub fn new() -> Self {
        Self(Repr::Many(None))
    }

    /// One id (a `&str`, a `String` or an `Arc<str>` shared with the inputs).
    #[must_use]
    pub fn one(id: impl Into<Arc<str>>) -> Self {
        Self(Repr::One(id.into()))
    }

    fn as_slice(&self) -> &[Arc<str>] {
        match &self.0 {
            Repr::One(id) => std::slice::from_ref(id),
            Repr::Many(None) => &[],
            Repr::Many(Some(ids)) => ids,
        }
    }

    /// How many ids.
    #[must_use]
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`th id.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&str> {
        self.as_slice().get(i).map(|id| &**id)
    }

    /// The ids, in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter(self.as_slice().iter())
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

impl<S: Into<Arc<str>>> FromIterator<S> for Ids {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut iter = iter.into_iter();
        let Some(first) = iter.next() else {
            return Self::new();
        };
        let Some(second) = iter.next() else {
            return Self::one(first);
        };
        let mut all: Vec<Arc<str>> = Vec::with_capacity(2 + iter.size_hint().0);
        all.push(first.into());
        all.push(second.into());
        all.extend(iter.map(Into::into));
        all.shrink_to_fit();
        Self(Repr::Many(Some(Box::new(all))))
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
pub struct Iter<'a>(std::slice::Iter<'a, Arc<str>>);

impl<'a> Iterator for Iter<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        self.0.next().map(|id| &**id)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|id| &**id)
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
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Ids {}

impl PartialOrd for Ids {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ids {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl std::hash::Hash for Ids {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
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
    fn two_words_compared_as_lists() {
        assert_eq!(std::mem::size_of::<Ids>(), 16);
        let (a, ab, b) = (
            Ids::one("a"),
            ["a", "b"].into_iter().collect::<Ids>(),
            Ids::one("b"),
        );
        assert!(Ids::new() < a && a < ab && ab < b);
        // One id however it was built (a list of one is stored as one).
        assert_eq!(Ids::from(vec!["a".to_owned()]), a);
        let mut set = std::collections::HashSet::new();
        set.insert(a.clone());
        assert!(set.contains(&Ids::one("a")) && !set.contains(&b));
    }

    #[test]
    fn ids_share_their_text() {
        let id: Arc<str> = Arc::from("TRANSFER-1");
        let one = Ids::one(Arc::clone(&id));
        let two: Ids = [Arc::clone(&id), Arc::from("TRANSFER-2")]
            .into_iter()
            .collect();
        assert_eq!(Arc::strong_count(&id), 3);
        assert_eq!(one, ["TRANSFER-1"]);
        assert_eq!(two, ["TRANSFER-1", "TRANSFER-2"]);
        assert_eq!(one, Ids::one("TRANSFER-1"));
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

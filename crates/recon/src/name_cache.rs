//! Counterparty names normalized once per distinct text ([`NameKey::of`] is the costly part of
//! reading a name), and numbered, so reasons can quote a name without keeping a reference per
//! decision.
//!
//! The cache is direct-mapped: a fixed table of slots, each holding one recent name's text
//! inline with its key and number, chosen by the text's hash. A look-up reads one slot (one
//! cache line, in a 256 KiB table): where names are mostly distinct (the 1M scenario has
//! ~200,000 per account) a miss costs little more than the hash, and a new name simply takes
//! the slot; with a few hundred payees (a studio) nearly every look-up hits.
//! Each numbered name is copied, as it is read (in input order, a streaming write), into
//! the table that becomes the run's [`crate::run_text::RunText::names`]: a reason names its
//! pair of names by number, and nothing is read back or copied while deciding.

use crate::counterparty::NameKey;
use crate::fasthash::fx_hash_bytes;
use crate::run_text::StringTable;

/// Names seen recently, by their text.
pub struct NameCache {
    slots: Vec<Slot>,
    /// Name number → the name as written in the inputs (0: the empty name).
    raw: StringTable,
}

/// A name's number; see [`NameCache::key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NameNumber(u32);

impl NameNumber {
    /// Whether later occurrences of this text may get this number (the text was cached).
    #[cfg(test)]
    pub fn is_shared(self) -> bool {
        self.0 & Self::UNSHARED == 0
    }

    /// Its index in the table of names ([`NameCache::into_names`]).
    pub fn index(self) -> u32 {
        self.0 & !Self::UNSHARED
    }

    const UNSHARED: u32 = 1 << 31;
}

/// Longest name kept in a slot; longer ones (rare) are normalized at every occurrence.
const INLINE: usize = 35;

/// One cached name: 64 bytes, one cache line.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Slot {
    /// The text's hash (never 0 for a cached text: an empty slot matches nothing).
    hash: u64,
    key: NameKey,
    number: u32,
    len: u8,
    text: [u8; INLINE],
}

const EMPTY: Slot = Slot {
    hash: 0,
    key: NameKey {
        full: 0,
        first_word: 0,
    },
    number: 0,
    len: 0,
    text: [0; INLINE],
};

impl Default for NameCache {
    fn default() -> Self {
        let mut raw = StringTable::default();
        raw.push("");
        Self {
            slots: vec![EMPTY; NameCache::SLOTS],
            raw,
        }
    }
}

impl NameCache {
    /// Small enough to stay in the processor's cache (256 KiB).
    const SLOTS: usize = 1 << 12;

    /// The name's key and its number: an occurrence of a text still in its slot gets the
    /// number of the occurrence that put it there; any other gets a new number (and takes
    /// the slot). Numbers only ever name their text: which occurrences share one does not
    /// change anything a reason says.
    pub fn key(&mut self, name: &str) -> (NameKey, NameNumber) {
        if name.is_empty() {
            return (NameKey::default(), NameNumber(0));
        }
        let bytes = name.as_bytes();
        let hash = fx_hash_bytes(bytes);
        let slot = &mut self.slots[(hash >> (64 - 12)) as usize];
        if slot.hash == hash && usize::from(slot.len) == bytes.len() {
            let len = usize::from(slot.len);
            if slot.text[..len] == *bytes {
                return (slot.key, NameNumber(slot.number));
            }
        }
        let key = NameKey::of(name);
        let index = self.raw.push(name);
        if bytes.len() <= INLINE {
            slot.hash = hash;
            slot.key = key;
            slot.number = index;
            slot.len = bytes.len() as u8;
            slot.text[..bytes.len()].copy_from_slice(bytes);
            (key, NameNumber(index))
        } else {
            (key, NameNumber(index | NameNumber::UNSHARED))
        }
    }

    /// The names as written, by [`NameNumber::index`].
    pub fn into_names(self) -> StringTable {
        self.raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_share_a_number_and_keys_match_uncached() {
        let mut cache = NameCache::default();
        let (a, n) = cache.key("Acme GmbH");
        let (b, m) = cache.key("ACME GMBH");
        let (c, o) = cache.key("Acme GmbH");
        assert_eq!((a, c), (NameKey::of("Acme GmbH"), NameKey::of("Acme GmbH")));
        assert_eq!(a, b, "same normalized name");
        assert_ne!(n, m, "different texts, different numbers");
        assert_eq!(n, o);
        assert!(n.is_shared() && m.is_shared());
        assert_eq!(cache.key(""), (NameKey::default(), NameNumber(0)));
        let names = cache.into_names();
        assert_eq!(
            (names.get(n.index()), names.get(m.index())),
            ("Acme GmbH", "ACME GMBH")
        );
    }

    #[test]
    fn every_number_names_its_text_whatever_was_evicted() {
        let mut cache = NameCache::default();
        let texts: Vec<String> = (0..3 * NameCache::SLOTS)
            .map(|i| format!("Payee {i} Ltd"))
            .collect();
        let mut seen = Vec::new();
        for _ in 0..2 {
            for t in &texts {
                let (key, number) = cache.key(t);
                assert_eq!(key, NameKey::of(t));
                seen.push((number, t.clone()));
            }
        }
        let long = "A Very Long Counterparty Name Limited Partnership".to_owned();
        let (k1, a) = cache.key(&long);
        let (k2, b) = cache.key(&long);
        assert!(!a.is_shared() && a != b && k1 == k2 && k1 == NameKey::of(&long));
        let names = cache.into_names();
        for (number, text) in seen {
            assert_eq!(names.get(number.index()), text);
        }
        assert_eq!(
            (names.get(a.index()), names.get(b.index())),
            (&*long, &*long)
        );
    }
}

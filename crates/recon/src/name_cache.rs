//! Counterparty names normalized once per distinct text ([`NameKey::of`] is the costly part of
//! reading a name), and numbered, so reasons can quote a name without keeping a reference per
//! decision.
//!
//! The cache keeps its own copy of each text it has seen: comparing against the first
//! occurrence in the inputs instead read a string far back in memory for nearly every line.
//! Each numbered name is copied too, as it is read (in input order, a streaming write), into
//! the table that becomes the run's [`crate::run_text::RunText::names`]: a reason names its
//! pair of names by number, and nothing is read back or copied while deciding.

use crate::counterparty::NameKey;
use crate::fasthash::fx_hash_bytes;
use crate::run_text::StringTable;

/// Names seen so far, by their text.
pub struct NameCache {
    /// Open addressing by the text's hash (linear probing): entry index + 1, 0 for a free
    /// slot. The hash is not hashed again and no probe group is matched, as a general map
    /// does; four slots an entry keep probes short.
    slots: Vec<u16>,
    entries: Vec<Cached>,
    text: String,
    /// Name number → the name as written in the inputs (0: the empty name).
    raw: StringTable,
    /// Look-ups of the full cache in the current window, and how many found their name.
    window: u32,
    window_hits: u32,
    /// Set for good once a window of look-ups of the full cache found too few names to pay
    /// for hashing and looking up every name: names are then only normalized.
    off: bool,
}

/// A name's number; see [`NameCache::key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NameNumber(u32);

impl NameNumber {
    /// Whether every occurrence of this text has this number (the text was cached).
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

struct Cached {
    hash: u64,
    start: u32,
    end: u32,
    key: NameKey,
    number: NameNumber,
}

impl Default for NameCache {
    fn default() -> Self {
        Self::with_room(0)
    }
}

impl NameCache {
    /// Room for `names` names (what an account run reads: its lines and postings) of about
    /// [`NameCache::BYTES_PER_NAME`] bytes: the table of names then seldom copies itself
    /// growing, as it did some 30 times an account at 100k lines (only what is written is
    /// touched).
    #[must_use]
    pub fn with_room(names: usize) -> Self {
        let mut raw = StringTable::with_room(names + 1, names * Self::BYTES_PER_NAME);
        raw.push("");
        Self {
            slots: vec![0; Self::SLOTS],
            entries: Vec::with_capacity(names.min(Self::MAX_ENTRIES)),
            text: String::new(),
            raw,
            window: 0,
            window_hits: 0,
            off: false,
        }
    }

    /// A counterparty name's length, about ("Acme Widgets GmbH").
    const BYTES_PER_NAME: usize = 24;

    /// Small enough to stay in the processor's cache: with a few hundred payees (a studio)
    /// every name hits; where names are mostly distinct, a miss in a large table cost more
    /// than normalizing the name again.
    const MAX_ENTRIES: usize = 1 << 12;

    /// Slots of the open-addressed table: a power of two, four times the entries.
    const SLOTS: usize = 4 * Self::MAX_ENTRIES;

    /// Look-ups of the full cache judged together.
    const WINDOW: u32 = 1 << 12;

    /// A hit spares normalizing a name (~430 instructions); a miss costs hashing it and a
    /// look-up (~80): below about one hit in six the cache costs more than it saves. Where
    /// names are mostly distinct (100 000 parties at 1M lines: 3 % hits), it is switched off
    /// below one in eight.
    const MIN_HITS_PER_WINDOW: u32 = Self::WINDOW / 8;

    /// The name's key and its number: equal texts get equal (shared) numbers while the cache
    /// has room; past that, a text not cached (any text, once the cache is off) gets a new,
    /// unshared number each time.
    pub fn key(&mut self, name: &str) -> (NameKey, NameNumber) {
        if name.is_empty() {
            return (NameKey::default(), NameNumber(0));
        }
        let mut hash = 0;
        let mut free = None;
        if !self.off {
            hash = fx_hash_bytes(name.as_bytes());
            match self.find(hash) {
                Ok(e) => {
                    let c = &self.entries[e];
                    // Compared as bytes: slicing the text as `str` checks both ends fall
                    // on characters.
                    if &self.text.as_bytes()[c.start as usize..c.end as usize] == name.as_bytes() {
                        let found = (c.key, c.number);
                        self.judge(true);
                        return found;
                    }
                }
                Err(slot) => free = Some(slot),
            }
            self.judge(false);
        }
        let key = NameKey::of(name);
        let index = self.raw.push(name);
        // A text whose hash another took first is not cached (rare, though Fx does collide:
        // "Payee 41812 Ltd" and "Payee 49712 Ltd"); nor is any once the cache is off (it is
        // full).
        if let Some(slot) = free
            && self.entries.len() < Self::MAX_ENTRIES
        {
            let number = NameNumber(index);
            let start = self.text.len() as u32;
            self.text.push_str(name);
            self.slots[slot] = (self.entries.len() + 1) as u16;
            self.entries.push(Cached {
                hash,
                start,
                end: self.text.len() as u32,
                key,
                number,
            });
            (key, number)
        } else {
            (key, NameNumber(index | NameNumber::UNSHARED))
        }
    }

    /// The entry with this hash, or the free slot where it would go.
    #[inline]
    fn find(&self, hash: u64) -> Result<usize, usize> {
        let mask = Self::SLOTS - 1;
        let mut i = hash as usize & mask;
        loop {
            match self.slots[i] {
                0 => return Err(i),
                s if self.entries[s as usize - 1].hash == hash => return Ok(s as usize - 1),
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// Counts a look-up of the full cache (a hit or not), and switches the cache off at the
    /// end of a window with too few hits.
    fn judge(&mut self, hit: bool) {
        if self.entries.len() < Self::MAX_ENTRIES {
            return;
        }
        self.window += 1;
        self.window_hits += u32::from(hit);
        if self.window == Self::WINDOW {
            self.off = self.window_hits < Self::MIN_HITS_PER_WINDOW;
            self.window = 0;
            self.window_hits = 0;
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
    fn the_open_addressed_table_finds_what_a_map_by_hash_would() {
        // A full cache, looked up twice in other orders, against a map by hash (the table it
        // replaced): every text finds its own entry through the probe chains, and a text
        // whose hash another took first (these texts have four such pairs) is never cached.
        let texts: Vec<String> = (0..NameCache::MAX_ENTRIES + 4)
            .map(|i| format!("Payee {} Ltd", i * 7919 % 100_003))
            .collect();
        let mut cache = NameCache::default();
        let mut by_hash = std::collections::HashMap::new();
        let mut collisions = 0;
        for round in 0..3 {
            for i in 0..texts.len() {
                let t = &texts[if round == 1 { texts.len() - 1 - i } else { i }];
                let got = cache.key(t);
                match by_hash.get(&fx_hash_bytes(t.as_bytes())) {
                    Some((text, first)) if text == t => assert_eq!(got, *first, "{t}"),
                    Some(_) => {
                        assert!(!got.1.is_shared(), "{t}");
                        collisions += usize::from(round == 0);
                    }
                    None => {
                        assert!(got.1.is_shared(), "{t}");
                        by_hash.insert(fx_hash_bytes(t.as_bytes()), (t.clone(), got));
                    }
                }
            }
        }
        assert_eq!(collisions, 4);
        assert_eq!(cache.entries.len(), NameCache::MAX_ENTRIES);
    }

    #[test]
    fn past_its_bound_the_cache_numbers_each_occurrence() {
        let mut cache = NameCache::default();
        let texts: Vec<String> = (0..NameCache::MAX_ENTRIES)
            .map(|i| format!("P{i}"))
            .collect();
        for t in &texts {
            assert!(cache.key(t).1.is_shared());
        }
        let extra = "Late Payee".to_owned();
        let (k1, a) = cache.key(&extra);
        let (k2, b) = cache.key(&extra);
        assert!(!a.is_shared() && a != b && k1 == k2);
        assert_eq!(cache.key(&texts[0]).1, NameNumber(1));
        let names = cache.into_names();
        assert_eq!(
            (names.get(a.index()), names.get(b.index())),
            ("Late Payee", "Late Payee")
        );
    }

    #[test]
    fn a_full_cache_that_rarely_hits_is_switched_off_and_names_stay_right() {
        let full = |cache: &mut NameCache| {
            for i in 0..NameCache::MAX_ENTRIES {
                assert!(cache.key(&format!("P{i}")).1.is_shared());
            }
        };
        // Hits in one look-up of four: the cache stays on.
        let mut busy = NameCache::default();
        full(&mut busy);
        for i in 0..2 * NameCache::WINDOW {
            let text = if i % 4 == 0 {
                "P7".to_owned()
            } else {
                format!("Q{i}")
            };
            busy.key(&text);
        }
        assert!(!busy.off);
        assert!(busy.key("P7").1.is_shared());
        // Hits in one look-up of ten: switched off after a window, keys and names unchanged.
        let mut idle = NameCache::default();
        full(&mut idle);
        let texts: Vec<String> = (0..NameCache::WINDOW + 3)
            .map(|i| {
                if i % 10 == 0 {
                    "P7 Ltd".to_owned()
                } else {
                    format!("Q{i} GmbH")
                }
            })
            .collect();
        let got: Vec<_> = texts.iter().map(|t| idle.key(t)).collect();
        assert!(idle.off);
        let (key, number) = idle.key("P7");
        assert_eq!(key, NameKey::of("P7"));
        assert!(!number.is_shared());
        assert_eq!(idle.key(""), (NameKey::default(), NameNumber(0)));
        let names = idle.into_names();
        for (text, (key, number)) in texts.iter().zip(got) {
            assert_eq!(key, NameKey::of(text));
            assert_eq!(names.get(number.index()), text);
        }
        assert_eq!(names.get(number.index()), "P7");
    }
}

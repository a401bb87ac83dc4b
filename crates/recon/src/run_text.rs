//! The text one account's reasons quote, stored once per run and shared by them: counterparty
//! names, reference tokens, the ids of fee postings, and the currency.
//!
//! A million reasons each owning copies of their words cost a few allocations apiece. Here the
//! words are appended to a few buffers; a reason holds indices into them. (The ids a decision
//! names are shared with the inputs, see [`crate::Ids`].)

use std::sync::Arc;

/// Strings appended one after another into one buffer, found by index.
#[derive(Debug, Default)]
pub struct StringTable {
    text: String,
    /// String `i` is `text[ends[i - 1]..ends[i]]` (from 0 for the first).
    ends: Vec<u32>,
}

impl StringTable {
    /// Room for `strings` strings of `bytes` bytes in all.
    #[must_use]
    pub fn with_room(strings: usize, bytes: usize) -> Self {
        Self {
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(strings),
        }
    }

    /// Appends `s`; returns its index.
    ///
    /// # Panics
    /// When the table would pass 4 GiB of text (ids and tokens of one account never do).
    pub fn push(&mut self, s: &str) -> u32 {
        self.text.push_str(s);
        self.ends
            .push(u32::try_from(self.text.len()).expect("string table over 4 GiB"));
        (self.ends.len() - 1) as u32
    }

    /// Appends the text `write` produces as one string; returns its index.
    pub fn push_with(&mut self, write: impl FnOnce(&mut String)) -> u32 {
        write(&mut self.text);
        self.ends
            .push(u32::try_from(self.text.len()).expect("string table over 4 GiB"));
        (self.ends.len() - 1) as u32
    }

    #[must_use]
    pub fn get(&self, i: u32) -> &str {
        let i = i as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    #[cfg(test)]
    #[must_use]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}

/// What one account run's reasons quote. Names: (bank side, book side) pairs.
#[derive(Debug)]
pub struct RunText {
    pub currency: Box<str>,
    /// Ids of fee postings named in reasons.
    pub ids: StringTable,
    /// Counterparty names as written, by number (every name the run read, see
    /// [`crate::name_cache::NameCache`]).
    pub names: StringTable,
    /// Pairs of names quoted by reasons: (bank side, book side) numbers in `names`.
    pub name_pairs: Vec<[u32; 2]>,
    pub tokens: StringTable,
}

/// A shared [`RunText`].
pub type SharedText = Arc<RunText>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_come_back_by_index() {
        let mut t = StringTable::default();
        assert_eq!(t.push("TRANSFER-1"), 0);
        assert_eq!(t.push(""), 1);
        assert_eq!(t.push_with(|s| s.push_str("INV1042")), 2);
        assert_eq!(t.len(), 3);
        assert_eq!(t.get(0), "TRANSFER-1");
        assert_eq!(t.get(1), "");
        assert_eq!(t.get(2), "INV1042");
    }
}

//! Counterparty names compared the way a bookkeeper would: case, punctuation and legal
//! suffixes ("ACME GMBH" = "Acme GmbH" = "Acme"), and a weaker "same first word" signal.

use crate::fasthash::{StreamHash, fx_hash_bytes};

/// Legal-form words that banks and ledgers add or drop at will (given lower-cased).
fn is_legal_suffix(word: &[u8]) -> bool {
    matches!(
        word,
        b"gmbh"
            | b"ltd"
            | b"limited"
            | b"llc"
            | b"llp"
            | b"lp"
            | b"inc"
            | b"incorporated"
            | b"bv"
            | b"nv"
            | b"sarl"
            | b"sas"
            | b"sa"
            | b"ag"
            | b"kg"
            | b"ug"
            | b"plc"
            | b"co"
            | b"corp"
            | b"corporation"
            | b"company"
            | b"oy"
            | b"ab"
            | b"as"
            | b"aps"
            | b"srl"
            | b"spa"
            | b"pty"
            | b"the"
    )
}

/// A counterparty name reduced to two hashes: the whole normalized name and its first word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NameKey {
    /// 0 when the name is empty after normalization.
    pub full: u64,
    pub first_word: u64,
}

/// How two counterparty names relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameAgreement {
    /// Equal after normalization.
    Same,
    /// Share the first significant word ("Amazon Web Services" vs "Amazon").
    Similar,
    /// Both known and unrelated.
    Different,
    /// At least one side has no name.
    Unknown,
}

impl NameKey {
    /// Normalizes `name` while scanning it once; nothing is allocated.
    #[must_use]
    pub fn of(name: &str) -> Self {
        let bytes = name.as_bytes();
        if bytes.len() <= SHORT_NAME && bytes.is_ascii() {
            return Self::of_short_ascii(bytes);
        }
        Self::of_ascii(bytes).unwrap_or_else(|| Self::of_chars(name))
    }

    /// [`NameKey::of_ascii`] for the usual name: ASCII (checked by the caller, a word at a
    /// time) and short enough that no word can overflow the buffer, so the loop per byte
    /// has one table look-up and one branch that matters.
    fn of_short_ascii(name: &[u8]) -> Self {
        debug_assert!(name.len() <= SHORT_NAME && name.is_ascii());
        let mut names = NameHashes::default();
        let mut word = [0u8; SHORT_NAME];
        let mut len = 0;
        for &b in name {
            let v = ASCII_NAME[usize::from(b)];
            if v > NOT_ASCII {
                // `len < name.len() <= SHORT_NAME`: the mask never changes the index.
                word[len & (SHORT_NAME - 1)] = v;
                len += 1;
            } else if v == SEPARATOR && len > 0 {
                let w = &word[..len];
                names.word(fx_hash_bytes(w), is_legal_suffix(w));
                len = 0;
            }
        }
        if len > 0 {
            let w = &word[..len];
            names.word(fx_hash_bytes(w), is_legal_suffix(w));
        }
        names.key()
    }

    /// [`NameKey::of`] for ASCII text, a byte at a time: each word is lower-cased into a
    /// buffer and hashed whole. `None` for text that is not ASCII or has a word too long for
    /// the buffer.
    fn of_ascii(name: &[u8]) -> Option<Self> {
        let mut names = NameHashes::default();
        let mut word = [0u8; 64];
        let mut len = 0;
        for &b in name {
            match ASCII_NAME[usize::from(b)] {
                NOT_ASCII => return None,
                SEPARATOR => {
                    if len > 0 {
                        let w = &word[..len];
                        names.word(fx_hash_bytes(w), is_legal_suffix(w));
                        len = 0;
                    }
                }
                IN_WORD => {}
                lower => {
                    *word.get_mut(len)? = lower;
                    len += 1;
                }
            }
        }
        if len > 0 {
            let w = &word[..len];
            names.word(fx_hash_bytes(w), is_legal_suffix(w));
        }
        Some(names.key())
    }

    /// [`NameKey::of`] for any text, a `char` at a time (Unicode letters and digits lower-cased).
    fn of_chars(name: &str) -> Self {
        let mut names = NameHashes::default();
        let mut word = WordScan::default();
        let mut flush = |w: &mut WordScan| {
            if w.hash.is_empty() {
                return;
            }
            let h = w.hash.finish();
            let suffix =
                w.short_len as u64 == w.hash.len() && is_legal_suffix(&w.short[..w.short_len]);
            *w = WordScan::default();
            names.word(h, suffix);
        };
        for ch in name.chars() {
            if ch.is_ascii_alphanumeric() {
                word.push(ch.to_ascii_lowercase() as u8);
            } else if ch.is_alphanumeric() {
                let mut buf = [0u8; 4];
                for lower in ch.to_lowercase() {
                    for &b in lower.encode_utf8(&mut buf).as_bytes() {
                        word.push(b);
                    }
                }
            } else if ch == '.' || ch == '\'' || ch == '’' {
                // "B.V." and "O'Neil" are one word.
            } else {
                flush(&mut word);
            }
        }
        flush(&mut word);
        names.key()
    }

    #[must_use]
    pub fn is_empty(self) -> bool {
        self.full == 0
    }

    #[must_use]
    pub fn agreement(self, other: Self) -> NameAgreement {
        if self.is_empty() || other.is_empty() {
            NameAgreement::Unknown
        } else if self.full == other.full {
            NameAgreement::Same
        } else if self.first_word == other.first_word {
            NameAgreement::Similar
        } else {
            NameAgreement::Different
        }
    }
}

/// What a byte is to a name: a separator, a mark inside a word ("B.V.", "O'Neil"), a letter
/// or digit (given lower-cased), or part of a non-ASCII character.
const SEPARATOR: u8 = 0;
const IN_WORD: u8 = 1;
const NOT_ASCII: u8 = 2;
/// Longest name [`NameKey::of_short_ascii`] takes (a power of two).
const SHORT_NAME: usize = 64;
const ASCII_NAME: [u8; 256] = {
    let mut t = [NOT_ASCII; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else if c == b'.' || c == b'\'' {
            IN_WORD
        } else {
            SEPARATOR
        };
        b += 1;
    }
    t
};

/// The name's words, hashed one by one, folded into a [`NameKey`] as [`NameKey::of_chars`]
/// folds them.
#[derive(Default)]
struct NameHashes {
    full: u64,
    first_word: u64,
    words: usize,
    pending_suffixes: u64,
    pending_count: usize,
}

impl NameHashes {
    fn word(&mut self, h: u64, suffix: bool) {
        if suffix {
            // A suffix only counts if real words follow it ("The Wise Company" keeps "wise").
            self.pending_suffixes = mix(self.pending_suffixes, h);
            self.pending_count += 1;
            return;
        }
        if self.pending_count > 0 {
            self.full = mix(self.full, self.pending_suffixes);
            self.pending_suffixes = 0;
            self.pending_count = 0;
        }
        if self.words == 0 {
            self.first_word = h;
        }
        self.full = mix(self.full, h);
        self.words += 1;
    }

    fn key(self) -> NameKey {
        if self.words == 0 {
            if self.pending_count == 0 {
                return NameKey::default();
            }
            // Only suffix words ("The Company"): the words are the name.
            return NameKey {
                full: self.pending_suffixes | 1,
                first_word: self.pending_suffixes,
            };
        }
        NameKey {
            full: self.full | 1,
            first_word: self.first_word,
        }
    }
}

/// One word being scanned: its hash, and its first bytes (enough to recognize a legal suffix).
#[derive(Default)]
struct WordScan {
    hash: StreamHash,
    short: [u8; 12],
    short_len: usize,
}

impl WordScan {
    fn push(&mut self, b: u8) {
        if self.short_len < self.short.len() {
            self.short[self.short_len] = b;
            self.short_len += 1;
        }
        self.hash.push(b);
    }
}

fn mix(acc: u64, h: u64) -> u64 {
    (acc.rotate_left(5) ^ h).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> NameKey {
        NameKey::of(s)
    }

    #[test]
    fn case_and_legal_suffix_do_not_matter() {
        assert_eq!(key("ACME GMBH"), key("Acme GmbH"));
        assert_eq!(key("Acme GmbH"), key("acme"));
        assert_eq!(key("Blue Fin B.V."), key("BLUE FIN BV"));
        assert_eq!(key("Northwind, Inc."), key("northwind llc"));
    }

    #[test]
    fn agreement_levels() {
        assert_eq!(
            key("Amazon Web Services").agreement(key("AMAZON")),
            NameAgreement::Similar
        );
        assert_eq!(
            key("Acme").agreement(key("Globex")),
            NameAgreement::Different
        );
        assert_eq!(key("").agreement(key("Globex")), NameAgreement::Unknown);
        assert_eq!(key(" , ").agreement(key("x")), NameAgreement::Unknown);
    }

    #[test]
    fn the_ascii_path_agrees_with_the_char_path() {
        let long = format!("{} Ltd", "x".repeat(70));
        let one_word = "y".repeat(SHORT_NAME);
        let at_bound = format!("{} B.V.", "z".repeat(SHORT_NAME - 5));
        for name in [
            "ACME GMBH",
            "Acme GmbH",
            "Blue Fin B.V.",
            "O'Neil & Sons, Inc.",
            "The Wise Company",
            "The Company",
            "  ,, ",
            "a",
            "Amazon Web Services EU SARL",
            "Incorporated Widgets Corporation 3",
            "abcdefghijklm ltd",
            "x-y_z/w 12",
            "  O'Neil.. , ,Ltd.  ",
            one_word.as_str(),
            at_bound.as_str(),
            long.as_str(),
        ] {
            assert_eq!(
                NameKey::of_ascii(name.as_bytes()).unwrap_or_else(|| NameKey::of_chars(name)),
                NameKey::of_chars(name),
                "{name}"
            );
            if name.len() <= SHORT_NAME {
                assert_eq!(
                    NameKey::of_short_ascii(name.as_bytes()),
                    NameKey::of_chars(name),
                    "{name}"
                );
            }
        }
        assert!(NameKey::of_ascii(long.as_bytes()).is_none());
        assert!(NameKey::of_ascii("Müller GmbH".as_bytes()).is_none());
        assert_eq!(NameKey::of("MÜLLER GMBH"), NameKey::of("müller"));
    }

    #[test]
    fn a_name_made_only_of_suffix_words_is_still_a_name() {
        // "The Company" must not collapse to empty; it stays distinct from other names.
        assert!(!key("The Company").is_empty());
        assert_ne!(key("Wise"), key("Wise Payments"));
    }
}

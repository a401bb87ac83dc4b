//! Counterparty names compared the way a bookkeeper would: case, punctuation and legal
//! suffixes ("ACME GMBH" = "Acme GmbH" = "Acme"), and a weaker "same first word" signal.

use crate::fasthash::StreamHash;

/// Legal-form words that banks and ledgers add or drop at will.
fn is_legal_suffix(word: &str) -> bool {
    matches!(
        word,
        "gmbh"
            | "ltd"
            | "limited"
            | "llc"
            | "llp"
            | "lp"
            | "inc"
            | "incorporated"
            | "bv"
            | "nv"
            | "sarl"
            | "sas"
            | "sa"
            | "ag"
            | "kg"
            | "ug"
            | "plc"
            | "co"
            | "corp"
            | "corporation"
            | "company"
            | "oy"
            | "ab"
            | "as"
            | "aps"
            | "srl"
            | "spa"
            | "pty"
            | "the"
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
        let mut full: u64 = 0;
        let mut first_word: u64 = 0;
        let mut words = 0usize;
        let mut pending_suffixes: u64 = 0;
        let mut pending_count = 0usize;
        let mut word = WordScan::default();
        let mut flush = |w: &mut WordScan| {
            if w.hash.is_empty() {
                return;
            }
            let h = w.hash.finish();
            let suffix = w.short_len as u64 == w.hash.len()
                && std::str::from_utf8(&w.short[..w.short_len]).is_ok_and(is_legal_suffix);
            *w = WordScan::default();
            if suffix {
                // A suffix only counts if real words follow it ("The Wise Company" keeps "wise").
                pending_suffixes = mix(pending_suffixes, h);
                pending_count += 1;
                return;
            }
            if pending_count > 0 {
                full = mix(full, pending_suffixes);
                pending_suffixes = 0;
                pending_count = 0;
            }
            if words == 0 {
                first_word = h;
            }
            full = mix(full, h);
            words += 1;
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
        if words == 0 {
            if pending_count == 0 {
                return Self::default();
            }
            // Only suffix words ("The Company"): the words are the name.
            return Self {
                full: pending_suffixes | 1,
                first_word: pending_suffixes,
            };
        }
        Self {
            full: full | 1,
            first_word,
        }
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
    fn a_name_made_only_of_suffix_words_is_still_a_name() {
        // "The Company" must not collapse to empty; it stays distinct from other names.
        assert!(!key("The Company").is_empty());
        assert_ne!(key("Wise"), key("Wise Payments"));
    }
}

//! Counterparty names compared the way a bookkeeper would: case, punctuation and legal
//! suffixes ("ACME GMBH" = "Acme GmbH" = "Acme"), and a weaker "same first word" signal.

use std::hash::Hasher;

use crate::fasthash::{FxHasher, StreamHash, WordStream};
use crate::swar;

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

/// Whether a word of at most 8 bytes, packed little-endian (zero above), is a legal suffix:
/// one look-up in a small table with no collisions (its multiplier is searched for at
/// compile time).
fn is_short_legal_suffix(packed: u64) -> bool {
    SUFFIX_TABLE.1[suffix_slot(packed, SUFFIX_TABLE.0)] == packed
}

/// Whether a word of 9 to 16 bytes, its first 8 packed in `lo` and the rest in `hi` (zero
/// above), is a legal suffix ("corporation", "incorporated").
fn is_long_legal_suffix(lo: u64, hi: u64, len: u32) -> bool {
    (len == 11 || len == 12)
        && ((lo, hi) == (pack_word(b"corporat"), pack_word(b"ion"))
            || (lo, hi) == (pack_word(b"incorpor"), pack_word(b"ated")))
}

const SHORT_SUFFIXES: [&[u8]; 27] = [
    b"gmbh", b"ltd", b"limited", b"llc", b"llp", b"lp", b"inc", b"bv", b"nv", b"sarl", b"sas",
    b"sa", b"ag", b"kg", b"ug", b"plc", b"co", b"corp", b"company", b"oy", b"ab", b"as", b"aps",
    b"srl", b"spa", b"pty", b"the",
];
const SUFFIX_SLOTS: usize = 128;

const fn pack_word(w: &[u8]) -> u64 {
    let mut x = 0u64;
    let mut i = 0;
    while i < w.len() {
        x |= (w[i] as u64) << (8 * i);
        i += 1;
    }
    x
}

const fn suffix_slot(packed: u64, multiplier: u64) -> usize {
    (packed.wrapping_mul(multiplier) >> 57) as usize
}

const SUFFIX_TABLE: (u64, [u64; SUFFIX_SLOTS]) = {
    let mut multiplier = 0x9e37_79b9_7f4a_7c15u64;
    loop {
        let mut table = [0u64; SUFFIX_SLOTS];
        let mut ok = true;
        let mut i = 0;
        while i < SHORT_SUFFIXES.len() {
            let p = pack_word(SHORT_SUFFIXES[i]);
            let slot = suffix_slot(p, multiplier);
            if table[slot] != 0 {
                ok = false;
                break;
            }
            table[slot] = p;
            i += 1;
        }
        if ok {
            break (multiplier, table);
        }
        multiplier = multiplier.wrapping_add(0x2_0000_0002);
    }
};

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
    // Inlined into its one caller in the engine, `NameCache::key`: called there (which the
    // compiler chose once the cache could be switched off) it cost 2 % more at 100k lines.
    #[inline(always)]
    #[must_use]
    pub fn of(name: &str) -> Self {
        let bytes = name.as_bytes();
        if bytes.len() <= SHORT_NAME {
            Self::of_short_ascii(bytes)
        } else {
            Self::of_ascii(bytes)
        }
        .unwrap_or_else(|| Self::of_chars(name))
    }

    /// [`NameKey::of_ascii`] for a name of at most [`SHORT_NAME`] bytes (all of them in
    /// practice): a first pass, 8 bytes at a time, finds the separators and the marks as
    /// bitmaps (a bit per byte); then each word is read from the name 8 bytes at a time,
    /// lower-cased together and hashed, a word of at most 8 bytes (most) straight from one
    /// load. `None` for text that is not ASCII.
    // Inlined into `NameCache::key` (its two calls there): the call, the registers it saved
    // and its result through memory cost ~20 instructions a name (100k: 791.9 M -> 788.2 M).
    #[inline(always)]
    fn of_short_ascii(name: &[u8]) -> Option<Self> {
        let n = name.len();
        debug_assert!(n <= SHORT_NAME);
        let (mut seps, mut marks) = (0u64, 0u64);
        let mut padded = swar::Padded::default();
        let mut at = 0;
        while at < n {
            let (x, valid) = swar::chunk(name, at);
            if x & swar::HIGH != 0 {
                return None;
            }
            padded.store(at, x);
            let alnum = swar::in_range(x, b'0', b'9') | swar::letters(x);
            let other = valid & !alnum;
            // Mostly spaces only: no mark to look for.
            if other & !swar::equal(x, b' ') != 0 {
                // "B.V." and "O'Neil" are one word.
                let mark = other & (swar::equal(x, b'.') | swar::equal(x, b'\''));
                seps |= swar::bits(other ^ mark) << at;
                marks |= swar::bits(mark) << at;
            } else {
                seps |= swar::bits(other) << at;
            }
            at += 8;
        }
        let all = if n == 0 { 0 } else { u64::MAX >> (64 - n) };
        let mut in_words = all & !seps;
        let mut names = NameHashes::default();
        while in_words != 0 {
            let s = in_words.trailing_zeros();
            let e = s + (!(in_words >> s)).trailing_zeros();
            let word = u64::MAX.checked_shl(e).map_or(u64::MAX, |m| !m) & in_words;
            in_words ^= word;
            let len = e - s;
            if len <= 8 && marks & word == 0 {
                let lo = swar::lower_alnum(padded.load(s as usize)) & (u64::MAX >> (64 - 8 * len));
                let mut h = FxHasher::default();
                h.write_u64(if len < 8 {
                    lo ^ (u64::from(len) << 56)
                } else {
                    lo
                });
                h.write_u64(u64::from(len));
                names.word(h.finish() | 1, is_short_legal_suffix(lo));
                continue;
            }
            if len <= 16 && marks & word == 0 {
                // Two loads ("Logistics"): what streaming the word gives, without the stream.
                let k = len - 8;
                let lo = swar::lower_alnum(padded.load(s as usize));
                let hi =
                    swar::lower_alnum(padded.load(s as usize + 8)) & (u64::MAX >> (64 - 8 * k));
                let mut h = FxHasher::default();
                h.write_u64(lo);
                h.write_u64(if k < 8 { hi ^ (u64::from(k) << 56) } else { hi });
                h.write_u64(u64::from(len));
                names.word(h.finish() | 1, is_long_legal_suffix(lo, hi, len));
                continue;
            }
            let mut stream = WordStream::default();
            let mut kept = word & !marks;
            while kept != 0 {
                let a = kept.trailing_zeros();
                let b = a + (!(kept >> a)).trailing_zeros();
                kept &= u64::MAX.checked_shl(b).unwrap_or(0);
                let mut p = a;
                while p < b {
                    let k = (b - p).min(8);
                    let x = swar::lower_alnum(padded.load(p as usize)) & (u64::MAX >> (64 - 8 * k));
                    stream.append(x, k);
                    p += k;
                }
            }
            if !stream.is_empty() {
                names.word_of(stream);
            }
        }
        Some(names.key())
    }

    /// [`NameKey::of`] for ASCII text, 8 bytes at a time: the runs of letters and digits in
    /// each word of 8 bytes are lower-cased together and streamed into the word's hash; a
    /// byte that is neither (rare: a space, a dot) ends the word unless it is a mark. `None`
    /// for text that is not ASCII.
    fn of_ascii(name: &[u8]) -> Option<Self> {
        let mut names = NameHashes::default();
        let mut word = WordStream::default();
        let mut at = 0;
        while at < name.len() {
            let (x, valid) = swar::chunk(name, at);
            at += 8;
            if x & swar::HIGH != 0 {
                return None;
            }
            let upper = swar::in_range(x, b'A', b'Z');
            let mut keep = swar::in_range(x, b'0', b'9') | upper | swar::in_range(x, b'a', b'z');
            let lower = x | (upper >> 2);
            let mut ends = valid & !keep;
            let mut others = ends;
            while others != 0 {
                let bit = others & others.wrapping_neg();
                others ^= bit;
                // "B.V." and "O'Neil" are one word.
                if matches!((x >> (bit.trailing_zeros() - 7)) as u8, b'.' | b'\'') {
                    ends ^= bit;
                }
            }
            while keep | ends != 0 {
                if ends.trailing_zeros() < keep.trailing_zeros() {
                    ends &= ends - 1;
                    if !word.is_empty() {
                        names.word_of(word);
                        word = WordStream::default();
                    }
                    continue;
                }
                let (start, end) = swar::first_run(keep);
                word.append(swar::bytes_of(lower, start, end), (end - start) / 8);
                keep = swar::from(keep, end);
            }
        }
        if !word.is_empty() {
            names.word_of(word);
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

/// Longest name [`NameKey::of_short_ascii`] takes: its bitmaps have a bit per byte.
const SHORT_NAME: usize = 64;

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
    /// A word streamed by [`NameKey::of_ascii`] (not empty).
    #[inline]
    fn word_of(&mut self, word: WordStream) {
        let len = word.len();
        let suffix = if len <= 8 {
            is_short_legal_suffix(word.prefix().0)
        } else if len < 16 {
            let (lo, hi) = word.prefix();
            is_long_legal_suffix(lo, hi, len as u32)
        } else {
            false
        };
        self.word(word.finish(), suffix);
    }

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
                NameKey::of_ascii(name.as_bytes()),
                Some(NameKey::of_chars(name)),
                "{name}"
            );
        }
        assert!(NameKey::of_ascii("Müller GmbH".as_bytes()).is_none());
        assert!(NameKey::of_ascii("Acme Widgets Müller".as_bytes()).is_none());
    }

    #[test]
    fn the_ascii_path_agrees_with_the_char_path_across_word_boundaries() {
        // Words and separators of every length around 8 and 16, shifted through the 8-byte
        // words, with every legal suffix and its near misses, and every ASCII byte.
        let mut words: Vec<String> = [
            "gmbh",
            "ltd",
            "limited",
            "llc",
            "llp",
            "lp",
            "inc",
            "incorporated",
            "bv",
            "nv",
            "sarl",
            "sas",
            "sa",
            "ag",
            "kg",
            "ug",
            "plc",
            "co",
            "corp",
            "corporation",
            "company",
            "oy",
            "ab",
            "as",
            "aps",
            "srl",
            "spa",
            "pty",
            "the",
            "THE",
            "Corporation",
            "incorporate",
            "incorporateds",
            "corporations",
            "gmb",
            "gmbhx",
            "B.V.",
            "O'Neil",
            "a.b.c.d.e.f.g.h.i",
            "x",
            "",
        ]
        .iter()
        .map(|w| (*w).to_owned())
        .collect();
        for n in [7, 8, 9, 15, 16, 17, 63, 64, 65] {
            words.push("Ab9".repeat(n).chars().take(n).collect());
        }
        let seps = [
            " ", "  ", ", ", "-", "&", "\t", ".", "'", " . ", "/", "\u{7f}", "\0",
        ];
        let mut names = Vec::new();
        for (i, w) in words.iter().enumerate() {
            for pad in 0..9 {
                let lead = "Q".repeat(pad);
                let sep = seps[(i + pad) % seps.len()];
                let other = &words[(i * 7 + pad) % words.len()];
                names.push(format!("{lead}{sep}{w}"));
                names.push(format!("{lead} {w}{sep}{other}"));
                names.push(format!("{w}{sep}{lead}{sep}"));
            }
        }
        for b in 0..128u8 {
            names.push(format!("Acme{}Widgets Ltd{}", b as char, b as char));
        }
        for name in &names {
            assert_eq!(
                NameKey::of_ascii(name.as_bytes()),
                Some(NameKey::of_chars(name)),
                "{name:?}"
            );
            if name.len() <= SHORT_NAME {
                assert_eq!(
                    NameKey::of_short_ascii(name.as_bytes()),
                    Some(NameKey::of_chars(name)),
                    "{name:?}"
                );
            }
        }
        assert_eq!(NameKey::of("MÜLLER GMBH"), NameKey::of("müller"));
    }

    #[test]
    fn a_name_made_only_of_suffix_words_is_still_a_name() {
        // "The Company" must not collapse to empty; it stays distinct from other names.
        assert!(!key("The Company").is_empty());
        assert_ne!(key("Wise"), key("Wise Payments"));
    }
}

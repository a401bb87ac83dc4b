//! Reference tokens: the invoice numbers, bill numbers and Wise transfer references that tie a
//! bank line to a posting (Wise `paymentReference` and `referenceNumber` ↔ QBO `DocNumber`,
//! `PaymentRefNum`, `PrivateNote`, memos).
//!
//! A token is a word with at least one digit and at least four characters once separators are
//! dropped and letters upper-cased ("inv-1042" = "INV1042"); its digits alone are a second
//! token when there are at least four ("TRANSFER-900000002" also yields "900000002"). Words
//! without digits ("Rent", "March") are too common to identify anything.
//!
//! Tokens are hashed while the text is scanned, a byte at a time: no string is built, so
//! preparing a million lines allocates nothing per line.

use std::hash::Hasher;

use crate::fasthash::{FxHasher, StreamHash, WordStream, fx_hash_bytes};
use crate::swar;

const MIN_TOKEN_LEN: u64 = 4;

/// A word of a reference field that yields a token: the token's hash and, when its digits
/// alone are a token too, theirs (0 otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word {
    pub token: u64,
    pub digits: u64,
}

impl Word {
    /// The token, then the digits token if any.
    pub fn hashes(self) -> impl Iterator<Item = u64> {
        std::iter::once(self.token).chain((self.digits != 0).then_some(self.digits))
    }
}

/// Appends the words of `text` that yield tokens to `out`, in order.
pub fn push_words(text: &str, out: &mut Vec<Word>) {
    for_each_hash(text, |token, digits| {
        out.push(Word {
            token,
            digits: digits.unwrap_or(0),
        });
    });
}

/// [`for_each_token`] without the words: the short path gives where a word lies, and
/// slicing the text there (checks that the bounds fall between characters) is skipped.
#[inline]
fn for_each_hash(text: &str, mut emit: impl FnMut(u64, Option<u64>)) {
    if text.len() <= SHORT_TEXT && short_ascii_tokens(text, &mut |_, _, t, d| emit(t, d)) {
        return;
    }
    for_each_token(text, |_, token, digits| emit(token, digits));
}

/// Appends the distinct token hashes of a posting's reference fields to `tokens` (sorted),
/// and for each the fields it occurs in (bit `f` for `fields[f]`) to `fields_of`. A token
/// repeated across fields is one hit, not several; which fields hold it is kept for reasons.
pub fn push_posting_tokens(
    fields: [&str; 4],
    scratch: &mut Vec<(u64, u8)>,
    tokens: &mut Vec<u64>,
    fields_of: &mut Vec<u8>,
) {
    scratch.clear();
    for (f, text) in fields.into_iter().enumerate() {
        for_each_token(text, |_, token, digits| {
            scratch.push((token, 1 << f));
            if let Some(d) = digits {
                scratch.push((d, 1 << f));
            }
        });
    }
    scratch.sort_unstable_by_key(|&(t, _)| t);
    let start = tokens.len();
    for &(t, field) in scratch.iter() {
        if tokens.len() > start && tokens.last() == Some(&t) {
            if let Some(last) = fields_of.last_mut() {
                *last |= field;
            }
        } else {
            tokens.push(t);
            fields_of.push(field);
        }
    }
}

/// Writes the `n`th token word of `text` (counted as [`push_words`] does), or its digits.
/// ASCII text (almost every field) is only split into words, not hashed again.
pub fn spell_word(text: &str, n: usize, digits_only: bool, out: &mut String) {
    if text.is_ascii() {
        if let Some(word) = nth_ascii_token_word(text, n) {
            write_token(word, digits_only, out);
        }
    } else {
        spell_word_scanned(text, n, digits_only, out);
    }
}

/// The `n`th word of ASCII `text` that yields a token, found as [`ascii_tokens`] finds
/// words (runs of bytes that are not separators) and keeps them (a digit, and at least
/// [`MIN_TOKEN_LEN`] letters and digits), without hashing.
fn nth_ascii_token_word(text: &str, n: usize) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut i = 0usize;
    let mut seen = 0usize;
    while i < bytes.len() {
        while i < bytes.len() && CLASS[bytes[i] as usize] == SEPARATOR {
            i += 1;
        }
        let start = i;
        let (mut alnums, mut digits) = (0u64, 0u64);
        while i < bytes.len() {
            let c = CLASS[bytes[i] as usize];
            if c == SEPARATOR {
                break;
            }
            alnums += u64::from(c >= DIGIT);
            digits += u64::from(c == DIGIT);
            i += 1;
        }
        if digits > 0 && alnums >= MIN_TOKEN_LEN {
            if seen == n {
                return Some(&text[start..i]);
            }
            seen += 1;
        }
    }
    None
}

/// [`spell_word`] by a full scan, hashes and all: any text.
fn spell_word_scanned(text: &str, n: usize, digits_only: bool, out: &mut String) {
    let mut i = 0;
    for_each_token(text, |word, _, _| {
        if i == n {
            write_token(word, digits_only, out);
        }
        i += 1;
    });
}

/// Appends the hashes of the reference tokens in `text` to `out`.
#[cfg(test)]
pub fn push_tokens(text: &str, out: &mut Vec<u64>) {
    for_each_token(text, |_, token, digits| {
        out.push(token);
        if let Some(d) = digits {
            out.push(d);
        }
    });
}

/// Calls `emit(word, token_hash, digits_hash)` for every token of `text`, in order.
pub fn for_each_token<'t>(text: &'t str, mut emit: impl FnMut(&'t str, u64, Option<u64>)) {
    if text.len() <= SHORT_TEXT
        && short_ascii_tokens(text, &mut |s, e, t, d| emit(&text[s..e], t, d))
    {
        return;
    }
    if text.is_ascii() {
        ascii_tokens(text, emit);
    } else if text.bytes().any(|b| b.is_ascii_digit()) {
        unicode_tokens(text, emit);
    }
}

/// Byte classes for ASCII text: what the Unicode path decides per `char`, as a table.
const OTHER: u8 = 0;
const SEPARATOR: u8 = 1;
const DIGIT: u8 = 2;
const LETTER: u8 = 3;
const CLASS: [u8; 256] = {
    let mut t = [OTHER; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = if c.is_ascii_digit() {
            DIGIT
        } else if c.is_ascii_alphabetic() {
            LETTER
        } else if matches!(
            c,
            b'\t'
                | b'\n'
                | 0x0b
                | 0x0c
                | b'\r'
                | b' '
                | b','
                | b';'
                | b':'
                | b'('
                | b')'
                | b'['
                | b']'
                | b'"'
                | b'\''
        ) {
            SEPARATOR
        } else {
            OTHER
        };
        b += 1;
    }
    t
};

/// Longest word normalized in a stack buffer; longer ones (rare) are hashed as they stream.
const BUFFERED_WORD: usize = 64;

/// The ASCII path, one pass: words are found by a table look-up per byte and normalized into
/// small stack buffers as they are scanned (branch-free: every byte is written, only letters
/// and digits advance); a word without a digit is dropped unhashed, a token is hashed a word
/// (8 bytes) at a time.
fn ascii_tokens<'t>(text: &'t str, mut emit: impl FnMut(&'t str, u64, Option<u64>)) {
    let bytes = text.as_bytes();
    let n = bytes.len();
    let mut norm = [0u8; BUFFERED_WORD];
    let mut digits = [0u8; BUFFERED_WORD];
    let mut i = 0usize;
    while i < n {
        while i < n && CLASS[bytes[i] as usize] == SEPARATOR {
            i += 1;
        }
        let start = i;
        let (mut nl, mut dl) = (0usize, 0usize);
        while i < n {
            let b = bytes[i];
            let c = CLASS[b as usize];
            if c == SEPARATOR {
                break;
            }
            if nl < BUFFERED_WORD {
                norm[nl] = b.to_ascii_uppercase();
                // `dl <= nl`: the mask never changes the index, it only spares a check.
                digits[dl & (BUFFERED_WORD - 1)] = b;
            }
            nl += usize::from(c >= DIGIT);
            dl += usize::from(c == DIGIT);
            i += 1;
        }
        if dl == 0 {
            continue;
        }
        if nl > BUFFERED_WORD {
            let (norm, digits) = stream_word(&bytes[start..i]);
            emit_word(&text[start..i], norm, digits, &mut emit);
            continue;
        }
        if nl as u64 >= MIN_TOKEN_LEN {
            let digits_token =
                (dl as u64 >= MIN_TOKEN_LEN && dl != nl).then(|| fx_hash_bytes(&digits[..dl]));
            emit(&text[start..i], fx_hash_bytes(&norm[..nl]), digits_token);
        }
    }
}

/// Longest text [`short_ascii_tokens`] takes: its bitmaps have a bit per byte.
const SHORT_TEXT: usize = 64;

/// The ASCII path for a text of at most [`SHORT_TEXT`] bytes (almost every field), 8 bytes
/// at a time: a first pass finds the separators, letters and digits as bitmaps (a bit per
/// byte; the rare byte that is neither letter nor digit is looked up in [`CLASS`]); words
/// without a digit or too short are then skipped by counting bits, and a token's runs of
/// letters and digits are read 8 bytes at a time, upper-cased together and hashed as they
/// stream. Each token is given with the byte range of its word. `false`, having emitted
/// nothing, when the text is not ASCII.
fn short_ascii_tokens(text: &str, emit: &mut impl FnMut(usize, usize, u64, Option<u64>)) -> bool {
    let bytes = text.as_bytes();
    let n = bytes.len();
    debug_assert!(n <= SHORT_TEXT);
    // Bitmaps of the separators, of the bytes neither separator nor letter nor digit, and
    // of the digits; the letters and digits are what is left of the text. The first two are
    // only gathered for a chunk that has such bytes (about half of them have none).
    let (mut seps, mut others, mut digits) = (0u64, 0u64, 0u64);
    let mut padded = swar::Padded::default();
    let mut at = 0;
    while at < n {
        let (x, valid) = swar::chunk(bytes, at);
        if x & swar::HIGH != 0 {
            return false;
        }
        padded.store(at, x);
        let digit = swar::in_range(x, b'0', b'9');
        let alnum = digit | swar::letters(x);
        let other = valid & !alnum;
        if other != 0 {
            let (mut left, mut sep) = (other, 0);
            while left != 0 {
                let bit = left & left.wrapping_neg();
                left ^= bit;
                if CLASS[((x >> (bit.trailing_zeros() - 7)) & 0xff) as usize] == SEPARATOR {
                    sep |= bit;
                }
            }
            seps |= swar::bits(sep) << at;
            others |= swar::bits(other ^ sep) << at;
        }
        digits |= swar::bits(digit) << at;
        at += 8;
    }
    if digits == 0 {
        return true;
    }
    let mut in_words = (u64::MAX >> (64 - n)) & !seps;
    let alnums = in_words & !others;
    while in_words != 0 {
        // The lowest run of set bits: filling the zeros below it and adding one carries
        // through the run, leaving set only the bits above it (its end's among them).
        let word = in_words & !(in_words | (in_words - 1)).wrapping_add(1);
        in_words ^= word;
        // Whether the word has a digit, at least 4 letters and digits, at least 4 digits,
        // and letters too: bits counted without a population count (not in the baseline
        // instruction set).
        let (d, a) = (digits & word, alnums & word);
        if d == 0 || !at_least_4(a) {
            continue;
        }
        let token = hash_runs(&padded, a, swar::upper_alnum);
        let digits_token = (at_least_4(d) && d != a).then(|| hash_runs(&padded, d, |x| x));
        let (s, e) = (word.trailing_zeros(), 64 - word.leading_zeros());
        emit(s as usize, e as usize, token, digits_token);
    }
    true
}

/// Whether at least 4 bits are set.
#[inline]
fn at_least_4(mut x: u64) -> bool {
    x &= x.wrapping_sub(1);
    x &= x.wrapping_sub(1);
    x &= x.wrapping_sub(1);
    x != 0
}

/// [`fx_hash_bytes`] of the bytes of `text` at the set bits of `kept` (not 0), through
/// `map`: straight from the loads when they are one run (a word with no dropped byte, or
/// digits together) or two with a single byte dropped between them ("INV-1042",
/// "TRANSFER-900000002": most tokens), otherwise streamed a run at a time.
#[inline(always)]
fn hash_runs(text: &swar::Padded, mut kept: u64, map: impl Fn(u64) -> u64) -> u64 {
    let first = kept.trailing_zeros();
    let run = kept >> first;
    // `run` with its lowest clear bit set is one run when `run` is one run, or two with a
    // single byte dropped between them; `run + 1` wraps to 0 when all 64 bytes are kept.
    let filled = run | run.wrapping_add(1);
    if filled & filled.wrapping_add(1) == 0 {
        let gap = if run & run.wrapping_add(1) == 0 {
            64
        } else {
            first + run.trailing_ones()
        };
        // The bytes `filled` spans, less the one it filled (none when all 64 are kept).
        let len = if run == u64::MAX {
            64
        } else {
            63 - filled.leading_zeros()
        };
        let (first, gap) = (first as usize, gap as usize);
        let mut h = FxHasher::default();
        let mut o = 0;
        while o + 8 <= len {
            h.write_u64(map(text.load_without(first + o as usize, gap)));
            o += 8;
        }
        if o < len {
            let k = len - o;
            let x = text.load_without(first + o as usize, gap) & (u64::MAX >> (64 - 8 * k));
            h.write_u64(map(x) ^ (u64::from(k) << 56));
        }
        h.write_u64(u64::from(len));
        return h.finish() | 1;
    }
    let mut stream = WordStream::default();
    while kept != 0 {
        let a = kept.trailing_zeros();
        let b = a + (!(kept >> a)).trailing_zeros();
        kept &= u64::MAX.checked_shl(b).unwrap_or(0);
        let mut p = a;
        while p < b {
            let k = (b - p).min(8);
            let x = text.load(p as usize) & (u64::MAX >> (64 - 8 * k));
            stream.append(map(x), k);
            p += k;
        }
    }
    stream.finish()
}

/// Hashes of a long ASCII word's token and digits, streamed.
fn stream_word(word: &[u8]) -> (StreamHash, StreamHash) {
    let mut norm = StreamHash::new();
    let mut digits = StreamHash::new();
    for &b in word {
        if b.is_ascii_alphanumeric() {
            norm.push(b.to_ascii_uppercase());
            if b.is_ascii_digit() {
                digits.push(b);
            }
        }
    }
    (norm, digits)
}

fn emit_word<'t>(
    word: &'t str,
    norm: StreamHash,
    digits: StreamHash,
    emit: &mut impl FnMut(&'t str, u64, Option<u64>),
) {
    if norm.len() >= MIN_TOKEN_LEN && !digits.is_empty() {
        let digits_token =
            (digits.len() >= MIN_TOKEN_LEN && digits.len() != norm.len()).then(|| digits.finish());
        emit(word, norm.finish(), digits_token);
    }
}

/// Text with non-ASCII characters: separators include Unicode whitespace.
fn unicode_tokens<'t>(text: &'t str, mut emit: impl FnMut(&'t str, u64, Option<u64>)) {
    let mut norm = StreamHash::new();
    let mut digits = StreamHash::new();
    let mut start = 0usize;
    for (i, ch) in text.char_indices() {
        if ch.is_ascii_alphanumeric() {
            let b = ch as u8;
            norm.push(b.to_ascii_uppercase());
            if b.is_ascii_digit() {
                digits.push(b);
            }
        } else if is_separator(ch) {
            emit_word(&text[start..i], norm, digits, &mut emit);
            norm = StreamHash::new();
            digits = StreamHash::new();
            start = i + ch.len_utf8();
        }
    }
    emit_word(&text[start..], norm, digits, &mut emit);
}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | ';' | ':' | '(' | ')' | '[' | ']' | '"' | '\'')
}

/// The readable token of `word` (upper-cased letters and digits), or its digits alone.
pub fn write_token(word: &str, digits_only: bool, out: &mut String) {
    for ch in word.chars() {
        if ch.is_ascii_digit() || (!digits_only && ch.is_ascii_alphanumeric()) {
            out.push(ch.to_ascii_uppercase());
        }
    }
}

/// The readable tokens of `text`.
#[cfg(test)]
#[must_use]
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_token(text, |word, _, digits| {
        let mut t = String::new();
        write_token(word, false, &mut t);
        out.push(t);
        if digits.is_some() {
            let mut d = String::new();
            write_token(word, true, &mut d);
            out.push(d);
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_hash_as_the_bytes_they_keep() {
        let text: Vec<u8> = (0..64u32)
            .map(|i| b'0' + ((i * 7 + 3) % 43) as u8)
            .collect();
        let mut padded = swar::Padded::default();
        for at in (0..64).step_by(8) {
            padded.store(at, swar::chunk(&text, at).0);
        }
        let mut masks = vec![u64::MAX, u64::MAX - 1, u64::MAX >> 1, 1, 1 << 63];
        for a in 0..64u32 {
            for b in a..64 {
                let run = (u64::MAX >> (63 - (b - a))) << a;
                let mid = a.midpoint(b);
                masks.push(run);
                // One byte dropped inside or past its end; then two bytes or two gaps.
                masks.push(run & !(1 << mid));
                masks.push(run & !(0b11 << mid));
                masks.push(run & !(0b101 << mid));
            }
        }
        for kept in masks.into_iter().filter(|&m| m != 0) {
            let bytes: Vec<u8> = (0..64)
                .filter(|i| kept >> i & 1 == 1)
                .map(|i| text[i])
                .collect();
            assert_eq!(
                hash_runs(&padded, kept, |x| x),
                fx_hash_bytes(&bytes),
                "{kept:b}"
            );
        }
    }

    #[test]
    fn separators_and_case_are_ignored() {
        assert_eq!(tokens("inv-1042"), vec!["INV1042", "1042"]);
        assert_eq!(tokens("Paid INV 1042"), vec!["1042"]);
        assert_eq!(
            tokens("Wise TRANSFER-900000002 fee"),
            vec!["TRANSFER900000002", "900000002"]
        );
    }

    #[test]
    fn words_without_digits_or_too_short_are_not_references() {
        assert!(tokens("Rent March").is_empty());
        assert!(tokens("A1 B2").is_empty());
    }

    #[test]
    fn hashes_agree_with_tokens() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        push_tokens("INV-2024-007", &mut a);
        push_tokens("inv/2024/007", &mut b);
        assert_eq!(a, b);
        assert_eq!(a.len(), 2);
        assert_eq!(a[0], fx_hash_bytes(b"INV2024007"));
        assert_eq!(a[1], fx_hash_bytes(b"2024007"));
    }

    #[test]
    fn unicode_whitespace_separates() {
        assert_eq!(
            tokens("INV\u{a0}1042 ünï-7777"),
            vec!["1042", "N7777", "7777"]
        );
    }

    #[test]
    fn words_are_spelled_as_scanned() {
        for text in [
            "inv-1042",
            "Paid INV 1042, ref (TRANSFER-900000002); x:12345 'ab12cd' [7777]",
            "a\tb1234\x0b5678\x0cz99999\rq 12/2024/77",
            "A1234567890123456789012345678901234567890123456789012345678901234567 zz-9999",
            "1 22 333 4444 55555 a1b2c3d4 --- 12-34 x1y2",
            "INV\u{a0}1042 ünï-7777 x-12345",
            "no digits at all here",
            "",
        ] {
            let mut count = 0;
            for_each_token(text, |_, _, _| count += 1);
            for n in 0..=count {
                for digits_only in [false, true] {
                    let (mut fast, mut scanned) = (String::new(), String::new());
                    spell_word(text, n, digits_only, &mut fast);
                    spell_word_scanned(text, n, digits_only, &mut scanned);
                    assert_eq!(fast, scanned, "{text:?} word {n}");
                }
            }
        }
    }

    #[test]
    fn ascii_path_agrees_with_unicode_path() {
        for text in [
            "inv-1042",
            "Paid INV 1042, ref (TRANSFER-900000002); x:12345 'ab12cd' [7777]",
            "a\tb1234\x0b5678\x0cz99999\rq 12/2024/77",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1234-56",
            "1 22 333 4444 55555 a1b2c3d4",
            "",
            "---1234---",
            "no digits at all here",
            "A1234567890123456789012345678901234567890123456789012345678901234 x",
            "A123456789012345678901234567890123456789012345678901234567890123 x",
            "A12345678901234567890123456789012345678901234567890123456789012-- x",
            "A123456789012345678901234567890123456789012345678901234567890123-- x",
            "1234567890123456789012345678901234567890123456789012345678901234-/ B9999",
            "12345678901234567890123456789012345678901234567890123456789012345 z",
            "inv-1042-",
            "-a-1-b-2-c-3-d-4-",
            "Wise fee TRANSFER-900000002",
        ] {
            let mut fast = Vec::new();
            ascii_tokens(text, |w, t, d| fast.push((w, t, d)));
            let mut slow = Vec::new();
            unicode_tokens(text, |w, t, d| slow.push((w, t, d)));
            assert_eq!(fast, slow, "{text:?}");
            if text.len() <= SHORT_TEXT {
                let mut short = Vec::new();
                assert!(short_ascii_tokens(text, &mut |s, e, t, d| short.push((
                    &text[s..e],
                    t,
                    d
                ))));
                assert_eq!(short, slow, "{text:?}");
            }
        }
    }

    #[test]
    fn the_short_path_agrees_with_unicode_path_across_word_boundaries() {
        // Words of every length around 4, 8 and 16, letters and digits mixed, with dropped
        // bytes inside, shifted through the 8-byte words by a lead, every separator and
        // every ASCII byte between them; texts up to and past the 64-byte bound.
        let mut words: Vec<String> = [
            "inv-1042",
            "TRANSFER-900000002",
            "2024-12345",
            "a1",
            "ab12",
            "abc1",
            "1234",
            "12345678",
            "123456789",
            "A-1-B-2",
            "x/y/7/8/9/0",
            "Wise",
            "fee",
            "",
            "--",
            "ünï-7777",
            // One dropped byte (hashed straight from the loads) on either side of 8 and 16.
            "abcdefgh-12345678",
            "abcdefg/123456789",
            "x-1234567",
            "1234567.abcdefgh",
            "abcdefghijklmno-1",
            "1-abcdefghijklmnopq",
            "12-",
        ]
        .iter()
        .map(|w| (*w).to_owned())
        .collect();
        for n in [3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33] {
            words.push("A7b-".repeat(n).chars().take(n).collect());
            words.push("9".repeat(n));
        }
        let seps = [
            " ", "\t", ",", ";", ":", "(", ")", "[", "]", "\"", "'", "\u{a0}", "  ",
        ];
        let mut texts = Vec::new();
        for (i, w) in words.iter().enumerate() {
            for pad in 0..9 {
                let lead = "q".repeat(pad);
                let sep = seps[(i + pad) % seps.len()];
                let other = &words[(i * 5 + pad) % words.len()];
                texts.push(format!("{lead}{sep}{w}"));
                texts.push(format!("{lead}{w}{sep}{other}{sep}"));
                texts.push(format!("{w}-{pad}{sep}{lead}1{other}"));
            }
        }
        for b in 0..128u8 {
            texts.push(format!("INV{}1042{}x99999", b as char, b as char));
        }
        // A token ending at the 64-byte bound, and just before it.
        for n in 55..=64 {
            texts.push(format!("{:>n$}", "abcd-12345678"));
            texts.push(format!("{:>n$}", "12345678-abcdefgh9"));
        }
        texts.push("9".repeat(64));
        texts.push("A1".repeat(32));
        texts.push(format!("{}-1", "A".repeat(62)));
        for text in &texts {
            let mut slow = Vec::new();
            if text.bytes().any(|b| b.is_ascii_digit()) {
                unicode_tokens(text, |w, t, d| slow.push((w, t, d)));
            }
            let mut all = Vec::new();
            for_each_token(text, |w, t, d| all.push((w, t, d)));
            assert_eq!(all, slow, "{text:?}");
            let mut words = Vec::new();
            push_words(text, &mut words);
            let want: Vec<Word> = (slow.iter())
                .map(|&(_, token, d)| Word {
                    token,
                    digits: d.unwrap_or(0),
                })
                .collect();
            assert_eq!(words, want, "{text:?}");
            if text.len() <= SHORT_TEXT {
                let mut short = Vec::new();
                let ascii =
                    short_ascii_tokens(text, &mut |s, e, t, d| short.push((&text[s..e], t, d)));
                assert_eq!(ascii, text.is_ascii(), "{text:?}");
                if ascii {
                    assert_eq!(short, slow, "{text:?}");
                } else {
                    assert!(short.is_empty());
                }
            }
        }
    }
}

//! A small, fast, deterministic hasher for the engine's integer-keyed indexes. SipHash's
//! DoS resistance buys nothing here (no untrusted party picks the keys to hurt us) and costs
//! a large share of the 1M-line budget.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// The Fx hash (as in rustc), word at a time.
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            self.add(tail_word(bytes) ^ ((rest.len() as u64) << 56));
        }
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_i64(&mut self, i: i64) {
        self.add(i as u64);
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        // The multiply leaves the low bits (the bucket index) poorly mixed for keys with
        // trailing zeros, like amounts in ten-thousandths; rotate the good high bits down.
        self.hash.rotate_left(26)
    }
}

/// The last `bytes.len() % 8` bytes (1 to 7 of them) as a little-endian word, zero above:
/// what copying them into a zeroed 8-byte buffer gives, without the copy (a call to `memcpy`
/// for a length known only at run time, the larger part of hashing a short word).
#[inline]
pub(crate) fn tail_word(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    let rest = n % 8;
    debug_assert!(rest > 0);
    if n >= 8 {
        // The last eight bytes, shifted so that only the remainder is left.
        let last: [u8; 8] = bytes[n - 8..].try_into().unwrap_or([0; 8]);
        return u64::from_le_bytes(last) >> (8 * (8 - rest));
    }
    let mut word = 0u64;
    let mut at = 0;
    if rest >= 4 {
        let four: [u8; 4] = bytes[..4].try_into().unwrap_or([0; 4]);
        word = u64::from(u32::from_le_bytes(four));
        at = 4;
    }
    if rest - at >= 2 {
        let two: [u8; 2] = bytes[at..at + 2].try_into().unwrap_or([0; 2]);
        word |= u64::from(u16::from_le_bytes(two)) << (8 * at);
        at += 2;
    }
    if rest > at {
        word |= u64::from(bytes[at]) << (8 * at);
    }
    word
}

pub type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Hash of a byte string; never 0 for a non-empty input that matters to callers (0 means "none").
// Inlined where it is called (ids and names as they are read, ~3 calls a line): the calls
// cost more than the few loads and multiplies (100k: 788.2 M -> 787.4 M instructions).
#[inline]
#[must_use]
pub fn fx_hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(bytes);
    h.add(bytes.len() as u64);
    h.finish() | 1
}

/// [`fx_hash_bytes`] computed a byte at a time, for text normalized on the fly (no buffer):
/// `StreamHash::new()`, `push` each byte, `finish` gives exactly `fx_hash_bytes` of the bytes.
#[derive(Default, Clone, Copy)]
pub struct StreamHash {
    hasher: FxHasher,
    word: u64,
    in_word: u32,
    len: u64,
}

impl StreamHash {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    pub fn push(&mut self, byte: u8) {
        self.word |= u64::from(byte) << (8 * self.in_word);
        self.in_word += 1;
        self.len += 1;
        if self.in_word == 8 {
            self.hasher.add(self.word);
            self.word = 0;
            self.in_word = 0;
        }
    }

    #[must_use]
    pub fn len(&self) -> u64 {
        self.len
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[must_use]
    pub fn finish(mut self) -> u64 {
        if self.in_word > 0 {
            self.hasher.add(self.word ^ (u64::from(self.in_word) << 56));
        }
        self.hasher.add(self.len);
        self.hasher.finish() | 1
    }
}

/// [`fx_hash_bytes`] computed a run of bytes at a time (1 to 8 of them, packed in a word), for
/// text normalized 8 bytes at a time (see [`crate::swar`]): `append` the runs, `finish` gives
/// exactly `fx_hash_bytes` of their concatenation.
#[derive(Default, Clone, Copy)]
pub struct WordStream {
    hasher: FxHasher,
    /// The bytes not yet hashed (fewer than 8), little-endian, zero above.
    acc: u64,
    acc_len: u32,
    len: u64,
    /// The first 8 bytes once hashed (what [`WordStream::prefix`] reads for longer words).
    first: u64,
}

impl WordStream {
    /// Appends the `k` low bytes of `bytes` (`1 <= k <= 8`, the bytes above them zero).
    #[inline]
    pub fn append(&mut self, bytes: u64, k: u32) {
        debug_assert!((1..=8).contains(&k) && (k == 8 || bytes >> (8 * k) == 0));
        let a = self.acc_len;
        self.acc |= bytes << (8 * a);
        let total = a + k;
        self.len += u64::from(k);
        if total >= 8 {
            if self.len == u64::from(total) {
                self.first = self.acc;
            }
            self.hasher.add(self.acc);
            // `bytes >> (64 - 8a)`: what did not fit (nothing when `a == 0`).
            self.acc = (bytes >> 1) >> (63 - 8 * a);
            self.acc_len = total - 8;
        } else {
            self.acc_len = total;
        }
    }

    #[must_use]
    pub fn len(&self) -> u64 {
        self.len
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first bytes, little-endian, zero above: (bytes 0..8, bytes 8..16), for a word of at
    /// most 15 bytes.
    #[must_use]
    pub fn prefix(&self) -> (u64, u64) {
        debug_assert!(self.len < 16);
        if self.len < 8 {
            (self.acc, 0)
        } else {
            (self.first, self.acc)
        }
    }

    #[must_use]
    pub fn finish(mut self) -> u64 {
        if self.acc_len > 0 {
            self.hasher.add(self.acc ^ (u64::from(self.acc_len) << 56));
        }
        self.hasher.add(self.len);
        self.hasher.finish() | 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_stream_equals_whole() {
        let bytes: Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
        // Every split of every prefix into runs of 1..=8 bytes, by a few patterns.
        for n in 0..bytes.len() {
            for pattern in [&[1usize][..], &[8], &[3, 5], &[7, 2, 8], &[4, 4, 1], &[6]] {
                let mut s = WordStream::default();
                let (mut at, mut i) = (0, 0);
                while at < n {
                    let k = pattern[i % pattern.len()].min(n - at);
                    let mut w = [0u8; 8];
                    w[..k].copy_from_slice(&bytes[at..at + k]);
                    s.append(u64::from_le_bytes(w), k as u32);
                    at += k;
                    i += 1;
                }
                assert_eq!(s.len(), n as u64);
                if n < 16 {
                    let mut w = [0u8; 16];
                    w[..n].copy_from_slice(&bytes[..n]);
                    let lo = u64::from_le_bytes(w[..8].try_into().unwrap_or([0; 8]));
                    let hi = u64::from_le_bytes(w[8..].try_into().unwrap_or([0; 8]));
                    assert_eq!(s.prefix(), (lo, hi), "{n} {pattern:?}");
                }
                assert_eq!(s.finish(), fx_hash_bytes(&bytes[..n]), "{n} {pattern:?}");
            }
        }
    }

    #[test]
    fn the_tail_word_is_the_zero_padded_remainder() {
        let bytes: Vec<u8> = (0..40u8)
            .map(|i| i.wrapping_mul(37).wrapping_add(201))
            .collect();
        for start in 0..8 {
            for end in start..bytes.len() {
                let b = &bytes[start..end];
                let rest = b.len() % 8;
                if rest == 0 {
                    continue;
                }
                let mut w = [0u8; 8];
                w[..rest].copy_from_slice(&b[b.len() - rest..]);
                assert_eq!(tail_word(b), u64::from_le_bytes(w), "{start}..{end}");
            }
        }
    }

    #[test]
    fn streaming_equals_whole() {
        for s in [
            "",
            "a",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
            "TRANSFER900000002",
        ] {
            let mut h = StreamHash::new();
            for &b in s.as_bytes() {
                h.push(b);
            }
            assert_eq!(h.finish(), fx_hash_bytes(s.as_bytes()), "{s}");
        }
    }
}

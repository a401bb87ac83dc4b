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
fn tail_word(bytes: &[u8]) -> u64 {
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

#[cfg(test)]
mod tests {
    use super::*;

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

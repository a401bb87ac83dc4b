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
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 56));
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

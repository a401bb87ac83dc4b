//! Eight ASCII bytes at a time in a `u64` (SWAR): classifying, case-folding and cutting text
//! into runs without a branch per byte. Masks have the top bit of each byte (`0x80`) set for
//! the bytes they select; byte `i` of a word is the text's byte `at + i` (little-endian).

/// The top bit of every byte.
pub const HIGH: u64 = 0x8080_8080_8080_8080;
const ONES: u64 = 0x0101_0101_0101_0101;

/// Bytes `>= c`, for a word of ASCII bytes (top bits clear) and `c <= 0x80`: adding
/// `0x80 - c` to a byte below 0x80 never carries into the next.
#[inline]
#[must_use]
pub fn at_least(x: u64, c: u8) -> u64 {
    x.wrapping_add(ONES * u64::from(0x80 - c)) & HIGH
}

/// Bytes in `lo..=hi` (ASCII word, `hi < 0x7f`).
#[inline]
#[must_use]
pub fn in_range(x: u64, lo: u8, hi: u8) -> u64 {
    at_least(x, lo) & !at_least(x, hi + 1)
}

/// Bytes equal to `c` (ASCII word, `c < 0x80`).
#[inline]
#[must_use]
pub fn equal(x: u64, c: u8) -> u64 {
    !(x ^ (ONES * u64::from(c))).wrapping_add(ONES * 0x7f) & HIGH
}

/// The top bits of a mask's bytes gathered into its low 8 bits (byte `i` → bit `i`).
#[inline]
#[must_use]
pub fn bits(mask: u64) -> u64 {
    ((mask >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}

/// An ASCII word with its capital letters lower-cased.
#[cfg(test)]
#[must_use]
pub fn lower(x: u64) -> u64 {
    x | (in_range(x, b'A', b'Z') >> 2)
}

/// ASCII letters: a byte with its `0x20` bit set is a small letter exactly when the byte
/// is a letter.
#[inline]
#[must_use]
pub fn letters(x: u64) -> u64 {
    in_range(x | (ONES * 0x20), b'a', b'z')
}

/// A word of ASCII letters and digits only, lower-cased: digits have the `0x20` bit set
/// already, so setting it in every byte lower-cases the letters and nothing else.
#[inline]
#[must_use]
pub fn lower_alnum(x: u64) -> u64 {
    x | (ONES * 0x20)
}

/// A word of ASCII letters and digits only, upper-cased: letters (and no digit) have the
/// `0x40` bit set; the `0x20` bit is cleared where it is.
#[inline]
#[must_use]
pub fn upper_alnum(x: u64) -> u64 {
    x & !((x >> 1) & (ONES * 0x20))
}

/// An ASCII word with its small letters upper-cased.
#[cfg(test)]
#[must_use]
pub fn upper(x: u64) -> u64 {
    x & !(in_range(x, b'a', b'z') >> 2)
}

/// A text of at most 64 bytes copied, a chunk at a time as a first pass reads it, into a
/// zeroed buffer with room past its end: reading 8 bytes at any offset is then one load,
/// without the checks and the slower path near the end that reading the text itself takes.
pub struct Padded {
    bytes: [u8; 72],
}

impl Default for Padded {
    fn default() -> Self {
        Self { bytes: [0; 72] }
    }
}

impl Padded {
    /// Stores the chunk of the text at `at` (a multiple of 8 below 64), zero past its end
    /// (as [`chunk`] gives it).
    #[inline]
    pub fn store(&mut self, at: usize, x: u64) {
        debug_assert!(at.is_multiple_of(8) && at < 64);
        let at = at & 56;
        self.bytes[at..at + 8].copy_from_slice(&x.to_le_bytes());
    }

    /// The 8 bytes of the text from `at <= 64`, zero past its end, once every chunk of the
    /// text is stored.
    #[inline]
    #[must_use]
    pub fn load(&self, at: usize) -> u64 {
        debug_assert!(at <= 64);
        let at = at.min(64);
        u64::from_le_bytes(self.bytes[at..at + 8].try_into().unwrap_or([0; 8]))
    }

    /// The 8 bytes from `at < 64` of the text with its byte at `gap` dropped (bytes before
    /// `gap` keep their place, later ones move down by one; `gap >= 64`: none dropped).
    #[inline]
    #[must_use]
    pub fn load_without(&self, at: usize, gap: usize) -> u64 {
        let lo = self.load(at);
        let before = gap.saturating_sub(at);
        if before >= 8 {
            return lo;
        }
        let keep = (1u64 << (8 * before)) - 1;
        (lo & keep) | (self.load(at + 1) & !keep)
    }
}

/// The 8 bytes of `text` from `at`, zero past its end, and the mask of the bytes in it.
/// `at` is a multiple of 8 below `text.len()`.
#[inline]
#[must_use]
pub fn chunk(text: &[u8], at: usize) -> (u64, u64) {
    debug_assert!(at.is_multiple_of(8) && at < text.len());
    match text.get(at..at + 8) {
        Some(c) => (u64::from_le_bytes(c.try_into().unwrap_or([0; 8])), HIGH),
        None => {
            let rest = text.len() - at;
            (
                crate::fasthash::tail_word(text),
                HIGH & (u64::MAX >> (64 - 8 * rest)),
            )
        }
    }
}

/// The run of selected bytes that starts at the lowest one of `mask` (not 0): its bit offsets
/// `(start, end)`, multiples of 8 (`end` up to 64).
#[inline]
#[must_use]
pub fn first_run(mask: u64) -> (u32, u32) {
    let start = mask.trailing_zeros() - 7;
    let rest = !mask & HIGH & (u64::MAX << start);
    let end = if rest == 0 {
        64
    } else {
        rest.trailing_zeros() - 7
    };
    (start, end)
}

/// The bytes of `x` at bit offsets `start..end` (a run from [`first_run`]), moved down.
#[inline]
#[must_use]
pub fn bytes_of(x: u64, start: u32, end: u32) -> u64 {
    (x >> start) & (u64::MAX >> (64 - (end - start)))
}

/// `mask` without its bytes below bit offset `end` (`8 <= end <= 64`).
#[inline]
#[must_use]
pub fn from(mask: u64, end: u32) -> u64 {
    mask & !(u64::MAX >> (64 - end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_agree_with_bytes() {
        for b in 0..128u8 {
            let x = u64::from_le_bytes([b, 0, 0x7f, b, 1, b, 0x40, b]);
            let got = in_range(x, b'0', b'9');
            for (i, &y) in x.to_le_bytes().iter().enumerate() {
                assert_eq!(got >> (8 * i + 7) & 1 == 1, y.is_ascii_digit(), "{y}");
                assert_eq!(at_least(x, b'a') >> (8 * i + 7) & 1 == 1, y >= b'a', "{y}");
            }
        }
    }

    #[test]
    fn equal_bits_lower_and_load() {
        for b in 0..128u8 {
            let x = u64::from_le_bytes([b, 0, 0x7f, b'.', 1, b, 0x40, b'Z']);
            for c in [b'.', b'\'', 0, 0x7f, b'Z'] {
                let want: u64 = (0..8)
                    .filter(|&i| x.to_le_bytes()[i] == c)
                    .map(|i| 0x80u64 << (8 * i))
                    .sum();
                assert_eq!(equal(x, c), want, "{b} {c}");
                assert_eq!(
                    bits(want),
                    (0..8)
                        .filter(|&i| want >> (8 * i + 7) & 1 == 1)
                        .map(|i| 1 << i)
                        .sum::<u64>()
                );
            }
            let mut l = x.to_le_bytes();
            l.make_ascii_lowercase();
            assert_eq!(lower(x), u64::from_le_bytes(l));
            let mut u = x.to_le_bytes();
            u.make_ascii_uppercase();
            assert_eq!(upper(x), u64::from_le_bytes(u));
        }
        let alnum: Vec<u8> = (0..128u8).filter(u8::is_ascii_alphanumeric).collect();
        for c in alnum.chunks(8).chain(alnum.rchunks(8)) {
            let mut w = [b'0'; 8];
            w[..c.len()].copy_from_slice(c);
            let x = u64::from_le_bytes(w);
            assert_eq!(lower_alnum(x), lower(x));
            assert_eq!(upper_alnum(x), upper(x));
        }
        for b in 0..128u8 {
            let x = u64::from_le_bytes([b, b'a', b'Z', b, b'@', b'[', b'`', b'{']);
            assert_eq!(
                letters(x),
                in_range(x, b'A', b'Z') | in_range(x, b'a', b'z'),
                "{b}"
            );
        }
        let text: Vec<u8> = (1..=64).collect();
        for n in 1..=text.len() {
            let mut padded = Padded::default();
            for at in (0..n).step_by(8) {
                padded.store(at, chunk(&text[..n], at).0);
            }
            for at in 0..n {
                let mut w = [0u8; 8];
                let k = (n - at).min(8);
                w[..k].copy_from_slice(&text[at..at + k]);
                assert_eq!(padded.load(at), u64::from_le_bytes(w), "{n} {at}");
            }
            for gap in 0..n {
                let mut without = text[..n].to_vec();
                without.remove(gap);
                for at in 0..without.len() {
                    let mut w = [0u8; 8];
                    let k = (without.len() - at).min(8);
                    w[..k].copy_from_slice(&without[at..at + k]);
                    assert_eq!(
                        padded.load_without(at, gap),
                        u64::from_le_bytes(w),
                        "{n} {at} {gap}"
                    );
                }
            }
        }
    }

    #[test]
    fn chunks_and_runs() {
        let text = b"abcdefghijk";
        assert_eq!(chunk(text, 0), (u64::from_le_bytes(*b"abcdefgh"), HIGH));
        assert_eq!(
            chunk(text, 8),
            (u64::from_le_bytes(*b"ijk\0\0\0\0\0"), 0x80_8080)
        );
        let mask = 0x8080_0080_8000_0000u64;
        assert_eq!(first_run(mask), (24, 40));
        assert_eq!(first_run(from(mask, 40)), (48, 64));
        assert_eq!(bytes_of(u64::from_le_bytes(*b"abcdefgh"), 24, 40), 0x6564);
        assert_eq!(from(mask, 64), 0);
    }
}

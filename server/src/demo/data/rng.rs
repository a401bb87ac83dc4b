//! A tiny seeded generator (SplitMix64): the studio must come out the same for the same anchor
//! on every machine and every build, so no library whose stream could change under us.

pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Self {
        Self(seed ^ 0x5EED_DE30_57D1_0000)
    }

    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub(super) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(lo <= hi);
        let span = (hi - lo) as u64 + 1;
        lo + (self.next() % span) as i64
    }

    /// True `percent` times in a hundred.
    pub(super) fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_is_fixed() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let xs: Vec<i64> = (0..20).map(|_| a.range(-3, 3)).collect();
        let ys: Vec<i64> = (0..20).map(|_| b.range(-3, 3)).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().all(|x| (-3..=3).contains(x)));
        assert_ne!(Rng::new(8).next(), Rng::new(7).next());
    }
}

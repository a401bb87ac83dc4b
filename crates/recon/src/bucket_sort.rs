//! Sorting by an integer key first (a time, a day, the top bits of a hash, a group number): one
//! counting pass and one deal put every item in its bucket, then each bucket (a handful of
//! items) is sorted by the full order. The engine's big sorts (lines and postings into time
//! order, leftovers by payee, edges by group) cost a few passes over memory this way instead
//! of ~20 rounds of comparisons, each reaching into memory at random.

use std::cmp::Ordering;

use crate::prefetch::prefetch;
use crate::read_ahead::DISTANCE;

/// `items` sorted by `(bucket(item), cmp)` (ties in no particular order), as a new list: the
/// items are dealt into buckets (their positions, then a gather: no copy of the list to write into and
/// none back), then each bucket, in one place in memory, is sorted.
///
/// Sparse keys are bucketed by their top bits (a key's offset from the least, shifted right),
/// so there are about as many buckets as items whatever the keys' range: fine-grained keys
/// (times) leave a bucket or two an item, not a day's worth to sort by comparisons.
pub fn bucket_sorted_by<T: Copy>(
    items: Vec<T>,
    bucket: impl Fn(&T) -> i64,
    mut cmp: impl FnMut(&T, &T) -> Ordering,
) -> Vec<T> {
    let Some((lo, hi)) = items
        .iter()
        .map(&bucket)
        .fold(None, |range, k| match range {
            None => Some((k, k)),
            Some((lo, hi)) => Some((k.min(lo), k.max(hi))),
        })
    else {
        return items;
    };
    // The offset from `lo` fits in a u64 (as a wrapping difference); at most ~2 buckets an item.
    let range = hi.wrapping_sub(lo) as u64;
    let most = 2 * items.len() as u64 + 1024;
    let shift = (0..64).find(|&s| range >> s < most).unwrap_or(63);
    let slot = |item: &T| (bucket(item).wrapping_sub(lo) as u64 >> shift) as usize;
    // Each bucket's start, then (after the deal) its end.
    let mut next = vec![0u32; (range >> shift) as usize + 1];
    for item in &items {
        next[slot(item)] += 1;
    }
    let mut start = 0;
    for n in &mut next {
        (*n, start) = (start, start + *n);
    }
    let mut order = vec![0u32; items.len()];
    for (i, item) in items.iter().enumerate() {
        let at = &mut next[slot(item)];
        order[*at as usize] = i as u32;
        *at += 1;
    }
    // The gather reads `items` at random: each item is asked for some steps ahead.
    let mut sorted: Vec<T> = Vec::with_capacity(items.len());
    for (j, &i) in order.iter().enumerate() {
        if let Some(&ahead) = order.get(j + DISTANCE) {
            prefetch(&items[ahead as usize]);
        }
        sorted.push(items[i as usize]);
    }
    drop((items, order));
    let mut start = 0;
    for &end in &next {
        let (a, b) = (start as usize, end as usize);
        if b - a > 1 {
            if shift == 0 {
                sorted[a..b].sort_unstable_by(&mut cmp);
            } else {
                // A coarse bucket holds items of several keys: the key comes first in it.
                let by_key = |x: &T, y: &T| bucket(x).cmp(&bucket(y)).then_with(|| cmp(x, y));
                sorted[a..b].sort_unstable_by(by_key);
            }
        }
        start = end;
    }
    sorted
}

/// The top bits of a uniformly spread 64-bit key (a hash), as a bucket for about `n` buckets.
pub fn top_bits(key: u64, n: usize) -> i64 {
    let bits = usize::BITS - n.max(1).leading_zeros();
    (key >> (64 - bits.min(32))) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        *seed
    }

    #[test]
    fn sorts_like_a_comparison_sort_dense_or_sparse() {
        let mut seed = 3;
        for (n, spread) in [
            (0usize, 1u64),
            (1, 1),
            (50, 7),
            (5_000, 300),
            (5_000, 1 << 40),
        ] {
            let items: Vec<(i64, u64, u32)> = (0..n)
                .map(|i| {
                    (
                        (lcg(&mut seed) % spread) as i64 - 3,
                        lcg(&mut seed) % 5,
                        i as u32,
                    )
                })
                .collect();
            let mut want = items.clone();
            want.sort_unstable();
            let got = bucket_sorted_by(items, |x| x.0, |a, b| (a.1, a.2).cmp(&(b.1, b.2)));
            assert_eq!(got, want, "{n} {spread}");
        }
    }

    #[test]
    fn sorts_by_value_like_a_comparison_sort() {
        let mut seed = 5;
        for (n, spread, ties) in [
            (0usize, 1u64, 1u64),
            (1, 1, 1),
            (2, 1, 1),
            (50, 7, 3),
            (5_000, 300, 5),
            (5_000, 300, 1_000_000),
            (5_000, 1 << 40, 5),
            (5_000, u64::MAX, 5),
            (3_000, 2, 2),
        ] {
            let items: Vec<(i64, u64, usize)> = (0..n)
                .map(|i| {
                    let k = lcg(&mut seed) % spread;
                    (k.wrapping_sub(spread / 2) as i64, lcg(&mut seed) % ties, i)
                })
                .collect();
            let mut want = items.clone();
            want.sort_by_key(|x| (x.0, x.1));
            let got = bucket_sorted_by(items, |x| x.0, |a, b| (a.1, a.2).cmp(&(b.1, b.2)));
            assert_eq!(got, want, "{n} {spread} {ties}");
        }
    }

    #[test]
    fn hashes_bucket_by_their_top_bits() {
        let mut seed = 9;
        let items: Vec<(u64, u32)> = (0..10_000).map(|i| (lcg(&mut seed), i)).collect();
        let mut want = items.clone();
        want.sort_unstable();
        let n = items.len();
        let got = bucket_sorted_by(items, |x| top_bits(x.0, n), |a, b| a.cmp(b));
        assert_eq!(got, want);
        assert_eq!(top_bits(u64::MAX, 1), 1);
        assert_eq!(top_bits(u64::MAX, 1 << 40), (1 << 32) - 1);
    }
}

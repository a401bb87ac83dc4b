//! Putting a list in a new order without a second copy of it. Lines and postings are read in
//! input order and then put in canonical order; gathering each list into a new one held both
//! copies at once (tens of megabytes per account at 1M lines, memory the allocator then keeps).
//! A line's or posting's lists (its input, facts and quotes) are reordered by one walk.

/// Reorders `items` so that the new `items[i]` is the old `items[order[i]]`, cycle by cycle.
/// `order` must be a permutation of `0..items.len()`.
#[cfg(test)]
pub fn permute_in_place<T>(items: &mut [T], order: &[u32]) {
    debug_assert_eq!(items.len(), order.len());
    let mut order = order.to_vec();
    permute_with(&mut order, |i, j| items.swap(i, j));
}

/// Reorders several parallel lists at once by the permutation `order` (as
/// [`permute_in_place`] would each): `swap(i, j)` swaps positions `i` and `j` of every list.
/// One walk of the cycles serves all the lists, so the random reads of `order` are made once
/// and the lists' loads at one step overlap; a position is marked done in `order` itself
/// (its top bit), not in a list of its own. `order` is consumed (left marked).
///
/// # Panics
/// When a list is longer than `u32::MAX / 2` (an account never is).
pub fn permute_with(order: &mut [u32], mut swap: impl FnMut(usize, usize)) {
    const DONE: u32 = 1 << 31;
    assert!(order.len() < DONE as usize, "list too long to permute");
    for start in 0..order.len() {
        if order[start] & DONE != 0 {
            continue;
        }
        // Walk the cycle through `start`: each swap puts one item in its place and carries
        // the one displaced to the next position of the cycle.
        let mut at = start;
        loop {
            let from = order[at] as usize;
            order[at] |= DONE;
            if from == start {
                break;
            }
            swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reorders_like_a_gather() {
        let mut seed = 21u64;
        for n in [0usize, 1, 2, 7, 100, 1000] {
            let mut order: Vec<u32> = (0..n as u32).collect();
            // Fisher–Yates with a small generator.
            for i in (1..n).rev() {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                order.swap(i, (seed >> 33) as usize % (i + 1));
            }
            let items: Vec<String> = (0..n).map(|i| format!("item {i}")).collect();
            let want: Vec<String> = order.iter().map(|&i| items[i as usize].clone()).collect();
            let mut got = items;
            permute_in_place(&mut got, &order);
            assert_eq!(got, want, "{n}");
        }
    }
}

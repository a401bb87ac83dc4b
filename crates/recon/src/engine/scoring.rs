//! How a candidate pair scores, and keeping the best few.

use crate::counterparty::NameAgreement;

use super::*;

pub(super) fn score(e: &Edge) -> i64 {
    let mut s = match e.relation {
        Relation::Exact => SCORE_EXACT_AMOUNT,
        Relation::Principal => SCORE_PRINCIPAL_AMOUNT,
        Relation::Mismatch => 0,
    };
    if e.reference {
        s += SCORE_REFERENCE;
    }
    s += match e.name {
        NameAgreement::Same => SCORE_SAME_NAME,
        NameAgreement::Similar => SCORE_SIMILAR_NAME,
        NameAgreement::Different => -PENALTY_DIFFERENT_NAME,
        NameAgreement::Unknown => 0,
    };
    s += gap_score(e.gap);
    s.max(1)
}

/// What a pair scores for the days between line and posting: a look-up, as every candidate
/// of a common amount is scored (a chain of range tests cost a dozen instructions each).
#[inline]
fn gap_score(gap: i32) -> i64 {
    let at = i64::from(gap) - i64::from(FIRST_SCORED_GAP);
    GAP_SCORES.get(at as usize).map_or(0, |&s| i64::from(s))
}

/// The earliest gap that scores anything: the table starts there, and after it the gaps up
/// to 30 days (earlier and later postings score 0).
const FIRST_SCORED_GAP: i32 = -5;

/// [`gap_score_by_ranges`] from [`FIRST_SCORED_GAP`] to 30 days.
const GAP_SCORES: [u8; 36] = {
    let mut table = [0u8; 36];
    let mut at = 0;
    while at < table.len() {
        table[at] = gap_score_by_ranges(FIRST_SCORED_GAP + at as i32) as u8;
        at += 1;
    }
    table
};

/// The date part of [`score`], as defined.
const fn gap_score_by_ranges(gap: i32) -> i64 {
    match gap {
        -1..=1 => 20,
        2..=3 => 15,
        4..=7 => 10,
        8..=14 => 6,
        15..=30 => 3,
        g if g > 30 => 0,
        g => {
            let s = 12 + 2 * g as i64;
            if s > 0 { s } else { 0 }
        }
    }
}

/// Keeps the `n` items with the smallest keys, in key order (keys are distinct): the first `n`
/// sorted, then each later item that beats the last kept is inserted in place. Lines with
/// many candidates (a common amount) keep only a few.
pub(super) fn keep_best<T: Copy, K: Ord>(items: &mut Vec<T>, n: usize, key: impl Fn(&T) -> K) {
    if items.len() <= n {
        items.sort_unstable_by_key(&key);
        return;
    }
    items[..n].sort_unstable_by_key(&key);
    for i in n..items.len() {
        let item = items[i];
        let k = key(&item);
        if k < key(&items[n - 1]) {
            let at = items[..n].partition_point(|x| key(x) < k);
            items.copy_within(at..n - 1, at + 1);
            items[at] = item;
        }
    }
    items.truncate(n);
}

pub(super) fn suggested_confidence(score: i64) -> f64 {
    let c = (score as f64 / 200.0).clamp(0.3, 0.85);
    (c * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gap_table_scores_as_the_ranges_do() {
        for gap in (-1_000..=1_000).chain([i32::MIN, i32::MIN + 1, i32::MAX - 1, i32::MAX]) {
            assert_eq!(gap_score(gap), gap_score_by_ranges(gap), "{gap}");
        }
    }

    #[test]
    fn keep_best_keeps_what_a_full_sort_would() {
        let mut seed = 5u64;
        for len in [0usize, 1, 7, 8, 9, 30, 200] {
            for _ in 0..20 {
                let mut items: Vec<(i64, u32)> = (0..len as u32)
                    .map(|i| {
                        seed = seed
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1_442_695_040_888_963_407);
                        (((seed >> 33) % 50) as i64, i)
                    })
                    .collect();
                let mut want = items.clone();
                want.sort_unstable();
                want.truncate(8);
                keep_best(&mut items, 8, |&x| x);
                assert_eq!(items, want);
            }
        }
    }
}

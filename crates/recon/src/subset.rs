//! Bounded subset-sum search: which few of the nearby candidates add up to an amount.
//! Subset sum is NP-hard in general; bounding the candidates (nearest by date) and the subset
//! size keeps every search to a few thousand steps, as beancount-import does with ≤ 4 postings.

/// Up to `limit` subsets (as sorted candidate indices) of size `2..=max_size` whose values sum
/// exactly to `target`. All values must be positive and `target` positive (callers pass
/// magnitudes of same-signed amounts). Candidates are tried in the order given, so earlier
/// (preferred) candidates appear in earlier solutions. The search stops after `STEP_BUDGET`
/// steps, so a dense neighbourhood costs a bounded amount (it may then miss a combination).
#[must_use]
pub fn find_subsets(values: &[i64], target: i64, max_size: usize, limit: usize) -> Vec<Vec<usize>> {
    let mut found = Vec::new();
    let mut stack = Vec::with_capacity(max_size);
    let mut budget = STEP_BUDGET;
    search(
        values,
        target,
        max_size,
        limit,
        0,
        0,
        &mut stack,
        &mut found,
        &mut budget,
    );
    found
}

const STEP_BUDGET: usize = 20_000;

#[allow(clippy::too_many_arguments)]
fn search(
    values: &[i64],
    target: i64,
    max_size: usize,
    limit: usize,
    start: usize,
    sum: i64,
    stack: &mut Vec<usize>,
    found: &mut Vec<Vec<usize>>,
    budget: &mut usize,
) {
    for i in start..values.len() {
        if found.len() >= limit || *budget == 0 {
            return;
        }
        *budget -= 1;
        let v = values[i];
        if v <= 0 {
            continue;
        }
        let next = sum + v;
        if next > target {
            continue;
        }
        stack.push(i);
        if next == target {
            if stack.len() >= 2 {
                found.push(stack.clone());
            }
        } else if stack.len() < max_size {
            search(
                values,
                target,
                max_size,
                limit,
                i + 1,
                next,
                stack,
                found,
                budget,
            );
        }
        stack.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_pairs_and_triples() {
        let got = find_subsets(&[100, 250, 50, 200], 300, 4, 5);
        assert_eq!(got, vec![vec![0, 3], vec![1, 2]]);
        assert_eq!(find_subsets(&[10, 20, 30], 60, 3, 5), vec![vec![0, 1, 2]]);
    }

    #[test]
    fn respects_size_and_limit() {
        assert!(find_subsets(&[10, 20, 30], 60, 2, 5).is_empty());
        assert_eq!(find_subsets(&[5, 5, 5, 5], 10, 2, 2).len(), 2);
        // A single candidate equal to the target is a 1:1 match, not a group.
        assert!(find_subsets(&[60], 60, 3, 5).is_empty());
    }
}

//! Bounded subset-sum search: which few of the nearby candidates add up to an amount.
//! Subset sum is NP-hard in general; bounding the candidates (nearest by date) and the subset
//! size keeps every search to a few thousand steps, as beancount-import does with ≤ 4 postings.

/// Up to `limit` subsets (as sorted candidate indices) of size `2..=max_size` whose values sum
/// exactly to `target`. All values must be positive and `target` positive (callers pass
/// magnitudes of same-signed amounts). The search tries large values first, which lets it stop
/// early when the remaining values cannot reach the target; it also stops after `STEP_BUDGET`
/// steps, so a dense neighbourhood costs a bounded amount (it may then miss a combination).
/// With `run_budget`, the steps also come out of that shared budget (a caller's cap on many
/// searches together).
#[must_use]
pub fn find_subsets(
    values: &[i64],
    target: i64,
    max_size: usize,
    limit: usize,
    run_budget: Option<&mut usize>,
) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..values.len()).filter(|&i| values[i] > 0).collect();
    order.sort_unstable_by_key(|&i| (std::cmp::Reverse(values[i]), i));
    let sorted: Vec<i64> = order.iter().map(|&i| values[i]).collect();
    let mut found = Vec::new();
    let mut stack = Vec::with_capacity(max_size);
    let cap = run_budget
        .as_ref()
        .map_or(STEP_BUDGET, |b| STEP_BUDGET.min(**b));
    let mut budget = cap;
    let mut search = Search {
        values: &sorted,
        target,
        max_size,
        limit,
        found: &mut found,
        budget: &mut budget,
    };
    search.run(0, 0, &mut stack);
    if let Some(b) = run_budget {
        *b -= cap - budget;
    }
    found
        .into_iter()
        .map(|s| {
            let mut s: Vec<usize> = s.into_iter().map(|i| order[i]).collect();
            s.sort_unstable();
            s
        })
        .collect()
}

const STEP_BUDGET: usize = 20_000;

struct Search<'a> {
    values: &'a [i64],
    target: i64,
    max_size: usize,
    limit: usize,
    found: &'a mut Vec<Vec<usize>>,
    budget: &'a mut usize,
}

impl Search<'_> {
    fn run(&mut self, start: usize, sum: i64, stack: &mut Vec<usize>) {
        let slots = (self.max_size - stack.len()) as i64;
        for i in start..self.values.len() {
            if self.found.len() >= self.limit || *self.budget == 0 {
                return;
            }
            *self.budget -= 1;
            let v = self.values[i];
            // Values only get smaller from here: if even `slots` of this one fall short, stop.
            if sum + v * slots < self.target {
                return;
            }
            let next = sum + v;
            if next > self.target {
                continue;
            }
            stack.push(i);
            if next == self.target {
                if stack.len() >= 2 {
                    self.found.push(stack.clone());
                }
            } else if stack.len() < self.max_size {
                self.run(i + 1, next, stack);
            }
            stack.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_pairs_and_triples() {
        let got = find_subsets(&[100, 250, 50, 200], 300, 4, 5, None);
        assert_eq!(got, vec![vec![1, 2], vec![0, 3]]);
        assert_eq!(
            find_subsets(&[10, 20, 30], 60, 3, 5, None),
            vec![vec![0, 1, 2]]
        );
    }

    #[test]
    fn respects_size_and_limit() {
        assert!(find_subsets(&[10, 20, 30], 60, 2, 5, None).is_empty());
        assert_eq!(find_subsets(&[5, 5, 5, 5], 10, 2, 2, None).len(), 2);
        // A single candidate equal to the target is a 1:1 match, not a group.
        assert!(find_subsets(&[60], 60, 3, 5, None).is_empty());
    }

    #[test]
    fn run_budget_is_spent_and_respected() {
        let mut budget = 3;
        let got = find_subsets(&[10, 20, 30, 40], 70, 3, 5, Some(&mut budget));
        assert_eq!(budget, 0);
        assert!(got.len() <= 1);
        assert!(find_subsets(&[10, 20], 30, 2, 5, Some(&mut budget)).is_empty());
    }
}

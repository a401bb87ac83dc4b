//! Bounded subset-sum search: which few of the nearby candidates add up to an amount.
//! Subset sum is NP-hard in general; bounding the candidates (nearest by date) and the subset
//! size keeps every search to a few thousand steps, as beancount-import does with ≤ 4 postings.

/// Up to `limit` subsets (as sorted candidate indices) of size `2..=max_size` whose values sum
/// exactly to `target`, as [`Subsets::search`] finds them (all of them listed).
#[cfg(test)]
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
    let cap = run_budget
        .as_ref()
        .map_or(STEP_BUDGET, |b| STEP_BUDGET.min(**b));
    let left = search(&sorted, target, max_size, limit, cap, &mut found);
    if let Some(b) = run_budget {
        *b -= cap - left;
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

/// A subset search whose buffers are kept from one search to the next (a stage runs
/// thousands of small searches): what [`Subsets::search`] found is read with
/// [`Subsets::count`], [`Subsets::smallest`] and [`Subsets::settled`].
#[derive(Default)]
pub struct Subsets {
    /// The positive values as (minus the value, index): sorted, largest value first.
    order: Vec<(i64, u32)>,
    sorted: Vec<i64>,
    /// The walk's stack (see [`walk`]).
    frames: Vec<(usize, i64)>,
    /// The first subset found of the fewest values, as sorted candidate indices.
    smallest: Vec<usize>,
    count: usize,
    /// How many of the subsets found have as few values as `smallest`.
    smallest_count: usize,
    /// The `limit` of the last search.
    limit: usize,
}

impl Subsets {
    /// Looks for up to `limit` subsets of size `2..=max_size` of `values` whose values sum
    /// exactly to `target`. All values must be positive and `target` positive (callers pass
    /// magnitudes of same-signed amounts). The search tries large values first, which lets
    /// it stop early when the remaining values cannot reach the target; it also stops after
    /// `STEP_BUDGET` steps, so a dense neighbourhood costs a bounded amount (it may then miss
    /// a combination). With `run_budget`, the steps also come out of that shared budget (a
    /// caller's cap on many searches together).
    pub fn search(
        &mut self,
        values: &[i64],
        target: i64,
        max_size: usize,
        limit: usize,
        run_budget: Option<&mut usize>,
    ) {
        self.order.clear();
        self.order.extend(
            (values.iter().enumerate())
                .filter(|&(_, &v)| v > 0)
                .map(|(i, &v)| (-v, i as u32)),
        );
        self.order.sort_unstable();
        self.sorted.clear();
        self.sorted.extend(self.order.iter().map(|&(v, _)| -v));
        self.frames.clear();
        self.frames.reserve(max_size);
        self.smallest.clear();
        let cap = run_budget
            .as_ref()
            .map_or(STEP_BUDGET, |b| STEP_BUDGET.min(**b));
        let (sorted, frames, smallest) = (&self.sorted, &mut self.frames, &mut self.smallest);
        let (mut count, mut smallest_count) = (0, 0);
        let left = walk(
            sorted,
            (target, max_size, limit, cap),
            frames,
            |chosen, last| {
                let size = chosen.len() + 1;
                if count == 0 || size < smallest.len() {
                    smallest.clear();
                    smallest.extend(chosen.iter().map(|&(i, _)| i));
                    smallest.push(last);
                    smallest_count = 1;
                } else if size == smallest.len() {
                    smallest_count += 1;
                }
                count += 1;
                count
            },
        );
        (self.count, self.smallest_count, self.limit) = (count, smallest_count, limit);
        if let Some(b) = run_budget {
            *b -= cap - left;
        }
        for i in &mut self.smallest {
            *i = self.order[*i].1 as usize;
        }
        self.smallest.sort_unstable();
    }

    /// How many subsets the last search found (at most its `limit`).
    pub fn count(&self) -> usize {
        self.count
    }

    /// The first subset the last search found of the fewest values, as sorted indices into
    /// its `values`.
    pub fn smallest(&self) -> Option<&[usize]> {
        (self.count > 0).then_some(&self.smallest[..])
    }

    /// Whether the last search settled on one subset: it found exactly one, or it found
    /// fewer than its `limit` and only one of them has the fewest values. A coincidental sum of
    /// many values is far likelier than one of few (there are far more large subsets of the
    /// same candidates), so of a pair and a quintet adding up alike the pair is the better
    /// bet; two of the same size are a toss-up.
    pub fn settled(&self) -> bool {
        self.count == 1 || (self.count < self.limit && self.smallest_count == 1)
    }
}

const STEP_BUDGET: usize = 20_000;

/// The depth-first search of [`Subsets::search`] over `values` (in descending order), as a
/// loop over an explicit stack (`frames`, emptied first): each subset found (the values
/// picked before, ascending indices into `values` each with what was missing before it, and
/// the last one) is given to `found`, which returns how many were found so far; the search stops at `limit` of them.
/// Returns the budget left. A step is one value looked at; the budget and the order of the
/// steps are those of the recursive form (see the test).
fn walk(
    values: &[i64],
    (target, max_size, limit, mut budget): (i64, usize, usize, usize),
    frames: &mut Vec<(usize, i64)>,
    mut found: impl FnMut(&[(usize, i64)], usize) -> usize,
) -> usize {
    // `frames`: the values taken so far, each with what was missing before it (one vector:
    // a push and a pop check its length only); `slots`: how many more may be taken
    // (`max_size` less the frames).
    frames.clear();
    let mut slots = max_size as i64;
    let mut missing = target;
    let mut i = 0;
    if limit == 0 {
        return budget;
    }
    if slots == 0 {
        // Nothing may be taken: the first value looked at ends the search.
        return budget - usize::from(budget > 0 && !values.is_empty());
    }
    while budget > 0 {
        if let Some(&v) = values.get(i) {
            budget -= 1;
            // The tests in the order of their frequency, each as the recursive form decides
            // it: a value above what is missing is skipped (with a slot left, it cannot end
            // the level), one equal to it completes a subset.
            if v > missing {
                i += 1;
                continue;
            }
            if v == missing {
                if !frames.is_empty() && found(frames, i) >= limit {
                    break;
                }
                i += 1;
                continue;
            }
            // Values only get smaller from `i`: if even the slots left of this one fall
            // short, this level is done.
            if v * slots >= missing {
                if slots > 1 {
                    frames.push((i, missing));
                    slots -= 1;
                    missing -= v;
                }
                i += 1;
                continue;
            }
        }
        // This level is done (or none is left): go back to the one above.
        let Some((taken, missing_before)) = frames.pop() else {
            break;
        };
        slots += 1;
        i = taken + 1;
        missing = missing_before;
    }
    budget
}

/// [`walk`], every subset listed.
#[cfg(test)]
fn search(
    values: &[i64],
    target: i64,
    max_size: usize,
    limit: usize,
    budget: usize,
    found: &mut Vec<Vec<usize>>,
) -> usize {
    walk(
        values,
        (target, max_size, limit, budget),
        &mut Vec::new(),
        |chosen, last| {
            let mut subset: Vec<usize> = chosen.iter().map(|&(i, _)| i).collect();
            subset.push(last);
            found.push(subset);
            found.len()
        },
    )
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
    fn the_combination_of_fewest_values_settles_a_search() {
        let mut subsets = Subsets::default();
        // 9489 + 275227 and 9489 + 62537 + 34813 + 44503 + 133374 both make 284716.
        let values = [9489, 275_227, 62537, 34813, 44503, 133_374];
        subsets.search(&values, 284_716, 5, 6, None);
        assert_eq!(subsets.count(), 2);
        assert_eq!(subsets.smallest(), Some(&[0, 1][..]));
        assert!(subsets.settled());
        // Found as many as asked for: the neighbourhood is too busy to tell.
        subsets.search(&values, 284_716, 5, 2, None);
        assert!(!subsets.settled());
        // Two pairs: a toss-up.
        subsets.search(&[10, 20, 15, 15], 30, 2, 6, None);
        assert_eq!(subsets.count(), 2);
        assert!(!subsets.settled());
        // One combination is settled, whatever its size.
        subsets.search(&[10, 20, 30], 60, 3, 6, None);
        assert!(subsets.settled());
    }

    /// The recursive search the loop replaced, step for step.
    struct Recursive<'a> {
        values: &'a [i64],
        target: i64,
        max_size: usize,
        limit: usize,
        found: Vec<Vec<usize>>,
        budget: usize,
    }

    impl Recursive<'_> {
        fn run(&mut self, start: usize, sum: i64, stack: &mut Vec<usize>) {
            let slots = (self.max_size - stack.len()) as i64;
            for i in start..self.values.len() {
                if self.found.len() >= self.limit || self.budget == 0 {
                    return;
                }
                self.budget -= 1;
                let v = self.values[i];
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

    #[test]
    fn the_loop_takes_the_steps_of_the_recursive_search() {
        let mut seed = 29u64;
        let mut next = |m: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % m
        };
        let mut subsets = Subsets::default();
        for case in 0..4_000 {
            let n = next(24) as usize;
            let spread = [4, 12, 60, 1_000][case % 4];
            let mut values: Vec<i64> = (0..n).map(|_| 1 + next(spread) as i64).collect();
            values.sort_unstable_by(|a, b| b.cmp(a));
            let max_size = next(7) as usize;
            let limit = 1 + next(3) as usize;
            let budget = [3, 40, 500, 20_000][next(4) as usize];
            let target = match next(3) {
                0 => 1 + next(spread * 4) as i64,
                1 => values.iter().take(3).sum::<i64>().max(1),
                _ => values.iter().skip(1).step_by(2).take(4).sum::<i64>().max(1),
            };
            let mut want = Recursive {
                values: &values,
                target,
                max_size,
                limit,
                found: Vec::new(),
                budget,
            };
            want.run(0, 0, &mut Vec::new());
            let mut found = Vec::new();
            let left = search(&values, target, max_size, limit, budget, &mut found);
            assert_eq!(
                (left, &found),
                (want.budget, &want.found),
                "{values:?} {target} {max_size}"
            );
            // The same through the kept buffers, on the values in another order.
            let mut shuffled = values.clone();
            shuffled.rotate_left(n / 3);
            let (mut left, mut all_left) = (budget, budget);
            let all = find_subsets(&shuffled, target, max_size, limit, Some(&mut all_left));
            subsets.search(&shuffled, target, max_size, limit, Some(&mut left));
            assert_eq!(left, all_left);
            assert_eq!(subsets.count(), all.len());
            let fewest = all.iter().map(Vec::len).min();
            let smallest = all.iter().find(|s| Some(s.len()) == fewest);
            assert_eq!(subsets.smallest(), smallest.map(|s| &s[..]));
            let ties = all.iter().filter(|s| Some(s.len()) == fewest).count();
            assert_eq!(
                subsets.settled(),
                all.len() == 1 || (all.len() < limit && ties == 1)
            );
        }
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

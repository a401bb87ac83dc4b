//! Stage 4: one bank line for several postings, several bank lines for one posting.

use std::collections::HashMap;

use crate::bucket_sort::{bucket_sorted_by, top_bits};
use crate::counterparty::NameKey;
use crate::input::BookEntryKind;
use crate::output::{ExceptionKind, MatchKind, MatchStatus};
use crate::runs::{Cursors, Dated, DayCursor, Runs};
use crate::sentence::Sentence;
use crate::subset::Subsets;
use crate::window::SlidingIndex;

use super::*;

/// Leftovers in day order, and grouped by counterparty (each group in day order), with the
/// cursors a stage walking in day order keeps into them.
struct Pool {
    all: Vec<Dated>,
    named: Runs<u64>,
    all_cursor: DayCursor,
    named_cursors: Cursors,
    /// Scratch for [`AccountRun::nearby`].
    picked: Vec<(i32, u32)>,
    /// What [`AccountRun::nearby`] found last.
    nearest: Vec<u32>,
    /// The candidates' values and the subset search, kept from one search to the next.
    values: Vec<i64>,
    subsets: Subsets,
}

impl AccountRun<'_> {
    // ---- stage 4: groups ---------------------------------------------------------------------

    /// Leftover indices of one side (`pool`, day-ordered), same sign as `units` and smaller,
    /// nearest to `day` first, at most `limit`, into `pool.nearest`. With `name`, only that
    /// counterparty's leftovers (`named` is the pool grouped by name) are considered.
    #[allow(clippy::too_many_arguments)]
    fn nearby(
        &self,
        books_side: bool,
        pool: &mut Pool,
        day: i32,
        (lo, hi): (i32, i32),
        units: i64,
        name: Option<NameKey>,
        limit: usize,
    ) {
        let fits = |i: u32| {
            let (u, taken) = if books_side {
                let f = &self.book[i as usize];
                (f.units, self.book_taken[i as usize] || f.is_fee)
            } else {
                (self.bank[i as usize].units, self.bank_taken[i as usize])
            };
            !taken && (u < 0) == (units < 0) && u.abs() < units.abs()
        };
        let mut picked = std::mem::take(&mut pool.picked);
        picked.clear();
        pool.nearest.clear();
        if let Some(want) = name {
            let Some(run) = pool.named.id(&want.full) else {
                pool.picked = picked;
                return;
            };
            for &Dated { day: d, index: i } in
                pool.named.dated_from(&mut pool.named_cursors, run, lo)
            {
                if d > hi {
                    break;
                }
                if fits(i) {
                    picked.push(((d - day).abs(), i));
                }
            }
            picked.sort_unstable();
            picked.truncate(limit);
        } else {
            // Walk outwards from `day`, so the cost is bounded by `limit`, not by the window.
            let all = &pool.all;
            let mid = pool.all_cursor.seek(all, day);
            let (mut left, mut right) = (mid, mid);
            while picked.len() < limit {
                // Plain tests on the two neighbours (options and filters of their days cost
                // twice as much per step).
                let left_in = left > 0 && all[left - 1].day >= lo;
                let right_in = right < all.len() && all[right].day <= hi;
                let take_left = match (left_in, right_in) {
                    (false, false) => break,
                    (true, false) => true,
                    (false, true) => false,
                    (true, true) => day - all[left - 1].day < all[right].day - day,
                };
                let entry = if take_left {
                    left -= 1;
                    all[left]
                } else {
                    right += 1;
                    all[right - 1]
                };
                if fits(entry.index) {
                    let d = entry.day - day;
                    picked.push((d.abs(), entry.index));
                }
            }
            // Picked nearest first already, but for ties: an insertion sort is a compare per item.
            sort_nearly_sorted(&mut picked);
        }
        pool.nearest.extend(picked.iter().map(|&(_, i)| i));
        pool.picked = picked;
    }

    /// The leftovers among `indices` (in day order) of one side, as a [`Pool`]; grouped by
    /// counterparty only when `by_name` (else `named` is empty).
    fn pool(&self, books_side: bool, indices: impl Iterator<Item = u32>, by_name: bool) -> Pool {
        let fact = |i: u32| {
            if books_side {
                (self.book[i as usize].day, self.book[i as usize].name)
            } else {
                (self.bank[i as usize].day, self.bank[i as usize].name)
            }
        };
        let all: Vec<Dated> = indices
            .map(|i| Dated {
                day: fact(i).0,
                index: i,
            })
            .collect();
        let sorted: Vec<(u64, Dated)> = all
            .iter()
            .filter(|_| by_name)
            .map(|&d| (fact(d.index).1.full, d))
            .filter(|&(n, _)| n != 0)
            .collect();
        let n = sorted.len();
        let sorted = bucket_sorted_by(
            sorted,
            |&(name, _)| top_bits(name, n),
            |a, b| (a.0, a.1.index).cmp(&(b.0, b.1.index)),
        );
        let named = Runs::from_sorted(sorted.into_iter());
        let named_cursors = named.cursors();
        Pool {
            all,
            named,
            all_cursor: DayCursor::default(),
            named_cursors,
            picked: Vec::new(),
            nearest: Vec::new(),
            values: Vec::new(),
            subsets: Subsets::default(),
        }
    }

    pub(super) fn one_bank_many_books(&mut self) {
        let mut pool = self.pool(
            true,
            (0..self.book.len() as u32)
                .filter(|&k| !self.book_taken[k as usize] && !self.book[k as usize].is_fee),
            true,
        );
        if pool.all.is_empty() {
            return;
        }
        let mut fees = SlidingIndex::new(self.free_fee_nodes());
        // Stage 1's amount-mismatch pairs are the weakest pairs: an exact sum of a payee's
        // bills explains a line better. A line so paired is searched again (the difference
        // may be the payee's other bills, paid by the same transfer), and a posting so paired
        // is a candidate of every line of its payee (it may be one of the bills such a line
        // pays; its own line then goes back to the leftovers).
        let pairs = self.mismatch_pairs();
        let mut alive = vec![true; pairs.len()];
        let mut by_line: Vec<usize> = (0..pairs.len()).collect();
        by_line.sort_unstable_by_key(|&p| pairs[p].0);
        let mut by_line = by_line.into_iter().peekable();
        let mut by_payee: HashMap<u64, Vec<usize>> = HashMap::new();
        for (p, &(_, _, k)) in pairs.iter().enumerate() {
            let name = self.book[k as usize].name;
            if !name.is_empty() {
                by_payee.entry(name.full).or_default().push(p);
            }
        }
        let mut extras: Vec<(u32, usize)> = Vec::new();
        let mut replaced = Vec::new();
        for b in 0..self.bank.len() {
            let own = by_line
                .next_if(|&p| pairs[p].0 as usize == b)
                .filter(|&p| alive[p]);
            if self.bank_taken[b] && own.is_none() {
                continue;
            }
            let f = &self.bank[b];
            let (lo, hi) = (
                f.day - self.options.max_lead_days,
                f.day + self.options.max_lag_days,
            );
            extras.clear();
            extras.extend(own.map(|p| (pairs[p].2, p)));
            let others = by_payee.get(&f.name.full).filter(|_| !f.name.is_empty());
            for &p in others.into_iter().flatten() {
                let k = pairs[p].2;
                let day = self.book[k as usize].day;
                if alive[p] && Some(p) != own && (lo..=hi).contains(&day) {
                    extras.push((k, p));
                }
            }
            let Some(group) = self.bills_paid_by(b, &mut pool, &extras) else {
                continue;
            };
            for &(k, p) in &extras {
                let in_group = group.0.contains(&k);
                if Some(p) == own {
                    if !in_group {
                        self.book_taken[k as usize] = false;
                    }
                } else if in_group {
                    self.bank_taken[pairs[p].0 as usize] = false;
                } else {
                    continue;
                }
                alive[p] = false;
                replaced.push(pairs[p].1);
            }
            self.push_one_to_many(b, group, &mut fees);
        }
        // Highest first: each removal moves the last group (a later one) into the gap.
        replaced.sort_unstable();
        for gi in replaced.into_iter().rev() {
            self.groups.swap_remove(gi);
        }
    }

    /// The amount-mismatch pairs decided so far, as (bank line, group, posting); the list of
    /// them is emptied (groups are about to be removed, which moves others).
    fn mismatch_pairs(&mut self) -> Vec<(u32, usize, u32)> {
        let mismatches = std::mem::take(&mut self.mismatches);
        (mismatches.into_iter())
            .map(|gi| {
                let g = &self.groups[gi];
                (g.banks[0], gi, g.books[0])
            })
            .collect()
    }

    /// The payee's leftover postings near bank line `b` that add up to its amount, or to its
    /// amount without the fee (the group, whether it is the only combination, and whether
    /// it covers the amount net of the fee). The `extras` (postings already paired, each
    /// with its pair) are candidates too.
    fn bills_paid_by(
        &self,
        b: usize,
        pool: &mut Pool,
        extras: &[(u32, usize)],
    ) -> Option<(Vec<u32>, bool, bool, bool)> {
        let f = &self.bank[b];
        // Only the same payee: one Wise payment settling several bills is always one vendor,
        // and a name-free search here mostly finds coincidences.
        if f.name.is_empty() {
            return None;
        }
        let (lo, hi) = (
            f.day - self.options.max_lead_days,
            f.day + self.options.max_lag_days,
        );
        let targets = [(f.units, false), (f.units + f.fee_units, true)];
        let targets = &targets[..if f.fee_units > 0 { 2 } else { 1 }];
        for &(target, net_of_fee) in targets {
            let limit = self.options.subset_candidates;
            self.nearby(true, pool, f.day, (lo, hi), target, Some(f.name), limit);
            for &(k, _) in extras {
                let u = self.book[k as usize].units;
                if (u < 0) == (target < 0) && u.abs() < target.abs() {
                    pool.nearest.push(k);
                }
            }
            let cands = &pool.nearest;
            if cands.len() < 2 {
                continue;
            }
            pool.values.clear();
            (pool.values).extend(cands.iter().map(|&k| self.book[k as usize].units.abs()));
            let subsets = &mut pool.subsets;
            let max_size = self.options.max_group_size;
            subsets.search(&pool.values, target.abs(), max_size, SUBSET_LIMIT, None);
            if let Some(first) = subsets.smallest() {
                let books: Vec<u32> = first.iter().map(|&i| cands[i]).collect();
                return Some((books, subsets.count() == 1, true, net_of_fee));
            }
        }
        None
    }

    /// `fees` indexes postings by amount in a window that slides with `b` (a fee posting for
    /// a group found net of the fee is looked up in it).
    fn push_one_to_many(
        &mut self,
        b: usize,
        (mut books, unique, same_name, net_of_fee): (Vec<u32>, bool, bool, bool),
        fees: &mut SlidingIndex,
    ) {
        let line = self.lines[b];
        self.bank_taken[b] = true;
        for &k in &books {
            self.book_taken[k as usize] = true;
        }
        let mut reason = Sentence::new();
        reason
            .int(books.len() as i64)
            .s(" postings (")
            .list(books.iter().map(|&k| self.book_id(k)))
            .s(") add up to the bank ");
        if net_of_fee {
            reason
                .s("amount without the fee ")
                .amount(line.amount + line.fee.abs());
        } else {
            reason.s("amount ").amount(line.amount);
        }
        reason.s(" ").s(self.currency);
        if same_name {
            reason.s("; all to/from \"").s(&line.counterparty).s("\"");
        }
        let spread = books
            .iter()
            .map(|&k| self.book[k as usize].day - self.bank[b].day)
            .fold((i32::MAX, i32::MIN), |(a, z), g| (a.min(g), z.max(g)));
        reason
            .s("; dated ")
            .int(i64::from(spread.0))
            .s("..")
            .int(i64::from(spread.1))
            .s(" days from the bank line");
        if net_of_fee {
            // The principal is covered by the group; the fee needs its own posting.
            let fee_units = -self.bank[b].fee_units;
            let day = self.bank[b].day;
            let lead = self.options.max_lead_days;
            fees.slide(day - lead, day + lead);
            let fee_book = fees
                .get(fee_units as u64)
                .filter(|k| self.book[k.book as usize].is_fee && !self.book_taken[k.book as usize])
                .min_by_key(|k| (k.day - day).abs())
                .map(|k| k.book);
            match fee_book {
                Some(k) => {
                    self.book_taken[k as usize] = true;
                    books.push(k);
                    reason
                        .s("; fee ")
                        .amount(line.fee)
                        .s(" booked as bank charge ")
                        .s(&self.entries[k as usize].id);
                }
                None => {
                    reason
                        .s("; no bank-charge posting of ")
                        .amount(line.fee)
                        .s(": fee not booked");
                    self.groups.push(Group {
                        banks: Members::from(&[b as u32][..]),
                        books: Members::from(&books[..]),
                        outcome: Outcome::Break {
                            kind: ExceptionKind::UnbookedFee,
                            difference: line.fee.abs(),
                        },
                        why: reason.done().into(),
                    });
                    return;
                }
            }
        }
        let members = (&[b as u32][..], &books[..]);
        let unsure = "; counterparties differ or are unknown: verify";
        self.push_sum_group(
            members,
            MatchKind::OneToMany,
            (unique, same_name, unsure),
            reason,
        );
    }

    /// A group whose amounts add up: `auto` only when the combination is the only one and the
    /// counterparty is the same throughout; otherwise the reason says why to verify
    /// (`unsure`: the combination is unique, but not the counterparty).
    fn push_sum_group(
        &mut self,
        (banks, books): (&[u32], &[u32]),
        kind: MatchKind,
        (unique, same_name, unsure): (bool, bool, &str),
        mut reason: Sentence,
    ) {
        let auto = unique && same_name;
        if !auto {
            reason.s(if unique {
                unsure
            } else {
                "; other combinations fit too, this is the one of fewest items: verify"
            });
        }
        self.groups.push(Group {
            banks: Members::from(banks),
            books: Members::from(books),
            outcome: Outcome::Matched {
                kind,
                status: if auto {
                    MatchStatus::Auto
                } else {
                    MatchStatus::Suggested
                },
                confidence: if auto { 0.95 } else { 0.6 },
            },
            why: reason.done().into(),
        });
    }

    /// The postings a batch may still be found for: not taken, not fees, in canonical order.
    pub(super) fn open_postings(&self) -> Vec<u32> {
        (0..self.book.len() as u32)
            .filter(|&k| !self.book_taken[k as usize] && !self.book[k as usize].is_fee)
            .collect()
    }

    /// Batches of at most `max_size` bank lines for one of `postings`, of one payee
    /// (`same_name`) or found by amount alone. Keeps in `postings` those still open that
    /// had two candidate lines or more: lines are only ever taken, so a posting with fewer
    /// never has more in a later pass.
    pub(super) fn many_banks_one_book(
        &mut self,
        same_name: bool,
        max_size: usize,
        postings: &mut Vec<u32>,
    ) {
        let mut pool = self.pool(
            false,
            (0..self.bank.len() as u32).filter(|&b| !self.bank_taken[b as usize]),
            // The name-free search walks the leftovers by day only.
            same_name,
        );
        if pool.all.len() < 2 {
            postings.clear();
            return;
        }
        // A group's lines, kept from one group to the next.
        let mut banks: Vec<u32> = Vec::new();
        let mut kept = 0;
        for i in 0..postings.len() {
            let k = postings[i] as usize;
            if self.book_taken[k] {
                continue;
            }
            let f = &self.book[k];
            // A deposit groups credits received in the days before it is recorded. Without a
            // name to go by, only credits up to the deposit date count (a later line is another
            // deposit's far more often than a time-zone slip), and more candidates are looked
            // at, because in a busy account many unrelated credits fall in the window.
            let (lo, hi, limit) = if same_name {
                (
                    f.day - BATCH_WINDOW_DAYS,
                    f.day + 2,
                    self.options.subset_candidates,
                )
            } else {
                (
                    f.day - NAME_FREE_BATCH_WINDOW_DAYS,
                    f.day,
                    self.options.subset_candidates * 5 / 3,
                )
            };
            {
                if same_name && f.name.is_empty() {
                    continue;
                }
                let name = same_name.then_some(f.name);
                self.nearby(false, &mut pool, f.day, (lo, hi), f.units, name, limit);
                let cands = &pool.nearest;
                if cands.len() < 2 {
                    continue;
                }
                postings[kept] = k as u32;
                kept += 1;
                pool.values.clear();
                (pool.values).extend(cands.iter().map(|&b| self.bank[b as usize].units.abs()));
                let subsets = &mut pool.subsets;
                if same_name {
                    subsets.search(&pool.values, f.units.abs(), max_size, SUBSET_LIMIT, None);
                } else {
                    if self.name_free_budget == 0 {
                        // Nothing more will be searched.
                        postings.clear();
                        return;
                    }
                    let budget = Some(&mut self.name_free_budget);
                    subsets.search(&pool.values, f.units.abs(), max_size, SUBSET_LIMIT, budget);
                }
                let Some(first) = subsets.smallest() else {
                    continue;
                };
                let unique = subsets.count() == 1;
                if !same_name && !subsets.settled() {
                    // Name-free combinations of the same size fit: taking one would likely
                    // steal lines that belong to another deposit. Leave them to the exception
                    // queue.
                    continue;
                }
                banks.clear();
                banks.extend(first.iter().map(|&i| cands[i]));
                self.push_many_to_one(k, &banks, unique, same_name);
                // Taken: not kept.
                kept -= 1;
            }
        }
        postings.truncate(kept);
    }

    fn push_many_to_one(&mut self, k: usize, banks: &[u32], unique: bool, same_name: bool) {
        let entry = self.entries[k];
        self.book_taken[k] = true;
        for &b in banks {
            self.bank_taken[b as usize] = true;
        }
        let mut reason = Sentence::new();
        reason
            .int(banks.len() as i64)
            .s(" bank lines (")
            .list(banks.iter().map(|&b| self.bank_id(b)))
            .s(") add up to ")
            .s(&entry.id)
            .s(" ")
            .amount(entry.amount)
            .s(" ")
            .s(self.currency);
        if entry.kind == BookEntryKind::Deposit {
            reason.s(" (a batch deposit)");
        }
        if same_name {
            reason.s("; all from/to \"").s(&entry.counterparty).s("\"");
        }
        let members = (banks, &[k as u32][..]);
        let unsure = "; only the sum ties them: verify";
        self.push_sum_group(
            members,
            MatchKind::ManyToOne,
            (unique, same_name, unsure),
            reason,
        );
    }
}

/// Sorts a list that is in order but for a few items out of place by one or two slots (an
/// insertion sort: one comparison per item in order).
fn sort_nearly_sorted<T: Ord + Copy>(items: &mut [T]) {
    for i in 1..items.len() {
        let item = items[i];
        let mut j = i;
        while j > 0 && items[j - 1] > item {
            items[j] = items[j - 1];
            j -= 1;
        }
        items[j] = item;
    }
}

#[cfg(test)]
mod tests {
    use super::sort_nearly_sorted;

    #[test]
    fn sorts_like_the_standard_sort() {
        let mut seed = 7u64;
        for len in 0..40 {
            let mut items: Vec<(i32, u32)> = (0..len)
                .map(|i| {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    ((i / 2 + (seed >> 62) as i32), (seed >> 40) as u32)
                })
                .collect();
            let mut want = items.clone();
            want.sort_unstable();
            sort_nearly_sorted(&mut items);
            assert_eq!(items, want);
        }
    }
}

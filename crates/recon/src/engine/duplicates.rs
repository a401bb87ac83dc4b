//! Stage 3: leftover postings that repeat a matched one, then same-amount pairs whose payees
//! disagree.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rust_decimal::Decimal;

use crate::counterparty::NameAgreement;
use crate::output::{ExceptionKind, MatchKind};
use crate::sentence::Sentence;
use crate::window::{Node, SlidingIndex};

use super::*;

impl AccountRun<'_> {
    // ---- stage 3: duplicates -----------------------------------------------------------------

    pub(super) fn find_duplicates(&mut self) {
        // Which group holds each matched posting (one-to-one and fee-split groups only).
        let mut group_of_book = vec![u32::MAX; self.book.len()];
        for (gi, g) in self.groups.iter().enumerate() {
            if let Outcome::Matched {
                kind: MatchKind::OneToOne | MatchKind::FeeSplit,
                ..
            } = g.outcome
            {
                group_of_book[g.books[0] as usize] = gi as u32;
            } else if let Outcome::Break {
                kind: ExceptionKind::UnbookedFee,
                ..
            } = g.outcome
            {
                group_of_book[g.books[0] as usize] = gi as u32;
            }
        }
        let mut extra: BTreeMap<usize, Vec<u32>> = BTreeMap::new();
        // A twin is a matched posting of the amount of a leftover: only those are indexed.
        // Leftovers are a few percent of the postings; their amounts are marked in a bit set
        // that stays in the processor's cache (a false hit only indexes one posting more).
        let mut leftover_amounts = AmountBits::default();
        for (k, f) in self.book.iter().enumerate() {
            if !self.book_taken[k] && !f.is_fee {
                leftover_amounts.insert(f.units);
            }
        }
        let mut amounts = SlidingIndex::new(self.amount_nodes_of(|k, f| {
            group_of_book[k] != u32::MAX && leftover_amounts.may_contain(f.units)
        }));
        drop(leftover_amounts);
        let window = self.options.duplicate_window_days;
        for k in 0..self.book.len() {
            if self.book_taken[k] || self.book[k].is_fee {
                continue;
            }
            let kf = &self.book[k];
            amounts.slide(kf.day - window, kf.day + window);
            let mut twin: Option<(i32, usize)> = None;
            for &Node { book: j, .. } in amounts.get(kf.units as u64) {
                let jf = &self.book[j as usize];
                let gi = group_of_book[j as usize] as usize;
                if gi == u32::MAX as usize {
                    continue;
                }
                let same_payee = match kf.name.agreement(jf.name) {
                    NameAgreement::Same => true,
                    NameAgreement::Unknown => kf.name.is_empty() && jf.name.is_empty(),
                    _ => false,
                };
                if !same_payee {
                    continue;
                }
                let distance = (jf.day - kf.day).abs();
                if twin.is_none_or(|(d, _)| distance < d) {
                    twin = Some((distance, gi));
                }
            }
            if let Some((_, gi)) = twin {
                extra.entry(gi).or_default().push(k as u32);
            }
        }
        for (gi, dups) in extra {
            let original = self.groups[gi].books[0];
            let bank = self.groups[gi].banks[0];
            let line = self.lines[bank as usize];
            let mut books: Vec<u32> = self.groups[gi].books.to_vec();
            for &d in &dups {
                self.book_taken[d as usize] = true;
                books.push(d);
            }
            let booked: Decimal = books.iter().map(|&k| self.entries[k as usize].amount).sum();
            let names: Vec<&str> = std::iter::once(original)
                .chain(dups.iter().copied())
                .map(|k| self.book_id(k))
                .collect();
            let mut reason = Sentence::new();
            reason
                .s("bank line ")
                .s(&line.id)
                .s(" (")
                .amount(line.amount)
                .s(" ")
                .s(self.currency)
                .s(") is booked ")
                .int(names.len() as i64)
                .s(" times: ")
                .list(names)
                .s("; same amount and payee within ")
                .int(i64::from(self.options.duplicate_window_days))
                .s(" days; earlier decision: ");
            let _ = match &self.groups[gi].why {
                Why::Text(earlier) => write!(reason.text(), "{earlier}"),
                Why::Pair(note) => {
                    let (b, k) = (bank as usize, original as usize);
                    let amounts = pair_amounts(
                        (&self.bank_quotes[b], &self.bank[b], line),
                        (&self.book_quotes[k], &self.book[k], self.entries[k]),
                    );
                    let earlier = note.shown(amounts, &self.text);
                    write!(reason.text(), "{earlier}")
                }
            };
            self.groups[gi] = Group {
                banks: Members::from(&[bank][..]),
                books: Members::from(&books[..]),
                outcome: Outcome::Break {
                    kind: ExceptionKind::DuplicatePosting,
                    difference: line.amount - booked,
                },
                why: reason.done().into(),
            };
        }
    }

    /// Leftover pairs of the same amount whose payees disagree: suggested only.
    pub(super) fn weak_one_to_one(&mut self) {
        let mut edges = std::mem::take(&mut self.weak_edges);
        edges.retain(|e| !self.bank_taken[e.bank as usize] && !self.book_taken[e.book as usize]);
        let chosen = assign_edges(&edges, self.bank.len(), self.book.len());
        for i in chosen {
            let e = edges[i];
            self.bank_taken[e.bank as usize] = true;
            self.book_taken[e.book as usize] = true;
            self.push_one_to_one(e, 0, true);
        }
        Workspace::give_back(self.room.keep, &mut self.room.weak_edges, edges);
    }
}

/// A set of amounts that may answer "yes" for an amount not in it (one bit per hash of an
/// amount, 8 KiB), never "no" for one in it.
struct AmountBits(Box<[u64; 1 << 10]>);

impl Default for AmountBits {
    fn default() -> Self {
        Self(Box::new([0; 1 << 10]))
    }
}

impl AmountBits {
    fn bit(units: i64) -> (usize, u64) {
        let h = (units as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 48;
        ((h >> 6) as usize, 1 << (h & 63))
    }

    fn insert(&mut self, units: i64) {
        let (word, bit) = Self::bit(units);
        self.0[word] |= bit;
    }

    fn may_contain(&self, units: i64) -> bool {
        let (word, bit) = Self::bit(units);
        self.0[word] & bit != 0
    }
}

//! Stage 5: leftovers of one payee whose amounts differ in the leading digit.

use crate::amount::looks_mistyped_leading;
use crate::output::ExceptionKind;
use crate::reason::Tail;
use crate::window::{Node, SlidingIndex};

use super::*;

impl AccountRun<'_> {
    // ---- stage 5: amount mismatches ----------------------------------------------------------

    /// Leftovers of the same payee whose amounts differ in the leading digit (9.99 vs 1.99):
    /// only now, when no grouping explained them.
    pub(super) fn leading_digit_mismatches(&mut self) {
        let mut edges = Vec::new();
        let mut names = SlidingIndex::new(self.name_nodes_of(|k| !self.book_taken[k]));
        for b in 0..self.bank.len() {
            let f = &self.bank[b];
            if self.bank_taken[b] || f.name.is_empty() {
                continue;
            }
            names.slide(
                f.day - self.options.max_lead_days,
                f.day + self.options.max_lag_days,
            );
            for &Node { book: k, .. } in names.get(f.name.full) {
                let kf = &self.book[k as usize];
                if self.book_taken[k as usize] {
                    continue;
                }
                if looks_mistyped_leading(f.units / self.minor, kf.units / self.minor) {
                    let mut e = self.edge(b, k as usize, Relation::Mismatch, false);
                    e.score = score(&e);
                    edges.push(e);
                }
            }
        }
        let chosen = assign_edges(&edges, self.bank.len(), self.book.len());
        for i in chosen {
            let e = edges[i];
            self.bank_taken[e.bank as usize] = true;
            self.book_taken[e.book as usize] = true;
            self.push_mismatch(e);
        }
    }

    pub(super) fn push_mismatch(&mut self, e: Edge) {
        let difference = self.line_amounts(e.bank).0 - self.posting_amount(e.book);
        let why = Why::Pair(self.pair_note(&e, Tail::Mismatch { typo: !e.reference }));
        self.mismatches.push(self.groups.len());
        self.groups.push(Group {
            banks: Members::from(&[e.bank][..]),
            books: Members::from(&[e.book][..]),
            outcome: Outcome::Break {
                kind: ExceptionKind::AmountMismatch,
                difference,
            },
            why,
        });
    }
}

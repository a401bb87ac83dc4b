//! Stage 2: fee postings paired to principal pairs, or fees reported unbooked.

use crate::counterparty::NameAgreement;
use crate::output::{ExceptionKind, MatchKind, MatchStatus};
use crate::read_ahead;
use crate::reason::{FeeVerify, Tail};
use crate::reference::Word;
use crate::window::{Node, SlidingIndex};

use super::*;

impl AccountRun<'_> {
    // ---- stage 2: fees ---------------------------------------------------------------------

    pub(super) fn pair_fees(&mut self, principal_pairs: Vec<Edge>) {
        let mut fee_edges: Vec<(Edge, u32)> = Vec::new(); // (principal pair, fee book)
        // Principal pairs come in bank order, i.e. in day order. Only fee postings not taken
        // yet can pay a fee, so only they are indexed.
        let mut amounts = SlidingIndex::new(self.free_fee_nodes());
        for p in &principal_pairs {
            let facts = &self.bank[p.bank as usize];
            let principal_day = self.book[p.book as usize].day;
            let fee_units = -facts.fee_units;
            let lo = facts.day - self.options.max_lead_days;
            let hi = facts.day + self.options.max_lag_days;
            amounts.slide(lo, hi);
            for &Node { book: k, .. } in amounts.get(fee_units as u64).take(64) {
                let kf = &self.book[k as usize];
                if !kf.is_fee || self.book_taken[k as usize] {
                    continue;
                }
                let shared_reference = self.shares_token(p.bank as usize, k as usize);
                let days_from_principal = (kf.day - principal_day).abs();
                let score = 50
                    + if shared_reference { SCORE_REFERENCE } else { 0 }
                    + match days_from_principal {
                        0 => 30,
                        1..=2 => 20,
                        3..=7 => 10,
                        _ => 0,
                    };
                let mut e = *p;
                e.book = k;
                e.score = score;
                e.reference = shared_reference;
                fee_edges.push((e, p.book));
            }
        }
        let plain: Vec<Edge> = fee_edges.iter().map(|(e, _)| *e).collect();
        let chosen = assign_edges(&plain, self.bank.len(), self.book.len());
        // Candidate fee postings per posting and per line, and the fee chosen for each line.
        let mut fee_degree = vec![0u32; self.book.len()];
        let mut bank_degree = vec![0u32; self.bank.len()];
        for e in &plain {
            fee_degree[e.book as usize] += 1;
            bank_degree[e.bank as usize] += 1;
        }
        let mut fee_of_bank = vec![u32::MAX; self.bank.len()];
        for &i in &chosen {
            fee_of_bank[plain[i].bank as usize] = i as u32;
        }
        for (n, p) in principal_pairs.iter().copied().enumerate() {
            // The line's reference fields and the fee posting's id, which the reasons
            // quote: asked for ahead.
            read_ahead::items_and_strings(
                n,
                |m| {
                    let p = principal_pairs.get(m)?;
                    p.reference.then(|| self.lines[p.bank as usize])
                },
                |l| [&*l.id, &l.payment_reference],
            );
            read_ahead::items_and_strings(
                n,
                |m| {
                    let fee = *fee_of_bank.get(principal_pairs.get(m)?.bank as usize)?;
                    Some(&self.book_quotes[plain.get(fee as usize)?.book as usize])
                },
                |q| [q.id.as_deref().unwrap_or("")],
            );
            let chosen_fee = fee_of_bank[p.bank as usize];
            match (chosen_fee != u32::MAX).then(|| plain[chosen_fee as usize]) {
                Some(fee) => {
                    self.book_taken[fee.book as usize] = true;
                    let unique_fee =
                        fee_degree[fee.book as usize] == 1 && bank_degree[fee.bank as usize] == 1;
                    let principal_sure =
                        p.reference || (p.name == NameAgreement::Same && p.gap.abs() <= 14);
                    let auto = principal_sure && (fee.reference || unique_fee);
                    let tail = Tail::FeeBooked {
                        fee_id: (self.text.ids).push(
                            self.book_quotes[fee.book as usize]
                                .id
                                .as_deref()
                                .unwrap_or(""),
                        ),
                        same_reference: fee.reference,
                        verify: if auto {
                            FeeVerify::No
                        } else if unique_fee {
                            FeeVerify::Principal
                        } else {
                            FeeVerify::WhichFee
                        },
                    };
                    let why = Why::Pair(self.pair_note(&p, tail));
                    self.groups.push(Group {
                        banks: Members::from(&[p.bank][..]),
                        books: Members::from(&[p.book, fee.book][..]),
                        outcome: Outcome::Matched {
                            kind: MatchKind::FeeSplit,
                            status: if auto {
                                MatchStatus::Auto
                            } else {
                                MatchStatus::Suggested
                            },
                            confidence: if auto {
                                if p.reference { 0.99 } else { 0.95 }
                            } else {
                                suggested_confidence(p.score)
                            },
                        },
                        why,
                    });
                }
                None => {
                    let why = Why::Pair(self.pair_note(&p, Tail::FeeNotBooked));
                    self.groups.push(Group {
                        banks: Members::from(&[p.bank][..]),
                        books: Members::from(&[p.book][..]),
                        outcome: Outcome::Break {
                            kind: ExceptionKind::UnbookedFee,
                            difference: self.line_amounts(p.bank).1.abs(),
                        },
                        why,
                    });
                }
            }
        }
    }

    fn shares_token(&self, b: usize, k: usize) -> bool {
        let kt = self.tokens_of(k);
        self.words_of(b)
            .iter()
            .flat_map(|w| w.hashes())
            .any(|t| kt.binary_search(&t).is_ok())
    }

    /// Line `b`'s reference words, payment reference first.
    pub(super) fn words_of(&self, b: usize) -> &[Word] {
        &self.bank_words[self.bank[b].words as usize..self.bank[b].words_end as usize]
    }

    /// Posting `k`'s distinct token hashes, sorted.
    fn tokens_of(&self, k: usize) -> &[u64] {
        &self.book_tokens[self.book[k].tokens as usize..self.book[k].tokens_end as usize]
    }
}

//! Stage 1, continued: the global one-to-one assignment of the candidates, and what a chosen
//! pair notes.

use rust_decimal::Decimal;

use crate::counterparty::NameAgreement;
use crate::explain::reference_hit;
use crate::name_cache::NameNumber;
use crate::output::{MatchKind, MatchStatus};
use crate::read_ahead;
use crate::reason::{PairNote, PairRelation, Tail, TextIndex};
use crate::reference::spell_word;

use super::*;

impl AccountRun<'_> {
    /// Returns the chosen pairs whose posting covers only the principal (for stage 2).
    pub(super) fn assign_one_to_one(&mut self, edges: &[Edge]) -> Vec<Edge> {
        let n_bank = self.bank.len();
        let n_book = self.book.len();
        let mut best_bank = vec![i64::MIN; n_bank];
        let mut best_book = vec![i64::MIN; n_book];
        for e in edges {
            best_bank[e.bank as usize] = best_bank[e.bank as usize].max(e.score);
            best_book[e.book as usize] = best_book[e.book as usize].max(e.score);
        }
        let mut kept = Workspace::reuse(&mut self.room.kept, edges.len());
        kept.extend(edges.iter().filter(|e| {
            e.score + PRUNE_MARGIN >= best_bank[e.bank as usize]
                || e.score + PRUNE_MARGIN >= best_book[e.book as usize]
        }));
        drop((best_bank, best_book));
        let chosen = assign_edges(&kept, n_bank, n_book);

        // Who got whom (the score; `i64::MIN`: nobody), for the ambiguity check.
        let mut bank_choice = vec![i64::MIN; n_bank];
        let mut book_choice = vec![i64::MIN; n_book];
        for &i in &chosen {
            let e = &kept[i];
            bank_choice[e.bank as usize] = e.score;
            book_choice[e.book as usize] = e.score;
        }
        // Edges per endpoint, over all candidates (before pruning): any of them may be plausible.
        // Edges come out of `candidate_edges` in bank order; books are grouped by a counting sort.
        debug_assert!(edges.windows(2).all(|w| w[0].bank <= w[1].bank));
        let of_bank_start = offsets(n_bank, edges.iter().map(|e| e.bank));
        let of_book_start = offsets(n_book, edges.iter().map(|e| e.book));
        let mut by_book: Vec<u32> = vec![0; edges.len()];
        {
            let mut next = of_book_start.clone();
            for (i, e) in edges.iter().enumerate() {
                let slot = &mut next[e.book as usize];
                by_book[*slot as usize] = i as u32;
                *slot += 1;
            }
        }
        let mut principal_pairs = Vec::new();
        for (n, &i) in chosen.iter().enumerate() {
            // A shared token is spelled from its line's text: asked for ahead.
            read_ahead::items_and_strings(
                n,
                |m| {
                    let e = kept[*chosen.get(m)?];
                    e.reference.then(|| self.lines[e.bank as usize])
                },
                |l| [&*l.id, &l.payment_reference],
            );
            let e = kept[i];
            self.bank_taken[e.bank as usize] = true;
            self.book_taken[e.book as usize] = true;
            if e.relation == Relation::Principal {
                principal_pairs.push(e);
                continue;
            }
            if e.relation == Relation::Mismatch {
                self.push_mismatch(e);
                continue;
            }
            // A rival is plausible when it scores close to the chosen pair and the rival's
            // other end is not clearly better served by its own assignment.
            let of_bank = &edges[of_bank_start[e.bank as usize] as usize
                ..of_bank_start[e.bank as usize + 1] as usize];
            let of_book = &by_book[of_book_start[e.book as usize] as usize
                ..of_book_start[e.book as usize + 1] as usize];
            // `served`: the score the rival's other end got in the assignment.
            let plausible = |r: &Edge, served: i64| {
                r.score + AMBIGUITY_MARGIN >= e.score && served < r.score + 10
            };
            let rivals = (of_bank.iter())
                .filter(|r| r.book != e.book && plausible(r, book_choice[r.book as usize]))
                .count()
                + (of_book.iter().map(|&j| &edges[j as usize]))
                    .filter(|r| r.bank != e.bank && plausible(r, bank_choice[r.bank as usize]))
                    .count();
            let any_other = of_bank.len() > 1 || of_book.len() > 1;
            self.push_one_to_one(e, rivals, any_other);
        }
        Workspace::give_back(self.room.keep, &mut self.room.kept, kept);
        principal_pairs
    }

    pub(super) fn push_one_to_one(&mut self, e: Edge, rivals: usize, any_other: bool) {
        let evidence = e.reference
            || e.name == NameAgreement::Same
            || (e.name == NameAgreement::Similar && e.gap.abs() <= 7)
            || (e.name == NameAgreement::Unknown && !any_other && (-2..=5).contains(&e.gap));
        let contradicted = e.name == NameAgreement::Different && !e.reference;
        let auto = evidence && !contradicted && rivals == 0;
        let confidence = if auto {
            if e.reference {
                0.99
            } else if e.name == NameAgreement::Same && e.gap.abs() <= 7 {
                0.97
            } else {
                0.93
            }
        } else {
            suggested_confidence(e.score)
        };
        let tail = if auto {
            if any_other {
                Tail::AutoOthers
            } else {
                Tail::AutoAlone
            }
        } else if rivals > 0 {
            Tail::Rivals(rivals as u32)
        } else if contradicted {
            Tail::NamesDisagree
        } else {
            Tail::AmountOnly
        };
        let why = Why::Pair(self.pair_note(&e, tail));
        self.groups.push(Group {
            banks: Members::from(&[e.bank][..]),
            books: Members::from(&[e.book][..]),
            outcome: Outcome::Matched {
                kind: MatchKind::OneToOne,
                status: if auto {
                    MatchStatus::Auto
                } else {
                    MatchStatus::Suggested
                },
                confidence,
            },
            why,
        });
    }

    /// What to note about a pair, from the facts and quotes alone (the inputs are read again
    /// only to spell a shared reference token).
    pub(super) fn pair_note(&mut self, e: &Edge, tail: Tail) -> PairNote {
        let (b, k) = (e.bank as usize, e.book as usize);
        let names = (e.name != NameAgreement::Unknown)
            .then(|| self.name_pair(self.bank_quotes[b].raw_name, self.book_quotes[k].raw_name));
        let reference = if e.reference {
            self.reference_hit(b, k)
        } else {
            None
        };
        PairNote {
            reference,
            names,
            gap: e.gap,
            relation: match e.relation {
                Relation::Exact => PairRelation::Exact,
                Relation::Principal => PairRelation::Principal,
                Relation::Mismatch => PairRelation::Mismatch,
            },
            agreement: e.name,
            tail,
        }
    }

    /// Line `b`'s amount and fee.
    pub(super) fn line_amounts(&self, b: u32) -> (Decimal, Decimal) {
        let b = b as usize;
        self.bank_quotes[b].amounts(&self.bank[b], self.lines[b])
    }

    /// Line `b`'s id, from its quote: the line itself lies far away in memory (before the
    /// output is written, every quote still holds its id).
    pub(super) fn bank_id(&self, b: u32) -> &str {
        self.bank_quotes[b as usize]
            .id
            .as_deref()
            .expect("ids move out only at the end")
    }

    /// Posting `k`'s id (see [`Self::bank_id`]).
    pub(super) fn book_id(&self, k: u32) -> &str {
        self.book_quotes[k as usize]
            .id
            .as_deref()
            .expect("ids move out only at the end")
    }

    /// Posting `k`'s amount.
    pub(super) fn posting_amount(&self, k: u32) -> Decimal {
        let k = k as usize;
        self.book_quotes[k].amount(&self.book[k], self.entries[k])
    }

    /// The (bank, book) counterparty names as written: a pair of name numbers, noted (the
    /// names themselves are in the run's table since they were read).
    fn name_pair(&mut self, bank: NameNumber, book: NameNumber) -> TextIndex {
        let pairs = &mut self.text.name_pairs;
        pairs.push([bank.index(), book.index()]);
        TextIndex::new((pairs.len() - 1) as u32)
    }

    /// The token line `b` and posting `k` share, as [`reference_hit`] finds it; spelled into
    /// the run's token table.
    fn reference_hit(&mut self, b: usize, k: usize) -> Option<crate::reason::ReferenceHit> {
        let f = &self.bank[b];
        let kf = &self.book[k];
        let words = &self.bank_words;
        let hit = reference_hit(
            [
                &words[f.words as usize..f.ref_end as usize],
                &words[f.ref_end as usize..f.words_end as usize],
            ],
            &self.book_tokens[kf.tokens as usize..kf.tokens_end as usize],
            &self.book_token_fields[kf.tokens as usize..kf.tokens_end as usize],
        )?;
        let line = self.lines[b];
        let field = [line.payment_reference.as_str(), &line.id][usize::from(hit.bank_field)];
        let token = self
            .text
            .tokens
            .push_with(|out| spell_word(field, hit.word, hit.digits_only, out));
        Some(crate::reason::ReferenceHit {
            token: TextIndex::new(token),
            bank_field: hit.bank_field,
            book_field: hit.book_field,
        })
    }
}

/// For keys in `0..n`, where each key's run starts in a list sorted (or counting-sorted) by
/// key: `start[k]..start[k + 1]`.
fn offsets(n: usize, keys: impl Iterator<Item = u32>) -> Vec<u32> {
    let mut start = vec![0u32; n + 1];
    for k in keys {
        start[k as usize + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    start
}

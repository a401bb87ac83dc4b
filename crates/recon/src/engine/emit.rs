//! The decided groups written out as matches and exceptions, in canonical order.

use crate::amount::{NOT_PACKED, mantissa_of_units};
use crate::ids::Ids;
use crate::input::{BankLine, BookEntry};
use crate::output::{Exception, Match};
use crate::prefetch::prefetch;
use crate::read_ahead::DISTANCE;
use crate::reason::{PairEvidence, Reason};
use crate::run_text::SharedText;

use super::*;

/// Pushes each decided group, as a [`Match`] or an [`Exception`], in canonical order; each
/// id is moved out of its quote. Matches and exceptions are counted into the summary as they
/// are written: a pass over the finished lists read ~110 MB back from memory at 1M lines.
// Never inlined (it is called once per account): inlined into `finish`, compiled together
// with the stages there, it cost 1.0 M more instructions in `reconcile` at 100k (799.55 M
// against 798.55 M, the count before it was split out of `finish`).
#[inline(never)]
pub(super) fn emit_groups(
    groups: &mut [Group],
    (bank_quotes, bank_facts, lines): (&mut [BankQuote], &[BankFacts], &[&BankLine]),
    (book_quotes, book_facts, entries): (&mut [BookQuote], &[BookFacts], &[&BookEntry]),
    text: &SharedText,
    currency: &str,
    (matches, exceptions, summary): (&mut Vec<Match>, &mut Vec<Exception>, &mut Summary),
) {
    // Groups in order of their first line, then groups of postings only in order of their
    // first posting. Every line and posting is in one group at most, so each group has
    // a slot of its own: a pass over the slots puts them in order, no sort needed.
    let mut by_line = vec![u32::MAX; bank_quotes.len()];
    let mut by_posting = vec![u32::MAX; book_quotes.len()];
    for (gi, g) in groups.iter().enumerate() {
        match g.banks.iter().min() {
            Some(&b) => by_line[b as usize] = gi as u32,
            None => {
                let first = g.books.iter().min().copied().unwrap_or(0);
                by_posting[first as usize] = gi as u32;
            }
        }
    }
    let order: Vec<u32> = (by_line.into_iter().chain(by_posting))
        .filter(|&gi| gi != u32::MAX)
        .collect();
    // Ids inside a group keep the order they were decided in (principal before fee),
    // which is canonical because every stage walks the canonical order.
    // Each id is named by one decision: it is moved there (its count is not touched).
    for (n, &gi) in order.iter().enumerate() {
        // A group's first line and posting are read where the group says: asked for ahead.
        if let Some(&ahead) = order.get(n + 2 * DISTANCE) {
            prefetch(&groups[ahead as usize]);
        }
        if let Some(&ahead) = order.get(n + DISTANCE) {
            let g = &groups[ahead as usize];
            if let Some(&b) = g.banks.first() {
                prefetch(&bank_quotes[b as usize]);
                prefetch(&bank_facts[b as usize]);
            }
            if let Some(&k) = g.books.first() {
                prefetch(&book_quotes[k as usize]);
                prefetch(&book_facts[k as usize]);
            }
        }
        let g = &mut groups[gi as usize];
        let bank: Ids = (g.banks.iter())
            .map(|&b| bank_quotes[b as usize].id.take().expect("named once"))
            .collect();
        let books: Ids = (g.books.iter())
            .map(|&k| book_quotes[k as usize].id.take().expect("named once"))
            .collect();
        let reason = match &mut g.why {
            Why::Text(reason) => Reason::boxed(std::mem::take(reason)),
            &mut Why::Pair(note) => {
                let (b, k) = (g.banks[0] as usize, g.books[0] as usize);
                let (bq, kq) = (&bank_quotes[b], &book_quotes[k]);
                let (bf, kf) = (&bank_facts[b], &book_facts[k]);
                if !bq.scales.contains(&NOT_PACKED) && kq.scale != NOT_PACKED {
                    // Money, as always: the facts hold the amounts as units already.
                    let packed = [
                        (bf.units, bq.scales[0]),
                        (kf.units, kq.scale),
                        (bf.fee_units, bq.scales[1]),
                    ]
                    .map(|(units, scale)| (mantissa_of_units(units, scale), scale));
                    Reason::pair(text, PairEvidence::packed(packed, note))
                } else {
                    let amounts = pair_amounts((bq, bf, lines[b]), (kq, kf, entries[k]));
                    match PairEvidence::new(amounts, note) {
                        Some(evidence) => Reason::pair(text, evidence),
                        None => Reason::new(note.shown(amounts, text).to_string()),
                    }
                }
            }
        };
        match g.outcome {
            Outcome::Matched {
                kind,
                status,
                confidence,
            } => {
                summary.matched_bank_lines += bank.len();
                summary.matched_book_entries += books.len();
                match status {
                    MatchStatus::Auto => summary.auto_matches += 1,
                    MatchStatus::Suggested => summary.suggested_matches += 1,
                }
                matches.push(Match {
                    bank,
                    books,
                    kind,
                    status,
                    confidence,
                    reason,
                });
            }
            Outcome::Break { kind, difference } => {
                *summary.exceptions.entry(kind).or_default() += 1;
                exceptions.push(Exception {
                    kind,
                    bank,
                    books,
                    currency: currency.to_owned(),
                    difference,
                    reason,
                });
            }
        }
    }
}

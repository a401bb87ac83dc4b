//! An account run's facts put in canonical order, whatever the input order.

use crate::amount::minor_unit;
use crate::bucket_sort::bucket_sorted_by;
use crate::gather::gather;
use crate::input::Options;
use crate::run_text::{RunText, StringTable};

use super::*;

impl<'a> AccountRun<'a> {
    pub(super) fn new(
        currency: &'a str,
        reading: Reading<'a>,
        options: &'a Options,
        mut room: Workspace,
    ) -> Self {
        // Facts were read in input order (the lines' memory order, so the reads stream, in
        // the walk that dispatched them), and are now put in canonical order, whatever the
        // input order: by time, then id. Sort keys were computed once (the id through a
        // hash), so the sort touches the lines only on a tie.
        let Reading {
            mut lines,
            bank_words: read_words,
            keyed_lines: keyed,
            bank: mut read_bank,
            bank_quotes: mut read_bank_quotes,
            names,
            mut entries,
            book_tokens: read_tokens,
            book_token_fields: read_token_fields,
            keyed_entries,
            book: mut read_book,
            book_quotes: mut read_book_quotes,
            scratch: _,
        } = reading;
        // Gathered into the lists the last run read into (see `FactLists`).
        let into = std::mem::take(&mut room.facts);
        // By time (a counting sort by its top bits), then by id.
        let keyed = bucket_sorted_by(
            keyed,
            |k| k.0,
            |a, b| {
                a.1.cmp(&b.1).then_with(|| {
                    let (x, y) = (lines[a.2 as usize], lines[b.2 as usize]);
                    (&x.id, x.amount).cmp(&(&y.id, y.amount))
                })
            },
        );
        let order: Vec<u32> = keyed.iter().map(|k| k.2).collect();
        drop(keyed);
        let (lines, mut bank, bank_quotes) = all_in_order(
            &order,
            (&mut lines, &mut read_bank, &mut read_bank_quotes),
            (into.bank, into.bank_quotes),
            BankQuote::take,
        );
        drop(order);
        // The words too, so that every later stage reads them in order.
        let bank_words = in_canonical_order(into.bank_words, &mut bank, &read_words, |f| {
            (&mut f.words, Some(&mut f.ref_end), &mut f.words_end)
        });

        // By day (a counting sort), then by creation time and id.
        let keyed = bucket_sorted_by(
            keyed_entries,
            |k| i64::from(k.0),
            |a, b| {
                (a.1, a.2).cmp(&(b.1, b.2)).then_with(|| {
                    let (x, y) = (entries[a.3 as usize], entries[b.3 as usize]);
                    (&x.id, x.amount).cmp(&(&y.id, y.amount))
                })
            },
        );
        let order: Vec<u32> = keyed.iter().map(|k| k.3).collect();
        drop(keyed);
        let (entries, mut book, book_quotes) = all_in_order(
            &order,
            (&mut entries, &mut read_book, &mut read_book_quotes),
            (into.book, into.book_quotes),
            BookQuote::take,
        );
        drop(order);
        // Fee postings are few (one per fee booked apart): listed in the same pass, so the
        // fee stages do not scan every posting's facts for them.
        let mut fee_postings = Vec::new();
        let (book_tokens, book_token_fields) = {
            let (mut tokens, mut fields) = (into.book_tokens, into.book_token_fields);
            tokens.clear();
            tokens.reserve(read_tokens.len());
            fields.clear();
            fields.reserve(read_tokens.len());
            for (k, f) in book.iter_mut().enumerate() {
                if f.is_fee {
                    fee_postings.push(k as u32);
                }
                let range = f.tokens as usize..f.tokens_end as usize;
                f.tokens = tokens.len() as u32;
                // A few tokens each: pushed, not copied by calls to `memcpy`.
                for (&t, &field) in read_tokens[range.clone()]
                    .iter()
                    .zip(&read_token_fields[range])
                {
                    tokens.push(t);
                    fields.push(field);
                }
                f.tokens_end = tokens.len() as u32;
            }
            (tokens, fields)
        };
        if room.keep {
            fn emptied<T>(mut list: Vec<T>) -> Vec<T> {
                list.clear();
                list
            }
            room.facts = FactLists {
                bank: emptied(read_bank),
                bank_quotes: emptied(read_bank_quotes),
                bank_words: emptied(read_words),
                book: emptied(read_book),
                book_quotes: emptied(read_book_quotes),
                book_tokens: emptied(read_tokens),
                book_token_fields: emptied(read_token_fields),
            };
        }
        let names = names.into_names();

        // Whether each token is on few postings (a posting's tokens are distinct).
        let token_useful = on_few_postings(&book_tokens, MAX_REFERENCE_FANOUT);

        let n_bank = bank.len();
        let n_book = book.len();
        Self {
            token_useful,
            currency,
            options,
            lines,
            entries,
            bank,
            book,
            bank_quotes,
            book_quotes,
            bank_words,
            book_tokens,
            book_token_fields,
            fee_postings,
            weak_edges: Workspace::reuse(&mut room.weak_edges, 0),
            // Every group holds a line or a posting of its own: this is enough, and never
            // grows (and copies) the list.
            groups: Workspace::reuse(&mut room.groups, n_bank + n_book),
            bank_taken: vec![false; n_bank],
            book_taken: vec![false; n_book],
            minor: minor_unit(currency),
            name_free_budget: NAME_FREE_STEPS_PER_POSTING * n_book + 100_000,
            text: RunText {
                currency: currency.into(),
                ids: StringTable::default(),
                names,
                name_pairs: Vec::new(),
                tokens: StringTable::default(),
            },
            room,
        }
    }
}

/// One side's inputs, facts and quotes in the order `order` gives, the facts and quotes
/// gathered into `into` (see [`FactLists`]); a quote's id is moved by `take_quote`.
fn all_in_order<I: Copy, F: Clone, Q>(
    order: &[u32],
    (inputs, facts, quotes): (&mut [I], &mut [F], &mut [Q]),
    (facts_into, quotes_into): (Vec<F>, Vec<Q>),
    take_quote: fn(&mut Q) -> Q,
) -> (Vec<I>, Vec<F>, Vec<Q>) {
    (
        gather(Vec::new(), inputs, order, |i| *i),
        gather(facts_into, facts, order, |f| f.clone()),
        gather(quotes_into, quotes, order, take_quote),
    )
}

/// Copies each item's range of `list` (read in input order) into `out` (emptied first), in
/// the items' order, and points the items at their new ranges (`range` gives an item's start,
/// an inner bound if any, and its end).
fn in_canonical_order<F, T: Copy>(
    mut out: Vec<T>,
    items: &mut [F],
    list: &[T],
    range: impl Fn(&mut F) -> (&mut u32, Option<&mut u32>, &mut u32),
) -> Vec<T> {
    out.clear();
    out.reserve(list.len());
    for item in items {
        let (start, inner, end) = range(item);
        let at = out.len() as u32;
        // A few items each: pushed, not copied by a call to `memcpy`.
        for &x in &list[*start as usize..*end as usize] {
            out.push(x);
        }
        if let Some(inner) = inner {
            *inner = *inner - *start + at;
        }
        *start = at;
        *end = out.len() as u32;
    }
    out
}

//! An account run's facts put in canonical order, whatever the input order.

use crate::amount::minor_unit;
use crate::bucket_sort::bucket_sorted_by;
use crate::input::Options;
use crate::prefetch::prefetch;
use crate::read_ahead::DISTANCE;
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
            lines: mut read_lines,
            bank_words: read_words,
            keyed_lines: keyed,
            names,
            entries: mut read_entries,
            book_tokens: read_tokens,
            book_token_fields: read_token_fields,
            keyed_entries,
            scratch: _,
        } = reading;
        // Put into the lists the last run used (see `FactLists`); the first run's get room
        // for the largest account, so no run grows (copies) them.
        let mut into = std::mem::take(&mut room.facts);
        let (most_lines, most_entries) = room.most;
        // By time (a counting sort by its top bits), then by id.
        let keyed = bucket_sorted_by(
            keyed,
            |k| k.0,
            |a, b| {
                a.1.cmp(&b.1).then_with(|| {
                    let (x, y) = (read_lines[a.2 as usize].line, read_lines[b.2 as usize].line);
                    (&x.id, x.amount).cmp(&(&y.id, y.amount))
                })
            },
        );
        let mut lines = Vec::with_capacity(keyed.len());
        let room_for = most_lines.max(keyed.len());
        let mut bank = Workspace::reuse(&mut into.bank, room_for);
        let mut bank_quotes = Workspace::reuse(&mut into.bank_quotes, room_for);
        // The read records are gathered in an order random against their memory's: each is
        // asked for (both of its cache lines) some lines ahead.
        for (j, k) in keyed.iter().enumerate() {
            if let Some(ahead) = keyed.get(j + DISTANCE) {
                prefetch_record(&read_lines[ahead.2 as usize]);
            }
            let read = &mut read_lines[k.2 as usize];
            lines.push(read.line);
            bank.push(read.facts.clone());
            bank_quotes.push(read.quote.take());
        }
        drop((keyed, read_lines));
        // The words too, so that every later stage reads them in order.
        let bank_words = in_canonical_order(
            Workspace::reuse(&mut into.bank_words, 2 * room_for),
            &mut bank,
            &read_words,
            |f| (&mut f.words, Some(&mut f.ref_end), &mut f.words_end),
        );
        drop(read_words);

        // By day (a counting sort), then by creation time and id.
        let keyed = bucket_sorted_by(
            keyed_entries,
            |k| i64::from(k.0),
            |a, b| {
                (a.1, a.2).cmp(&(b.1, b.2)).then_with(|| {
                    let (x, y) = (
                        read_entries[a.3 as usize].entry,
                        read_entries[b.3 as usize].entry,
                    );
                    (&x.id, x.amount).cmp(&(&y.id, y.amount))
                })
            },
        );
        let mut entries = Vec::with_capacity(keyed.len());
        let room_for = most_entries.max(keyed.len());
        let mut book = Workspace::reuse(&mut into.book, room_for);
        let mut book_quotes = Workspace::reuse(&mut into.book_quotes, room_for);
        // Fee postings are few (one per fee booked apart): listed in the same pass, so the
        // fee stages do not scan every posting's facts for them.
        let mut fee_postings = Vec::new();
        for (j, k) in keyed.iter().enumerate() {
            if let Some(ahead) = keyed.get(j + DISTANCE) {
                prefetch_record(&read_entries[ahead.3 as usize]);
            }
            let read = &mut read_entries[k.3 as usize];
            if read.facts.is_fee {
                fee_postings.push(book.len() as u32);
            }
            entries.push(read.entry);
            book.push(read.facts.clone());
            book_quotes.push(read.quote.take());
        }
        drop((keyed, read_entries));
        let (book_tokens, book_token_fields) = {
            let room_for = (3 * room_for).max(read_tokens.len());
            let mut tokens = Workspace::reuse(&mut into.book_tokens, room_for);
            let mut fields = Workspace::reuse(&mut into.book_token_fields, room_for);
            for j in 0..book.len() {
                if let Some(ahead) = book.get(j + DISTANCE) {
                    let at = ahead.tokens as usize;
                    prefetch(read_tokens.as_ptr().wrapping_add(at));
                    prefetch(read_token_fields.as_ptr().wrapping_add(at));
                }
                let f = &mut book[j];
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
        drop((read_tokens, read_token_fields));
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
            mismatches: Vec::new(),
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

/// Asks for a read record (up to 80 bytes: it may straddle two cache lines).
#[inline(always)]
fn prefetch_record<T>(record: &T) {
    const { assert!(std::mem::size_of::<T>() <= 128) };
    let p: *const T = record;
    prefetch(p);
    prefetch(p.cast::<u8>().wrapping_add(std::mem::size_of::<T>() - 1));
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
    for j in 0..items.len() {
        // Ranges are read in an order random against `list`'s: asked for ahead.
        if let Some(ahead) = items.get_mut(j + DISTANCE) {
            let (start, _, _) = range(ahead);
            prefetch(list.as_ptr().wrapping_add(*start as usize));
        }
        let (start, inner, end) = range(&mut items[j]);
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

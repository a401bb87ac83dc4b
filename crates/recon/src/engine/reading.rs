//! Reading each account's inputs as they are dispatched, and the dispatch look-up.

use chrono::Datelike;

use crate::amount::{NOT_PACKED, units_and_scale};
use crate::fasthash::fx_hash_bytes;
use crate::input::{BankLine, BookEntry};
use crate::name_cache::NameCache;
use crate::reference::{Word, push_posting_tokens, push_words};

use super::*;

/// One account's lines and postings as they are read, in input order, by the walk that
/// dispatches them ([`reconcile`]): each input's strings are read once, while its memory is
/// at hand, instead of once to find its account and again to read it. Lines are all read
/// before postings, so names are numbered as a walk of the account's lines, then its
/// postings, would number them.
pub(super) struct Reading<'a> {
    pub(super) lines: Vec<ReadLine<'a>>,
    pub(super) bank_words: Vec<Word>,
    pub(super) keyed_lines: Vec<(i64, u64, u32)>,
    /// Counterparty names repeat (a studio has a few hundred payees): normalize each once.
    pub(super) names: NameCache,
    pub(super) entries: Vec<ReadEntry<'a>>,
    pub(super) book_tokens: Vec<u64>,
    pub(super) book_token_fields: Vec<u8>,
    pub(super) keyed_entries: Vec<(i32, i64, u64, u32)>,
    pub(super) scratch: Vec<(u64, u8)>,
}

/// A line as read: the line, its facts and its quote side by side, so putting them in
/// canonical order reads one place in memory per line, not one per list (each a cache and a
/// TLB miss: the order is random against the input's).
pub(super) struct ReadLine<'a> {
    pub(super) line: &'a BankLine,
    pub(super) facts: BankFacts,
    pub(super) quote: BankQuote,
}

/// A posting as read (see [`ReadLine`]).
pub(super) struct ReadEntry<'a> {
    pub(super) entry: &'a BookEntry,
    pub(super) facts: BookFacts,
    pub(super) quote: BookQuote,
}

impl<'a> Reading<'a> {
    /// Room for `lines` lines and `entries` postings (only what is written is touched).
    pub(super) fn with_room(lines: usize, entries: usize) -> Self {
        Self {
            lines: Vec::with_capacity(lines),
            bank_words: Vec::with_capacity(lines * 2),
            keyed_lines: Vec::with_capacity(lines),
            names: NameCache::with_room(lines + entries),
            entries: Vec::with_capacity(entries),
            book_tokens: Vec::with_capacity(entries * 3),
            book_token_fields: Vec::with_capacity(entries * 3),
            keyed_entries: Vec::with_capacity(entries),
            scratch: Vec::new(),
        }
    }

    pub(super) fn line(&mut self, l: &'a BankLine) {
        let i = self.lines.len();
        let t = l.booked_at.timestamp() * 1_000_000_000
            + i64::from(l.booked_at.timestamp_subsec_nanos());
        self.keyed_lines
            .push((t, fx_hash_bytes(l.id.as_bytes()), i as u32));
        let words = self.bank_words.len() as u32;
        push_words(&l.payment_reference, &mut self.bank_words);
        let ref_end = self.bank_words.len() as u32;
        push_words(&l.id, &mut self.bank_words);
        let (name, raw_name) = self.names.key(&l.counterparty);
        let (units, amount_scale) = units_and_scale(l.amount);
        // The fee's units are of its size: a negative fee (never sent by Wise) is read from
        // the line when quoted.
        let (fee_units, fee_scale) = units_and_scale(l.fee.abs());
        let fee_scale = match fee_scale {
            _ if l.fee.is_sign_negative() && !l.fee.is_zero() => NOT_PACKED,
            NOT_PACKED => NOT_PACKED,
            // A negative zero keeps its sign, as the line wrote it.
            s if l.fee.is_sign_negative() => s | 0x80,
            s => s,
        };
        self.lines.push(ReadLine {
            line: l,
            facts: BankFacts {
                units: units.unwrap_or(i64::MAX),
                fee_units: fee_units.unwrap_or(0),
                name,
                day: l.booked_at.date_naive().num_days_from_ce(),
                words,
                ref_end,
                words_end: self.bank_words.len() as u32,
            },
            quote: BankQuote::new(l, [amount_scale, fee_scale], raw_name),
        });
    }

    pub(super) fn entry(&mut self, e: &'a BookEntry) {
        let i = self.entries.len();
        let day = e.txn_date.num_days_from_ce();
        let created = e.created_at.map_or(i64::MIN, |t| t.timestamp());
        self.keyed_entries
            .push((day, created, fx_hash_bytes(e.id.as_bytes()), i as u32));
        let start = self.book_tokens.len() as u32;
        push_posting_tokens(
            [&e.doc_number, &e.payment_ref_num, &e.private_note, &e.memo],
            &mut self.scratch,
            &mut self.book_tokens,
            &mut self.book_token_fields,
        );
        let (name, raw_name) = self.names.key(&e.counterparty);
        let (units, scale) = units_and_scale(e.amount);
        self.entries.push(ReadEntry {
            entry: e,
            facts: BookFacts {
                units: units.unwrap_or(i64::MIN),
                name,
                day,
                tokens: start,
                tokens_end: self.book_tokens.len() as u32,
                is_fee: e.is_bank_charge,
            },
            quote: BookQuote::new(e, scale, raw_name),
        });
    }
}

/// A look-up in a handful of distinct keys, remembering the last hit (inputs come in runs).
pub(super) struct SlotCache<'k> {
    keys: &'k [(&'k str, usize)],
    /// Each key's length and bytes packed into a word ([`short_key`]); `(usize::MAX, 0)`
    /// for a key too long to pack (no packed key equals it).
    packed: Vec<(usize, u64)>,
    last: usize,
}

/// A key of at most 8 bytes as its length and its bytes packed little-endian (zero above):
/// equal pairs for equal keys only. Compared as integers, a handful of keys cost a few
/// instructions per input instead of a call to `memcmp` each.
#[inline(always)]
fn short_key(key: &str) -> Option<(usize, u64)> {
    let b = key.as_bytes();
    if b.len() > 8 {
        return None;
    }
    let mut packed = 0u64;
    for (i, &c) in b.iter().enumerate() {
        packed |= u64::from(c) << (8 * i);
    }
    Some((b.len(), packed))
}

impl<'k> SlotCache<'k> {
    pub(super) fn new(keys: &'k [(&'k str, usize)]) -> Self {
        Self {
            keys,
            packed: keys
                .iter()
                .map(|&(k, _)| short_key(k).unwrap_or((usize::MAX, 0)))
                .collect(),
            last: 0,
        }
    }

    #[inline(always)]
    pub(super) fn get(&mut self, key: &str) -> Option<usize> {
        if let Some(short) = short_key(key) {
            // A key this short can only equal a key short enough to pack.
            let i = self.packed.iter().position(|&p| p == short)?;
            return Some(self.keys[i].1);
        }
        if let Some(&(k, slot)) = self.keys.get(self.last)
            && k == key
        {
            return Some(slot);
        }
        let i = self.keys.iter().position(|&(k, _)| k == key)?;
        self.last = i;
        Some(self.keys[i].1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slot_cache_finds_what_a_linear_search_finds() {
        let keys = [
            "EUR",
            "",
            "EU",
            "EU\0",
            "12345678",
            "123456789",
            "GBP",
            "EUR",
            "a long account id",
        ];
        let slots: Vec<(&str, usize)> =
            keys.iter().enumerate().map(|(i, &k)| (k, i * 10)).collect();
        let mut cache = SlotCache::new(&slots);
        for probe in keys.iter().chain(&[
            "USD",
            "E",
            "EURO",
            "1234567",
            "12345679",
            "a long account ie",
        ]) {
            for _ in 0..2 {
                let want = slots.iter().find(|(k, _)| k == probe).map(|&(_, s)| s);
                assert_eq!(cache.get(probe), want, "{probe:?}");
            }
        }
    }
}

//! The matcher, one mapped account at a time, in stages:
//!
//! 1. candidates by index (exact amount, amount net of the Wise fee, reference tokens, same
//!    payee with a mistyped-looking amount), scored (reference > amount > counterparty > date),
//!    then a global one-to-one assignment inside each ambiguous group; a chosen pair whose
//!    amounts differ is an amount mismatch;
//! 2. fee books paired to bank lines whose posting covers only the principal (fee split), or
//!    the fee reported as unbooked;
//! 3. leftover postings that repeat a matched one: duplicates; then pairs of equal amount whose
//!    payees disagree (suggested only);
//! 4. one bank line for several postings of its payee, several bank lines for one posting
//!    (batch deposits), by bounded subset search among nearby leftovers; leftovers of one payee
//!    whose amounts differ in the leading digit (amount mismatch); name-free batches last;
//! 5. everything else: missing in books / missing in bank (or outside the period).
//!
//! Everything iterates in a canonical order (bank lines by time then id, postings by date then
//! creation then id) and hash maps are only used for look-ups, so the output does not depend on
//! the input order.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use crate::amount::{
    NOT_PACKED, looks_mistyped, looks_mistyped_leading, minor_unit, pack, to_units, unpack,
};
use crate::assignment::{Assigner, Candidate};
use crate::bucket_sort::{bucket_sorted_by, top_bits};
use crate::counterparty::{NameAgreement, NameKey};
use crate::explain::reference_hit;
use crate::fasthash::fx_hash_bytes;
use crate::gather::gather;
use crate::ids::Ids;
use crate::input::{BankLine, BookEntry, BookEntryKind, Mapping, Options};
use crate::name_cache::{NameCache, NameNumber};
use crate::output::{
    Exception, ExceptionKind, Match, MatchKind, MatchStatus, Reconciliation, Summary,
};
use crate::read_ahead::ReadAhead;
use crate::reason::{FeeVerify, PairEvidence, PairNote, PairRelation, Reason, Tail, TextIndex};
use crate::reference::{Word, push_posting_tokens, push_words, spell_word};
use crate::run_text::{RunText, SharedText, StringTable};
use crate::runs::{Cursors, Dated, DayCursor, Runs};
use crate::sentence::Sentence;
use crate::subset::Subsets;
use crate::window::{Node, PairNode, SlidingIndex, SlidingPair};
use crate::working::working_vec;

/// Score weights. Reference beats amount beats counterparty beats date, as in every matcher
/// surveyed (reconciliation-prior-art.md §0); the numbers only need to keep that order.
const SCORE_REFERENCE: i64 = 100;
const SCORE_EXACT_AMOUNT: i64 = 40;
const SCORE_PRINCIPAL_AMOUNT: i64 = 30;
const SCORE_SAME_NAME: i64 = 30;
const SCORE_SIMILAR_NAME: i64 = 15;
const PENALTY_DIFFERENT_NAME: i64 = 15;
/// Candidates this far below an endpoint's best cannot win; dropping them keeps groups small.
const PRUNE_MARGIN: i64 = 45;
/// An alternative within this margin of the chosen pair makes the choice ambiguous.
const AMBIGUITY_MARGIN: i64 = 25;
/// Largest group (bank lines or postings) solved exactly by the Hungarian method. Larger
/// groups only arise from many identical amounts without telling names; they are solved best
/// pair first over the whole group (still global, never first come first served), and their
/// matches stay `suggested` unless a reference or payee sets the pair apart.
const MAX_EXACT_GROUP: usize = 40;
/// Candidates kept per bank line (best scores).
const MAX_EDGES_PER_LINE: usize = 8;
/// How many days of credits one batch deposit may group.
const BATCH_WINDOW_DAYS: i32 = 12;
/// The same for a batch found by amount alone (no shared payee): at most this many days of
/// credits before the deposit date.
const NAME_FREE_BATCH_WINDOW_DAYS: i32 = 10;
/// Run-wide budget of the name-free batch search, in subset-search steps per posting: the
/// search is the one stage whose cost depends on how dense the leftovers are, so its total is
/// capped (linear in the postings); past it, the remaining leftovers are reported as breaks.
const NAME_FREE_STEPS_PER_POSTING: usize = 2_000;
/// A reference token on more postings than this identifies nothing.
const MAX_REFERENCE_FANOUT: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relation {
    /// Same amount.
    Exact,
    /// The posting covers the bank amount without the Wise fee.
    Principal,
    /// Tied by reference, amount differs.
    Mismatch,
}

#[derive(Debug, Clone, Copy)]
struct Edge {
    bank: u32,
    book: u32,
    relation: Relation,
    reference: bool,
    name: NameAgreement,
    gap: i32,
    score: i64,
}

/// One bank line's candidates, each posting once: the same pair found through several
/// indexes is merged as it comes (the lowest relation, a reference if any found it).
struct Merged {
    edges: Vec<Edge>,
    /// Where posting `k` is in `edges` (low half), when it was put there for line `bank`
    /// (high half).
    slot: Vec<u64>,
    bank: u64,
}

impl Merged {
    /// Starts the candidates of line `b` (those of the line before must have been taken).
    fn start(&mut self, b: usize) {
        debug_assert!(self.edges.is_empty());
        self.bank = b as u64;
    }

    /// Posting `k`'s edge, when it is among the line's candidates.
    #[inline]
    fn get_mut(&mut self, k: usize) -> Option<&mut Edge> {
        // Most lines have no candidate by reference or payee: no look-up in `slot`, a
        // table as large as the account's postings.
        if self.edges.is_empty() {
            return None;
        }
        let at = self.slot[k];
        (at >> 32 == self.bank).then(|| &mut self.edges[(at & 0xFFFF_FFFF) as usize])
    }

    #[inline]
    fn push(&mut self, e: Edge) {
        let at = &mut self.slot[e.book as usize];
        if *at >> 32 == self.bank {
            let kept = &mut self.edges[(*at & 0xFFFF_FFFF) as usize];
            if (e.relation as u8) < (kept.relation as u8) {
                kept.relation = e.relation;
            }
            kept.reference |= e.reference;
        } else {
            *at = self.bank << 32 | self.edges.len() as u64;
            self.edges.push(e);
        }
    }
}

/// The best `MAX_EDGES_PER_LINE` edges offered (each posting at most once), in the order of
/// [`keep_best`]: by score, then posting.
#[derive(Default)]
struct BestEdges {
    edges: Vec<Edge>,
}

impl BestEdges {
    #[inline]
    fn offer(&mut self, e: Edge) {
        let key = |e: &Edge| (-e.score, e.book);
        if self.edges.len() == MAX_EDGES_PER_LINE {
            if key(&e) >= key(&self.edges[MAX_EDGES_PER_LINE - 1]) {
                return;
            }
            self.edges.pop();
        }
        // Moved up from the end past every kept edge it beats (a few at most: no `insert`,
        // which calls `memmove`).
        self.edges.push(e);
        let mut at = self.edges.len() - 1;
        while at > 0 && key(&self.edges[at - 1]) > key(&e) {
            self.edges[at] = self.edges[at - 1];
            at -= 1;
        }
        self.edges[at] = e;
    }
}

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

/// What the candidate search needs of a bank line.
#[derive(Clone)]
struct BankFacts {
    units: i64,
    fee_units: i64,
    name: NameKey,
    day: i32,
    /// Its reference words: `words..ref_end` from the payment reference, `ref_end..words_end`
    /// from the id.
    words: u32,
    ref_end: u32,
    words_end: u32,
}

/// What the candidate search needs of a posting.
#[derive(Clone)]
struct BookFacts {
    units: i64,
    name: NameKey,
    day: i32,
    /// Its distinct token hashes (sorted), `tokens..tokens_end`.
    tokens: u32,
    tokens_end: u32,
    is_fee: bool,
}

/// What a decision quotes of a bank line: read with the facts, so deciding never goes back
/// to the inputs.
struct BankQuote {
    /// Amount and fee, packed (see [`pack`]); an amount that does not pack is read from the
    /// line when needed.
    amount: i64,
    fee: i64,
    scales: [u8; 2],
    /// The counterparty as written (see [`NameCache`]).
    raw_name: NameNumber,
    /// Its id, shared with the input; moved to the decision that names the line.
    id: Option<Arc<str>>,
}

impl BankQuote {
    /// This quote, its id moved out.
    fn take(&mut self) -> Self {
        Self {
            id: self.id.take(),
            ..*self
        }
    }

    fn new(line: &BankLine, raw_name: NameNumber) -> Self {
        let (amount, amount_scale) = pack(line.amount).unwrap_or((0, NOT_PACKED));
        let (fee, fee_scale) = pack(line.fee).unwrap_or((0, NOT_PACKED));
        Self {
            amount,
            fee,
            scales: [amount_scale, fee_scale],
            raw_name,
            id: Some(Arc::clone(&line.id)),
        }
    }

    /// The line's amount and fee.
    fn amounts(&self, line: &BankLine) -> (Decimal, Decimal) {
        // The line is read only for an amount that did not pack: it is far away in memory.
        let get = |m, s, exact: fn(&BankLine) -> Decimal| {
            if s == NOT_PACKED {
                exact(line)
            } else {
                unpack(m, s)
            }
        };
        (
            get(self.amount, self.scales[0], |l| l.amount),
            get(self.fee, self.scales[1], |l| l.fee),
        )
    }
}

/// What a decision quotes of a posting.
struct BookQuote {
    /// The amount, packed like [`BankQuote`]'s.
    amount: i64,
    scale: u8,
    raw_name: NameNumber,
    id: Option<Arc<str>>,
}

impl BookQuote {
    /// This quote, its id moved out.
    fn take(&mut self) -> Self {
        Self {
            id: self.id.take(),
            ..*self
        }
    }

    fn new(entry: &BookEntry, raw_name: NameNumber) -> Self {
        let (amount, scale) = pack(entry.amount).unwrap_or((0, NOT_PACKED));
        Self {
            amount,
            scale,
            raw_name,
            id: Some(Arc::clone(&entry.id)),
        }
    }

    fn amount(&self, entry: &BookEntry) -> Decimal {
        if self.scale == NOT_PACKED {
            entry.amount
        } else {
            unpack(self.amount, self.scale)
        }
    }
}

/// A decided group, in account-local indices.
struct Group {
    banks: Members,
    books: Members,
    outcome: Outcome,
    why: Why,
}

/// The largest lists of an account run (candidate edges, the edges kept for the assignment,
/// the same-amount edges whose payees disagree, the decided groups), kept from one run to the next by [`reconcile`].
///
/// Freed at the end of each run, they went back to the system (a block of 32 MiB or more is
/// mapped apart, see [`working_vec`]), and the next account wrote the same amount of fresh
/// memory again, one page fault per page: at 1M lines a tenth of the time went to the kernel.
/// Cleared and reused, their pages are written once. The last run does not keep them (`keep`
/// off): they are freed before its output is built, as before, so the peak does not grow.
#[derive(Default)]
struct Workspace {
    edges: Vec<Edge>,
    kept: Vec<Edge>,
    weak_edges: Vec<Edge>,
    groups: Vec<Group>,
    /// The lists a run's facts were read into, emptied once they are in canonical order:
    /// the next run gathers its facts into them.
    facts: FactLists,
    /// Whether another run follows: the lists are handed back to it.
    keep: bool,
}

/// An account's facts, quotes, reference words and posting tokens, as lists: what
/// [`AccountRun::new`] gathers into canonical order. The lists it gathers from were written
/// by the read; handed on (see [`Workspace`]), the next run gathers into pages already
/// written instead of fresh ones (a page fault each, ~2.5 µs on the machine we measure on).
#[derive(Default)]
struct FactLists {
    bank: Vec<BankFacts>,
    bank_quotes: Vec<BankQuote>,
    bank_words: Vec<Word>,
    book: Vec<BookFacts>,
    book_quotes: Vec<BookQuote>,
    book_tokens: Vec<u64>,
    book_token_fields: Vec<u8>,
}

impl Workspace {
    /// An empty list from `list` (its room kept) with room for `len` items.
    fn reuse<T>(list: &mut Vec<T>, len: usize) -> Vec<T> {
        let mut list = std::mem::take(list);
        if list.capacity() == 0 {
            return working_vec(len);
        }
        list.clear();
        list.reserve(len);
        list
    }

    /// Takes `list` back for the next run (emptied, its room kept), or frees it after the
    /// last run.
    fn give_back<T>(keep: bool, slot: &mut Vec<T>, mut list: Vec<T>) {
        if keep {
            list.clear();
            *slot = list;
        }
    }
}

/// A decision's reason while the run goes on: for a pair, what was noted about it (its
/// amounts are in the quotes), written out against the run's text once the run is over.
enum Why {
    Text(Box<str>),
    Pair(PairNote),
}

impl From<String> for Why {
    fn from(text: String) -> Self {
        Self::Text(text.into_boxed_str())
    }
}

/// Account-local indices of a group's lines or postings: up to two inline (almost every
/// group), more on the heap; a `Vec` per side cost two allocations per decision.
#[derive(Clone)]
enum Members {
    Inline {
        len: u8,
        items: [u32; 2],
    },
    /// Behind one pointer (a boxed slice or a `Vec` is two or three words), so every group
    /// stays small; only groups of three or more pay the second allocation.
    #[allow(clippy::box_collection)]
    Heap(Box<Vec<u32>>),
}

impl From<&[u32]> for Members {
    fn from(ids: &[u32]) -> Self {
        match *ids {
            [] => Self::Inline {
                len: 0,
                items: [0; 2],
            },
            [a] => Self::Inline {
                len: 1,
                items: [a, 0],
            },
            [a, b] => Self::Inline {
                len: 2,
                items: [a, b],
            },
            _ => Self::Heap(Box::new(ids.to_vec())),
        }
    }
}

impl std::ops::Deref for Members {
    type Target = [u32];
    fn deref(&self) -> &[u32] {
        match self {
            Self::Inline { len, items } => &items[..usize::from(*len)],
            Self::Heap(ids) => ids,
        }
    }
}

enum Outcome {
    Matched {
        kind: MatchKind,
        status: MatchStatus,
        confidence: f64,
    },
    Break {
        kind: ExceptionKind,
        difference: Decimal,
    },
}

/// Reconciles bank lines against book entries. See the crate documentation.
// Never inlined (it is called once): profilers and benchmarks find it by name.
#[inline(never)]
#[must_use]
pub fn reconcile(
    bank: &[BankLine],
    books: &[BookEntry],
    mapping: &Mapping,
    options: &Options,
) -> Reconciliation {
    // Mapped accounts in currency order; lines and postings are dispatched by a linear scan
    // (a handful of currencies, compared as packed integers; see `SlotCache`) and read for
    // their account in the same walk (see `Reading`).
    let accounts: Vec<(&str, &str)> = mapping
        .accounts
        .iter()
        .map(|(c, a)| (c.as_str(), a.as_str()))
        .collect();
    // Room for twice an even share each (only what is written is ever touched): lists that
    // grow by doubling copy themselves over and over at 1M lines.
    let room = |n: usize| (2 * n / accounts.len().max(1)).min(n) + 16;
    let mut readings: Vec<Reading> = (0..accounts.len())
        .map(|_| Reading::with_room(room(bank.len()), room(books.len())))
        .collect();
    let mut unmapped_lines: Vec<&BankLine> = Vec::new();
    // An account mapped to two currencies (refused by `Mapping::validate`) goes to the last.
    let mut by_account: Vec<(&str, usize)> = Vec::with_capacity(accounts.len());
    for (i, &(_, account)) in accounts.iter().enumerate() {
        match by_account.iter_mut().find(|(a, _)| *a == account) {
            Some(slot) => slot.1 = i,
            None => by_account.push((account, i)),
        }
    }
    let by_currency: Vec<(&str, usize)> = accounts
        .iter()
        .enumerate()
        .map(|(i, &(c, _))| (c, i))
        .collect();
    let mut line_slot = SlotCache::new(&by_currency);
    let mut ahead = ReadAhead::default();
    for (i, line) in bank.iter().enumerate() {
        ahead.bank_lines(bank, i);
        match line_slot.get(&line.currency) {
            Some(i) => readings[i].line(line),
            None => unmapped_lines.push(line),
        }
    }
    let mut summary = Summary::default();
    let mut entry_slot = SlotCache::new(&by_account);
    for (i, entry) in books.iter().enumerate() {
        ahead.book_entries(books, i);
        match entry_slot.get(&entry.bank_account_id) {
            Some(i) => readings[i].entry(entry),
            None => summary
                .books_on_unmapped_accounts
                .push(entry.id.to_string()),
        }
    }

    // Every match names a bank line of its own: room for them all up front (pages never
    // written are never touched), so the list is never copied to a bigger block, which at
    // 1M lines left the old block behind as unusable free memory.
    let mut matches = Vec::with_capacity(bank.len());
    let mut exceptions = Vec::new();
    let runs: Vec<_> = (accounts.iter().zip(readings))
        .filter(|(_, reading)| !(reading.lines.is_empty() && reading.entries.is_empty()))
        .collect();
    let n_runs = runs.len();
    let mut room = Workspace::default();
    for (i, ((currency, _), reading)) in runs.into_iter().enumerate() {
        room.keep = i + 1 < n_runs;
        let run = AccountRun::new(currency, reading, options, room);
        room = run.finish(&mut matches, &mut exceptions, &mut summary);
    }

    unmapped_lines
        .sort_by(|a, b| (&a.currency, a.booked_at, &a.id).cmp(&(&b.currency, b.booked_at, &b.id)));
    for line in unmapped_lines {
        exceptions.push(Exception {
            kind: ExceptionKind::MissingInBooks,
            bank: Ids::one(Arc::clone(&line.id)),
            books: Ids::new(),
            currency: line.currency.clone(),
            difference: line.amount,
            reason: format!(
                "no QBO bank account is mapped to currency {}, so no posting can match this line",
                line.currency
            )
            .into(),
        });
    }

    summary.books_on_unmapped_accounts.sort();
    summary.bank_lines = bank.len();
    summary.book_entries = books.len();
    for kind in ExceptionKind::ALL {
        summary.exceptions.insert(kind, 0);
    }
    for e in &exceptions {
        *summary.exceptions.entry(e.kind).or_default() += 1;
    }
    for m in &matches {
        summary.matched_bank_lines += m.bank.len();
        summary.matched_book_entries += m.books.len();
        match m.status {
            MatchStatus::Auto => summary.auto_matches += 1,
            MatchStatus::Suggested => summary.suggested_matches += 1,
        }
    }
    summary.match_rate = if bank.is_empty() {
        1.0
    } else {
        (summary.matched_bank_lines as f64 / bank.len() as f64 * 10_000.0).round() / 10_000.0
    };
    Reconciliation {
        matches,
        exceptions,
        summary,
    }
}

struct AccountRun<'a> {
    currency: &'a str,
    options: &'a Options,
    lines: Vec<&'a BankLine>,
    entries: Vec<&'a BookEntry>,
    bank: Vec<BankFacts>,
    book: Vec<BookFacts>,
    bank_quotes: Vec<BankQuote>,
    book_quotes: Vec<BookQuote>,
    bank_words: Vec<Word>,
    /// Each posting's distinct token hashes, sorted, and for each the fields it occurs in
    /// (bit `f` for [`crate::reason::BOOK_FIELDS`]`[f]`).
    book_tokens: Vec<u64>,
    book_token_fields: Vec<u8>,
    /// Which posting tokens identify something: on at most `MAX_REFERENCE_FANOUT` postings
    /// (parallel to `book_tokens`).
    token_useful: Vec<bool>,
    bank_taken: Vec<bool>,
    book_taken: Vec<bool>,
    /// Same amount, payees disagree: considered after duplicates (stage 3b).
    weak_edges: Vec<Edge>,
    groups: Vec<Group>,
    minor: i64,
    /// Subset-search steps left for the name-free batch search of this run (see
    /// `NAME_FREE_STEPS_PER_POSTING`).
    name_free_budget: usize,
    /// What the reasons quote: names, reference tokens, fee posting ids.
    text: RunText,
    /// Lists kept from the previous run, handed on to the next.
    room: Workspace,
}

/// One account's lines and postings as they are read, in input order, by the walk that
/// dispatches them ([`reconcile`]): each input's strings are read once, while its memory is
/// at hand, instead of once to find its account and again to read it. Lines are all read
/// before postings, so names are numbered as a walk of the account's lines, then its
/// postings, would number them.
struct Reading<'a> {
    lines: Vec<&'a BankLine>,
    bank_words: Vec<Word>,
    keyed_lines: Vec<(i64, u64, u32)>,
    bank: Vec<BankFacts>,
    bank_quotes: Vec<BankQuote>,
    /// Counterparty names repeat (a studio has a few hundred payees): normalize each once.
    names: NameCache,
    entries: Vec<&'a BookEntry>,
    book_tokens: Vec<u64>,
    book_token_fields: Vec<u8>,
    keyed_entries: Vec<(i32, i64, u64, u32)>,
    book: Vec<BookFacts>,
    book_quotes: Vec<BookQuote>,
    scratch: Vec<(u64, u8)>,
}

impl<'a> Reading<'a> {
    /// Room for `lines` lines and `entries` postings (only what is written is touched).
    fn with_room(lines: usize, entries: usize) -> Self {
        Self {
            lines: Vec::with_capacity(lines),
            bank_words: Vec::with_capacity(lines * 2),
            keyed_lines: Vec::with_capacity(lines),
            bank: Vec::with_capacity(lines),
            bank_quotes: Vec::with_capacity(lines),
            names: NameCache::default(),
            entries: Vec::with_capacity(entries),
            book_tokens: Vec::with_capacity(entries * 3),
            book_token_fields: Vec::with_capacity(entries * 3),
            keyed_entries: Vec::with_capacity(entries),
            book: Vec::with_capacity(entries),
            book_quotes: Vec::with_capacity(entries),
            scratch: Vec::new(),
        }
    }

    fn line(&mut self, l: &'a BankLine) {
        let i = self.lines.len();
        self.lines.push(l);
        let t = l.booked_at.timestamp() * 1_000_000_000
            + i64::from(l.booked_at.timestamp_subsec_nanos());
        self.keyed_lines
            .push((t, fx_hash_bytes(l.id.as_bytes()), i as u32));
        let words = self.bank_words.len() as u32;
        push_words(&l.payment_reference, &mut self.bank_words);
        let ref_end = self.bank_words.len() as u32;
        push_words(&l.id, &mut self.bank_words);
        let (name, raw_name) = self.names.key(&l.counterparty);
        self.bank.push(BankFacts {
            units: to_units(l.amount).unwrap_or(i64::MAX),
            fee_units: to_units(l.fee.abs()).unwrap_or(0),
            name,
            day: l.booked_at.date_naive().num_days_from_ce(),
            words,
            ref_end,
            words_end: self.bank_words.len() as u32,
        });
        self.bank_quotes.push(BankQuote::new(l, raw_name));
    }

    fn entry(&mut self, e: &'a BookEntry) {
        let i = self.entries.len();
        self.entries.push(e);
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
        self.book.push(BookFacts {
            units: to_units(e.amount).unwrap_or(i64::MIN),
            name,
            day,
            tokens: start,
            tokens_end: self.book_tokens.len() as u32,
            is_fee: e.is_bank_charge,
        });
        self.book_quotes.push(BookQuote::new(e, raw_name));
    }
}

impl<'a> AccountRun<'a> {
    fn new(
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
        let (book_tokens, book_token_fields) = {
            let (mut tokens, mut fields) = (into.book_tokens, into.book_token_fields);
            tokens.clear();
            tokens.reserve(read_tokens.len());
            fields.clear();
            fields.reserve(read_tokens.len());
            for f in &mut book {
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

    fn finish(
        mut self,
        matches: &mut Vec<Match>,
        exceptions: &mut Vec<Exception>,
        summary: &mut Summary,
    ) -> Workspace {
        let edges = self.candidate_edges();
        let principal_pairs = self.assign_one_to_one(&edges);
        // Mapped apart (`working_vec`): after the last run, given back now, not after the
        // output is built.
        Workspace::give_back(self.room.keep, &mut self.room.edges, edges);
        self.pair_fees(principal_pairs);
        self.find_duplicates();
        self.weak_one_to_one();
        // Same-counterparty groups first; the name-free batch search last, as it is the most
        // likely to find a coincidence.
        self.one_bank_many_books();
        self.many_banks_one_book(true);
        self.leading_digit_mismatches();
        self.many_banks_one_book(false);
        self.leftovers(summary);

        let mut groups = std::mem::take(&mut self.groups);
        let mut bank_quotes = std::mem::take(&mut self.bank_quotes);
        let mut book_quotes = std::mem::take(&mut self.book_quotes);
        let lines = std::mem::take(&mut self.lines);
        let entries = std::mem::take(&mut self.entries);
        let mut text = std::mem::replace(
            &mut self.text,
            RunText {
                currency: "".into(),
                ids: StringTable::default(),
                names: StringTable::default(),
                name_pairs: Vec::new(),
                tokens: StringTable::default(),
            },
        );
        let currency = self.currency;
        let mut room = std::mem::take(&mut self.room);
        // The indexes are not needed any more: free them before the output grows.
        drop(self);
        text.names.shrink_to_fit();
        text.name_pairs.shrink_to_fit();
        text.tokens.shrink_to_fit();
        let text = SharedText::new(text);
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
        let order = (by_line.into_iter().chain(by_posting)).filter(|&gi| gi != u32::MAX);
        // Ids inside a group keep the order they were decided in (principal before fee),
        // which is canonical because every stage walks the canonical order.
        // Each id is named by one decision: it is moved there (its count is not touched).
        for gi in order {
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
                    if !bq.scales.contains(&NOT_PACKED) && kq.scale != NOT_PACKED {
                        // Money, as always: the quotes hold the amounts packed already.
                        let packed = [
                            (bq.amount, bq.scales[0]),
                            (kq.amount, kq.scale),
                            (bq.fee, bq.scales[1]),
                        ];
                        Reason::pair(&text, PairEvidence::packed(packed, note))
                    } else {
                        let amounts = pair_amounts((bq, lines[b]), (kq, entries[k]));
                        match PairEvidence::new(amounts, note) {
                            Some(evidence) => Reason::pair(&text, evidence),
                            None => Reason::new(note.shown(amounts, &text).to_string()),
                        }
                    }
                }
            };
            match g.outcome {
                Outcome::Matched {
                    kind,
                    status,
                    confidence,
                } => matches.push(Match {
                    bank,
                    books,
                    kind,
                    status,
                    confidence,
                    reason,
                }),
                Outcome::Break { kind, difference } => exceptions.push(Exception {
                    kind,
                    bank,
                    books,
                    currency: currency.to_owned(),
                    difference,
                    reason,
                }),
            }
        }
        Workspace::give_back(room.keep, &mut room.groups, groups);
        room
    }

    // ---- stage 1: candidates and one-to-one assignment -------------------------------------

    fn candidate_edges(&mut self) -> Vec<Edge> {
        let mut edges = Workspace::reuse(&mut self.room.edges, self.bank.len() * 2);
        let mut merged = Merged {
            edges: Vec::with_capacity(32),
            slot: vec![u64::MAX; self.book.len()],
            bank: 0,
        };
        let lead = self.options.max_lead_days;
        let lag = self.options.max_lag_days;
        let reference_window = self.options.reference_window_days;
        // Bank lines come in day order, so the windows only slide forwards. The amount and
        // payee windows cover the same days: one walk over the postings serves both.
        let mut amounts_names = SlidingPair::new(self.amount_name_nodes());
        let mut tokens = SlidingIndex::new(self.token_nodes());
        let mut by_amount = BestEdges::default();
        for b in 0..self.bank.len() {
            merged.start(b);
            let facts = &self.bank[b];
            amounts_names.slide(facts.day - lead, facts.day + lag);
            tokens.slide(facts.day - reference_window, facts.day + reference_window);
            // The few candidates by reference and by payee first: a posting found by amount
            // too joins them; one found by amount alone has its final score at once, and only
            // the best of those can be among the line's best (a common amount finds dozens).
            self.push_reference_candidates(b, &tokens, &mut merged);
            self.push_mistyped_candidates(b, &amounts_names, &mut merged);
            let relation = Relation::Exact;
            let found = (&amounts_names, &mut merged, &mut by_amount);
            self.push_amount_candidates(b, facts.units, relation, found);
            if facts.fee_units > 0 {
                // Bank amount = principal − fee for both directions (debits grow, credits shrink).
                let principal = facts.units.saturating_add(facts.fee_units);
                let relation = Relation::Principal;
                let found = (&amounts_names, &mut merged, &mut by_amount);
                self.push_amount_candidates(b, principal, relation, found);
            }
            let best = if merged.edges.is_empty() {
                // Found by amount alone (most lines): the best few already, in order.
                &mut by_amount.edges
            } else {
                let merged = &mut merged.edges;
                for e in merged.iter_mut() {
                    e.score = score(e);
                }
                merged.append(&mut by_amount.edges);
                // The best few, by score then posting (each posting once, so the order is
                // total).
                keep_best(merged, MAX_EDGES_PER_LINE, |e| (-e.score, e.book));
                merged
            };
            for e in best.drain(..) {
                // A pair whose payees disagree, tied by amount only, waits until duplicates
                // have been found: a duplicate posting must not be spent on a stranger's line.
                if e.name == NameAgreement::Different
                    && !e.reference
                    && e.relation == Relation::Exact
                {
                    self.weak_edges.push(e);
                } else {
                    edges.push(e);
                }
            }
        }
        edges
    }

    /// Every posting keyed by amount (units) and, when it has a counterparty and is not a
    /// fee posting, by name, for a [`SlidingPair`]; each carries its name key (see
    /// [`name_of`]).
    fn amount_name_nodes(&self) -> Vec<PairNode> {
        (self.book.iter().enumerate())
            .map(|(k, f)| PairNode {
                first: f.units as u64,
                second: if f.is_fee { 0 } else { f.name.full },
                carried: [f.name.full, f.name.first_word],
                day: f.day,
                book: k as u32,
            })
            .collect()
    }

    /// The postings a stage can use, keyed by amount: a window that only holds those slides
    /// over a fraction of the account (fee postings are ~5 % of it).
    fn amount_nodes_of(&self, keep: impl Fn(usize, &BookFacts) -> bool) -> Vec<Node> {
        let kept = || (self.book.iter().enumerate()).filter(|&(k, f)| keep(k, f));
        let mut nodes = Vec::with_capacity(kept().count());
        nodes.extend(kept().map(|(k, f)| node(f.units as u64, f.day, k)));
        nodes
    }

    /// Fee postings not taken yet, keyed by amount.
    fn free_fee_nodes(&self) -> Vec<Node> {
        self.amount_nodes_of(|k, f| f.is_fee && !self.book_taken[k])
    }

    /// Postings with a counterparty, fee postings left out, of those `keep` accepts, keyed
    /// by name.
    fn name_nodes_of(&self, keep: impl Fn(usize) -> bool) -> Vec<Node> {
        let kept = || {
            (self.book.iter().enumerate())
                .filter(|&(k, f)| !f.name.is_empty() && !f.is_fee && keep(k))
        };
        let mut nodes = Vec::with_capacity(kept().count());
        nodes.extend(kept().map(|(k, f)| node(f.name.full, f.day, k)));
        nodes
    }

    /// The tokens of postings that identify something (on few postings), keyed by token.
    fn token_nodes(&self) -> Vec<Node> {
        let mut nodes = Vec::with_capacity(self.book_tokens.len());
        for (k, f) in self.book.iter().enumerate() {
            for j in f.tokens as usize..f.tokens_end as usize {
                if self.token_useful[j] {
                    nodes.push(node(self.book_tokens[j], f.day, k));
                }
            }
        }
        nodes
    }

    /// Postings of `units` in the window, at most 64: merged into the line's candidates when
    /// found there already, else (scored) offered to `by_amount`. To be called after every
    /// other search of the line (an edge in `by_amount` must not be found again).
    fn push_amount_candidates(
        &self,
        b: usize,
        units: i64,
        relation: Relation,
        (amounts, merged, by_amount): (&SlidingPair, &mut Merged, &mut BestEdges),
    ) {
        let line = &self.bank[b];
        for node in amounts.get_first(units as u64).take(64) {
            if let Some(kept) = merged.get_mut(node.book as usize) {
                if (relation as u8) < (kept.relation as u8) {
                    kept.relation = relation;
                }
                continue;
            }
            // Built from the window node alone: a common amount finds dozens of postings,
            // and reading each one's facts was a cache miss apiece in a large account.
            let mut e = Edge {
                bank: b as u32,
                book: node.book,
                relation,
                reference: false,
                name: line.name.agreement(name_of(node)),
                gap: node.day - line.day,
                score: 0,
            };
            e.score = score(&e);
            by_amount.offer(e);
        }
    }

    /// Postings sharing a token with the line, in the reference window (`tokens` holds only
    /// tokens on at most `MAX_REFERENCE_FANOUT` postings).
    fn push_reference_candidates(&self, b: usize, tokens: &SlidingIndex, out: &mut Merged) {
        let facts = &self.bank[b];
        for t in self.words_of(b).iter().flat_map(|w| w.hashes()) {
            for &Node { book: k, .. } in tokens.get(t) {
                let book = &self.book[k as usize];
                let relation = if book.units == facts.units {
                    Relation::Exact
                } else if facts.fee_units > 0 && book.units == facts.units + facts.fee_units {
                    Relation::Principal
                } else if (book.units < 0) == (facts.units < 0) && !book.is_fee {
                    Relation::Mismatch
                } else {
                    continue;
                };
                out.push(self.edge(b, k as usize, relation, true));
            }
        }
    }

    /// Same payee nearby, amount that looks mistyped: an amount-mismatch candidate.
    fn push_mistyped_candidates(&self, b: usize, names: &SlidingPair, out: &mut Merged) {
        let f = &self.bank[b];
        if f.name.is_empty() {
            return;
        }
        for &PairNode { book: k, .. } in names.get_second(f.name.full).take(64) {
            let kf = &self.book[k as usize];
            if kf.units != f.units && looks_mistyped(f.units / self.minor, kf.units / self.minor) {
                out.push(self.edge(b, k as usize, Relation::Mismatch, false));
            }
        }
    }

    fn edge(&self, b: usize, k: usize, relation: Relation, reference: bool) -> Edge {
        let (bf, kf) = (&self.bank[b], &self.book[k]);
        Edge {
            bank: b as u32,
            book: k as u32,
            relation,
            reference,
            name: bf.name.agreement(kf.name),
            gap: kf.day - bf.day,
            score: 0,
        }
    }

    /// Returns the chosen pairs whose posting covers only the principal (for stage 2).
    fn assign_one_to_one(&mut self, edges: &[Edge]) -> Vec<Edge> {
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
        let mut ahead = ReadAhead::default();
        for (n, &i) in chosen.iter().enumerate() {
            // A shared token is spelled from its line's text: read the next lines' ahead.
            ahead.references(n, || {
                (chosen
                    .iter()
                    .skip(n + ReadAhead::BATCH)
                    .take(ReadAhead::BATCH))
                .filter(|&&j| kept[j].reference)
                .map(|&j| self.lines[kept[j].bank as usize])
            });
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
            let mut rivals = 0usize;
            let mut rival_best = i64::MIN;
            let of_bank = &edges[of_bank_start[e.bank as usize] as usize
                ..of_bank_start[e.bank as usize + 1] as usize];
            let of_book = &by_book[of_book_start[e.book as usize] as usize
                ..of_book_start[e.book as usize + 1] as usize];
            for &r in of_bank {
                if r.book == e.book {
                    continue;
                }
                let served = book_choice[r.book as usize];
                if r.score + AMBIGUITY_MARGIN >= e.score && served < r.score + 10 {
                    rivals += 1;
                    rival_best = rival_best.max(r.score);
                }
            }
            for &j in of_book {
                let r = edges[j as usize];
                if r.bank == e.bank {
                    continue;
                }
                let served = bank_choice[r.bank as usize];
                if r.score + AMBIGUITY_MARGIN >= e.score && served < r.score + 10 {
                    rivals += 1;
                    rival_best = rival_best.max(r.score);
                }
            }
            let any_other = of_bank.len() > 1 || of_book.len() > 1;
            self.push_one_to_one(e, rivals, any_other);
        }
        Workspace::give_back(self.room.keep, &mut self.room.kept, kept);
        principal_pairs
    }

    fn push_one_to_one(&mut self, e: Edge, rivals: usize, any_other: bool) {
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
    fn pair_note(&mut self, e: &Edge, tail: Tail) -> PairNote {
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
    fn line_amounts(&self, b: u32) -> (Decimal, Decimal) {
        self.bank_quotes[b as usize].amounts(self.lines[b as usize])
    }

    /// Posting `k`'s amount.
    fn posting_amount(&self, k: u32) -> Decimal {
        self.book_quotes[k as usize].amount(self.entries[k as usize])
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

    // ---- stage 2: fees ---------------------------------------------------------------------

    fn pair_fees(&mut self, principal_pairs: Vec<Edge>) {
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
        let mut ahead = ReadAhead::default();
        for (n, p) in principal_pairs.iter().copied().enumerate() {
            ahead.references(n, || {
                (principal_pairs
                    .iter()
                    .skip(n + ReadAhead::BATCH)
                    .take(ReadAhead::BATCH))
                .filter(|p| p.reference)
                .map(|p| self.lines[p.bank as usize])
            });
            // And the ids of the fee postings they quote.
            ahead.strs(n, || {
                (principal_pairs.iter().skip(n + ReadAhead::BATCH))
                    .take(ReadAhead::BATCH)
                    .filter_map(|p| {
                        let fee = *fee_of_bank.get(p.bank as usize)?;
                        let k = plain.get(fee as usize)?.book as usize;
                        self.book_quotes[k].id.as_deref()
                    })
            });
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
    fn words_of(&self, b: usize) -> &[Word] {
        &self.bank_words[self.bank[b].words as usize..self.bank[b].words_end as usize]
    }

    /// Posting `k`'s distinct token hashes, sorted.
    fn tokens_of(&self, k: usize) -> &[u64] {
        &self.book_tokens[self.book[k].tokens as usize..self.book[k].tokens_end as usize]
    }

    // ---- stage 3: duplicates -----------------------------------------------------------------

    fn find_duplicates(&mut self) {
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
                .map(|k| self.entries[k as usize].id.as_ref())
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
                    let amounts = pair_amounts(
                        (&self.bank_quotes[bank as usize], line),
                        (
                            &self.book_quotes[original as usize],
                            self.entries[original as usize],
                        ),
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
    fn weak_one_to_one(&mut self) {
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

    // ---- stage 4: groups ---------------------------------------------------------------------

    /// Leftover indices of one side (`pool`, day-ordered), same sign as `units` and smaller,
    /// nearest to `day` first, at most `limit`, into `pool.nearest`; without a name, a day after `day` counts
    /// `after_weight` times as far as a day before it. With `name`, only that counterparty's leftovers
    /// (`named` is the pool grouped by name) are considered.
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
        after_weight: i32,
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
                let left_day = (left > 0).then(|| all[left - 1].day).filter(|&d| d >= lo);
                let right_day = (right < all.len())
                    .then(|| all[right].day)
                    .filter(|&d| d <= hi);
                let take_left = match (left_day, right_day) {
                    (None, None) => break,
                    (Some(_), None) => true,
                    (None, Some(_)) => false,
                    (Some(l), Some(r)) => day - l < after_weight * (r - day),
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
                    picked.push((if d > 0 { after_weight * d } else { -d }, entry.index));
                }
            }
            picked.sort_unstable();
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

    fn one_bank_many_books(&mut self) {
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
        for b in 0..self.bank.len() {
            if self.bank_taken[b] {
                continue;
            }
            let f = &self.bank[b];
            let (lo, hi) = (
                f.day - self.options.max_lead_days,
                f.day + self.options.max_lag_days,
            );
            let targets = [(f.units, false), (f.units + f.fee_units, true)];
            let targets = &targets[..if f.fee_units > 0 { 2 } else { 1 }];
            // Only the same payee: one Wise payment settling several bills is always one vendor,
            // and a name-free search here mostly finds coincidences.
            if f.name.is_empty() {
                continue;
            }
            'targets: for &(target, net_of_fee) in targets {
                {
                    let same_name = true;
                    let name = same_name.then_some(f.name);
                    self.nearby(
                        true,
                        &mut pool,
                        f.day,
                        (lo, hi),
                        target,
                        name,
                        self.options.subset_candidates,
                        1,
                    );
                    let cands = &pool.nearest;
                    if cands.len() < 2 {
                        continue;
                    }
                    pool.values.clear();
                    (pool.values).extend(cands.iter().map(|&k| self.book[k as usize].units.abs()));
                    let subsets = &mut pool.subsets;
                    let max_size = self.options.max_group_size;
                    subsets.search(&pool.values, target.abs(), max_size, 2, None);
                    let Some(first) = subsets.first() else {
                        continue;
                    };
                    let books: Vec<u32> = first.iter().map(|&i| cands[i]).collect();
                    let unique = subsets.count() == 1;
                    let group = (books, unique, same_name, net_of_fee);
                    self.push_one_to_many(b, group, &mut fees);
                    break 'targets;
                }
            }
        }
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
            .list(books.iter().map(|&k| self.entries[k as usize].id.as_ref()))
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
        let auto = unique && same_name;
        if !auto {
            reason.s(if unique {
                "; counterparties differ or are unknown: verify"
            } else {
                "; several combinations fit: verify"
            });
        }
        self.groups.push(Group {
            banks: Members::from(&[b as u32][..]),
            books: Members::from(&books[..]),
            outcome: Outcome::Matched {
                kind: MatchKind::OneToMany,
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

    fn many_banks_one_book(&mut self, same_name: bool) {
        let mut pool = self.pool(
            false,
            (0..self.bank.len() as u32).filter(|&b| !self.bank_taken[b as usize]),
            // The name-free search walks the leftovers by day only.
            same_name,
        );
        if pool.all.len() < 2 {
            return;
        }
        for k in 0..self.book.len() {
            if self.book_taken[k] || self.book[k].is_fee {
                continue;
            }
            let f = &self.book[k];
            // A deposit groups credits received in the days before it is recorded. Without a
            // name to go by, only credits up to the deposit date count (a later line is another
            // deposit's far more often than a time-zone slip), and more candidates are looked
            // at, because in a busy account many unrelated credits fall in the window.
            let (lo, hi, limit, after_weight) = if same_name {
                (
                    f.day - BATCH_WINDOW_DAYS,
                    f.day + 2,
                    self.options.subset_candidates,
                    1,
                )
            } else {
                (
                    f.day - NAME_FREE_BATCH_WINDOW_DAYS,
                    f.day,
                    self.options.subset_candidates * 5 / 3,
                    1,
                )
            };
            {
                if same_name && f.name.is_empty() {
                    continue;
                }
                let name = same_name.then_some(f.name);
                self.nearby(
                    false,
                    &mut pool,
                    f.day,
                    (lo, hi),
                    f.units,
                    name,
                    limit,
                    after_weight,
                );
                let cands = &pool.nearest;
                if cands.len() < 2 {
                    continue;
                }
                pool.values.clear();
                (pool.values).extend(cands.iter().map(|&b| self.bank[b as usize].units.abs()));
                let (subsets, max_size) = (&mut pool.subsets, self.options.max_group_size);
                if same_name {
                    subsets.search(&pool.values, f.units.abs(), max_size, 2, None);
                } else {
                    if self.name_free_budget == 0 {
                        break;
                    }
                    let budget = Some(&mut self.name_free_budget);
                    subsets.search(&pool.values, f.units.abs(), max_size, 2, budget);
                }
                let Some(first) = subsets.first() else {
                    continue;
                };
                let unique = subsets.count() == 1;
                if !unique && !same_name {
                    // Several name-free combinations fit: taking one would likely steal lines
                    // that belong to another deposit. Leave them to the exception queue.
                    continue;
                }
                let banks: Vec<u32> = first.iter().map(|&i| cands[i]).collect();
                self.push_many_to_one(k, banks, unique, same_name);
            }
        }
    }

    fn push_many_to_one(&mut self, k: usize, banks: Vec<u32>, unique: bool, same_name: bool) {
        let entry = self.entries[k];
        self.book_taken[k] = true;
        for &b in &banks {
            self.bank_taken[b as usize] = true;
        }
        let mut reason = Sentence::new();
        reason
            .int(banks.len() as i64)
            .s(" bank lines (")
            .list(banks.iter().map(|&b| self.lines[b as usize].id.as_ref()))
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
        let auto = unique && same_name;
        if !auto {
            reason.s(if unique {
                "; only the sum ties them: verify"
            } else {
                "; several combinations fit: verify"
            });
        }
        self.groups.push(Group {
            banks: Members::from(&banks[..]),
            books: Members::from(&[k as u32][..]),
            outcome: Outcome::Matched {
                kind: MatchKind::ManyToOne,
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

    // ---- stage 5: amount mismatches ----------------------------------------------------------

    /// Leftovers of the same payee whose amounts differ in the leading digit (9.99 vs 1.99):
    /// only now, when no grouping explained them.
    fn leading_digit_mismatches(&mut self) {
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

    fn push_mismatch(&mut self, e: Edge) {
        let difference = self.line_amounts(e.bank).0 - self.posting_amount(e.book);
        let why = Why::Pair(self.pair_note(&e, Tail::Mismatch { typo: !e.reference }));
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

    // ---- stage 6: leftovers -----------------------------------------------------------------

    fn leftovers(&mut self, summary: &mut Summary) {
        for b in 0..self.bank.len() {
            if self.bank_taken[b] {
                continue;
            }
            let line = self.lines[b];
            let mut reason = Sentence::new();
            reason
                .s("no posting of ")
                .amount(line.amount)
                .s(" ")
                .s(self.currency)
                .s(" on the mapped account within ")
                .int(i64::from(self.options.max_lead_days))
                .s(" days before or ")
                .int(i64::from(self.options.max_lag_days))
                .s(" days after ")
                .date(line.booked_at.date_naive())
                .s(" (by amount, reference");
            if !line.counterparty.is_empty() {
                reason.s(" or payee \"").s(&line.counterparty).s("\"");
            }
            reason.s(")");
            let reason = reason.done();
            self.groups.push(Group {
                banks: Members::from(&[b as u32][..]),
                books: Members::from(&[][..]),
                outcome: Outcome::Break {
                    kind: ExceptionKind::MissingInBooks,
                    difference: line.amount,
                },
                why: reason.into(),
            });
        }
        let period = self
            .options
            .periods
            .get(self.currency)
            .copied()
            .or_else(|| {
                let first = self.lines.first()?.booked_at.date_naive();
                let last = self.lines.last()?.booked_at.date_naive();
                Some((first, last))
            });
        for k in 0..self.book.len() {
            if self.book_taken[k] {
                continue;
            }
            let entry = self.entries[k];
            let inside = period.is_some_and(|(from, to): (NaiveDate, NaiveDate)| {
                entry.txn_date >= from && entry.txn_date <= to
            });
            if !inside {
                summary.books_outside_period.push(entry.id.to_string());
                continue;
            }
            let what = if entry.is_bank_charge {
                "bank-charge posting"
            } else {
                "posting"
            };
            let reason = Sentence::new()
                .s(what)
                .s(" ")
                .s(&entry.id)
                .s(" of ")
                .amount(entry.amount)
                .s(" ")
                .s(self.currency)
                .s(" dated ")
                .date(entry.txn_date)
                .s(" has no bank line (by amount, reference or payee) although the statement covers that date")
                .done();
            self.groups.push(Group {
                banks: Members::from(&[][..]),
                books: Members::from(&[k as u32][..]),
                outcome: Outcome::Break {
                    kind: ExceptionKind::MissingInBank,
                    difference: -entry.amount,
                },
                why: reason.into(),
            });
        }
    }
}

fn score(e: &Edge) -> i64 {
    let mut s = match e.relation {
        Relation::Exact => SCORE_EXACT_AMOUNT,
        Relation::Principal => SCORE_PRINCIPAL_AMOUNT,
        Relation::Mismatch => 0,
    };
    if e.reference {
        s += SCORE_REFERENCE;
    }
    s += match e.name {
        NameAgreement::Same => SCORE_SAME_NAME,
        NameAgreement::Similar => SCORE_SIMILAR_NAME,
        NameAgreement::Different => -PENALTY_DIFFERENT_NAME,
        NameAgreement::Unknown => 0,
    };
    s += gap_score(e.gap);
    s.max(1)
}

/// What a pair scores for the days between line and posting: a look-up, as every candidate
/// of a common amount is scored (a chain of range tests cost a dozen instructions each).
#[inline]
fn gap_score(gap: i32) -> i64 {
    let at = i64::from(gap) - i64::from(FIRST_SCORED_GAP);
    GAP_SCORES.get(at as usize).map_or(0, |&s| i64::from(s))
}

/// The earliest gap that scores anything: the table starts there, and after it the gaps up
/// to 30 days (earlier and later postings score 0).
const FIRST_SCORED_GAP: i32 = -5;

/// [`gap_score_by_ranges`] from [`FIRST_SCORED_GAP`] to 30 days.
const GAP_SCORES: [u8; 36] = {
    let mut table = [0u8; 36];
    let mut at = 0;
    while at < table.len() {
        table[at] = gap_score_by_ranges(FIRST_SCORED_GAP + at as i32) as u8;
        at += 1;
    }
    table
};

/// The date part of [`score`], as defined.
const fn gap_score_by_ranges(gap: i32) -> i64 {
    match gap {
        -1..=1 => 20,
        2..=3 => 15,
        4..=7 => 10,
        8..=14 => 6,
        15..=30 => 3,
        g if g > 30 => 0,
        g => {
            let s = 12 + 2 * g as i64;
            if s > 0 { s } else { 0 }
        }
    }
}

/// Keeps the `n` items with the smallest keys, in key order (keys are distinct): the first `n`
/// sorted, then each later item that beats the last kept is inserted in place. Lines with
/// many candidates (a common amount) keep only a few.
fn keep_best<T: Copy, K: Ord>(items: &mut Vec<T>, n: usize, key: impl Fn(&T) -> K) {
    if items.len() <= n {
        items.sort_unstable_by_key(&key);
        return;
    }
    items[..n].sort_unstable_by_key(&key);
    for i in n..items.len() {
        let item = items[i];
        let k = key(&item);
        if k < key(&items[n - 1]) {
            let at = items[..n].partition_point(|x| key(x) < k);
            items.copy_within(at..n - 1, at + 1);
            items[at] = item;
        }
    }
    items.truncate(n);
}

/// A pair's amounts as its reason quotes them: bank amount, book amount, fee.
fn pair_amounts(
    (bank, line): (&BankQuote, &BankLine),
    (book, entry): (&BookQuote, &BookEntry),
) -> [Decimal; 3] {
    let (amount, fee) = bank.amounts(line);
    [amount, book.amount(entry), fee]
}

fn suggested_confidence(score: i64) -> f64 {
    let c = (score as f64 / 200.0).clamp(0.3, 0.85);
    (c * 100.0).round() / 100.0
}

/// Chooses a set of edges (indices into `edges`) with no shared bank or book, maximizing the total
/// score within each connected group.
fn assign_edges(edges: &[Edge], n_bank: usize, n_book: usize) -> Vec<usize> {
    // An edge alone at both of its ends is a group of its own, chosen as it is (most edges at
    // benchmark density): only the others are grouped.
    let mut bank_degree = vec![0u8; n_bank];
    let mut book_degree = vec![0u8; n_book];
    for e in edges {
        let d = &mut bank_degree[e.bank as usize];
        *d = d.saturating_add(1);
        let d = &mut book_degree[e.book as usize];
        *d = d.saturating_add(1);
    }
    let alone = |e: &Edge| bank_degree[e.bank as usize] == 1 && book_degree[e.book as usize] == 1;
    let mut marked = vec![false; edges.len()];
    // Union-find over bank nodes [0, n_bank) and book nodes [n_bank, n_bank + n_book).
    let mut parent: Vec<u32> = (0..(n_bank + n_book) as u32).collect();
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let up = parent[parent[x as usize] as usize];
            parent[x as usize] = up;
            x = up;
        }
        x
    }
    for e in edges.iter().filter(|e| !alone(e)) {
        let a = find(&mut parent, e.bank);
        let b = find(&mut parent, n_bank as u32 + e.book);
        if a != b {
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            parent[hi as usize] = lo;
        }
    }
    // Group edges by component: (root, edge index) packed in one word. The order inside a
    // group does not matter: both solvers below are order-independent.
    let mut order: Vec<u64> = Vec::with_capacity(edges.len());
    let mut taken = 0;
    for (i, e) in edges.iter().enumerate() {
        if alone(e) {
            marked[i] = true;
            taken += 1;
        } else {
            order.push((u64::from(find(&mut parent, e.bank)) << 32) | i as u64);
        }
    }
    drop((parent, bank_degree, book_degree));
    let order = bucket_sorted_by(order, |o| (o >> 32) as i64, |a, b| a.cmp(b));
    // Each group chooses at most as many edges as it has.
    let mut chosen = Vec::with_capacity(order.len());
    let mut group: Vec<usize> = Vec::new();
    let mut scratch = GroupScratch::default();
    let mut start = 0;
    while start < order.len() {
        let root = order[start] >> 32;
        let end = start + order[start..].partition_point(|o| o >> 32 == root);
        if end - start == 1 {
            chosen.push((order[start] & 0xFFFF_FFFF) as usize);
        } else {
            group.clear();
            group.extend(order[start..end].iter().map(|o| (o & 0xFFFF_FFFF) as usize));
            solve_group(edges, &group, (n_bank, n_book), &mut chosen, &mut scratch);
        }
        start = end;
    }
    // In edge order: marked, then read back (no sort of the chosen list).
    for &i in &chosen {
        marked[i] = true;
    }
    let mut all = Vec::with_capacity(taken + chosen.len());
    all.extend((0..edges.len()).filter(|&i| marked[i]));
    all
}

/// Buffers reused from one group to the next.
#[derive(Default)]
struct GroupScratch {
    banks: Vec<u32>,
    books: Vec<u32>,
    candidates: Vec<Candidate>,
    assigner: Assigner,
    /// Per line and per posting, the last large group that counted it (`stamp`), then
    /// whether the best-pair-first pass took it. Sized on the first group too large to be
    /// small for sure; groups share no line or posting, so nothing is ever reset.
    bank_seen: Vec<u32>,
    book_seen: Vec<u32>,
    /// Per line the pass took, the posting it took it with.
    partner: Vec<u32>,
    stamp: u32,
    /// The pairs of a large group as [`pair_order`] keys, sorted.
    order: Vec<u128>,
}

/// A pair's place in the best-pair-first pass of [`solve_large_group`] as one integer: by
/// score (best first), then nearest, then line, then posting.
fn pair_order(e: &Edge) -> u128 {
    // Scores are sums of a few small weights, never negative.
    let score = u32::try_from(e.score).expect("a score fits 32 bits");
    u128::from(u32::MAX - score) << 96
        | u128::from(e.gap.unsigned_abs()) << 64
        | u128::from(e.bank) << 32
        | u128::from(e.book)
}

/// Marks a line or posting taken by the best-pair-first pass (above any stamp).
const TAKEN: u32 = u32::MAX;

/// One connected group: exactly (Hungarian) when small, best pair first when large.
fn solve_group(
    edges: &[Edge],
    group: &[usize],
    (n_bank, n_book): (usize, usize),
    chosen: &mut Vec<usize>,
    scratch: &mut GroupScratch,
) {
    // A group of at most `MAX_EXACT_GROUP` edges has at most as many lines and postings.
    if group.len() > MAX_EXACT_GROUP
        && solve_large_group(edges, group, (n_bank, n_book), chosen, scratch)
    {
        return;
    }
    let GroupScratch {
        banks,
        books,
        candidates,
        assigner,
        ..
    } = scratch;
    banks.clear();
    banks.extend(group.iter().map(|&g| edges[g].bank));
    banks.sort_unstable();
    banks.dedup();
    books.clear();
    books.extend(group.iter().map(|&g| edges[g].book));
    books.sort_unstable();
    books.dedup();
    debug_assert!(banks.len() <= MAX_EXACT_GROUP && books.len() <= MAX_EXACT_GROUP);
    candidates.clear();
    candidates.extend(group.iter().filter_map(|&g| {
        let e = &edges[g];
        Some(Candidate {
            row: banks.binary_search(&e.bank).ok()?,
            col: books.binary_search(&e.book).ok()?,
            score: e.score,
        })
    }));
    let result = assigner.assign(banks.len(), books.len(), candidates);
    for (&g, c) in group.iter().zip(candidates.iter()) {
        if result[c.row] == Some(c.col) {
            chosen.push(g);
        }
    }
}

/// A group with more than `MAX_EXACT_GROUP` lines or postings: its pairs best first (by
/// score, then nearest, then line, then posting), each taken when both ends are free.
/// Returns false, doing nothing, when the group is small enough to be solved exactly.
fn solve_large_group(
    edges: &[Edge],
    group: &[usize],
    (n_bank, n_book): (usize, usize),
    chosen: &mut Vec<usize>,
    scratch: &mut GroupScratch,
) -> bool {
    if scratch.bank_seen.is_empty() {
        scratch.bank_seen = vec![0; n_bank];
        scratch.book_seen = vec![0; n_book];
        scratch.partner = vec![0; n_bank];
    }
    scratch.stamp += 1;
    let stamp = scratch.stamp;
    let (mut banks, mut books) = (0usize, 0usize);
    for &g in group {
        let e = &edges[g];
        let seen = &mut scratch.bank_seen[e.bank as usize];
        if *seen != stamp {
            *seen = stamp;
            banks += 1;
        }
        let seen = &mut scratch.book_seen[e.book as usize];
        if *seen != stamp {
            *seen = stamp;
            books += 1;
        }
    }
    if banks <= MAX_EXACT_GROUP && books <= MAX_EXACT_GROUP {
        return false;
    }
    // One integer per pair (16 bytes, compared at once): the pass needs only the line and
    // the posting, and finds the edges it took from those afterwards.
    let order = &mut scratch.order;
    order.clear();
    order.extend(group.iter().map(|&g| pair_order(&edges[g])));
    order.sort_unstable();
    for &key in order.iter() {
        let (b, k) = ((key >> 32) as u32 as usize, key as u32 as usize);
        if scratch.bank_seen[b] == TAKEN || scratch.book_seen[k] == TAKEN {
            continue;
        }
        scratch.bank_seen[b] = TAKEN;
        scratch.book_seen[k] = TAKEN;
        scratch.partner[b] = k as u32;
    }
    // Each pair is one edge (a line's candidates name each posting once).
    chosen.extend(group.iter().copied().filter(|&g| {
        let e = &edges[g];
        scratch.bank_seen[e.bank as usize] == TAKEN && scratch.partner[e.bank as usize] == e.book
    }));
    true
}

/// A look-up in a handful of distinct keys, remembering the last hit (inputs come in runs).
struct SlotCache<'k> {
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
    fn new(keys: &'k [(&'k str, usize)]) -> Self {
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
    fn get(&mut self, key: &str) -> Option<usize> {
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

/// The posting's name key, as [`AccountRun::amount_name_nodes`] carries it.
#[inline]
fn name_of(node: &PairNode) -> NameKey {
    NameKey {
        full: node.carried[0],
        first_word: node.carried[1],
    }
}

/// For each token, whether at most `most` tokens (postings: a posting's tokens are distinct)
/// are equal to it. Counted in a hash table (open addressing), two passes over the tokens:
/// sorting them by value to count each one's run cost three times as much.
fn on_few_postings(tokens: &[u64], most: usize) -> Vec<bool> {
    let bits = (2 * tokens.len())
        .max(16)
        .next_power_of_two()
        .trailing_zeros();
    let mask = (1usize << bits) - 1;
    // A token (an fx hash) is spread again: its top bits alone clump.
    let home = |t: u64| (t.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize;
    let most = u8::try_from(most).unwrap_or(u8::MAX - 1);
    let mut keys = vec![0u64; mask + 1];
    // How many of each token, up to one past `most`; 0: an empty slot.
    let mut counts = vec![0u8; mask + 1];
    let slot_of = |keys: &[u64], counts: &[u8], t: u64| {
        let mut i = home(t);
        while counts[i] != 0 && keys[i] != t {
            i = (i + 1) & mask;
        }
        i
    };
    for &t in tokens {
        let i = slot_of(&keys, &counts, t);
        keys[i] = t;
        counts[i] = counts[i].saturating_add(1).min(most + 1);
    }
    (tokens.iter())
        .map(|&t| counts[slot_of(&keys, &counts, t)] <= most)
        .collect()
}

fn node(key: u64, day: i32, book: usize) -> Node {
    Node {
        key,
        day,
        book: book as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The counting table agrees with counting each token's run among the sorted tokens.
    #[test]
    fn tokens_on_few_postings_as_sorting_counts_them() {
        let mut seed = 17u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            seed >> 20
        };
        for (n, distinct) in [(0usize, 1u64), (1, 1), (7, 2), (1_000, 50), (20_000, 9_000)] {
            let tokens: Vec<u64> = (0..n).map(|_| (next() % distinct) << 40).collect();
            let mut sorted = tokens.clone();
            sorted.sort_unstable();
            let want: Vec<bool> = (tokens.iter())
                .map(|t| sorted.iter().filter(|&s| s == t).count() <= MAX_REFERENCE_FANOUT)
                .take(if n > 2_000 { 300 } else { n })
                .collect();
            let got = on_few_postings(&tokens, MAX_REFERENCE_FANOUT);
            assert_eq!(got.len(), n);
            assert_eq!(got[..want.len()], want[..], "{n} {distinct}");
        }
    }

    /// Large groups are solved best pair first: the same choice as sorting the group's
    /// edges by (score descending, |gap|, line, posting) and taking each pair whose ends are
    /// free.
    #[test]
    fn large_groups_take_the_best_free_pairs_first() {
        let mut seed = 17u64;
        let mut next = |m: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % m
        };
        for (n_bank, n_book, n_edges) in
            [(60usize, 70usize, 900usize), (45, 3, 120), (200, 200, 400)]
        {
            let mut pairs = std::collections::BTreeSet::new();
            while pairs.len() < n_edges {
                pairs.insert((next(n_bank as u64) as u32, next(n_book as u64) as u32));
            }
            let edges: Vec<Edge> = pairs
                .into_iter()
                .map(|(bank, book)| Edge {
                    bank,
                    book,
                    relation: Relation::Exact,
                    reference: false,
                    name: NameAgreement::Unknown,
                    gap: next(21) as i32 - 10,
                    score: 1 + next(5) as i64 * 10,
                })
                .collect();
            let mut order: Vec<usize> = (0..edges.len()).collect();
            order.sort_by_key(|&g| {
                let e = &edges[g];
                (-e.score, e.gap.abs(), e.bank, e.book)
            });
            let (mut bank_used, mut book_used) = (vec![false; n_bank], vec![false; n_book]);
            let mut want = Vec::new();
            for g in order {
                let e = &edges[g];
                if !bank_used[e.bank as usize] && !book_used[e.book as usize] {
                    bank_used[e.bank as usize] = true;
                    book_used[e.book as usize] = true;
                    want.push(g);
                }
            }
            want.sort_unstable();
            // Dense enough to be one component.
            assert_eq!(
                assign_edges(&edges, n_bank, n_book),
                want,
                "{n_bank} x {n_book}"
            );
        }
    }

    #[test]
    fn merged_keeps_each_posting_once_per_line() {
        let edge = |bank: u32, book: u32, relation: Relation, reference: bool| Edge {
            bank,
            book,
            relation,
            reference,
            name: NameAgreement::Unknown,
            gap: 0,
            score: 0,
        };
        let mut merged = Merged {
            edges: Vec::new(),
            slot: vec![u64::MAX; 4],
            bank: 0,
        };
        merged.start(0);
        merged.push(edge(0, 2, Relation::Principal, false));
        merged.push(edge(0, 1, Relation::Exact, false));
        merged.push(edge(0, 2, Relation::Mismatch, true));
        merged.push(edge(0, 1, Relation::Mismatch, false));
        let got: Vec<_> = (merged.edges.drain(..))
            .map(|e| (e.book, e.relation, e.reference))
            .collect();
        assert_eq!(
            got,
            [(2, Relation::Principal, true), (1, Relation::Exact, false)]
        );
        // The next line starts afresh, whatever the slots still say.
        merged.start(1);
        merged.push(edge(1, 2, Relation::Mismatch, false));
        let got: Vec<_> = (merged.edges.drain(..))
            .map(|e| (e.book, e.relation, e.reference))
            .collect();
        assert_eq!(got, [(2, Relation::Mismatch, false)]);
    }

    #[test]
    fn best_edges_keeps_what_keep_best_would() {
        let mut seed = 41u64;
        for len in [0usize, 3, 8, 9, 40] {
            let mut books: Vec<u32> = (0..len as u32).collect();
            let mut edges: Vec<Edge> = Vec::new();
            while let Some(book) = books.pop() {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                edges.push(Edge {
                    bank: 0,
                    book: book * 7 % 41,
                    relation: Relation::Exact,
                    reference: false,
                    name: NameAgreement::Unknown,
                    gap: 0,
                    score: ((seed >> 33) % 6) as i64,
                });
            }
            let mut best = BestEdges::default();
            for &e in &edges {
                best.offer(e);
            }
            let mut want = edges;
            keep_best(&mut want, MAX_EDGES_PER_LINE, |e| (-e.score, e.book));
            let key = |e: &Edge| (e.score, e.book);
            assert_eq!(
                best.edges.iter().map(key).collect::<Vec<_>>(),
                want.iter().map(key).collect::<Vec<_>>()
            );
        }
    }

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

    #[test]
    fn the_gap_table_scores_as_the_ranges_do() {
        for gap in (-1_000..=1_000).chain([i32::MIN, i32::MIN + 1, i32::MAX - 1, i32::MAX]) {
            assert_eq!(gap_score(gap), gap_score_by_ranges(gap), "{gap}");
        }
    }

    #[test]
    fn keep_best_keeps_what_a_full_sort_would() {
        let mut seed = 5u64;
        for len in [0usize, 1, 7, 8, 9, 30, 200] {
            for _ in 0..20 {
                let mut items: Vec<(i64, u32)> = (0..len as u32)
                    .map(|i| {
                        seed = seed
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1_442_695_040_888_963_407);
                        (((seed >> 33) % 50) as i64, i)
                    })
                    .collect();
                let mut want = items.clone();
                want.sort_unstable();
                want.truncate(8);
                keep_best(&mut items, 8, |&x| x);
                assert_eq!(items, want);
            }
        }
    }
}

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
//! 4. one bank line for several postings of its payee (also a line that stage 1 paired as an
//!    amount mismatch, when the payee's other bills make up the difference), several bank
//!    lines for one posting (batch deposits), by bounded subset search among nearby leftovers,
//!    the combination of fewest items first; leftovers of one payee whose amounts differ in
//!    the leading digit (amount mismatch); name-free batches last, batches of two lines first;
//! 5. everything else: missing in books / missing in bank (or outside the period).
//!
//! Everything iterates in a canonical order (bank lines by time then id, postings by date then
//! creation then id) and hash maps are only used for look-ups, so the output does not depend on
//! the input order.

mod candidates;
mod canonical_order;
mod duplicates;
mod edge_assignment;
mod emit;
mod fees;
mod groups;
mod leftovers;
mod mismatches;
mod one_to_one;
mod reading;
mod scoring;

use std::sync::Arc;

use rust_decimal::Decimal;

use crate::amount::{NOT_PACKED, from_units};
use crate::counterparty::{NameAgreement, NameKey};
use crate::ids::Ids;
use crate::input::{BankLine, BookEntry, Mapping, Options};
use crate::name_cache::NameNumber;
use crate::output::{
    Exception, ExceptionKind, Match, MatchKind, MatchStatus, Reconciliation, Summary,
};
use crate::read_ahead;
use crate::reason::PairNote;
use crate::reference::Word;
use crate::run_text::{RunText, SharedText, StringTable};
use crate::working::working_vec;

use candidates::on_few_postings;
use edge_assignment::assign_edges;
use emit::emit_groups;
use reading::{Reading, SlotCache};
use scoring::{keep_best, score, suggested_confidence};

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
/// How many combinations a group search lists before it stops: enough to tell whether one
/// of them has the fewest items (see [`Subsets::settled`](crate::subset::Subsets::settled)).
const SUBSET_LIMIT: usize = 6;
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
/// to the inputs. The amount and the fee are the facts' units, written with these scales (see
/// [`units_and_scale`](crate::amount::units_and_scale)): kept once, the quote is 16 bytes smaller; an amount that is not kept
/// as units ([`NOT_PACKED`]) is read from the line when needed.
struct BankQuote {
    scales: [u8; 2],
    /// The counterparty as written (see [`NameCache`](crate::name_cache::NameCache)).
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

    fn new(line: &BankLine, scales: [u8; 2], raw_name: NameNumber) -> Self {
        Self {
            scales,
            raw_name,
            id: Some(Arc::clone(&line.id)),
        }
    }

    /// The line's amount and fee.
    fn amounts(&self, facts: &BankFacts, line: &BankLine) -> (Decimal, Decimal) {
        // The line is read only for an amount not kept as units: it is far away in memory.
        let get = |units, s, exact: fn(&BankLine) -> Decimal| {
            if s == NOT_PACKED {
                exact(line)
            } else {
                from_units(units, s)
            }
        };
        (
            get(facts.units, self.scales[0], |l| l.amount),
            get(facts.fee_units, self.scales[1], |l| l.fee),
        )
    }
}

/// What a decision quotes of a posting (see [`BankQuote`]).
struct BookQuote {
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

    fn new(entry: &BookEntry, scale: u8, raw_name: NameNumber) -> Self {
        Self {
            scale,
            raw_name,
            id: Some(Arc::clone(&entry.id)),
        }
    }

    fn amount(&self, facts: &BookFacts, entry: &BookEntry) -> Decimal {
        if self.scale == NOT_PACKED {
            entry.amount
        } else {
            from_units(facts.units, self.scale)
        }
    }
}

/// A pair's amounts as its reason quotes them: bank amount, book amount, fee.
fn pair_amounts(
    (bank, bank_facts, line): (&BankQuote, &BankFacts, &BankLine),
    (book, book_facts, entry): (&BookQuote, &BookFacts, &BookEntry),
) -> [Decimal; 3] {
    let (amount, fee) = bank.amounts(bank_facts, line);
    [amount, book.amount(book_facts, entry), fee]
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
    /// The lists a run's facts were put in (canonical order): the next run puts its facts
    /// into them.
    facts: FactLists,
    /// Whether another run follows: the lists are handed back to it.
    keep: bool,
    /// The most lines and postings any account has: the first run's fact lists get room
    /// for them, so later runs never grow (copy) them.
    most: (usize, usize),
}

/// An account's facts, quotes, reference words and posting tokens, as lists in canonical
/// order: what [`AccountRun::new`] puts the read facts into. Handed on (see [`Workspace`]),
/// the next run writes pages already written instead of fresh ones (a page fault each,
/// ~2.5 µs on the machine we measure on).
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
    for (i, line) in bank.iter().enumerate() {
        read_ahead::strings_of(bank, i, |l| {
            [&*l.currency, &*l.id, &l.payment_reference, &l.counterparty]
        });
        match line_slot.get(&line.currency) {
            Some(i) => readings[i].line(line),
            None => unmapped_lines.push(line),
        }
    }
    let mut summary = Summary::default();
    let mut entry_slot = SlotCache::new(&by_account);
    for (i, entry) in books.iter().enumerate() {
        read_ahead::strings_of(books, i, |e| {
            [
                &*e.bank_account_id,
                &*e.id,
                &e.doc_number,
                &e.payment_ref_num,
                &e.private_note,
                &e.memo,
                &e.counterparty,
            ]
        });
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
    let mut room = Workspace {
        most: runs.iter().fold((0, 0), |(l, e), (_, r)| {
            (l.max(r.lines.len()), e.max(r.entries.len()))
        }),
        ..Workspace::default()
    };
    for (i, ((currency, _), reading)) in runs.into_iter().enumerate() {
        room.keep = i + 1 < n_runs;
        let run = AccountRun::new(currency, reading, options, room);
        room = run.finish(&mut matches, &mut exceptions, &mut summary);
    }

    unmapped_lines
        .sort_by(|a, b| (&a.currency, a.booked_at, &a.id).cmp(&(&b.currency, b.booked_at, &b.id)));
    for line in unmapped_lines {
        *summary
            .exceptions
            .entry(ExceptionKind::MissingInBooks)
            .or_default() += 1;
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
    // Every kind is listed, those that did not occur with 0 (the rest were counted as they
    // were written).
    for kind in ExceptionKind::ALL {
        summary.exceptions.entry(kind).or_insert(0);
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
    /// The fee postings (`is_fee`), in order.
    fee_postings: Vec<u32>,
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
    /// The groups (indices into `groups`) that are amount-mismatch pairs, as decided.
    mismatches: Vec<usize>,
    /// What the reasons quote: names, reference tokens, fee posting ids.
    text: RunText,
    /// Lists kept from the previous run, handed on to the next.
    room: Workspace,
}

impl<'a> AccountRun<'a> {
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
        let max_size = self.options.max_group_size;
        self.many_banks_one_book(true, max_size, &mut self.open_postings());
        self.leading_digit_mismatches();
        // Name-free batches of two lines first, then three, and so on: among many credits
        // a sum of five is often a coincidence, and taken first it would steal the lines of
        // a smaller batch found later.
        let mut postings = self.open_postings();
        for size in 2..=max_size {
            self.many_banks_one_book(false, size, &mut postings);
        }
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
        // The facts hold the amounts the reasons quote: kept through writing the output.
        let bank = std::mem::take(&mut self.bank);
        let book = std::mem::take(&mut self.book);
        if room.keep {
            // Handed on: the next run puts its facts into them (facts and quotes too, once
            // written out).
            room.facts = FactLists {
                bank_words: std::mem::take(&mut self.bank_words),
                book_tokens: std::mem::take(&mut self.book_tokens),
                book_token_fields: std::mem::take(&mut self.book_token_fields),
                ..FactLists::default()
            };
        }
        // The indexes are not needed any more: free them before the output grows.
        drop(self);
        text.names.shrink_to_fit();
        text.name_pairs.shrink_to_fit();
        text.tokens.shrink_to_fit();
        let text = SharedText::new(text);
        emit_groups(
            &mut groups,
            (&mut bank_quotes, &bank, &lines),
            (&mut book_quotes, &book, &entries),
            &text,
            currency,
            (matches, exceptions, summary),
        );
        Workspace::give_back(room.keep, &mut room.groups, groups);
        Workspace::give_back(room.keep, &mut room.facts.bank, bank);
        Workspace::give_back(room.keep, &mut room.facts.book, book);
        Workspace::give_back(room.keep, &mut room.facts.bank_quotes, bank_quotes);
        Workspace::give_back(room.keep, &mut room.facts.book_quotes, book_quotes);
        room
    }
}

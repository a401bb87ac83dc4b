//! Stored bank lines and book entries → the engine → findings with stable keys. Pure: the
//! caller loads the data and stores what comes out.
//!
//! Each currency is reconciled on its own (one Wise balance against its mapped QBO account),
//! so a reference that appears in two balances (a conversion) never collides.

use crate::lifecycle;
use crate::lines::{BankLine, BookEntry};
use crate::telemetry::LagPath;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FoundMatch {
    pub key: String,
    pub kind: String,
    pub status: String,
    pub confidence: String,
    pub reason: String,
    pub currency: String,
    pub bank_ids: Vec<String>,
    pub book_ids: Vec<String>,
    pub bank_at: Option<DateTime<Utc>>,
    pub posted_at: Option<DateTime<Utc>>,
    pub lag_seconds: Option<i64>,
    pub path: LagPath,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FoundException {
    pub key: String,
    pub kind: String,
    pub currency: String,
    pub difference: Decimal,
    /// |difference| in hundredths, for sorting and filtering by size.
    pub size_minor: i64,
    pub reason: String,
    pub bank_ids: Vec<String>,
    pub book_ids: Vec<String>,
    pub occurred_on: Option<NaiveDate>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Findings {
    pub matches: Vec<FoundMatch>,
    pub exceptions: Vec<FoundException>,
    pub bank_lines: usize,
    pub book_entries: usize,
    pub matched_bank_lines: usize,
    pub suggested: usize,
    /// Per exception kind.
    pub by_kind: BTreeMap<String, usize>,
}

impl Findings {
    /// Matched bank lines / bank lines, in percent (100 when there are none).
    pub fn match_percent(&self) -> f64 {
        if self.bank_lines == 0 {
            100.0
        } else {
            (self.matched_bank_lines as f64 * 1000.0 / self.bank_lines as f64).round() / 10.0
        }
    }
}

/// Reconciles every mapped currency. `accounts` maps currency → QBO account id; `periods` is
/// the stored bank coverage per currency; `decisions` are people's verdicts on suggested
/// matches by match key: `accepted` marks the match accepted, `rejected` breaks it up into
/// exceptions for its lines and postings (verify-then-post: a person's "no" is kept).
pub fn reconcile(
    lines: &[BankLine],
    books: &[BookEntry],
    accounts: &BTreeMap<String, String>,
    periods: &BTreeMap<String, (NaiveDate, NaiveDate)>,
    decisions: &HashMap<String, String>,
) -> Findings {
    let mut out = Findings::default();
    for (currency, account) in accounts {
        let bank: Vec<&BankLine> = lines.iter().filter(|l| &l.currency == currency).collect();
        let bank_lines = numbered(&bank);
        let book: Vec<recon::BookEntry> = books
            .iter()
            .filter(|e| &e.bank_account_id == account)
            .map(|e| book_entry(e, currency))
            .collect();
        let mut options = recon::Options::default();
        if let Some(p) = periods.get(currency) {
            options.periods.insert(currency.clone(), *p);
        }
        let mapping = recon::Mapping::new([(currency.clone(), account.clone())]);
        let mut result = recon::reconcile(&bank_lines, &book, &mapping, &options);
        let rejected = reject_decided(&mut result, &bank_lines, &book, currency, decisions);
        let booked: HashMap<&str, DateTime<Utc>> =
            bank_lines.iter().map(|l| (&*l.id, l.booked_at)).collect();
        let bank_day: HashMap<&str, NaiveDate> = bank_lines
            .iter()
            .map(|l| (&*l.id, l.booked_at.date_naive()))
            .collect();
        let created: HashMap<&str, (Option<DateTime<Utc>>, NaiveDate, &str)> = book
            .iter()
            .map(|e| (&*e.id, (e.created_at, e.txn_date, e.kind.entity_name())))
            .collect();
        out.bank_lines += result.summary.bank_lines;
        out.book_entries += result.summary.book_entries;
        out.matched_bank_lines += result.summary.matched_bank_lines - rejected;
        out.suggested += result.summary.suggested_matches;
        for m in result.matches {
            let bank_ids = m.bank.to_vec();
            let book_ids = m.books.to_vec();
            let kind = serde_plain(&m.kind);
            let bank_at = bank_ids
                .iter()
                .filter_map(|i| booked.get(i.as_str()))
                .max()
                .copied();
            let posted_at = book_ids
                .iter()
                .filter_map(|i| created.get(i.as_str()).and_then(|c| c.0))
                .max();
            let entity = book_ids
                .first()
                .and_then(|i| created.get(i.as_str()))
                .map_or("", |c| c.2);
            let key = lifecycle::key(
                currency,
                &kind,
                bank_ids.iter().map(String::as_str),
                book_ids.iter().map(String::as_str),
            );
            let status = match decisions.get(&key).map(String::as_str) {
                Some("accepted") => "accepted".to_string(),
                _ => serde_plain(&m.status),
            };
            out.matches.push(FoundMatch {
                key,
                kind,
                status,
                confidence: format!("{:.2}", m.confidence),
                reason: m.reason.text().into_owned(),
                currency: currency.clone(),
                lag_seconds: bank_at.zip(posted_at).map(|(b, p)| (p - b).num_seconds()),
                bank_at,
                posted_at,
                path: LagPath::of_entity(entity),
                bank_ids,
                book_ids,
            });
        }
        for e in result.exceptions {
            let bank_ids = e.bank.to_vec();
            let book_ids = e.books.to_vec();
            let kind = e.kind.as_str().to_owned();
            *out.by_kind.entry(kind.clone()).or_default() += 1;
            let occurred_on = bank_ids
                .iter()
                .filter_map(|i| bank_day.get(i.as_str()).copied())
                .min()
                .or_else(|| {
                    book_ids
                        .iter()
                        .filter_map(|i| created.get(i.as_str()).map(|c| c.1))
                        .min()
                });
            out.exceptions.push(FoundException {
                key: lifecycle::key(
                    currency,
                    &kind,
                    bank_ids.iter().map(String::as_str),
                    book_ids.iter().map(String::as_str),
                ),
                kind,
                currency: currency.clone(),
                size_minor: (e.difference.abs() * Decimal::ONE_HUNDRED)
                    .round()
                    .to_i64()
                    .unwrap_or(i64::MAX),
                difference: e.difference,
                reason: e.reason.text().into_owned(),
                bank_ids,
                book_ids,
                occurred_on,
            });
        }
    }
    out
}

/// Removes the matches a person rejected and reports their lines and postings as unmatched
/// instead; returns how many bank lines that unmatched.
fn reject_decided(
    result: &mut recon::Reconciliation,
    lines: &[recon::BankLine],
    books: &[recon::BookEntry],
    currency: &str,
    decisions: &HashMap<String, String>,
) -> usize {
    if decisions.is_empty() {
        return 0;
    }
    let bank_amount: HashMap<&str, Decimal> = lines.iter().map(|l| (&*l.id, l.amount)).collect();
    let book_amount: HashMap<&str, Decimal> = books.iter().map(|e| (&*e.id, e.amount)).collect();
    let mut unmatched = 0;
    let mut broken = Vec::new();
    result.matches.retain(|m| {
        let key = lifecycle::key(
            currency,
            &serde_plain(&m.kind),
            m.bank.iter(),
            m.books.iter(),
        );
        if decisions.get(&key).map(String::as_str) != Some("rejected") {
            return true;
        }
        let why = "a person rejected the suggested match".to_string();
        for id in m.bank.iter() {
            unmatched += 1;
            broken.push(recon::Exception {
                kind: recon::ExceptionKind::MissingInBooks,
                bank: recon::Ids::one(id),
                books: recon::Ids::new(),
                currency: currency.to_owned(),
                difference: bank_amount.get(id).copied().unwrap_or_default(),
                reason: recon::Reason::new(format!("{why}; no other posting was found for {id}")),
            });
        }
        for id in m.books.iter() {
            broken.push(recon::Exception {
                kind: recon::ExceptionKind::MissingInBank,
                bank: recon::Ids::new(),
                books: recon::Ids::one(id),
                currency: currency.to_owned(),
                difference: -book_amount.get(id).copied().unwrap_or_default(),
                reason: recon::Reason::new(format!("{why}; no other bank line was found for {id}")),
            });
        }
        false
    });
    result.exceptions.extend(broken);
    unmatched
}

/// The snake_case name serde gives a unit enum variant.
fn serde_plain<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Engine lines of one balance in booking order; a reference repeated in the balance gets
/// `#2`, `#3` by date (the CLI's rule, applied to everything stored).
pub fn numbered(lines: &[&BankLine]) -> Vec<recon::BankLine> {
    let mut lines = lines.to_vec();
    lines.sort_by(|a, b| (a.booked_at, &a.reference).cmp(&(b.booked_at, &b.reference)));
    let mut seen: HashMap<&str, u32> = HashMap::with_capacity(lines.len());
    lines
        .iter()
        .map(|l| {
            let n = seen.entry(l.reference.as_str()).or_insert(0);
            *n += 1;
            recon::BankLine {
                id: if *n == 1 {
                    l.reference.as_str().into()
                } else {
                    format!("{}#{n}", l.reference).into()
                },
                booked_at: l.booked_at,
                amount: l.amount,
                fee: l.fee,
                currency: l.currency.clone(),
                counterparty: l.counterparty.clone(),
                payment_reference: l.payment_reference.clone(),
                description: l.description.clone(),
                details_type: l.details_type.clone(),
            }
        })
        .collect()
}

pub fn book_entry(e: &BookEntry, currency: &str) -> recon::BookEntry {
    recon::BookEntry {
        id: e.external_id.as_str().into(),
        kind: kind_of(&e.kind),
        txn_date: e.txn_date,
        amount: e.amount,
        currency: currency.to_owned(),
        bank_account_id: e.bank_account_id.clone(),
        doc_number: e.doc_number.clone(),
        payment_ref_num: e.payment_ref_num.clone(),
        private_note: e.private_note.clone(),
        memo: e.memo.clone(),
        counterparty: e.counterparty.clone(),
        created_at: e.created_at,
        is_bank_charge: e.is_bank_charge,
    }
}

fn kind_of(name: &str) -> recon::BookEntryKind {
    use recon::BookEntryKind as K;
    [
        K::Purchase,
        K::Deposit,
        K::BillPayment,
        K::Payment,
        K::SalesReceipt,
        K::Transfer,
        K::JournalEntry,
    ]
    .into_iter()
    .find(|k| k.entity_name() == name)
    .unwrap_or(K::Other)
}

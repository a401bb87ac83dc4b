//! The demo studio: six months of a small design studio's Wise activity in EUR, USD and GBP,
//! the QuickBooks company that books it, and the truth about the slips planted in those books.
//!
//! Pure: no IO, no clock. The same anchor date gives the same studio, byte for byte; the story
//! is the same for every anchor, shifted in time. Everything else matches cleanly, so what the
//! engine reports is exactly [`Studio::truth`].

mod activity;
mod books;
mod cast;
mod company;
mod qbo_json;
mod rng;
mod slips;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use recon::{ExceptionKind, MatchKind};
use rust_decimal::Decimal;
use serde_json::Value;
use wise::emulator::ledger::Ledger;
use wise::emulator::{BUSINESS_PROFILE_ID, EUR_BALANCE_ID, GBP_BALANCE_ID, USD_BALANCE_ID};

/// The demo company's QBO realm.
pub const DEMO_REALM_ID: &str = "9341453050298";

/// Everything the demo organization starts with.
#[derive(Debug, Clone, PartialEq)]
pub struct Studio {
    /// The last day of activity.
    pub anchor: NaiveDate,
    /// First and last day of activity (inclusive): six months ending at the anchor.
    pub period: (NaiveDate, NaiveDate),
    /// The Wise balances (EUR, USD, GBP) of [`BUSINESS_PROFILE_ID`], oldest entry first.
    pub ledgers: Vec<Ledger>,
    pub books: Books,
    /// The planted slips, and the correct outcomes the engine must not mistake for slips.
    pub truth: Vec<Planted>,
}

impl Studio {
    #[must_use]
    pub fn ledger(&self, currency: &str) -> Option<&Ledger> {
        self.ledgers.iter().find(|l| l.currency == currency)
    }
}

/// What to seed into QBO. Lists are in insertion order (QBO numbers each entity's Ids as they
/// come, so the same studio always gets the same Ids); records name each other by key.
#[derive(Debug, Clone, PartialEq)]
pub struct Books {
    pub realm_id: String,
    pub company_name: String,
    pub home_currency: String,
    pub multicurrency: bool,
    /// Currency → key of the bank account that holds that Wise balance.
    pub bank_accounts: BTreeMap<String, String>,
    /// Key of the "Bank Charges" expense account (Wise fees).
    pub fee_account: String,
    pub accounts: Vec<Record>,
    pub customers: Vec<Record>,
    pub vendors: Vec<Record>,
    pub invoices: Vec<Record>,
    pub bills: Vec<Record>,
    /// Purchases, deposits, payments, bill payments and transfers, by date.
    pub postings: Vec<Record>,
}

/// One QBO entity. `value` is the entity's JSON as QBO holds it, except that a reference to
/// another record is the string `"@<key>"` (`"@account:wise-eur"`), for the seeding step to
/// replace with that record's Id.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// `account:wise-eur`, `vendor:figma`, `invoice:INV-20417`, `posting:0042`, …
    pub key: String,
    /// QBO entity name (`Purchase`, `Deposit`, …).
    pub entity: &'static str,
    pub value: Value,
}

/// A planted slip (or a tricky but correct booking) and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planted {
    pub problem: Problem,
    /// The bank lines involved (none for a posting without a bank line).
    pub bank: Vec<BankRef>,
    /// Keys of the postings involved (none for a missing posting).
    pub postings: Vec<String>,
    /// What happened, in a sentence.
    pub note: String,
}

/// A Wise statement line: the balance's currency and the line's `referenceNumber`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct BankRef {
    pub currency: String,
    pub reference: String,
}

/// What the bookkeeper did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Problem {
    /// A transfer booked for its principal; the Wise fee nowhere.
    UnbookedFee,
    /// Principal and Wise fee booked as two postings (fine).
    FeeSplit,
    /// A week of postings entered twice after the bank feed was reconnected.
    DuplicateAfterReconnect,
    /// A bank line nobody booked.
    MissingPosting,
    /// A posting on a Wise account for money that never moved there.
    PostingWithoutBankLine,
    /// Booked three weeks after the bank line (fine).
    LatePosting,
    /// Several credits deposited as one (fine).
    BatchDeposit,
    /// Booked with mistyped digits.
    AmountTypo,
    /// One transfer paying several bills, booked bill by bill (fine).
    OnePaymentManyBills,
}

/// What the engine should make of a planted slip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    Exception(ExceptionKind),
    Match(MatchKind),
}

impl Problem {
    #[must_use]
    pub fn expected(self) -> Expected {
        match self {
            Self::UnbookedFee => Expected::Exception(ExceptionKind::UnbookedFee),
            Self::FeeSplit => Expected::Match(MatchKind::FeeSplit),
            Self::DuplicateAfterReconnect => Expected::Exception(ExceptionKind::DuplicatePosting),
            Self::MissingPosting => Expected::Exception(ExceptionKind::MissingInBooks),
            Self::PostingWithoutBankLine => Expected::Exception(ExceptionKind::MissingInBank),
            Self::LatePosting => Expected::Match(MatchKind::OneToOne),
            Self::BatchDeposit => Expected::Match(MatchKind::ManyToOne),
            Self::AmountTypo => Expected::Exception(ExceptionKind::AmountMismatch),
            Self::OnePaymentManyBills => Expected::Match(MatchKind::OneToMany),
        }
    }
}

/// Opening balances, in cents.
const BALANCES: [(&str, i64, i64); 3] = [
    ("EUR", EUR_BALANCE_ID, 2_400_000),
    ("USD", USD_BALANCE_ID, 650_000),
    ("GBP", GBP_BALANCE_ID, 420_000),
];

/// The studio whose activity ends on `anchor` (say, yesterday).
#[must_use]
pub fn studio(anchor: NaiveDate) -> Studio {
    let activity = activity::generate(anchor);
    let ledgers = BALANCES
        .iter()
        .map(|&(currency, balance_id, opening)| {
            let mut ledger = Ledger::new(
                BUSINESS_PROFILE_ID,
                balance_id,
                currency,
                Decimal::new(opening, 2),
            );
            for m in activity.movements.iter().filter(|m| m.currency == currency) {
                ledger.insert(m.entry());
            }
            ledger
        })
        .collect();
    let (books, truth) = books::write(&activity);
    Studio {
        anchor,
        period: activity.period,
        ledgers,
        books,
        truth,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_same_anchor_gives_the_same_studio() {
        let a = studio(day("2025-06-30"));
        let b = studio(day("2025-06-30"));
        assert_eq!(a, b);
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert_ne!(studio(day("2025-07-01")).period, a.period);
    }

    #[test]
    fn six_months_of_consistent_ledgers() {
        for anchor in ["2025-06-30", "2024-02-29", "2026-01-04"] {
            let s = studio(day(anchor));
            let (first, last) = s.period;
            assert_eq!(last, day(anchor));
            assert_eq!(
                first,
                day(anchor) - chrono::Months::new(6) + chrono::Days::new(1)
            );
            let mut lines = 0;
            for l in &s.ledgers {
                assert!(l.is_consistent(), "{anchor} {}", l.currency);
                assert!(
                    l.entries.iter().all(|e| e.running_balance >= Decimal::ZERO),
                    "{anchor} {} goes negative",
                    l.currency
                );
                assert!(l.entries.iter().all(|e| {
                    let d = e.date.date_naive();
                    first <= d && d <= last
                }));
                let refs: BTreeSet<&str> = l
                    .entries
                    .iter()
                    .map(|e| e.reference_number.as_str())
                    .collect();
                assert_eq!(refs.len(), l.entries.len(), "references unique per ledger");
                for e in &l.entries {
                    let prefix = e.reference_number.split('-').next().unwrap();
                    assert!(["TRANSFER", "CARD", "BALANCE", "DEPOSIT"].contains(&prefix));
                    if e.details_type == "TRANSFER" {
                        assert!(e.fees > Decimal::ZERO, "{}", e.reference_number);
                    }
                }
                lines += l.entries.len();
            }
            let per_month = lines / 6;
            assert!(
                (60..=120).contains(&per_month),
                "{anchor}: {per_month} lines a month"
            );
        }
    }

    #[test]
    fn every_problem_is_planted_a_handful_of_times() {
        let s = studio(day("2025-06-30"));
        let keys: BTreeSet<&str> = s.books.postings.iter().map(|r| r.key.as_str()).collect();
        let mut count: BTreeMap<Problem, usize> = BTreeMap::new();
        for p in &s.truth {
            *count.entry(p.problem).or_default() += 1;
            for k in &p.postings {
                assert!(keys.contains(k.as_str()), "{k}");
            }
            for b in &p.bank {
                let ledger = s.ledger(&b.currency).unwrap();
                assert!(
                    ledger
                        .entries
                        .iter()
                        .any(|e| e.reference_number == b.reference),
                    "{b:?}"
                );
            }
        }
        let expected = [
            (Problem::UnbookedFee, 4),
            (Problem::FeeSplit, 5),
            (Problem::DuplicateAfterReconnect, 5),
            (Problem::MissingPosting, 3),
            (Problem::PostingWithoutBankLine, 3),
            (Problem::LatePosting, 3),
            (Problem::BatchDeposit, 2),
            (Problem::AmountTypo, 3),
            (Problem::OnePaymentManyBills, 2),
        ];
        assert_eq!(count, BTreeMap::from(expected));
    }
}

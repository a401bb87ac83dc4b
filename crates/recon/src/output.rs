//! The engine's decisions: matches, exceptions and a summary, serialized exactly as the
//! `clearline reconcile` JSON contract (issue 3) prescribes.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::Ids;
use crate::reason::Reason;

/// The full result of one reconciliation run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reconciliation {
    pub matches: Vec<Match>,
    pub exceptions: Vec<Exception>,
    pub summary: Summary,
}

/// The shape of a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// One bank line, one posting, same amount.
    OneToOne,
    /// One bank line; the principal and the Wise fee booked as two postings.
    FeeSplit,
    /// One bank line settles several postings (e.g. one payment for several bills).
    OneToMany,
    /// Several bank lines grouped in one posting (e.g. a batch deposit).
    ManyToOne,
}

/// Whether a match can be treated as reconciled without a human.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchStatus {
    /// Confident and unambiguous.
    Auto,
    /// Plausible, but a human must verify it (verify-then-post).
    Suggested,
}

/// Bank lines and postings the engine believes record the same movement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    pub bank: Ids,
    pub books: Ids,
    pub kind: MatchKind,
    pub status: MatchStatus,
    /// 0..1; rounded to two decimals.
    pub confidence: f64,
    pub reason: Reason,
}

/// The kinds of break between bank and books.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionKind {
    /// A bank line with no posting.
    MissingInBooks,
    /// A posting on the Wise account with no bank line, inside the statement's interval.
    MissingInBank,
    /// More than one posting for one bank movement (all of them named).
    DuplicatePosting,
    /// A posting covers the principal; the Wise fee is not booked.
    UnbookedFee,
    /// Same movement, amounts differ beyond fee and rounding.
    AmountMismatch,
}

impl ExceptionKind {
    /// The snake_case name used in JSON and reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MissingInBooks => "missing_in_books",
            Self::MissingInBank => "missing_in_bank",
            Self::DuplicatePosting => "duplicate_posting",
            Self::UnbookedFee => "unbooked_fee",
            Self::AmountMismatch => "amount_mismatch",
        }
    }

    /// Every kind, in report order.
    pub const ALL: [ExceptionKind; 5] = [
        Self::MissingInBooks,
        Self::MissingInBank,
        Self::DuplicatePosting,
        Self::UnbookedFee,
        Self::AmountMismatch,
    ];
}

/// One break between bank and books.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exception {
    pub kind: ExceptionKind,
    pub bank: Ids,
    pub books: Ids,
    pub currency: String,
    /// Bank total minus books total, except for `unbooked_fee`, where it is the fee itself
    /// (positive), as the contract asks.
    #[serde(with = "rust_decimal::serde::str")]
    pub difference: Decimal,
    pub reason: Reason,
}

/// Counts for the run, and the postings that are deliberately in neither list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub bank_lines: usize,
    pub book_entries: usize,
    pub matched_bank_lines: usize,
    pub matched_book_entries: usize,
    pub auto_matches: usize,
    pub suggested_matches: usize,
    /// matched bank lines / bank lines (1.0 when there are none).
    pub match_rate: f64,
    /// Exception count per kind (every kind present, zero included).
    pub exceptions: BTreeMap<ExceptionKind, usize>,
    /// Unmatched postings dated outside their statement period: not breaks of this period.
    pub books_outside_period: Vec<String>,
    /// Postings on accounts that no currency is mapped to: not reconciled at all.
    pub books_on_unmapped_accounts: Vec<String>,
}

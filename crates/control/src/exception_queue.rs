//! The exception queue as the rest of Clearline (and the browser) sees it: plain data, no
//! storage. [`crate::exceptions`] fills these from the database.

use crate::exception_kind::ExceptionKind;
use crate::exception_status::ExceptionStatus;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One break between bank and books, with the work on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionRow {
    pub id: i64,
    pub kind: ExceptionKind,
    pub currency: String,
    /// Bank minus books (signed), when the engine states one.
    pub difference: Option<Decimal>,
    pub reason: String,
    /// Engine ids of the Wise lines (`reference`, or `reference#2` for a repeated one).
    pub bank_ids: Vec<String>,
    /// QuickBooks postings, `<Entity>:<Id>`.
    pub book_ids: Vec<String>,
    pub occurred_on: Option<NaiveDate>,
    /// Days since the break happened (see [`crate::aging`]).
    pub age_days: i64,
    pub status: ExceptionStatus,
    /// `auto` (the break disappeared) or `manual` (a person resolved it).
    pub resolution: Option<String>,
    pub owner_user_id: Option<i64>,
    pub owner_name: Option<String>,
    pub next_action: String,
    pub due_on: Option<NaiveDate>,
    /// Active and past its due date.
    pub overdue: bool,
    pub reopen_count: i32,
    pub opened_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// The figures the queue always shows, whatever the filter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueCounts {
    /// Still needing work (open, in progress, waiting on vendor).
    pub open: i64,
    /// Active with nobody named.
    pub unassigned: i64,
    /// Active and past the due date.
    pub overdue: i64,
}

/// One page of the filtered, sorted queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuePage {
    pub rows: Vec<ExceptionRow>,
    /// Rows matching the filter, on all pages.
    pub total: i64,
    pub page: u32,
    pub pages: u32,
    pub counts: QueueCounts,
    /// Currencies that have exceptions, for the filter.
    pub currencies: Vec<String>,
    pub today: NaiveDate,
}

/// A Wise line an exception names, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankSide {
    /// The id as the exception names it.
    pub id: String,
    pub reference: String,
    pub booked_at: DateTime<Utc>,
    pub amount: Decimal,
    pub fee: Decimal,
    pub counterparty: String,
    pub payment_reference: String,
    pub description: String,
    pub details_type: String,
    /// `api` or `upload`.
    pub source: String,
}

/// A QuickBooks posting an exception names, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookSide {
    pub external_id: String,
    pub kind: String,
    pub txn_date: NaiveDate,
    pub amount: Decimal,
    pub doc_number: String,
    pub payment_ref_num: String,
    pub memo: String,
    pub private_note: String,
    pub counterparty: String,
    pub is_bank_charge: bool,
    /// QuickBooks no longer returns it.
    pub deleted: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub id: i64,
    pub author: Option<String>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// One audit entry about an exception.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// An exception with both sides of the break, its comments and its history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionDetail {
    pub exception: ExceptionRow,
    pub bank: Vec<BankSide>,
    pub books: Vec<BookSide>,
    /// Ids the exception names that are not stored (any more).
    pub missing_ids: Vec<String>,
    /// Oldest first.
    pub comments: Vec<Comment>,
    /// Oldest first.
    pub history: Vec<HistoryEntry>,
}

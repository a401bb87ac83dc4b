//! Clearline's reconciliation engine: it matches Wise bank lines to the QuickBooks postings on
//! the mapped bank accounts, and reports every break between them, each decision with a reason.
//!
//! The engine is pure: no IO, no clock, no database. Connectors normalize their data into
//! [`BankLine`]s and [`BookEntry`]s; the caller says which QBO account holds which Wise balance
//! ([`Mapping`]) and sets tolerances ([`Options`]); [`reconcile`] returns a [`Reconciliation`]
//! that serializes to the `clearline reconcile` JSON contract:
//!
//! ```
//! use chrono::{NaiveDate, TimeZone, Utc};
//! use recon::{BankLine, BookEntry, BookEntryKind, Mapping, Options, reconcile};
//! use rust_decimal::Decimal;
//!
//! let bank = vec![BankLine {
//!     id: "TRANSFER-900000002".into(),
//!     booked_at: Utc.with_ymd_and_hms(2024, 3, 10, 9, 12, 44).unwrap(),
//!     amount: Decimal::new(-120431, 2),
//!     fee: Decimal::new(431, 2),
//!     currency: "EUR".into(),
//!     counterparty: "Acme GmbH".into(),
//!     payment_reference: "INV-1042".into(),
//!     description: "Sent money to Acme GmbH".into(),
//!     details_type: "TRANSFER".into(),
//! }];
//! let books = vec![BookEntry {
//!     id: "BillPayment:240".into(),
//!     kind: BookEntryKind::BillPayment,
//!     txn_date: NaiveDate::from_ymd_opt(2024, 3, 11).unwrap(),
//!     amount: Decimal::new(-120000, 2),
//!     currency: "EUR".into(),
//!     bank_account_id: "35".into(),
//!     doc_number: "INV-1042".into(),
//!     payment_ref_num: String::new(),
//!     private_note: String::new(),
//!     memo: String::new(),
//!     counterparty: "ACME GMBH".into(),
//!     created_at: None,
//!     is_bank_charge: false,
//! }];
//! let mapping = Mapping::new([("EUR", "35")]);
//! let result = reconcile(&bank, &books, &mapping, &Options::default());
//! assert_eq!(result.exceptions[0].kind, recon::ExceptionKind::UnbookedFee);
//! assert_eq!(result.exceptions[0].difference.to_string(), "4.31");
//! ```
//!
//! How it decides (details in the `engine` module): candidates come from indexes (amount in
//! minor units, amount net of the Wise fee, reference tokens, counterparty, date windows), so the
//! cost grows about n·log n; ambiguous groups are resolved by a global min-cost assignment, not
//! first come first served; several-to-one groups by a bounded subset search that prefers the
//! combination of fewest items (a coincidental sum of many is far likelier). A match is `auto`
//! only with evidence beyond the amount (a reference, the same counterparty, or no other
//! candidate at all close in time) and no plausible rival; otherwise it is `suggested`.
//! The output is the same whatever the order of the inputs.
//!
//! [`Mapping::validate`] checks the inputs the CLI must refuse (unmapped currency, repeated ids);
//! [`reconcile`] itself never fails: an unmapped bank line becomes a `missing_in_books` exception.

mod amount;
mod assignment;
mod bucket_sort;
mod counterparty;
mod engine;
mod error;
mod explain;
mod fasthash;
mod ids;
mod input;
mod name_cache;
mod output;
mod prefetch;
mod read_ahead;
mod reason;
mod reference;
mod run_text;
mod runs;
mod sentence;
mod subset;
mod swar;
mod window;
mod working;

#[cfg(feature = "scenario")]
pub mod scenario;

pub use engine::reconcile;
pub use error::InputError;
pub use ids::Ids;
pub use input::{BankLine, BookEntry, BookEntryKind, Mapping, Options};
pub use output::{
    Exception, ExceptionKind, Match, MatchKind, MatchStatus, Reconciliation, Summary,
};
pub use reason::Reason;

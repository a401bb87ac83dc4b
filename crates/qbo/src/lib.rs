//! QuickBooks Online connector. For now: lenient wire types for query responses ([`wire`]) and
//! the bank postings they imply on mapped bank accounts ([`postings`]). It depends on nothing
//! else of Clearline's; the server converts [`postings::BankPosting`] into the engine's input.
//!
//! ```
//! use qbo::postings::{AccountSelection, bank_postings};
//! let body = qbo::wire::parse_query_response(
//!     r#"{"QueryResponse": {"Purchase": [{"Id": "237", "TxnDate": "2024-03-11", "TotalAmt": 4.31,
//!        "PaymentType": "Cash", "AccountRef": {"value": "35"},
//!        "Line": [{"Amount": 4.31, "DetailType": "AccountBasedExpenseLineDetail",
//!                  "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "80", "name": "Bank Charges"}}}]}]},
//!      "time": "2024-03-12T10:00:00-07:00"}"#,
//! )?;
//! let accounts = AccountSelection { bank_account_ids: ["35".to_owned()].into(), ..Default::default() };
//! let postings = bank_postings(&body.query_response, &accounts)?;
//! assert_eq!(postings[0].id, "Purchase:237");
//! assert_eq!(postings[0].amount.to_string(), "-4.31");
//! assert!(postings[0].is_bank_charge);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod error;
pub mod postings;
pub mod wire;

pub use error::{PostingError, WireError};

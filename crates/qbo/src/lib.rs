//! QuickBooks Online connector: OAuth 2.0 ([`oauth`]), an API client with Intuit's limits and
//! one retry policy ([`client`], [`limits`], [`retry`]), paged queries ([`query`]), change data
//! capture ([`cdc`]), A/R aging reports ([`reports`]), the one approved write ([`write`]),
//! webhook verification ([`webhook`]), lenient wire types ([`wire`]) and the bank postings they
//! imply on mapped bank accounts ([`postings`]). With feature `emulator`, an in-process QBO
//! stand-in ([`emulator`]) for tests and the demo. It depends on nothing else of Clearline's;
//! the contract is `shared/reference/quickbooks-api.md`.
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

pub mod cdc;
pub mod client;
pub mod clock;
pub mod error;
pub mod fault;
pub mod limits;
pub mod oauth;
pub mod postings;
pub mod query;
pub mod reports;
pub mod retry;
pub mod webhook;
pub mod wire;
pub mod write;

#[cfg(feature = "emulator")]
pub mod emulator;

pub use cdc::{ChangeSet, DeletedEntity, SyncMethod};
pub use client::{ClientConfig, Company, QboClient, RefreshExpiry};
pub use error::{PostingError, QboError, WireError};
pub use oauth::{Endpoints, OAuthConfig, Secret, Tokens, token_sink};
pub use query::{Entity, Select};
pub use write::BankChargeRequest;

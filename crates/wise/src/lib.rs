//! Wise connector for Clearline.
//!
//! Three doors for bank statements, all producing the same [`Statement`]:
//! the statement API ([`client`]), file upload ([`parse_statement`] detects JSON, CSV or
//! camt.053 from the content) and webhooks ([`webhook`]) as the near-real-time signal.
//! With feature `emulator`, an in-process Wise stand-in speaks the same wire format for tests
//! and the demo organization.

pub mod api_types;
pub mod camt053;
pub mod client;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod error;
pub mod json_decimal;
pub mod oauth;
pub mod retry;
pub mod secret;
pub mod signature;
pub mod statement;
pub mod statement_csv;
pub mod statement_json;
pub mod webhook;
pub mod wise_time;

pub use client::{Auth, WiseClient, WiseClientBuilder};
pub use error::{ErrorBody, WiseError};
pub use oauth::{OAuthConfig, OAuthSession, PersistTokens, TokenSet};
pub use retry::RetryPolicy;
pub use secret::Secret;
pub use signature::{KeyError, PrivateKey, PublicKey};
pub use statement::{
    CsvFeeConvention, Currency, ParseOptions, Position, Statement, StatementError, StatementFormat,
    StatementLine, detect_format, parse_statement, parse_statement_with,
};
pub use webhook::{WebhookError, WebhookEvent, WebhookVerifier, order_and_dedupe};

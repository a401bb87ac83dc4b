//! Errors for input the engine refuses to reconcile.

use thiserror::Error;

/// Something about the inputs that makes a reconciliation meaningless.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InputError {
    #[error("bank line {line}: currency {currency} has no mapped QBO bank account")]
    UnmappedCurrency { currency: String, line: String },
    #[error("QBO account {account} is mapped to both {first} and {second}")]
    AccountMappedTwice {
        account: String,
        first: String,
        second: String,
    },
    #[error("bank line id {0} appears twice (repeats must be numbered #2, #3)")]
    DuplicateBankId(String),
    #[error("book entry id {0} appears twice")]
    DuplicateBookId(String),
}

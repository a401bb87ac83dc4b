//! Errors of the QBO connector, each naming where the bad value was.

use thiserror::Error;

/// The body could not be read as a QBO query response.
#[derive(Debug, Error)]
pub enum WireError {
    #[error("not a QBO query response: no \"QueryResponse\" object")]
    NotAQueryResponse,
    #[error("line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
}

impl WireError {
    pub(crate) fn json(e: serde_json::Error) -> Self {
        Self::Json {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        }
    }
}

/// A transaction that touches a mapped bank account but cannot become a bank posting.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{entity} {id}: {field}: {problem}")]
pub struct PostingError {
    /// QBO entity name, e.g. `Purchase`.
    pub entity: &'static str,
    /// QBO Id.
    pub id: String,
    /// The field at fault, e.g. `TxnDate`.
    pub field: &'static str,
    pub problem: String,
}

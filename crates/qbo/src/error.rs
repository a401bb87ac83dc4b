//! Errors of the QBO connector, each naming where the bad value was. API errors always carry
//! the `intuit_tid` response header when Intuit sent one (Intuit support asks for it), and never
//! a token, secret or authorization code.

use thiserror::Error;

use crate::fault::Fault;

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

/// Formats the optional `intuit_tid` for error messages.
struct Tid<'a>(&'a Option<String>);

impl std::fmt::Display for Tid<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(t) => write!(f, " (intuit_tid {t})"),
            None => Ok(()),
        }
    }
}

/// Everything a call to QBO (API or OAuth) can fail with.
#[derive(Debug, Error)]
pub enum QboError {
    /// QBO answered with a `Fault` (HTTP 4xx, or HTTP 200 with a `Fault` body).
    #[error("QBO {status}: {fault}{}", Tid(intuit_tid))]
    Fault {
        status: u16,
        fault: Fault,
        intuit_tid: Option<String>,
    },
    /// 401 even after a token refresh: the connection must be re-authorized.
    #[error("QBO rejected the access token (HTTP 401{}){}", fault.as_ref().map(|f| format!(", {f}")).unwrap_or_default(), Tid(intuit_tid))]
    Unauthorized {
        fault: Option<Fault>,
        intuit_tid: Option<String>,
    },
    /// Still throttled (429) after the retry policy's attempts.
    #[error(
        "QBO throttled the request (HTTP 429) and retries ran out{}",
        Tid(intuit_tid)
    )]
    Throttled { intuit_tid: Option<String> },
    /// 5xx (or a non-Fault error status) after the retry policy's attempts.
    #[error("QBO answered HTTP {status}{}{}", fault.as_ref().map(|f| format!(": {f}")).unwrap_or_default(), Tid(intuit_tid))]
    Status {
        status: u16,
        fault: Option<Fault>,
        intuit_tid: Option<String>,
    },
    /// Connection failure or timeout after the retry policy's attempts.
    #[error("could not reach QBO: {message}")]
    Transport { message: String },
    /// A 2xx body that is not what the endpoint promises.
    #[error("unexpected QBO {what} body: {message}{}", Tid(intuit_tid))]
    Decode {
        what: &'static str,
        message: String,
        intuit_tid: Option<String>,
    },
    /// The OAuth flow failed (bad state, declined consent, `invalid_grant`, ...).
    #[error(transparent)]
    OAuth(#[from] crate::oauth::OAuthError),
    /// The newest refresh token could not be persisted by the caller's callback. The client
    /// keeps using it in memory; the caller must store it before the process ends.
    #[error("could not persist the rotated QBO refresh token: {0}")]
    TokenPersistence(String),
    /// A request Clearline refused to send (e.g. a fee with a zero amount).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A report body the aging parser could not read.
    #[error(transparent)]
    Report(#[from] crate::reports::ReportError),
}

impl QboError {
    /// The `intuit_tid` of the response that failed, when QBO sent one.
    #[must_use]
    pub fn intuit_tid(&self) -> Option<&str> {
        match self {
            Self::Fault { intuit_tid, .. }
            | Self::Unauthorized { intuit_tid, .. }
            | Self::Throttled { intuit_tid }
            | Self::Status { intuit_tid, .. }
            | Self::Decode { intuit_tid, .. } => intuit_tid.as_deref(),
            Self::OAuth(e) => e.intuit_tid(),
            _ => None,
        }
    }

    /// The first Fault error code (`"5010"`, `"610"`, ...), zero-padding removed.
    #[must_use]
    pub fn fault_code(&self) -> Option<&str> {
        match self {
            Self::Fault { fault, .. } => fault.first_code(),
            Self::Unauthorized { fault, .. } | Self::Status { fault, .. } => {
                fault.as_ref().and_then(Fault::first_code)
            }
            _ => None,
        }
    }
}

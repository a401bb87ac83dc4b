//! The one error type for everything the API client does, and the parser for Wise's several
//! error body shapes (reference §4.3).

use serde::Deserialize;
use std::time::Duration;

use crate::secret::Secret;
use crate::statement::StatementError;

/// One entry of `{"errors":[…]}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FieldError {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
}

/// Wise has no single error envelope; each shape it is known to send has a variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorBody {
    /// `{"error":"invalid_token","error_description":"…"}`. The description can echo a token id,
    /// so it is kept as a [`Secret`] and never displayed.
    OAuth {
        error: String,
        error_description: Option<Secret>,
    },
    /// `{"errors":[{"code","message","path","arguments"}]}`
    Validation {
        errors: Vec<FieldError>,
    },
    /// Spring style: `{"timestamp","status","error","message","path"}`
    Spring {
        status: u16,
        error: Option<String>,
        message: Option<String>,
        path: Option<String>,
    },
    /// Funding status object: `{"type":"BALANCE","status":"REJECTED","errorCode":"…"}`
    Status {
        kind: Option<String>,
        status: String,
        error_code: String,
    },
    /// JSON of a shape not seen before.
    OtherJson(serde_json::Value),
    /// Not JSON (HTML from a proxy, plain text). Truncated to 512 bytes.
    Text(String),
    Empty,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum WireErrorBody {
    Validation {
        errors: Vec<FieldError>,
    },
    Spring {
        status: u16,
        #[serde(default)]
        error: Option<String>,
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        path: Option<String>,
    },
    Status {
        #[serde(rename = "type", default)]
        kind: Option<String>,
        status: String,
        #[serde(rename = "errorCode")]
        error_code: String,
    },
    OAuth {
        error: String,
        #[serde(default)]
        error_description: Option<String>,
    },
}

impl ErrorBody {
    pub fn parse(bytes: &[u8]) -> ErrorBody {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return ErrorBody::Empty;
        }
        if let Ok(w) = serde_json::from_slice::<WireErrorBody>(bytes) {
            return match w {
                WireErrorBody::Validation { errors } => ErrorBody::Validation { errors },
                WireErrorBody::Spring {
                    status,
                    error,
                    message,
                    path,
                } => ErrorBody::Spring {
                    status,
                    error,
                    message,
                    path,
                },
                WireErrorBody::Status {
                    kind,
                    status,
                    error_code,
                } => ErrorBody::Status {
                    kind,
                    status,
                    error_code,
                },
                WireErrorBody::OAuth {
                    error,
                    error_description,
                } => ErrorBody::OAuth {
                    error,
                    error_description: error_description.map(Secret::new),
                },
            };
        }
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) {
            return ErrorBody::OtherJson(v);
        }
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).into_owned();
        ErrorBody::Text(text)
    }

    /// The machine-readable code, whichever shape carried it.
    pub fn code(&self) -> Option<&str> {
        match self {
            ErrorBody::OAuth { error, .. } => Some(error),
            ErrorBody::Validation { errors } => errors.first().and_then(|e| e.code.as_deref()),
            ErrorBody::Spring { error, .. } => error.as_deref(),
            ErrorBody::Status { error_code, .. } => Some(error_code),
            _ => None,
        }
    }

    /// A one-line, non-secret summary for messages.
    pub fn summary(&self) -> String {
        match self {
            ErrorBody::OAuth { error, .. } => error.clone(),
            ErrorBody::Validation { errors } => errors
                .iter()
                .map(|e| {
                    format!(
                        "{}{}{}",
                        e.code.as_deref().unwrap_or("error"),
                        e.path
                            .as_deref()
                            .map(|p| format!(" at {p}"))
                            .unwrap_or_default(),
                        e.message
                            .as_deref()
                            .map(|m| format!(": {m}"))
                            .unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
            ErrorBody::Spring { error, message, .. } => format!(
                "{}{}",
                error.as_deref().unwrap_or("error"),
                message
                    .as_deref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            ),
            ErrorBody::Status {
                status, error_code, ..
            } => format!("{status}: {error_code}"),
            ErrorBody::OtherJson(_) => "unrecognised error body".into(),
            ErrorBody::Text(_) => "non-JSON error body".into(),
            ErrorBody::Empty => "empty body".into(),
        }
    }
}

/// Everything that can go wrong talking to Wise. Messages never contain tokens or keys.
#[derive(Debug, thiserror::Error)]
pub enum WiseError {
    #[error("Wise answered HTTP {status}: {}{}", body.summary(), trace(trace_id))]
    Api {
        status: u16,
        body: ErrorBody,
        trace_id: Option<String>,
    },
    /// Statements refused: SCA could not be satisfied (no key, or the signed retry was refused).
    #[error(
        "statements need partner access or a file upload for this profile{}",
        trace(trace_id)
    )]
    StatementsUnavailable { trace_id: Option<String> },
    /// 401 after the one refresh we allow (or with a personal token, which cannot refresh).
    #[error("Wise rejected the access token ({}); reconnect Wise{}", body.summary(), trace(trace_id))]
    Unauthorized {
        body: ErrorBody,
        trace_id: Option<String>,
    },
    #[error("Wise is rate limiting this connection{}{}", retry_after.map(|d| format!("; retry after {}s", d.as_secs())).unwrap_or_default(), trace(trace_id))]
    RateLimited {
        retry_after: Option<Duration>,
        trace_id: Option<String>,
    },
    #[error("could not reach Wise: {0}")]
    Transport(String),
    #[error(
        "unexpected response from Wise for {what}: {message}{}",
        trace(trace_id)
    )]
    Decode {
        what: String,
        message: String,
        trace_id: Option<String>,
    },
    /// The OAuth token endpoint refused; `reauthorize` means the user must go through consent again.
    #[error("Wise OAuth failed ({code}){}", if *reauthorize { "; the user must authorize Clearline again" } else { "" })]
    OAuth { code: String, reauthorize: bool },
    #[error("Wise client configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Statement(#[from] StatementError),
}

fn trace(id: &Option<String>) -> String {
    id.as_deref()
        .map(|t| format!(" (trace id {t})"))
        .unwrap_or_default()
}

impl WiseError {
    /// Wise's `x-trace-id` for support tickets, when the failure came from a response.
    pub fn trace_id(&self) -> Option<&str> {
        match self {
            WiseError::Api { trace_id, .. }
            | WiseError::StatementsUnavailable { trace_id }
            | WiseError::Unauthorized { trace_id, .. }
            | WiseError::RateLimited { trace_id, .. }
            | WiseError::Decode { trace_id, .. } => trace_id.as_deref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_shape_parses() {
        let oauth = ErrorBody::parse(
            br#"{ "error": "invalid_token", "error_description": "945fdc16-56cb-4039-90b4-998d583740ce" }"#,
        );
        assert_eq!(oauth.code(), Some("invalid_token"));
        assert!(!format!("{oauth:?}").contains("945fdc16"));

        let list = ErrorBody::parse(
            br#"{ "errors": [ { "code": "error.greaterThanZero", "message": "Please type in a number that's larger than 0.", "path": "sourceAmount", "arguments": null } ] }"#,
        );
        assert_eq!(list.code(), Some("error.greaterThanZero"));

        let spring = ErrorBody::parse(
            br#"{ "timestamp": "2020-01-03T12:34:56.789+0000", "status": 403, "error": "Forbidden", "message": "You are forbidden to send this request", "path": "/v3/profiles/1/transfers/2/payments" }"#,
        );
        assert!(matches!(spring, ErrorBody::Spring { status: 403, .. }));

        let spring2025 = ErrorBody::parse(
            br#"{"error":"unauthorized","message":"Unauthorized","path":null,"status":403,"timestamp":"x"}"#,
        );
        assert_eq!(spring2025.code(), Some("unauthorized"));

        let funding = ErrorBody::parse(
            br#"{ "type": "BALANCE", "status": "REJECTED", "errorCode": "transfer.insufficient_funds" }"#,
        );
        assert_eq!(funding.code(), Some("transfer.insufficient_funds"));

        assert_eq!(ErrorBody::parse(b""), ErrorBody::Empty);
        assert!(matches!(ErrorBody::parse(b"<html>"), ErrorBody::Text(_)));
        assert!(matches!(ErrorBody::parse(b"[1]"), ErrorBody::OtherJson(_)));
    }

    #[test]
    fn messages_keep_the_trace_id_and_no_secret() {
        let e = WiseError::Unauthorized {
            body: ErrorBody::parse(
                br#"{"error":"invalid_token","error_description":"tok-secret"}"#,
            ),
            trace_id: Some("abc123".into()),
        };
        let text = e.to_string();
        assert!(
            text.contains("abc123") && !text.contains("tok-secret"),
            "{text}"
        );
        assert!(!format!("{e:?}").contains("tok-secret"));
        assert_eq!(e.trace_id(), Some("abc123"));
    }
}

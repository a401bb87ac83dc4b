//! The error every server function returns: what the user did wrong, or a plain "our fault"
//! with the details only in the server log.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("You are not signed in (or your session ended). Please sign in.")]
    Unauthorized,
    #[error("Your role in this organization does not allow this.")]
    Forbidden,
    #[error("{0}")]
    Invalid(String),
    #[error("{0} not found.")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("Something went wrong on our side. It has been logged; please try again.")]
    Internal,
    /// The request could not be made or understood (network down, malformed arguments).
    #[error("The request failed: {0}")]
    Request(String),
}

impl AppError {
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Unauthorized => 401,
            AppError::Forbidden => 403,
            AppError::Invalid(_) | AppError::Request(_) => 400,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) => 409,
            AppError::Internal => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let error = match value {
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::Deserialization(m) => {
                AppError::Invalid(format!("The form was not filled in correctly ({m})."))
            }
            ServerFnErrorErr::ServerError(_) => AppError::Internal,
            other => AppError::Request(other.to_string()),
        };
        // On the server this runs when the arguments cannot be read, before the function's
        // body: the status must say "your input", not "our fault".
        #[cfg(feature = "ssr")]
        crate::ssr::set_status(error.status_code());
        error
    }
}

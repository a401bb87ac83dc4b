//! The control crate's one error type: input problems the user can fix, kept apart from
//! failures that are ours.

pub type Result<T, E = ControlError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// The input was wrong; the message is safe to show to the user as is.
    #[error("{0}")]
    Invalid(String),
    /// The thing asked for does not exist (or is not visible to the caller).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with what is stored (e.g. the last owner cannot be removed).
    #[error("{0}")]
    Conflict(String),
    /// Email and password did not match an active account.
    #[error("wrong e-mail or password")]
    BadCredentials,
    /// The database could not be reached or opened.
    #[error("cannot open the database at {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ControlError {
    /// True when the user can fix the problem by changing what they sent.
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            ControlError::Invalid(_)
                | ControlError::NotFound(_)
                | ControlError::Conflict(_)
                | ControlError::BadCredentials
        )
    }

    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        ControlError::Invalid(msg.into())
    }
}

impl From<crate::email::InvalidEmail> for ControlError {
    fn from(e: crate::email::InvalidEmail) -> Self {
        ControlError::Invalid(e.to_string())
    }
}

impl From<crate::role::UnknownRole> for ControlError {
    fn from(e: crate::role::UnknownRole) -> Self {
        ControlError::Invalid(e.to_string())
    }
}

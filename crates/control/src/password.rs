//! Password hashing (argon2id via `password-auth`) and the rules for a new password.
//!
//! Hashing runs on the blocking pool: it is deliberately slow and must not stall the server.

use crate::error::{ControlError, Result};
use std::fmt;
use std::sync::OnceLock;

/// A new password that meets the rules. Its `Debug` never shows the secret.
#[derive(Clone)]
pub struct NewPassword(String);

pub const MIN_LEN: usize = 12;
const MAX_LEN: usize = 256;

impl NewPassword {
    pub fn parse(input: &str) -> Result<Self> {
        let chars = input.chars().count();
        if chars < MIN_LEN {
            return Err(ControlError::invalid(format!(
                "the password needs at least {MIN_LEN} characters"
            )));
        }
        if chars > MAX_LEN {
            return Err(ControlError::invalid(format!(
                "the password may have at most {MAX_LEN} characters"
            )));
        }
        Ok(NewPassword(input.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// The argon2id PHC string for `password`.
pub async fn hash(password: &NewPassword) -> Result<String> {
    let secret = password.0.clone();
    tokio::task::spawn_blocking(move || password_auth::generate_hash(secret))
        .await
        .map_err(|e| ControlError::Internal(format!("password hashing task failed: {e}")))
}

/// Checks `candidate` against `stored`. With no stored hash (unknown account) it still spends
/// the same time on a dummy hash, so response time does not reveal which e-mails exist.
pub async fn verify(candidate: String, stored: Option<String>) -> Result<bool> {
    let known = stored.is_some();
    tokio::task::spawn_blocking(move || {
        let hash = stored.unwrap_or_else(|| dummy_hash().to_string());
        password_auth::verify_password(candidate, &hash).is_ok() && known
    })
    .await
    .map_err(|e| ControlError::Internal(format!("password check task failed: {e}")))
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| password_auth::generate_hash("clearline-no-such-account"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_passwords_are_refused() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("twelve chars").is_ok());
    }

    #[test]
    fn debug_hides_the_secret() {
        let p = NewPassword::parse("correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }

    #[tokio::test]
    async fn verifies_only_the_right_password() {
        let p = NewPassword::parse("correct horse battery").unwrap();
        let h = hash(&p).await.unwrap();
        assert!(
            verify("correct horse battery".into(), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("wrong horse battery".into(), Some(h)).await.unwrap());
        assert!(!verify("correct horse battery".into(), None).await.unwrap());
    }
}

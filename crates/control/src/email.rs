//! A validated, normalized e-mail address (the login name).

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidEmail {
    #[error("enter an e-mail address")]
    Empty,
    #[error("{0:?} is not an e-mail address (expected name@domain)")]
    Malformed(String),
}

impl Email {
    /// Parses user input: trimmed, lower-cased (logins are case-insensitive), and checked for
    /// the `local@domain.tld` shape. Deliverability is not our business here.
    pub fn parse(input: &str) -> Result<Self, InvalidEmail> {
        let s = input.trim();
        if s.is_empty() {
            return Err(InvalidEmail::Empty);
        }
        let malformed = || InvalidEmail::Malformed(s.to_string());
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(malformed());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(malformed)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        if local.is_empty() || local.contains('@') || !domain_ok {
            return Err(malformed());
        }
        Ok(Email(s.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = InvalidEmail;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Email::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_and_space() {
        assert_eq!(
            Email::parse("  Ann@Studio.EXAMPLE ").unwrap().as_str(),
            "ann@studio.example"
        );
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        for bad in [
            "",
            "   ",
            "ann",
            "ann@",
            "@studio.example",
            "ann@studio",
            "a b@x.io",
            "a@x..io",
            "a@.x.io",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}

//! The statuses an exception moves through, shared by the server and the browser.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionStatus {
    Open,
    InProgress,
    WaitingOnVendor,
    Resolved,
    Dismissed,
}

impl ExceptionStatus {
    pub const ALL: [ExceptionStatus; 5] = [
        Self::Open,
        Self::InProgress,
        Self::WaitingOnVendor,
        Self::Resolved,
        Self::Dismissed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::InProgress => "in_progress",
            Self::WaitingOnVendor => "waiting_on_vendor",
            Self::Resolved => "resolved",
            Self::Dismissed => "dismissed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "Open",
            Self::InProgress => "In progress",
            Self::WaitingOnVendor => "Waiting on vendor",
            Self::Resolved => "Resolved",
            Self::Dismissed => "Dismissed",
        }
    }

    /// Still needs work: counted in the queue, auto-resolved when the break disappears.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Open | Self::InProgress | Self::WaitingOnVendor)
    }
}

impl fmt::Display for ExceptionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ExceptionStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| format!("unknown exception status {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in ExceptionStatus::ALL {
            assert_eq!(s.as_str().parse::<ExceptionStatus>(), Ok(s));
        }
        assert!("closed".parse::<ExceptionStatus>().is_err());
        assert!(ExceptionStatus::WaitingOnVendor.is_active());
        assert!(!ExceptionStatus::Dismissed.is_active());
    }
}

//! The kinds of break the engine reports, as the queue names and explains them (shared by the
//! server and the browser; the names are the engine's `recon::ExceptionKind::as_str`).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionKind {
    MissingInBooks,
    MissingInBank,
    DuplicatePosting,
    UnbookedFee,
    AmountMismatch,
}

impl ExceptionKind {
    pub const ALL: [ExceptionKind; 5] = [
        Self::MissingInBooks,
        Self::MissingInBank,
        Self::DuplicatePosting,
        Self::UnbookedFee,
        Self::AmountMismatch,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::MissingInBooks => "missing_in_books",
            Self::MissingInBank => "missing_in_bank",
            Self::DuplicatePosting => "duplicate_posting",
            Self::UnbookedFee => "unbooked_fee",
            Self::AmountMismatch => "amount_mismatch",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::MissingInBooks => "Missing in books",
            Self::MissingInBank => "Missing in bank",
            Self::DuplicatePosting => "Duplicate posting",
            Self::UnbookedFee => "Unbooked fee",
            Self::AmountMismatch => "Amount mismatch",
        }
    }

    /// One sentence for the detail screen: what the break means in practice.
    pub fn explanation(self) -> &'static str {
        match self {
            Self::MissingInBooks => {
                "A Wise movement has no posting on the mapped QuickBooks bank account."
            }
            Self::MissingInBank => {
                "A QuickBooks posting on the Wise account has no Wise movement in the statement period."
            }
            Self::DuplicatePosting => {
                "One Wise movement is posted more than once in QuickBooks (often after a feed reconnect, or a manual entry plus a feed \"Add\")."
            }
            Self::UnbookedFee => {
                "The posting covers the principal, but the Wise fee is not booked (Bank Charges)."
            }
            Self::AmountMismatch => {
                "The same movement is posted with a different amount, beyond fee and rounding."
            }
        }
    }
}

impl fmt::Display for ExceptionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ExceptionKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown exception kind {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for k in ExceptionKind::ALL {
            assert_eq!(k.as_str().parse::<ExceptionKind>(), Ok(k));
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::Value::String(k.as_str().into())
            );
        }
        assert!("lost_in_space".parse::<ExceptionKind>().is_err());
    }
}

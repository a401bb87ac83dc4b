//! How a collections follow-up went, shared by the server and the browser.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    NoResponse,
    /// The customer promised to pay by a date.
    Promised,
    Disputed,
    /// The customer says it is paid (the next aging refresh confirms it).
    Paid,
    Other,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::NoResponse,
        Outcome::Promised,
        Outcome::Disputed,
        Outcome::Paid,
        Outcome::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::NoResponse => "no_response",
            Outcome::Promised => "promised",
            Outcome::Disputed => "disputed",
            Outcome::Paid => "paid",
            Outcome::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::NoResponse => "No response",
            Outcome::Promised => "Promised to pay",
            Outcome::Disputed => "Disputed",
            Outcome::Paid => "Says it is paid",
            Outcome::Other => "Other",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Outcome {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Outcome::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| format!("unknown follow-up outcome {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for o in Outcome::ALL {
            assert_eq!(o.as_str().parse::<Outcome>(), Ok(o));
        }
        assert!("maybe".parse::<Outcome>().is_err());
    }
}

//! The weekly control run's vocabulary, shared by the server and the browser: ISO weeks, the
//! playbook's control lanes (DESIGN.md screen 9; the seed's "Control lane" table plus the Wise
//! re-authorization reminder), automatic evidence and its pass/fail, and the run's status.
//! Pure; storage and the evidence itself are in [`crate::weekly`].

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An ISO 8601 week (Monday to Sunday), the unit a control run covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Week {
    pub year: i32,
    pub week: u32,
}

impl Week {
    pub fn of(day: NaiveDate) -> Week {
        let w = day.iso_week();
        Week {
            year: w.year(),
            week: w.week(),
        }
    }

    /// Its Monday.
    pub fn start(self) -> NaiveDate {
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon).unwrap_or(NaiveDate::MIN)
    }

    /// Its Sunday.
    pub fn end(self) -> NaiveDate {
        self.start()
            .checked_add_days(Days::new(6))
            .unwrap_or(NaiveDate::MAX)
    }

    /// `2026-W05`.
    pub fn code(self) -> String {
        format!("{}-W{:02}", self.year, self.week)
    }

    /// `2026-W05 (26 Jan – 1 Feb 2026)`.
    pub fn label(self) -> String {
        format!(
            "{} ({} – {})",
            self.code(),
            self.start().format("%-d %b"),
            self.end().format("%-d %b %Y")
        )
    }
}

/// One line of the weekly checklist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lane {
    pub key: &'static str,
    pub title: &'static str,
    /// "What you do each run".
    pub action: &'static str,
    /// "What you verify before you close".
    pub verify: &'static str,
}

/// The playbook's five control lanes and its renewal reminder, in the words of the seed
/// adapted to a Wise + QuickBooks Online setup (the seed's example is a ConnectWise export).
pub const LANES: [Lane; 6] = [
    Lane {
        key: "access_health",
        title: "Access health",
        action: "Review sign-in status and admin coverage: who holds which role (Settings), and that the QuickBooks and Wise connections are live.",
        verify: "One owner login remains available for recovery, and no connection is failing.",
    },
    Lane {
        key: "reconciliation",
        title: "Reconciliation",
        action: "Compare the QuickBooks postings on the mapped Wise accounts with the Wise statements (sync, match rate, feed stalls).",
        verify: "You can explain every mismatch and assign an owner.",
    },
    Lane {
        key: "exceptions",
        title: "Exceptions",
        action: "Triage the exception queue: missing, duplicate and unbooked items each get an owner, a next action and a due date.",
        verify: "No unresolved exception sits without an owner or a next action, and none is overdue.",
    },
    Lane {
        key: "collections",
        title: "Collections",
        action: "Review the A/R aging report's changes and assign follow-ups.",
        verify: "Every overdue invoice has a named follow-up owner.",
    },
    Lane {
        key: "support_risk",
        title: "Support risk",
        action: "Reconfirm the vendor contact path and the support-risk note (Support & escalation).",
        verify: "The escalation owner and the response path are current.",
    },
    Lane {
        key: "wise_reauthorization",
        title: "Wise re-authorization",
        action: "Check the date Wise data sharing with QuickBooks must be re-authorized (every 90 days) and renew it in time.",
        verify: "The bank-feed authorization is not expired and not within two weeks of expiring.",
    },
];

pub fn lane(key: &str) -> Option<&'static Lane> {
    LANES.iter().find(|l| l.key == key)
}

/// What the system could check by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    Pass,
    Fail,
    /// Nothing automatic: the preparer's judgement only.
    Manual,
}

impl Check {
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Pass => "pass",
            Check::Fail => "fail",
            Check::Manual => "manual",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Check::Pass => "Pass",
            Check::Fail => "Fail",
            Check::Manual => "Manual",
        }
    }
}

/// One fact the system knows, e.g. "Unassigned active exceptions: 0"; `ok` is `None` for a
/// fact that is only informative.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub label: String,
    pub value: String,
    pub ok: Option<bool>,
}

impl Evidence {
    pub fn info(label: &str, value: impl Into<String>) -> Self {
        Evidence {
            label: label.into(),
            value: value.into(),
            ok: None,
        }
    }

    pub fn checked(label: &str, value: impl Into<String>, ok: bool) -> Self {
        Evidence {
            label: label.into(),
            value: value.into(),
            ok: Some(ok),
        }
    }
}

/// The automatic evidence of one lane.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaneEvidence {
    pub key: String,
    pub facts: Vec<Evidence>,
}

impl LaneEvidence {
    /// Fails when any checked fact fails; passes when at least one was checked.
    pub fn check(&self) -> Check {
        let checked: Vec<bool> = self.facts.iter().filter_map(|f| f.ok).collect();
        if checked.is_empty() {
            Check::Manual
        } else if checked.iter().all(|ok| *ok) {
            Check::Pass
        } else {
            Check::Fail
        }
    }
}

/// Where a run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Being prepared.
    Open,
    /// Prepared: waiting for the owner's sign-off.
    Ready,
    /// Signed off and locked.
    Signed,
    /// Signed, then the data it covered changed: the sign-off no longer holds.
    Withdrawn,
}

impl RunStatus {
    pub const ALL: [RunStatus; 4] = [
        RunStatus::Open,
        RunStatus::Ready,
        RunStatus::Signed,
        RunStatus::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Open => "open",
            RunStatus::Ready => "ready",
            RunStatus::Signed => "signed",
            RunStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RunStatus::Open => "Being prepared",
            RunStatus::Ready => "Ready for sign-off",
            RunStatus::Signed => "Signed off",
            RunStatus::Withdrawn => "Sign-off withdrawn",
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RunStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        RunStatus::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown weekly run status {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn iso_weeks_run_monday_to_sunday_and_cross_years() {
        let w = Week::of(d("2026-01-01"));
        assert_eq!(
            w,
            Week {
                year: 2026,
                week: 1
            }
        );
        assert_eq!(w.start(), d("2025-12-29"));
        assert_eq!(w.end(), d("2026-01-04"));
        assert_eq!(Week::of(d("2024-12-30")).code(), "2025-W01");
        assert_eq!(
            Week::of(d("2026-06-07")).label(),
            "2026-W23 (1 Jun – 7 Jun 2026)"
        );
    }

    #[test]
    fn a_lane_fails_when_a_checked_fact_fails() {
        let mut e = LaneEvidence {
            key: "exceptions".into(),
            facts: vec![Evidence::info("Active exceptions", "4")],
        };
        assert_eq!(e.check(), Check::Manual);
        e.facts.push(Evidence::checked("Unassigned", "0", true));
        assert_eq!(e.check(), Check::Pass);
        e.facts.push(Evidence::checked("Overdue", "2", false));
        assert_eq!(e.check(), Check::Fail);
    }

    #[test]
    fn lanes_are_the_playbooks_and_statuses_round_trip() {
        let keys: Vec<_> = LANES.iter().map(|l| l.key).collect();
        assert_eq!(
            keys,
            [
                "access_health",
                "reconciliation",
                "exceptions",
                "collections",
                "support_risk",
                "wise_reauthorization"
            ]
        );
        for s in RunStatus::ALL {
            assert_eq!(s.as_str().parse::<RunStatus>(), Ok(s));
        }
    }
}

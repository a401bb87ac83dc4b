//! The playbook's rollout controls (DESIGN.md screens 4–6): the Known vs Unknown matrix, the
//! preflight checklist with its go / no-go checkpoint, and the pilot with its go-live gates.
//!
//! This module holds what the browser shares with the server: the seed rows, the record types
//! and the pure rules (which automatic checks fail, how a sample's timing classifies). Storage
//! is in [`matrix`], [`preflight`] and [`pilot`].

pub mod seed;

#[cfg(feature = "storage")]
pub mod matrix;
#[cfg(feature = "storage")]
pub mod pilot;
#[cfg(feature = "storage")]
pub mod preflight;

use crate::telemetry::{self, Cadence, LagPath, LagStats};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Names and labels of a small enum, parsed back from what it stores.
macro_rules! named {
    ($t:ident { $($v:ident => $s:literal / $l:literal),* $(,)? }) => {
        impl $t {
            pub const ALL: &[$t] = &[$($t::$v),*];
            pub fn as_str(self) -> &'static str { match self { $(Self::$v => $s),* } }
            pub fn label(self) -> &'static str { match self { $(Self::$v => $l),* } }
        }
        impl std::str::FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($s => Ok(Self::$v),)*
                    other => Err(format!(concat!("unknown ", stringify!($t), " {:?}"), other)),
                }
            }
        }
    };
}

/// Where a matrix row stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatrixStatus {
    Unverified,
    Verified,
    Failed,
}
named!(MatrixStatus { Unverified => "unverified" / "Unverified", Verified => "verified" / "Verified", Failed => "failed" / "Failed" });

/// A measurement the system can attach to a matrix row as evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Observed posting cadence per path, from the last successful sync's lag statistics.
    Cadence,
    /// The applied mapping: which QuickBooks account holds which Wise balance.
    Mapping,
}
named!(Measure { Cadence => "cadence" / "Observed posting cadence", Mapping => "mapping" / "Applied mapping" });

/// Which table of the playbook a preflight item comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// "Preflight area | Action you take now | Verification outcome".
    Preflight,
    /// "Control area | What to lock now | Verification before mapping".
    Access,
}
named!(Section { Preflight => "preflight" / "Preflight", Access => "access" / "Access and ownership control" });

/// What the owner decides at the checkpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Go,
    NoGo,
}
named!(Decision { Go => "go" / "Go", NoGo => "no_go" / "No-go" });

/// One row of an organization's Known vs Unknown matrix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatrixRow {
    pub id: i64,
    /// The playbook row it was seeded from; `None` for rows an owner added.
    pub seed_key: Option<String>,
    pub area: String,
    pub known_now: String,
    pub verify_in_tenant: String,
    pub why_it_matters: String,
    /// The measurement that can be attached to this row.
    pub measure: Option<Measure>,
    pub owner_user_id: Option<i64>,
    pub owner_name: Option<String>,
    pub status: MatrixStatus,
    /// Evidence in a person's words.
    pub evidence_note: String,
    /// Evidence the system measured, as attached (it does not change until attached again).
    pub measurement: Option<String>,
    pub measured_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// One item of the preflight or access-control table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreflightItem {
    pub id: i64,
    pub seed_key: String,
    pub section: Section,
    pub area: String,
    pub action: String,
    pub verification: String,
    pub owner_user_id: Option<i64>,
    pub owner_name: Option<String>,
    pub done: bool,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by_name: Option<String>,
    pub note: String,
}

/// A fact the system checks for itself (a connection is live, a balance is mapped…), or a
/// go-live gate of the pilot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub key: String,
    pub label: String,
    pub passed: bool,
    /// What was found, in words (why it fails, or what it saw).
    pub detail: String,
}

impl Check {
    pub fn new(key: &str, label: &str, passed: bool, detail: impl Into<String>) -> Check {
        Check {
            key: key.into(),
            label: label.into(),
            passed,
            detail: detail.into(),
        }
    }
}

/// The labels of the checks that fail, in order.
pub fn failing(checks: &[Check]) -> Vec<&str> {
    checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.label.as_str())
        .collect()
}

/// A signed go / no-go checkpoint, with what the automatic checks and the checklist said when
/// it was signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub id: i64,
    pub decision: Decision,
    pub note: String,
    pub signed_by: i64,
    pub signed_by_name: String,
    pub signed_at: DateTime<Utc>,
    pub checks: Vec<Check>,
    /// Checklist items not done at signing time (their areas).
    pub open_items: Vec<String>,
}

/// The frozen pilot window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PilotWindow {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub frozen_by_name: Option<String>,
    pub frozen_at: DateTime<Utc>,
}

/// A posting matched to a sample's bank line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    /// `<EntityName>:<Id>` in QuickBooks.
    pub external_id: String,
    pub kind: String,
    pub txn_date: NaiveDate,
    /// Exact decimal, signed from the bank account's point of view.
    pub amount: String,
    /// When QuickBooks created it (`MetaData.CreateTime`).
    pub created_at: Option<DateTime<Utc>>,
}

/// How a sample's bank line appears in the books.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Posted {
    /// Matched confidently.
    Matched,
    /// A match a person still has to review (verify-then-post).
    Suggested,
    /// No posting found.
    NotPosted,
}
named!(Posted { Matched => "matched" / "posted", Suggested => "suggested" / "suggested match, to review", NotPosted => "not_posted" / "not posted" });

/// One record of the pilot's sample set: expected (the bank line) against posted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    pub id: i64,
    pub bank_line_id: i64,
    pub currency: String,
    /// The line's id as reconciliation names it (Wise reference, `#2`… when repeated).
    pub reference: String,
    pub booked_at: DateTime<Utc>,
    /// Expected: the bank line's amount (exact decimal, signed).
    pub expected: String,
    pub counterparty: String,
    pub description: String,
    pub posted: Posted,
    /// `one_to_one`, `fee_split`, `one_to_many`, `many_to_one` when matched.
    pub match_kind: Option<String>,
    pub postings: Vec<Posting>,
    /// Sum of the postings, when there are any.
    pub posted_total: Option<String>,
    /// Expected and posted agree (amounts equal; a grouped deposit counts when matched).
    pub agrees: bool,
    /// Posting created − bank booked, in seconds (the newest posting of the match).
    pub lag_secs: Option<i64>,
    pub path: Option<LagPath>,
    pub verdict: Option<Cadence>,
}

/// A bank line in the pilot window that can join the sample set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub bank_line_id: i64,
    pub currency: String,
    pub reference: String,
    pub booked_at: DateTime<Utc>,
    pub amount: String,
    pub counterparty: String,
    pub description: String,
}

/// The pilot as the screen shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pilot {
    pub window: Option<PilotWindow>,
    pub samples: Vec<Sample>,
    /// Lag statistics over the timed samples, per path.
    pub timing: Vec<LagStats>,
    /// Near real time only when every path is; `None` until a sample is timed.
    pub overall: Option<Cadence>,
    pub gates: Vec<Check>,
    pub fallback_tested: bool,
    pub fallback_note: String,
    pub fallback_by_name: Option<String>,
    pub fallback_at: Option<DateTime<Utc>>,
    pub promoted_at: Option<DateTime<Utc>>,
    pub promoted_by_name: Option<String>,
    /// Lines of the window not in the sample set (the first few hundred, oldest first).
    pub candidates: Vec<Candidate>,
    /// How many lines the window holds in all.
    pub lines_in_window: i64,
}

/// One sample's timing against the telemetry rule: a single posting that appeared within the
/// near-real-time bound behaves as near real time (negative lags count as zero, as there).
pub fn sample_verdict(lag_secs: i64) -> Cadence {
    if lag_secs.max(0) <= telemetry::NEAR_REAL_TIME_P95_SECS {
        Cadence::NearRealTime
    } else {
        Cadence::Batch
    }
}

/// The environment's classification from per-path statistics: near real time only when every
/// path is.
pub fn overall_verdict(stats: &[LagStats]) -> Option<Cadence> {
    if stats.is_empty() {
        None
    } else if stats.iter().all(|s| s.cadence == Cadence::NearRealTime) {
        Some(Cadence::NearRealTime)
    } else {
        Some(Cadence::Batch)
    }
}

/// The cadence evidence for the matrix, e.g. "Bank feed: median 1 d 2 h, p95 2 d 4 h → batch
/// (412 matched pairs). Rule: …; measured in sync #7, finished 2026-03-02 06:00 UTC."
pub fn cadence_evidence(
    stats: &[LagStats],
    run_id: i64,
    finished_at: Option<DateTime<Utc>>,
) -> String {
    let paths: Vec<String> = stats
        .iter()
        .map(|s| {
            format!(
                "{}: median {}, p95 {} → {} ({} matched pairs)",
                s.path.label(),
                telemetry::human_duration(s.median_secs),
                telemetry::human_duration(s.p95_secs),
                s.cadence.label(),
                s.pairs
            )
        })
        .collect();
    let finished = finished_at
        .map(|t| format!(", finished {}", t.format("%Y-%m-%d %H:%M UTC")))
        .unwrap_or_default();
    format!(
        "{}. Rule: {}; measured in sync #{run_id}{finished}.",
        paths.join("; "),
        telemetry::RULE
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(path: LagPath, median: i64, p95: i64) -> LagStats {
        LagStats {
            path,
            pairs: 10,
            median_secs: median,
            p95_secs: p95,
            cadence: if p95 <= telemetry::NEAR_REAL_TIME_P95_SECS {
                Cadence::NearRealTime
            } else {
                Cadence::Batch
            },
        }
    }

    #[test]
    fn names_round_trip() {
        for s in MatrixStatus::ALL {
            assert_eq!(s.as_str().parse::<MatrixStatus>(), Ok(*s));
        }
        for d in Decision::ALL {
            assert_eq!(d.as_str().parse::<Decision>(), Ok(*d));
        }
        assert!("maybe".parse::<Decision>().is_err());
        assert_eq!("cadence".parse::<Measure>(), Ok(Measure::Cadence));
        assert_eq!("access".parse::<Section>(), Ok(Section::Access));
    }

    #[test]
    fn cadence_evidence_reads_like_the_rule() {
        let text = cadence_evidence(
            &[stats(LagPath::BankFeed, 93_600, 187_200)],
            7,
            Some("2026-03-02T06:00:00Z".parse().unwrap()),
        );
        assert!(
            text.starts_with("Bank feed: median 1 d 2 h, p95 2 d 4 h → batch (10 matched pairs)"),
            "{text}"
        );
        assert!(text.contains(telemetry::RULE));
        assert!(text.ends_with("sync #7, finished 2026-03-02 06:00 UTC."));
    }

    #[test]
    fn a_sample_and_the_environment_are_classified_by_the_telemetry_rule() {
        assert_eq!(sample_verdict(-50), Cadence::NearRealTime);
        assert_eq!(sample_verdict(3600), Cadence::NearRealTime);
        assert_eq!(sample_verdict(3601), Cadence::Batch);
        assert_eq!(overall_verdict(&[]), None);
        let fast = stats(LagPath::WiseApp, 10, 60);
        let slow = stats(LagPath::BankFeed, 90_000, 200_000);
        assert_eq!(
            overall_verdict(std::slice::from_ref(&fast)),
            Some(Cadence::NearRealTime)
        );
        assert_eq!(overall_verdict(&[fast, slow]), Some(Cadence::Batch));
    }

    #[test]
    fn failing_names_the_failed_checks() {
        let checks = [
            Check::new("a", "QuickBooks Online connected", true, ""),
            Check::new("b", "Wise connected", false, "not connected"),
        ];
        assert_eq!(failing(&checks), ["Wise connected"]);
    }

    #[test]
    fn the_seed_is_the_playbook() {
        assert_eq!(seed::MATRIX.len(), 5);
        assert_eq!(seed::ITEMS.len(), 10);
        let keys: std::collections::HashSet<_> = seed::ITEMS.iter().map(|i| i.key).collect();
        assert_eq!(keys.len(), seed::ITEMS.len());
        assert_eq!(
            seed::ITEMS
                .iter()
                .filter(|i| i.section == Section::Access)
                .count(),
            5
        );
    }
}

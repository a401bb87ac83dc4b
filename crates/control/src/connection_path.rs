//! The two documented ways Wise reaches QuickBooks (DESIGN.md, playbook): what each record
//! holds and when its authorization needs renewing. Pure; storage is in
//! [`crate::connection_paths`].

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PathKind {
    /// Path A: the bank feed, set up and managed inside QuickBooks (For Review list).
    BankFeed,
    /// Path B: Wise's QuickBooks app (bills, bill payments, fees as Bank Charges).
    WiseApp,
}

impl PathKind {
    pub const ALL: [PathKind; 2] = [PathKind::BankFeed, PathKind::WiseApp];

    pub fn as_str(self) -> &'static str {
        match self {
            PathKind::BankFeed => "bank_feed",
            PathKind::WiseApp => "wise_app",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            PathKind::BankFeed => "Bank feed (managed in QuickBooks)",
            PathKind::WiseApp => "Wise bill-payment app (set up in Wise)",
        }
    }

    pub fn explanation(self) -> &'static str {
        match self {
            PathKind::BankFeed => {
                "Pulls every Wise currency balance into QuickBooks' Banking \"For Review\" list. \
                 Wise's data-sharing consent expires (90 days by default) and the feed then stops silently."
            }
            PathKind::WiseApp => {
                "Imports bills into Wise, records bill payments in QuickBooks when paid in Wise, and books \
                 Wise fees as Bank Charges. Needs QuickBooks multicurrency."
            }
        }
    }

    /// Days an authorization lasts when no renewal date is entered: Wise's data-sharing
    /// consent for the feed is 90 days by default (wise-api.md §13.1, 90–180 by region);
    /// the app's authorization has no documented expiry.
    pub fn default_consent_days(self) -> Option<u64> {
        match self {
            PathKind::BankFeed => Some(90),
            PathKind::WiseApp => None,
        }
    }
}

impl fmt::Display for PathKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PathKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "bank_feed" => Ok(PathKind::BankFeed),
            "wise_app" => Ok(PathKind::WiseApp),
            other => Err(format!("unknown connection path {other:?}")),
        }
    }
}

/// Whether the path was tested end to end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestStatus {
    Untested,
    Passed,
    Failed,
}

impl TestStatus {
    pub const ALL: [TestStatus; 3] = [TestStatus::Untested, TestStatus::Passed, TestStatus::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            TestStatus::Untested => "untested",
            TestStatus::Passed => "passed",
            TestStatus::Failed => "failed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TestStatus::Untested => "Not tested",
            TestStatus::Passed => "Test passed",
            TestStatus::Failed => "Test failed",
        }
    }
}

impl FromStr for TestStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TestStatus::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                format!("unknown test status {s:?}: expected untested, passed or failed")
            })
    }
}

/// One documented path of one organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionPath {
    pub kind: PathKind,
    pub owner_user_id: Option<i64>,
    pub owner_name: Option<String>,
    pub set_up_on: Option<NaiveDate>,
    pub authorized_on: Option<NaiveDate>,
    /// As entered; see [`ConnectionPath::renewal_due`] for the effective date.
    pub renews_on: Option<NaiveDate>,
    pub test_status: TestStatus,
    pub notes: String,
}

/// How close a renewal is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Renewal {
    /// No date known (nothing authorized yet, or no expiry).
    Unknown,
    Ok {
        days_left: i64,
    },
    /// Within the warning window: renew now.
    DueSoon {
        days_left: i64,
    },
    Expired {
        days_ago: i64,
    },
}

impl Renewal {
    /// How close `due` is on `today`, reminding `reminder_days` ahead (Settings → Reminders).
    pub fn of(due: Option<NaiveDate>, today: NaiveDate, reminder_days: i64) -> Renewal {
        let Some(due) = due else {
            return Renewal::Unknown;
        };
        let days_left = (due - today).num_days();
        if days_left < 0 {
            Renewal::Expired {
                days_ago: -days_left,
            }
        } else if days_left <= reminder_days {
            Renewal::DueSoon { days_left }
        } else {
            Renewal::Ok { days_left }
        }
    }

    /// Within the reminder window or past it.
    pub fn needs_attention(self) -> bool {
        matches!(self, Renewal::DueSoon { .. } | Renewal::Expired { .. })
    }
}

impl ConnectionPath {
    pub fn empty(kind: PathKind) -> Self {
        ConnectionPath {
            kind,
            owner_user_id: None,
            owner_name: None,
            set_up_on: None,
            authorized_on: None,
            renews_on: None,
            test_status: TestStatus::Untested,
            notes: String::new(),
        }
    }

    /// The entered renewal date, or the authorization date plus the path's default consent.
    pub fn renewal_due(&self) -> Option<NaiveDate> {
        self.renews_on.or_else(|| {
            let days = self.kind.default_consent_days()?;
            self.authorized_on?.checked_add_days(Days::new(days))
        })
    }

    pub fn renewal(&self, today: NaiveDate, reminder_days: i64) -> Renewal {
        Renewal::of(self.renewal_due(), today, reminder_days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_feed_renews_90_days_after_authorization_unless_a_date_is_entered() {
        let mut p = ConnectionPath::empty(PathKind::BankFeed);
        assert_eq!(p.renewal(d("2026-11-27"), 14), Renewal::Unknown);
        p.authorized_on = Some(d("2026-09-01"));
        assert_eq!(p.renewal_due(), Some(d("2026-11-30")));
        assert_eq!(
            p.renewal(d("2026-11-27"), 14),
            Renewal::DueSoon { days_left: 3 }
        );
        assert_eq!(
            p.renewal(d("2026-10-01"), 14),
            Renewal::Ok { days_left: 60 }
        );
        assert_eq!(
            p.renewal(d("2026-12-02"), 14),
            Renewal::Expired { days_ago: 2 }
        );
        p.renews_on = Some(d("2027-03-01"));
        assert_eq!(
            p.renewal(d("2026-12-02"), 14),
            Renewal::Ok { days_left: 89 }
        );
    }

    #[test]
    fn reminders_start_as_many_days_ahead_as_the_organization_chose() {
        let due = Some(d("2026-12-27"));
        let today = d("2026-11-27");
        assert_eq!(Renewal::of(due, today, 14), Renewal::Ok { days_left: 30 });
        assert_eq!(
            Renewal::of(due, today, 30),
            Renewal::DueSoon { days_left: 30 }
        );
        assert!(Renewal::of(due, today, 30).needs_attention());
        assert!(!Renewal::of(due, today, 29).needs_attention());
        assert!(Renewal::of(due, d("2026-12-28"), 1).needs_attention());
        assert_eq!(Renewal::of(None, today, 90), Renewal::Unknown);
    }

    #[test]
    fn the_app_has_no_default_expiry() {
        let mut p = ConnectionPath::empty(PathKind::WiseApp);
        p.authorized_on = Some(d("2026-09-01"));
        assert_eq!(p.renewal(d("2026-11-27"), 14), Renewal::Unknown);
    }

    #[test]
    fn names_round_trip() {
        for k in PathKind::ALL {
            assert_eq!(k.as_str().parse::<PathKind>(), Ok(k));
        }
        for t in TestStatus::ALL {
            assert_eq!(t.as_str().parse::<TestStatus>(), Ok(t));
        }
        assert!("x".parse::<TestStatus>().is_err());
    }
}

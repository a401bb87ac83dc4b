//! Home's one-glance health of everything that carries Wise activity into the books: the two
//! API connections Clearline holds (QuickBooks, Wise) and the two documented paths people set
//! up by hand (bank feed, Wise app). Each gets a level, its state in words, its last successful
//! sync and its renewal against the organization's reminder window. Pure.

use crate::connection_path::{ConnectionPath, Renewal, TestStatus};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// How loudly a row speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Ok,
    /// Works, but needs someone soon (renewal due, never tested).
    Warn,
    /// Data is not flowing (failing, expired, not connected).
    Bad,
}

impl Level {
    /// The CSS class the screens use for it.
    pub fn class(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warn => "warn",
            Level::Bad => "bad",
        }
    }
}

/// One row of connection health.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub name: String,
    pub level: Level,
    /// The state in words ("connected — Demo Studio", "failing: …", "not connected").
    pub state: String,
    /// Last successful sync through it (API connections only).
    pub last_success: Option<DateTime<Utc>>,
    pub renewal: Renewal,
    pub renewal_due: Option<NaiveDate>,
    /// What to say about renewal when no date is known.
    pub no_date: String,
}

/// An API connection as the health check needs it (None fields when it was never connected).
#[derive(Clone, Debug, Default)]
pub struct Link<'a> {
    pub name: &'a str,
    /// `connected`, `failing`, `disconnected`; None = never connected.
    pub status: Option<&'a str>,
    pub display_name: &'a str,
    pub personal_token: bool,
    pub expires_on: Option<NaiveDate>,
    pub last_success: Option<DateTime<Utc>>,
    pub last_error: Option<&'a str>,
}

/// Health of an API connection on `today`, reminding `reminder_days` ahead.
pub fn of_link(link: &Link<'_>, today: NaiveDate, reminder_days: i64) -> Health {
    let renewal = Renewal::of(link.expires_on, today, reminder_days);
    let (level, state) = match link.status {
        None | Some("disconnected") => (Level::Bad, "not connected".to_string()),
        Some("failing") => (
            Level::Bad,
            format!(
                "failing: {}",
                link.last_error.unwrap_or("the last call failed")
            ),
        ),
        Some(_) if matches!(renewal, Renewal::Expired { .. }) => {
            (Level::Bad, "authorization expired: reconnect".to_string())
        }
        Some(_) => (
            if renewal.needs_attention() {
                Level::Warn
            } else {
                Level::Ok
            },
            format!("connected — {}", link.display_name),
        ),
    };
    let no_date = match link.status {
        Some(s) if s != "disconnected" && link.personal_token => "no expiry (personal token)",
        Some(s) if s != "disconnected" => "no expiry recorded",
        _ => "—",
    };
    Health {
        name: link.name.to_string(),
        level,
        state,
        last_success: link.last_success,
        renewal,
        renewal_due: link.expires_on,
        no_date: no_date.to_string(),
    }
}

/// Health of a documented path: its test status and its renewal.
pub fn of_path(path: &ConnectionPath, today: NaiveDate, reminder_days: i64) -> Health {
    let renewal = path.renewal(today, reminder_days);
    let level = match (path.test_status, renewal) {
        (TestStatus::Failed, _) | (_, Renewal::Expired { .. }) => Level::Bad,
        (TestStatus::Untested, _) | (_, Renewal::DueSoon { .. }) => Level::Warn,
        (TestStatus::Passed, _) => Level::Ok,
    };
    let owner = path
        .owner_name
        .as_deref()
        .map_or_else(|| "no owner".to_string(), |o| format!("owner {o}"));
    Health {
        name: path.kind.title().to_string(),
        level,
        state: format!("{} — {owner}", path.test_status.label()),
        last_success: None,
        renewal,
        renewal_due: path.renewal_due(),
        no_date: match path.kind.default_consent_days() {
            Some(_) => "no authorization date recorded".to_string(),
            None => "no documented expiry".to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection_path::PathKind;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn link<'a>(status: Option<&'a str>, expires_on: Option<NaiveDate>) -> Link<'a> {
        Link {
            name: "QuickBooks Online",
            status,
            display_name: "Studio",
            expires_on,
            ..Link::default()
        }
    }

    #[test]
    fn a_connection_is_ok_warned_or_bad_by_status_and_expiry() {
        let today = d("2026-11-27");
        let ok = of_link(&link(Some("connected"), Some(d("2027-03-01"))), today, 14);
        assert_eq!(
            (ok.level, ok.state.as_str()),
            (Level::Ok, "connected — Studio")
        );
        assert_eq!(ok.renewal, Renewal::Ok { days_left: 94 });

        let soon = of_link(&link(Some("connected"), Some(d("2026-12-07"))), today, 14);
        assert_eq!(soon.level, Level::Warn);
        let later = of_link(&link(Some("connected"), Some(d("2026-12-07"))), today, 7);
        assert_eq!(later.level, Level::Ok, "the reminder window decides");

        let gone = of_link(&link(Some("connected"), Some(d("2026-11-01"))), today, 14);
        assert_eq!(gone.level, Level::Bad);
        assert!(gone.state.contains("reconnect"));

        let mut failing = link(Some("failing"), None);
        failing.last_error = Some("Wise refused the token (401)");
        let failing = of_link(&failing, today, 14);
        assert_eq!(failing.level, Level::Bad);
        assert_eq!(failing.state, "failing: Wise refused the token (401)");

        let never = of_link(&link(None, None), today, 14);
        assert_eq!(
            (never.level, never.state.as_str()),
            (Level::Bad, "not connected")
        );
        assert_eq!(never.no_date, "—");
    }

    #[test]
    fn a_personal_token_has_no_expiry() {
        let mut l = link(Some("connected"), None);
        l.personal_token = true;
        let h = of_link(&l, d("2026-11-27"), 14);
        assert_eq!(h.level, Level::Ok);
        assert_eq!(h.renewal, Renewal::Unknown);
        assert_eq!(h.no_date, "no expiry (personal token)");
    }

    #[test]
    fn a_path_needs_a_passed_test_and_a_live_authorization() {
        let today = d("2026-11-27");
        let mut p = ConnectionPath::empty(PathKind::BankFeed);
        assert_eq!(of_path(&p, today, 14).level, Level::Warn);
        assert_eq!(
            of_path(&p, today, 14).no_date,
            "no authorization date recorded"
        );
        p.test_status = TestStatus::Passed;
        p.owner_name = Some("Ana".into());
        p.authorized_on = Some(d("2026-10-01"));
        let h = of_path(&p, today, 14);
        assert_eq!(h.level, Level::Ok);
        assert_eq!(h.state, "Test passed — owner Ana");
        assert_eq!(h.renewal_due, Some(d("2026-12-30")));
        assert_eq!(of_path(&p, today, 40).level, Level::Warn);
        p.authorized_on = Some(d("2026-08-01"));
        assert_eq!(of_path(&p, today, 14).level, Level::Bad);
        p.authorized_on = Some(d("2026-10-01"));
        p.test_status = TestStatus::Failed;
        assert_eq!(of_path(&p, today, 14).level, Level::Bad);
    }
}

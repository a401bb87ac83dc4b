//! Feed-stall detection: the Wise balance shows activity after day D, but the mapped QBO
//! account has no posting after D, for N days (the organization's threshold). The bank feed
//! or the Wise app has stopped delivering, silently.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stall {
    pub currency: String,
    /// The newest posting on the mapped account (`None`: none at all).
    pub last_posting: Option<NaiveDate>,
    /// The first bank movement after it.
    pub first_unposted: NaiveDate,
    /// Bank movements since then.
    pub movements: i64,
    pub days: i64,
}

impl Stall {
    pub fn describe(&self) -> String {
        let since = match self.last_posting {
            Some(d) => format!("no posting on the mapped QuickBooks account after {d}"),
            None => "no posting at all on the mapped QuickBooks account".into(),
        };
        format!(
            "Wise {}: {} movement(s) since {} but {since} — {} days; check the bank feed and the Wise app",
            self.currency, self.movements, self.first_unposted, self.days
        )
    }
}

/// Decides whether one balance's feed has stalled: bank movements after the last posting, the
/// first of them at least `stall_days` old.
pub fn detect(
    currency: &str,
    last_posting: Option<NaiveDate>,
    first_unposted: Option<NaiveDate>,
    movements: i64,
    today: NaiveDate,
    stall_days: i64,
) -> Option<Stall> {
    let first = first_unposted?;
    let days = (today - first).num_days();
    (movements > 0 && days >= stall_days).then(|| Stall {
        currency: currency.to_owned(),
        last_posting,
        first_unposted: first,
        movements,
        days,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn stalls_only_after_the_threshold() {
        let today = d("2026-11-27");
        assert_eq!(
            detect("EUR", Some(d("2026-11-20")), None, 0, today, 3),
            None
        );
        assert_eq!(
            detect(
                "EUR",
                Some(d("2026-11-20")),
                Some(d("2026-11-26")),
                2,
                today,
                3
            ),
            None
        );
        let s = detect(
            "EUR",
            Some(d("2026-11-20")),
            Some(d("2026-11-22")),
            4,
            today,
            3,
        )
        .unwrap();
        assert_eq!(s.days, 5);
        assert!(s.describe().contains("after 2026-11-20"));
        let none = detect("USD", None, Some(d("2026-11-01")), 9, today, 3).unwrap();
        assert!(none.describe().contains("no posting at all"));
    }
}

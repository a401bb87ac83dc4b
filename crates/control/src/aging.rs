//! How old an exception is, and the age buckets the queue filters by.
//!
//! An exception's age counts from the day the break happened (the bank line's or posting's
//! date), not from the day Clearline found it: a first sync over six months of history finds
//! old breaks on one day, and they are old.

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AgeBucket {
    /// 0 to 7 days.
    Week,
    /// 8 to 30 days.
    Month,
    /// 31 to 60 days.
    TwoMonths,
    /// 61 to 90 days.
    Quarter,
    /// More than 90 days.
    Older,
}

impl AgeBucket {
    pub const ALL: [AgeBucket; 5] = [
        Self::Week,
        Self::Month,
        Self::TwoMonths,
        Self::Quarter,
        Self::Older,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Week => "0-7",
            Self::Month => "8-30",
            Self::TwoMonths => "31-60",
            Self::Quarter => "61-90",
            Self::Older => "90+",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Week => "0–7 days",
            Self::Month => "8–30 days",
            Self::TwoMonths => "31–60 days",
            Self::Quarter => "61–90 days",
            Self::Older => "Over 90 days",
        }
    }

    /// The ages in days this bucket holds: `(first, last)`, `last` open for the oldest.
    pub fn days(self) -> (u64, Option<u64>) {
        match self {
            Self::Week => (0, Some(7)),
            Self::Month => (8, Some(30)),
            Self::TwoMonths => (31, Some(60)),
            Self::Quarter => (61, Some(90)),
            Self::Older => (91, None),
        }
    }

    /// The bucket of an age in days (a date in the future counts as age 0).
    pub fn of_days(days: i64) -> AgeBucket {
        let days = days.max(0) as u64;
        Self::ALL
            .into_iter()
            .find(|b| b.days().1.is_none_or(|last| days <= last))
            .unwrap_or(Self::Older)
    }

    /// The dates whose age on `today` falls in this bucket: `(earliest, latest)`, inclusive;
    /// `earliest` is open for the oldest bucket.
    pub fn dates(self, today: NaiveDate) -> (Option<NaiveDate>, NaiveDate) {
        let (first, last) = self.days();
        let latest = today.checked_sub_days(Days::new(first)).unwrap_or(today);
        let earliest = last.and_then(|l| today.checked_sub_days(Days::new(l)));
        (earliest, latest)
    }
}

impl fmt::Display for AgeBucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AgeBucket {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|b| b.as_str() == s)
            .ok_or_else(|| format!("unknown age bucket {s:?} (use 0-7, 8-30, 31-60, 61-90 or 90+)"))
    }
}

/// The day an exception's age counts from: when the break happened, or else when it was found.
pub fn aged_from(occurred_on: Option<NaiveDate>, opened_at: DateTime<Utc>) -> NaiveDate {
    occurred_on.unwrap_or_else(|| opened_at.date_naive())
}

/// Whole days from `since` to `today` (never negative).
pub fn age_days(since: NaiveDate, today: NaiveDate) -> i64 {
    (today - since).num_days().max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn buckets_cover_every_age_once() {
        for days in 0..400 {
            let b = AgeBucket::of_days(days);
            let (first, last) = b.days();
            assert!(days as u64 >= first && last.is_none_or(|l| days as u64 <= l));
        }
        assert_eq!(AgeBucket::of_days(7), AgeBucket::Week);
        assert_eq!(AgeBucket::of_days(8), AgeBucket::Month);
        assert_eq!(AgeBucket::of_days(90), AgeBucket::Quarter);
        assert_eq!(AgeBucket::of_days(91), AgeBucket::Older);
        assert_eq!(AgeBucket::of_days(-3), AgeBucket::Week);
    }

    #[test]
    fn bucket_dates_agree_with_ages() {
        let today = d("2024-06-30");
        for b in AgeBucket::ALL {
            let (earliest, latest) = b.dates(today);
            assert_eq!(AgeBucket::of_days(age_days(latest, today)), b);
            if let Some(e) = earliest {
                assert_eq!(AgeBucket::of_days(age_days(e, today)), b);
                assert_ne!(
                    AgeBucket::of_days(age_days(e.pred_opt().unwrap(), today)),
                    b
                );
            }
        }
        assert_eq!(
            AgeBucket::Month.dates(today),
            (Some(d("2024-05-31")), d("2024-06-22"))
        );
    }

    #[test]
    fn names_round_trip_and_age_counts_from_the_break() {
        for b in AgeBucket::ALL {
            assert_eq!(b.as_str().parse::<AgeBucket>(), Ok(b));
        }
        assert!("old".parse::<AgeBucket>().is_err());
        let found: DateTime<Utc> = "2024-06-01T10:00:00Z".parse().unwrap();
        assert_eq!(aged_from(Some(d("2024-01-15")), found), d("2024-01-15"));
        assert_eq!(aged_from(None, found), d("2024-06-01"));
        assert_eq!(age_days(d("2024-06-01"), d("2024-06-30")), 29);
        assert_eq!(age_days(d("2024-07-01"), d("2024-06-30")), 0);
    }
}

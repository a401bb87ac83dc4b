//! Home's figures, computed in the database so they stay fast at 100k exceptions and 1M lines:
//! active exceptions by age, posting lag distribution, match rate over recent runs.

use crate::db::{Db, on_pool};
use crate::error::Result;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// (label, count) of active exceptions by the age of the break.
    pub exception_ages: Vec<(String, i64)>,
    /// (label, count) of matched pairs by posting lag.
    pub lag: Vec<(String, i64)>,
    /// (run id, match %) of the recent successful syncs, oldest first.
    pub match_rate: Vec<(i64, f64)>,
    pub open: i64,
    pub unassigned: i64,
    pub overdue: i64,
}

const ACTIVE: &str = "status IN ('open', 'in_progress', 'waiting_on_vendor')";

pub async fn figures(db: &Db, organization_id: i64, today: NaiveDate) -> Result<Figures> {
    let d = |days: i64| today - Duration::days(days);
    let ages = format!(
        "SELECT COALESCE(SUM(CASE WHEN occurred_on >= $2 THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN occurred_on < $2 AND occurred_on >= $3 THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN occurred_on < $3 AND occurred_on >= $4 THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN occurred_on < $4 AND occurred_on >= $5 THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN occurred_on < $5 OR occurred_on IS NULL THEN 1 ELSE 0 END), 0), \
         COUNT(*), COALESCE(SUM(CASE WHEN owner_user_id IS NULL THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN due_on < $6 THEN 1 ELSE 0 END), 0) \
         FROM exceptions WHERE organization_id = $1 AND {ACTIVE}"
    );
    type Row8 = (i64, i64, i64, i64, i64, i64, i64, i64);
    let (a0, a1, a2, a3, a4, open, unassigned, overdue): Row8 = on_pool!(db, pool => sqlx::query_as(&ages)
        .bind(organization_id).bind(d(7)).bind(d(30)).bind(d(60)).bind(d(90)).bind(today)
        .fetch_one(pool).await)?;
    // The lag distribution is computed by each sync over all its matches (a scan of a
    // million matches per page view would not be).
    let last = crate::runs::last_success(db, organization_id).await?;
    let lag: Vec<(String, i64)> = last
        .as_ref()
        .and_then(|r| serde_json::from_value(r.stats.get("lag_histogram")?.clone()).ok())
        .unwrap_or_else(|| crate::telemetry::lag_histogram([]));
    let mut match_rate: Vec<(i64, f64)> = crate::runs::recent(db, organization_id, 40)
        .await?
        .into_iter()
        .filter(|r| {
            r.purpose == crate::runs::Purpose::Sync && r.status == crate::runs::RunStatus::Succeeded
        })
        .filter_map(|r| Some((r.id, r.stats.get("match_percent")?.as_f64()?)))
        .take(12)
        .collect();
    match_rate.reverse();
    let label = |s: &str| s.to_string();
    Ok(Figures {
        exception_ages: vec![
            (label("0–7 d"), a0),
            (label("8–30 d"), a1),
            (label("31–60 d"), a2),
            (label("61–90 d"), a3),
            (label("90+ d"), a4),
        ],
        lag,
        match_rate,
        open,
        unassigned,
        overdue,
    })
}

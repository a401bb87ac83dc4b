//! The weekly control run (screen 9): this week's run with its evidence, preparing it (items,
//! ready for sign-off, reopen), the owner's sign-off, the history, Home's alerts and the CSV
//! export. Opening the page (or Home) creates the week's run once and rechecks every signed
//! run against the data it covered.

use crate::error::AppError;
use control::weekly_run::{Check, Evidence, RunStatus};
use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, StreamingText, TextStream};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyItemView {
    pub key: String,
    pub lane: String,
    pub action: String,
    pub verify: String,
    pub done: bool,
    pub note: String,
    pub done_by: Option<String>,
    pub done_at: Option<String>,
    pub facts: Vec<Evidence>,
    pub check: Check,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyRunView {
    pub id: i64,
    pub week_code: String,
    pub week_label: String,
    pub status: RunStatus,
    pub prepared_by: Option<String>,
    pub prepared_at: Option<String>,
    pub signed_by: Option<String>,
    pub signed_at: Option<String>,
    pub justification: String,
    /// The days the sign-off covers, e.g. `2026-06-01 – 2026-06-03`.
    pub covered: Option<String>,
    pub fingerprint: Option<String>,
    pub withdrawn_at: Option<String>,
    pub withdrawn_reason: Option<String>,
    /// Evidence as of now; `false`: as frozen at the sign-off.
    pub live_evidence: bool,
    pub items: Vec<WeeklyItemView>,
    /// Lanes whose automatic check fails.
    pub failing: Vec<String>,
    /// The caller prepared the run (so the caller may not sign it).
    pub caller_is_maker: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyHistoryRow {
    pub id: i64,
    pub week_label: String,
    pub status: RunStatus,
    pub prepared_by: Option<String>,
    pub signed_by: Option<String>,
    pub signed_at: Option<String>,
    pub withdrawn_at: Option<String>,
    pub withdrawn_reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyPageView {
    pub run: WeeklyRunView,
    pub history: Vec<WeeklyHistoryRow>,
    pub can_prepare: bool,
    pub can_sign: bool,
}

/// What Home shows: this week's run, and every sign-off that was withdrawn.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyAlertsView {
    pub current_week: String,
    pub current_status: RunStatus,
    pub withdrawn: Vec<WeeklyHistoryRow>,
}

#[cfg(feature = "ssr")]
mod convert {
    use super::*;
    use chrono::{DateTime, Utc};
    use control::weekly::{RunSummary, WeeklyRun};

    pub fn stamp(t: DateTime<Utc>) -> String {
        t.format("%Y-%m-%d %H:%M UTC").to_string()
    }

    pub fn run(r: WeeklyRun, caller: i64) -> WeeklyRunView {
        WeeklyRunView {
            id: r.id,
            week_code: r.week.code(),
            week_label: r.week.label(),
            status: r.status,
            failing: r.failing().iter().map(|i| i.lane.clone()).collect(),
            caller_is_maker: r.makers().contains(&caller),
            prepared_by: r.prepared_by_name,
            prepared_at: r.prepared_at.map(stamp),
            signed_by: r.signed_by_name,
            signed_at: r.signed_at.map(stamp),
            justification: r.justification,
            covered: r.covered_to.map(|to| format!("{} – {to}", r.week.start())),
            fingerprint: r.fingerprint,
            withdrawn_at: r.withdrawn_at.map(stamp),
            withdrawn_reason: r.withdrawn_reason,
            live_evidence: r.live_evidence,
            items: r
                .items
                .into_iter()
                .map(|i| WeeklyItemView {
                    key: i.key,
                    lane: i.lane,
                    action: i.action,
                    verify: i.verify,
                    done: i.done,
                    note: i.note,
                    done_by: i.done_by_name,
                    done_at: i.done_at.map(stamp),
                    facts: i.facts,
                    check: i.check,
                })
                .collect(),
        }
    }

    pub fn summary(s: RunSummary) -> WeeklyHistoryRow {
        WeeklyHistoryRow {
            id: s.id,
            week_label: s.week.label(),
            status: s.status,
            prepared_by: s.prepared_by_name,
            signed_by: s.signed_by_name,
            signed_at: s.signed_at.map(stamp),
            withdrawn_at: s.withdrawn_at.map(stamp),
            withdrawn_reason: s.withdrawn_reason,
        }
    }
}

/// This week's run (created on first sight), after rechecking every signed run.
#[server(endpoint = "weekly_current")]
pub async fn weekly_current() -> Result<WeeklyPageView, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<WeeklyCurrent>().await?;
    let state = app_state()?;
    let (db, org, now) = (&state.db, caller.organization_id, state.now());
    control::weekly::recheck(db, org, now).await.map_err(fail)?;
    let run = control::weekly::current(db, org, now).await.map_err(fail)?;
    let history = control::weekly::history(db, org, 52).await.map_err(fail)?;
    Ok(WeeklyPageView {
        run: convert::run(run, caller.user_id),
        history: history.into_iter().map(convert::summary).collect(),
        can_prepare: caller.role.allows(control::Role::Bookkeeper),
        can_sign: caller.role.allows(control::Role::Owner),
    })
}

/// One run of the history (the printable report reads it).
#[server(endpoint = "weekly_get")]
pub async fn weekly_get(id: i64) -> Result<WeeklyRunView, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<WeeklyGet>().await?;
    let state = app_state()?;
    let (db, org, now) = (&state.db, caller.organization_id, state.now());
    control::weekly::recheck(db, org, now).await.map_err(fail)?;
    let run = control::weekly::get(db, org, id, now).await.map_err(fail)?;
    Ok(convert::run(run, caller.user_id))
}

/// Marks one lane done (`done` present) or not, with a note.
#[server(endpoint = "weekly_item_update")]
pub async fn weekly_item_update(
    run_id: i64,
    item: String,
    done: Option<String>,
    note: String,
) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<WeeklyItemUpdate>().await?;
    let state = app_state()?;
    control::weekly::set_item(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        run_id,
        &item,
        control::weekly::Mark {
            done: done.is_some(),
            note,
        },
        state.now(),
    )
    .await
    .map_err(fail)
}

/// Hands the prepared run over for the owner's sign-off.
#[server(endpoint = "weekly_ready")]
pub async fn weekly_ready(run_id: i64) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<WeeklyReady>().await?;
    let state = app_state()?;
    control::weekly::mark_ready(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        run_id,
        state.now(),
    )
    .await
    .map_err(fail)
}

/// Takes a run marked ready, or one whose sign-off was withdrawn, back to preparation.
#[server(endpoint = "weekly_reopen")]
pub async fn weekly_reopen(run_id: i64) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<WeeklyReopen>().await?;
    let state = app_state()?;
    control::weekly::reopen(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        run_id,
        state.now(),
    )
    .await
    .map_err(fail)
}

/// The owner's sign-off (maker-checker; failing checks need a justification).
#[server(endpoint = "weekly_sign")]
pub async fn weekly_sign(run_id: i64, justification: String) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<WeeklySign>().await?;
    let state = app_state()?;
    control::weekly::sign(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        run_id,
        &justification,
        state.now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

/// Home's view of the weekly control run (rechecks signed runs first).
#[server(endpoint = "weekly_alerts")]
pub async fn weekly_alerts() -> Result<WeeklyAlertsView, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<WeeklyAlerts>().await?;
    let state = app_state()?;
    let (db, org, now) = (&state.db, caller.organization_id, state.now());
    control::weekly::recheck(db, org, now).await.map_err(fail)?;
    let id = control::weekly::ensure(db, org, now).await.map_err(fail)?;
    let current = control::weekly::summary(db, org, id).await.map_err(fail)?;
    let withdrawn = control::weekly::withdrawn(db, org).await.map_err(fail)?;
    Ok(WeeklyAlertsView {
        current_week: current.week.label(),
        current_status: current.status,
        withdrawn: withdrawn.into_iter().map(convert::summary).collect(),
    })
}

/// The run as a CSV download: `GET /api/weekly_csv?id=<run>`.
#[server(endpoint = "weekly_csv", input = GetUrl, output = StreamingText)]
pub async fn weekly_csv(id: i64) -> Result<TextStream<AppError>, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    use http::{HeaderValue, header};
    let caller = require::<WeeklyCsv>().await?;
    let state = app_state()?;
    let run = control::weekly::get(&state.db, caller.organization_id, id, state.now())
        .await
        .map_err(fail)?;
    let name = format!(
        "attachment; filename=\"clearline-weekly-{}.csv\"",
        run.week.code()
    );
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.insert_header(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        if let Ok(v) = HeaderValue::from_str(&name) {
            res.insert_header(header::CONTENT_DISPOSITION, v);
        }
    }
    let csv = control::weekly::csv(&run);
    Ok(TextStream::from(futures_util::stream::once(
        async move { csv },
    )))
}

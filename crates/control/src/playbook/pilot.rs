//! Storage of the pilot: the frozen window, the traceable sample set (bank lines of the
//! window), expected against posted per sample with its trigger-to-post timing, the go-live
//! gates and the promotion to production. Every change is audited in the same transaction;
//! once promoted, the pilot is closed.
//!
//! A sample's postings are found the way reconciliation names things: the bank line's id is
//! its Wise reference, `#2`, `#3`… when the reference repeats in the balance (in booking
//! order, see [`crate::findings::numbered`]); the stored matches (`recon_matches`) list those
//! ids in `bank_ids` and the postings' `<Entity>:<Id>` in `book_ids`.

use super::{
    Candidate, Check, Pilot, PilotWindow, Posted, Posting, Sample, overall_verdict, sample_verdict,
};
use crate::audit::{self, Actor, Change};
use crate::db::{Db, on_pool, on_tx};
use crate::error::{ControlError, Result};
use crate::exception_status::ExceptionStatus;
use crate::runs::{Purpose, RunStatus};
use crate::telemetry::{self, LagPath};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::HashMap;

/// How many lines of the window the screen offers for the sample set.
pub const CANDIDATES: i64 = 300;
/// The most a sample set holds: a pilot is "a limited sample set".
pub const MAX_SAMPLES: i64 = 200;
/// A pilot window is short; a quarter at most.
pub const MAX_WINDOW_DAYS: i64 = 92;

#[derive(sqlx::FromRow, Default)]
struct StateRow {
    window_from: Option<NaiveDate>,
    window_to: Option<NaiveDate>,
    frozen_by_name: Option<String>,
    frozen_at: Option<DateTime<Utc>>,
    fallback_tested: bool,
    fallback_note: String,
    fallback_by_name: Option<String>,
    fallback_at: Option<DateTime<Utc>>,
    promoted_at: Option<DateTime<Utc>>,
    promoted_by_name: Option<String>,
}

impl StateRow {
    fn window(&self) -> Option<(NaiveDate, NaiveDate)> {
        self.window_from.zip(self.window_to)
    }

    fn ensure_open(&self) -> Result<()> {
        match self.promoted_at {
            Some(t) => Err(ControlError::Conflict(format!(
                "the pilot was promoted to production on {}; it is closed",
                t.format("%Y-%m-%d")
            ))),
            None => Ok(()),
        }
    }
}

async fn state(db: &Db, organization_id: i64) -> Result<StateRow> {
    const Q: &str = "SELECT p.window_from, p.window_to, f.display_name AS frozen_by_name, p.frozen_at, \
        p.fallback_tested, p.fallback_note, b.display_name AS fallback_by_name, p.fallback_at, \
        p.promoted_at, r.display_name AS promoted_by_name \
        FROM pilots p LEFT JOIN users f ON f.id = p.frozen_by LEFT JOIN users b ON b.id = p.fallback_by \
        LEFT JOIN users r ON r.id = p.promoted_by WHERE p.organization_id = $1";
    let row = on_pool!(db, pool => sqlx::query_as::<_, StateRow>(Q).bind(organization_id).fetch_optional(pool).await)?;
    Ok(row.unwrap_or_default())
}

/// The first instant of `day` and of the day after `to` (the window is whole UTC days).
fn bounds(from: NaiveDate, to: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        from.and_time(NaiveTime::MIN).and_utc(),
        (to + chrono::Days::new(1))
            .and_time(NaiveTime::MIN)
            .and_utc(),
    )
}

fn dec(s: &str) -> Result<Decimal> {
    s.parse()
        .map_err(|e| ControlError::Internal(format!("stored amount {s:?}: {e}")))
}

#[derive(sqlx::FromRow)]
struct SampleRow {
    id: i64,
    bank_line_id: i64,
    currency: String,
    reference: String,
    booked_at: DateTime<Utc>,
    amount: String,
    counterparty: String,
    description: String,
    /// Lines of the same balance and reference booked before it.
    earlier: i64,
}

#[derive(sqlx::FromRow)]
struct MatchRow {
    currency: String,
    kind: String,
    status: String,
    bank_ids: String,
    book_ids: String,
}

#[derive(sqlx::FromRow)]
struct PostingRow {
    external_id: String,
    kind: String,
    txn_date: NaiveDate,
    amount: String,
    created_at: Option<DateTime<Utc>>,
}

async fn samples(db: &Db, organization_id: i64) -> Result<Vec<Sample>> {
    const Q: &str = "SELECT s.id, s.bank_line_id, l.currency, l.reference, l.booked_at, l.amount, \
        l.counterparty, l.description, \
        (SELECT COUNT(*) FROM bank_lines o WHERE o.organization_id = l.organization_id \
         AND o.currency = l.currency AND o.reference = l.reference \
         AND (o.booked_at < l.booked_at OR (o.booked_at = l.booked_at AND o.id < l.id))) AS earlier \
        FROM pilot_samples s JOIN bank_lines l ON l.id = s.bank_line_id \
        WHERE s.organization_id = $1 ORDER BY l.booked_at, l.id";
    let rows = on_pool!(db, pool => sqlx::query_as::<_, SampleRow>(Q).bind(organization_id).fetch_all(pool).await)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let matches = on_pool!(db, pool => sqlx::query_as::<_, MatchRow>(
        "SELECT currency, kind, status, bank_ids, book_ids FROM recon_matches WHERE organization_id = $1")
        .bind(organization_id).fetch_all(pool).await)?;
    let ids = |s: &str| serde_json::from_str::<Vec<String>>(s).unwrap_or_default();
    let mut by_line: HashMap<(String, String), (&MatchRow, Vec<String>)> = HashMap::new();
    for m in &matches {
        for bank in ids(&m.bank_ids) {
            by_line.insert((m.currency.clone(), bank), (m, ids(&m.book_ids)));
        }
    }
    let engine_id = |r: &SampleRow| {
        if r.earlier == 0 {
            r.reference.clone()
        } else {
            format!("{}#{}", r.reference, r.earlier + 1)
        }
    };
    let wanted: Vec<String> = rows
        .iter()
        .filter_map(|r| by_line.get(&(r.currency.clone(), engine_id(r))))
        .flat_map(|(_, books)| books.iter().cloned())
        .collect();
    let postings: HashMap<String, PostingRow> = if wanted.is_empty() {
        HashMap::new()
    } else {
        let rows = on_pool!(db, pool => {
            let mut qb = sqlx::QueryBuilder::new("SELECT external_id, kind, txn_date, amount, created_at \
                FROM book_entries WHERE deleted_at IS NULL AND organization_id = ");
            qb.push_bind(organization_id);
            qb.push(" AND external_id IN (");
            let mut sep = qb.separated(", ");
            for id in &wanted {
                sep.push_bind(id.as_str());
            }
            qb.push(")");
            qb.build_query_as::<PostingRow>().fetch_all(pool).await
        })?;
        rows.into_iter()
            .map(|p| (p.external_id.clone(), p))
            .collect()
    };
    rows.iter()
        .map(|r| {
            let reference = engine_id(r);
            let expected = dec(&r.amount)?;
            let found = by_line.get(&(r.currency.clone(), reference.clone()));
            let mut list = Vec::new();
            let mut total = Decimal::ZERO;
            if let Some((_, books)) = found {
                for id in books {
                    if let Some(p) = postings.get(id) {
                        total += dec(&p.amount)?;
                        list.push(Posting {
                            external_id: p.external_id.clone(),
                            kind: p.kind.clone(),
                            txn_date: p.txn_date,
                            amount: p.amount.clone(),
                            created_at: p.created_at,
                        });
                    }
                }
            }
            let posted = match found {
                Some((m, _)) if m.status == "auto" => Posted::Matched,
                Some(_) => Posted::Suggested,
                None => Posted::NotPosted,
            };
            let kind = found.map(|(m, _)| m.kind.clone());
            // A grouped deposit (several bank lines, one posting) cannot equal one line; the
            // engine checked the group's sum when it matched it.
            let agrees = match (posted, kind.as_deref()) {
                (Posted::NotPosted, _) => false,
                (_, Some("many_to_one")) => posted == Posted::Matched,
                _ => !list.is_empty() && total == expected,
            };
            let newest = list.iter().filter_map(|p| p.created_at).max();
            let lag_secs = newest.map(|t| (t - r.booked_at).num_seconds());
            let path = list.first().map(|p| LagPath::of_entity(&p.kind));
            Ok(Sample {
                id: r.id,
                bank_line_id: r.bank_line_id,
                currency: r.currency.clone(),
                reference,
                booked_at: r.booked_at,
                expected: r.amount.clone(),
                counterparty: r.counterparty.clone(),
                description: r.description.clone(),
                posted,
                match_kind: kind,
                posted_total: (!list.is_empty()).then(|| total.normalize().to_string()),
                postings: list,
                agrees,
                verdict: lag_secs.map(sample_verdict),
                lag_secs,
                path,
            })
        })
        .collect()
}

/// The go-live gates: a clean cycle, exceptions handled, the fallback tested.
async fn gates(
    db: &Db,
    organization_id: i64,
    s: &StateRow,
    samples: &[Sample],
    today: NaiveDate,
) -> Result<Vec<Check>> {
    const CLEAN: &str = "A clean cycle";
    const HANDLED: &str = "Exceptions handled";
    const FALLBACK: &str = "Fallback tested";
    let Some((from, to)) = s.window() else {
        return Ok(vec![
            Check::new("clean_cycle", CLEAN, false, "freeze the pilot window first"),
            Check::new(
                "exceptions_handled",
                HANDLED,
                false,
                "freeze the pilot window first",
            ),
            fallback_gate(s, FALLBACK),
        ]);
    };

    let runs = crate::runs::recent(db, organization_id, 50).await?;
    let last = runs.iter().find(|r| {
        r.purpose == Purpose::Sync && matches!(r.status, RunStatus::Succeeded | RunStatus::Failed)
    });
    let mut problems = Vec::new();
    match last {
        None => problems.push("no sync has run yet".to_string()),
        Some(r) if r.status == RunStatus::Failed => problems.push(format!(
            "the latest sync (#{}) failed: {}",
            r.id,
            r.error.as_deref().unwrap_or("no reason given")
        )),
        Some(r) if r.window_from > from || r.window_to < to => problems.push(format!(
            "the latest sync (#{}) covered {} – {}, not the whole pilot window",
            r.id, r.window_from, r.window_to
        )),
        Some(_) => {}
    }
    if samples.is_empty() {
        problems.push("pick a sample set".into());
    }
    let unposted = samples
        .iter()
        .filter(|x| x.posted == Posted::NotPosted)
        .count();
    let review = samples
        .iter()
        .filter(|x| x.posted == Posted::Suggested)
        .count();
    let differ = samples
        .iter()
        .filter(|x| x.posted != Posted::NotPosted && !x.agrees)
        .count();
    if unposted > 0 {
        problems.push(format!(
            "{unposted} of {} samples not posted",
            samples.len()
        ));
    }
    if review > 0 {
        problems.push(format!(
            "{review} samples only have a suggested match to review"
        ));
    }
    if differ > 0 {
        problems.push(format!(
            "{differ} samples posted with an amount that differs from the bank"
        ));
    }
    let clean = if problems.is_empty() {
        Check::new(
            "clean_cycle",
            CLEAN,
            true,
            format!(
                "sync #{} covered the window; all {} samples posted as expected",
                last.map_or(0, |r| r.id),
                samples.len()
            ),
        )
    } else {
        Check::new("clean_cycle", CLEAN, false, problems.join("; "))
    };

    const Q: &str = "SELECT COUNT(*) AS active, \
        COALESCE(SUM(CASE WHEN owner_user_id IS NULL THEN 1 ELSE 0 END), 0) AS unassigned, \
        COALESCE(SUM(CASE WHEN due_on < $2 THEN 1 ELSE 0 END), 0) AS overdue \
        FROM exceptions WHERE organization_id = $1 AND status IN ($3, $4, $5) \
        AND occurred_on >= $6 AND occurred_on <= $7";
    let active: Vec<&str> = ExceptionStatus::ALL
        .iter()
        .filter(|s| s.is_active())
        .map(|s| s.as_str())
        .collect();
    let (count, unassigned, overdue): (i64, i64, i64) = on_pool!(db, pool => sqlx::query_as(Q)
        .bind(organization_id).bind(today)
        .bind(active[0]).bind(active[1]).bind(active[2])
        .bind(from).bind(to)
        .fetch_one(pool).await)?;
    let handled = if unassigned == 0 && overdue == 0 {
        Check::new(
            "exceptions_handled",
            HANDLED,
            true,
            format!(
                "no unassigned or overdue exceptions dated in the window ({count} active, each with an owner and on time)"
            ),
        )
    } else {
        Check::new(
            "exceptions_handled",
            HANDLED,
            false,
            format!(
                "of {count} active exceptions dated in the window, {unassigned} have no owner and {overdue} are overdue"
            ),
        )
    };
    Ok(vec![clean, handled, fallback_gate(s, FALLBACK)])
}

fn fallback_gate(s: &StateRow, label: &str) -> Check {
    if s.fallback_tested {
        Check::new(
            "fallback_tested",
            label,
            true,
            format!(
                "tested{}: {}",
                s.fallback_by_name
                    .as_deref()
                    .map(|n| format!(" by {n}"))
                    .unwrap_or_default(),
                s.fallback_note
            ),
        )
    } else {
        Check::new(
            "fallback_tested",
            label,
            false,
            "not tested yet: run a manual statement upload in a controlled batch and record it",
        )
    }
}

/// Everything the Pilot screen shows.
pub async fn view(db: &Db, organization_id: i64, today: NaiveDate) -> Result<Pilot> {
    let s = state(db, organization_id).await?;
    let samples = samples(db, organization_id).await?;
    let gates = gates(db, organization_id, &s, &samples, today).await?;
    let timed: Vec<(LagPath, i64)> = samples
        .iter()
        .filter_map(|x| x.path.zip(x.lag_secs))
        .collect();
    let timing = telemetry::lag_stats(&timed);
    let (candidates, lines_in_window) = match s.window() {
        Some((from, to)) => candidates(db, organization_id, from, to).await?,
        None => (Vec::new(), 0),
    };
    Ok(Pilot {
        window: match (s.window(), s.frozen_at) {
            (Some((from, to)), Some(at)) => Some(PilotWindow {
                from,
                to,
                frozen_by_name: s.frozen_by_name.clone(),
                frozen_at: at,
            }),
            _ => None,
        },
        overall: overall_verdict(&timing),
        timing,
        samples,
        gates,
        fallback_tested: s.fallback_tested,
        fallback_note: s.fallback_note,
        fallback_by_name: s.fallback_by_name,
        fallback_at: s.fallback_at,
        promoted_at: s.promoted_at,
        promoted_by_name: s.promoted_by_name,
        candidates,
        lines_in_window,
    })
}

#[derive(sqlx::FromRow)]
struct CandidateRow {
    id: i64,
    currency: String,
    reference: String,
    booked_at: DateTime<Utc>,
    amount: String,
    counterparty: String,
    description: String,
}

async fn candidates(
    db: &Db,
    organization_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(Vec<Candidate>, i64)> {
    let (start, end) = bounds(from, to);
    const Q: &str = "SELECT l.id, l.currency, l.reference, l.booked_at, l.amount, l.counterparty, \
        l.description FROM bank_lines l WHERE l.organization_id = $1 AND l.booked_at >= $2 \
        AND l.booked_at < $3 AND NOT EXISTS (SELECT 1 FROM pilot_samples s \
        WHERE s.organization_id = $1 AND s.bank_line_id = l.id) ORDER BY l.booked_at, l.id LIMIT $4";
    let rows = on_pool!(db, pool => sqlx::query_as::<_, CandidateRow>(Q)
        .bind(organization_id).bind(start).bind(end).bind(CANDIDATES).fetch_all(pool).await)?;
    const COUNT: &str = "SELECT COUNT(*) FROM bank_lines WHERE organization_id = $1 \
        AND booked_at >= $2 AND booked_at < $3";
    let total = on_pool!(db, pool => sqlx::query_scalar::<_, i64>(COUNT)
        .bind(organization_id).bind(start).bind(end).fetch_one(pool).await)?;
    Ok((
        rows.into_iter()
            .map(|r| Candidate {
                bank_line_id: r.id,
                currency: r.currency,
                reference: r.reference,
                booked_at: r.booked_at,
                amount: r.amount,
                counterparty: r.counterparty,
                description: r.description,
            })
            .collect(),
        total,
    ))
}

/// Freezes the pilot window (whole UTC days, at most [`MAX_WINDOW_DAYS`]). Samples outside a
/// changed window leave the sample set, in the same audited change.
pub async fn set_window(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> Result<()> {
    if from > to {
        return Err(ControlError::Invalid(
            "the pilot window starts after it ends".into(),
        ));
    }
    let days = (to - from).num_days() + 1;
    if days > MAX_WINDOW_DAYS {
        return Err(ControlError::Invalid(format!(
            "a pilot window is short: at most {MAX_WINDOW_DAYS} days (this one has {days})"
        )));
    }
    let before = state(db, organization_id).await?;
    before.ensure_open()?;
    let (start, end) = bounds(from, to);
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, conn => sqlx::query("INSERT INTO pilots (organization_id, window_from, window_to, \
        frozen_by, frozen_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) \
        ON CONFLICT (organization_id) DO UPDATE SET window_from = EXCLUDED.window_from, \
        window_to = EXCLUDED.window_to, frozen_by = EXCLUDED.frozen_by, frozen_at = EXCLUDED.frozen_at, \
        updated_at = EXCLUDED.updated_at")
        .bind(organization_id).bind(from).bind(to).bind(actor.user_id).bind(now)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    let removed = on_tx!(&mut tx, conn => sqlx::query("DELETE FROM pilot_samples WHERE organization_id = $1 \
        AND bank_line_id IN (SELECT id FROM bank_lines WHERE organization_id = $1 \
        AND (booked_at < $2 OR booked_at >= $3))")
        .bind(organization_id).bind(start).bind(end)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "pilot.window",
            subject: format!("pilot:{organization_id}"),
            before: Some(json!({"from": before.window_from, "to": before.window_to})),
            after: Some(json!({"from": from, "to": to, "samples_removed": removed})),
        },
        now,
    )
    .await?;
    tx.commit().await
}

#[derive(sqlx::FromRow)]
struct LineRow {
    currency: String,
    reference: String,
    booked_at: DateTime<Utc>,
    amount: String,
}

fn line_json(id: i64, l: &LineRow) -> serde_json::Value {
    json!({"bank_line_id": id, "currency": l.currency, "reference": l.reference,
        "booked_at": l.booked_at, "amount": l.amount})
}

/// Adds a bank line of the window to the sample set.
pub async fn add_sample(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    bank_line_id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let s = state(db, organization_id).await?;
    s.ensure_open()?;
    let Some((from, to)) = s.window() else {
        return Err(ControlError::Conflict(
            "the owner freezes the pilot window first; samples come from it".into(),
        ));
    };
    let line =
        on_pool!(db, pool => sqlx::query_as::<_, LineRow>("SELECT currency, reference, booked_at, \
        amount FROM bank_lines WHERE organization_id = $1 AND id = $2")
        .bind(organization_id).bind(bank_line_id).fetch_optional(pool).await)?
        .ok_or(ControlError::NotFound("bank line"))?;
    let day = line.booked_at.date_naive();
    if day < from || day > to {
        return Err(ControlError::Invalid(format!(
            "that line was booked on {day}, outside the pilot window {from} – {to}"
        )));
    }
    let mut tx = db.begin().await?;
    let count = on_tx!(&mut tx, conn => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM pilot_samples WHERE organization_id = $1")
        .bind(organization_id).fetch_one(conn).await)?;
    if count >= MAX_SAMPLES {
        return Err(ControlError::Conflict(format!(
            "a sample set holds at most {MAX_SAMPLES} lines"
        )));
    }
    let added = on_tx!(&mut tx, conn => sqlx::query("INSERT INTO pilot_samples (organization_id, \
        bank_line_id, added_by, added_at) VALUES ($1, $2, $3, $4) \
        ON CONFLICT (organization_id, bank_line_id) DO NOTHING")
        .bind(organization_id).bind(bank_line_id).bind(actor.user_id).bind(now)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    if added == 0 {
        return Err(ControlError::Conflict(
            "that line is in the sample set already".into(),
        ));
    }
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "pilot.sample_add",
            subject: format!("pilot:{organization_id}"),
            before: None,
            after: Some(line_json(bank_line_id, &line)),
        },
        now,
    )
    .await?;
    tx.commit().await
}

/// Takes a sample out of the set.
pub async fn remove_sample(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    sample_id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    state(db, organization_id).await?.ensure_open()?;
    let mut tx = db.begin().await?;
    let found = on_tx!(&mut tx, conn => sqlx::query_as::<_, (i64, String, String, DateTime<Utc>, String)>(
        "SELECT l.id, l.currency, l.reference, l.booked_at, l.amount FROM pilot_samples s \
         JOIN bank_lines l ON l.id = s.bank_line_id WHERE s.organization_id = $1 AND s.id = $2")
        .bind(organization_id).bind(sample_id).fetch_optional(conn).await)?;
    let Some((line_id, currency, reference, booked_at, amount)) = found else {
        return Err(ControlError::NotFound("sample"));
    };
    on_tx!(&mut tx, conn => sqlx::query("DELETE FROM pilot_samples WHERE organization_id = $1 AND id = $2")
        .bind(organization_id).bind(sample_id).execute(conn).await.map(|r| r.rows_affected()))?;
    let line = LineRow {
        currency,
        reference,
        booked_at,
        amount,
    };
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "pilot.sample_remove",
            subject: format!("pilot:{organization_id}"),
            before: Some(line_json(line_id, &line)),
            after: None,
        },
        now,
    )
    .await?;
    tx.commit().await
}

const MAX_NOTE: usize = 2000;

/// Records whether the connection-quality fallback (manual statement upload in controlled
/// batches) was tested, and how.
pub async fn record_fallback(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    tested: bool,
    note: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let note = note.trim();
    if tested && note.is_empty() {
        return Err(ControlError::Invalid(
            "say how the fallback was tested (what was uploaded, what it showed)".into(),
        ));
    }
    if note.chars().count() > MAX_NOTE {
        return Err(ControlError::Invalid(format!(
            "the note may have at most {MAX_NOTE} characters"
        )));
    }
    let before = state(db, organization_id).await?;
    before.ensure_open()?;
    let (by, at) = if tested {
        (actor.user_id, Some(now))
    } else {
        (None, None)
    };
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, conn => sqlx::query("INSERT INTO pilots (organization_id, fallback_tested, \
        fallback_note, fallback_by, fallback_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
        ON CONFLICT (organization_id) DO UPDATE SET fallback_tested = EXCLUDED.fallback_tested, \
        fallback_note = EXCLUDED.fallback_note, fallback_by = EXCLUDED.fallback_by, \
        fallback_at = EXCLUDED.fallback_at, updated_at = EXCLUDED.updated_at")
        .bind(organization_id).bind(tested).bind(note).bind(by).bind(at).bind(now)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "pilot.fallback",
            subject: format!("pilot:{organization_id}"),
            before: Some(json!({"tested": before.fallback_tested, "note": before.fallback_note})),
            after: Some(json!({"tested": tested, "note": note})),
        },
        now,
    )
    .await?;
    tx.commit().await
}

/// Promotes the pilot to production: refused unless every go-live gate passes (the message
/// names those that fail); the gates as they stood are kept with the promotion.
pub async fn promote(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<Check>> {
    let s = state(db, organization_id).await?;
    s.ensure_open()?;
    let samples = samples(db, organization_id).await?;
    let gates = gates(db, organization_id, &s, &samples, now.date_naive()).await?;
    let failed = super::failing(&gates);
    if !failed.is_empty() {
        let details: Vec<String> = gates
            .iter()
            .filter(|g| !g.passed)
            .map(|g| format!("{} ({})", g.label, g.detail))
            .collect();
        return Err(ControlError::Conflict(format!(
            "promotion needs every go-live gate to pass; failing: {}",
            details.join("; ")
        )));
    }
    let snapshot = json!({
        "window": s.window(),
        "samples": samples.len(),
        "gates": gates.iter().map(|g| json!({"gate": g.key, "passed": g.passed, "detail": g.detail})).collect::<Vec<_>>(),
    });
    let mut tx = db.begin().await?;
    let changed = on_tx!(&mut tx, conn => sqlx::query("UPDATE pilots SET promoted_by = $1, promoted_at = $2, \
        promotion = $3, updated_at = $2 WHERE organization_id = $4 AND promoted_at IS NULL")
        .bind(actor.user_id).bind(now).bind(snapshot.to_string()).bind(organization_id)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    if changed != 1 {
        return Err(ControlError::Conflict(
            "the pilot was promoted meanwhile".into(),
        ));
    }
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "pilot.promote",
            subject: format!("pilot:{organization_id}"),
            before: Some(json!({"promoted": false})),
            after: Some(snapshot),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(gates)
}

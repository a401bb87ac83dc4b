//! The weekly control run, stored: generated once per organization and ISO week from the
//! playbook's lanes ([`crate::weekly_run::LANES`]), with automatic evidence read from what the
//! system holds, prepared by a bookkeeper (the maker), signed off by an owner (the checker,
//! never the same person), locked with a snapshot once signed, and withdrawn when the
//! reconciliation state it covered changes afterwards.
//!
//! What a sign-off covers, concretely: the exceptions whose `occurred_on` and the matches
//! whose bank movement (`bank_at`) fall in the run's week up to the day of the sign-off. Their
//! keys and statuses are kept in the snapshot with a fingerprint (count + SHA-256); a later
//! sync or exception change that alters that set (an item added, removed or changing status)
//! withdraws the sign-off. Activity dated after the sign-off day was never covered and
//! changes nothing.

use crate::audit::{self, Actor, Change};
use crate::connection_path::{PathKind, Renewal};
use crate::db::{Db, Tx, on_pool, on_tx};
use crate::error::{ControlError, Result};
use crate::role::Role;
use crate::weekly_run::{Check, Evidence, LANES, LaneEvidence, RunStatus, Week};
use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// Evidence older than this fails its check (a week: the run's own cadence).
const FRESH_DAYS: i64 = 7;
/// A failing automatic check can be signed only with at least this much written reason.
const MIN_JUSTIFICATION: usize = 10;
const MAX_TEXT: usize = 4000;

/// One lane of one run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub key: String,
    pub lane: String,
    pub action: String,
    pub verify: String,
    pub done: bool,
    pub note: String,
    pub done_by: Option<i64>,
    pub done_by_name: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
    pub facts: Vec<Evidence>,
    pub check: Check,
}

/// One run with its checklist and evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyRun {
    pub id: i64,
    pub week: Week,
    pub status: RunStatus,
    pub prepared_by: Option<i64>,
    pub prepared_by_name: Option<String>,
    pub prepared_at: Option<DateTime<Utc>>,
    pub signed_by: Option<i64>,
    pub signed_by_name: Option<String>,
    pub signed_at: Option<DateTime<Utc>>,
    pub justification: String,
    /// The last day the sign-off covers.
    pub covered_to: Option<NaiveDate>,
    pub fingerprint: Option<String>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawn_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The evidence is as of now (`true`), or as frozen at the sign-off (`false`).
    pub live_evidence: bool,
    pub items: Vec<Item>,
}

impl WeeklyRun {
    /// Everyone who prepared it: whoever marked it ready and whoever last changed an item.
    pub fn makers(&self) -> BTreeSet<i64> {
        self.prepared_by
            .into_iter()
            .chain(self.items.iter().filter_map(|i| i.done_by))
            .collect()
    }

    pub fn failing(&self) -> Vec<&Item> {
        self.items
            .iter()
            .filter(|i| i.check == Check::Fail)
            .collect()
    }

    pub fn is_locked(&self) -> bool {
        self.status == RunStatus::Signed
    }
}

/// A run in the history list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    pub id: i64,
    pub week: Week,
    pub status: RunStatus,
    pub prepared_by_name: Option<String>,
    pub signed_by_name: Option<String>,
    pub signed_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawn_reason: Option<String>,
}

/// One reconciliation item a sign-off covered.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Covered {
    /// `exception` or `match`.
    pub what: String,
    pub key: String,
    pub status: String,
    pub on: NaiveDate,
}

/// Count and hash of a covered set, compared on every recheck.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub count: usize,
    pub sha256: String,
}

impl Fingerprint {
    /// Order-independent: the set is sorted first.
    pub fn of(covered: &[Covered]) -> Fingerprint {
        let mut items: Vec<&Covered> = covered.iter().collect();
        items.sort_by(|a, b| (&a.what, &a.key).cmp(&(&b.what, &b.key)));
        let mut h = Sha256::new();
        for c in &items {
            for part in [c.what.as_str(), c.key.as_str(), c.status.as_str()] {
                h.update(part.as_bytes());
                h.update([0u8]);
            }
            h.update(b"\n");
        }
        Fingerprint {
            count: items.len(),
            sha256: hex::encode(h.finalize()),
        }
    }

    /// `count:sha256`, as stored.
    pub fn code(&self) -> String {
        format!("{}:{}", self.count, self.sha256)
    }
}

/// What a signed run keeps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub week: String,
    pub covered_from: NaiveDate,
    pub covered_to: NaiveDate,
    pub fingerprint: Fingerprint,
    pub covered: Vec<Covered>,
    pub evidence: Vec<LaneEvidence>,
    pub signed_at: DateTime<Utc>,
}

/// How the covered set changed, in words: at most `limit` items named.
pub fn describe_changes(before: &[Covered], after: &[Covered], limit: usize) -> String {
    let index = |set: &[Covered]| -> BTreeMap<(String, String), String> {
        set.iter()
            .map(|c| ((c.what.clone(), c.key.clone()), c.status.clone()))
            .collect()
    };
    let (old, new) = (index(before), index(after));
    let mut changes = Vec::new();
    for ((what, key), status) in &new {
        match old.get(&(what.clone(), key.clone())) {
            None => changes.push(format!("new {what} {key} ({status})")),
            Some(was) if was != status => changes.push(format!("{what} {key}: {was} → {status}")),
            Some(_) => {}
        }
    }
    for ((what, key), status) in &old {
        if !new.contains_key(&(what.clone(), key.clone())) {
            changes.push(format!("{what} {key} ({status}) is gone"));
        }
    }
    let n = changes.len();
    let mut text = changes
        .into_iter()
        .take(limit)
        .collect::<Vec<_>>()
        .join("; ");
    if n > limit {
        text.push_str(&format!("; and {} more", n - limit));
    }
    if n == 0 {
        text = "the covered reconciliation items changed".into();
    }
    format!("{n} covered item(s) changed after the sign-off: {text}")
}

#[derive(sqlx::FromRow)]
struct RunRow {
    id: i64,
    iso_year: i32,
    iso_week: i32,
    status: String,
    prepared_by: Option<i64>,
    prepared_by_name: Option<String>,
    prepared_at: Option<DateTime<Utc>>,
    signed_by: Option<i64>,
    signed_by_name: Option<String>,
    signed_at: Option<DateTime<Utc>>,
    justification: String,
    covered_to: Option<NaiveDate>,
    fingerprint: Option<String>,
    snapshot: Option<String>,
    withdrawn_at: Option<DateTime<Utc>>,
    withdrawn_reason: Option<String>,
    created_at: DateTime<Utc>,
}

impl RunRow {
    fn week(&self) -> Week {
        Week {
            year: self.iso_year,
            week: u32::try_from(self.iso_week).unwrap_or(1),
        }
    }

    fn status(&self) -> Result<RunStatus> {
        self.status.parse().map_err(ControlError::Internal)
    }

    fn snapshot(&self) -> Option<Snapshot> {
        self.snapshot
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
    }

    fn summary(self) -> Result<RunSummary> {
        Ok(RunSummary {
            id: self.id,
            week: self.week(),
            status: self.status()?,
            prepared_by_name: self.prepared_by_name,
            signed_by_name: self.signed_by_name,
            signed_at: self.signed_at,
            withdrawn_at: self.withdrawn_at,
            withdrawn_reason: self.withdrawn_reason,
        })
    }
}

const RUN_SELECT: &str = "SELECT r.id, r.iso_year, r.iso_week, r.status, r.prepared_by, \
    p.display_name AS prepared_by_name, r.prepared_at, r.signed_by, s.display_name AS signed_by_name, \
    r.signed_at, r.justification, r.covered_to, r.fingerprint, r.snapshot, r.withdrawn_at, \
    r.withdrawn_reason, r.created_at FROM weekly_runs r \
    LEFT JOIN users p ON p.id = r.prepared_by LEFT JOIN users s ON s.id = r.signed_by";

#[derive(sqlx::FromRow)]
struct ItemRow {
    item_key: String,
    lane: String,
    action: String,
    verify: String,
    done: bool,
    note: String,
    done_by: Option<i64>,
    done_by_name: Option<String>,
    done_at: Option<DateTime<Utc>>,
}

const ITEM_SELECT: &str = "SELECT i.item_key, i.lane, i.action, i.verify, i.done, i.note, \
    i.done_by, u.display_name AS done_by_name, i.done_at FROM weekly_items i \
    LEFT JOIN users u ON u.id = i.done_by WHERE i.run_id = $1 ORDER BY i.position";

fn system() -> Actor {
    Actor::system("weekly")
}

/// Creates the run of the week `now` falls in, once (a second call, or a concurrent one,
/// finds it). Returns its id.
pub async fn ensure(db: &Db, organization_id: i64, now: DateTime<Utc>) -> Result<i64> {
    let week = Week::of(now.date_naive());
    let mut tx = db.begin().await?;
    const INSERT: &str = "INSERT INTO weekly_runs (organization_id, iso_year, iso_week, week_start, \
        status, created_at, updated_at) VALUES ($1, $2, $3, $4, 'open', $5, $5) \
        ON CONFLICT (organization_id, iso_year, iso_week) DO NOTHING RETURNING id";
    let created: Option<i64> = on_tx!(&mut tx, conn => sqlx::query_scalar(INSERT)
        .bind(organization_id)
        .bind(week.year)
        .bind(week.week as i32)
        .bind(week.start())
        .bind(now)
        .fetch_optional(conn)
        .await)?;
    let Some(id) = created else {
        drop(tx);
        const FIND: &str = "SELECT id FROM weekly_runs WHERE organization_id = $1 AND iso_year = $2 \
            AND iso_week = $3";
        let id: i64 = on_pool!(db, pool => sqlx::query_scalar(FIND)
            .bind(organization_id).bind(week.year).bind(week.week as i32).fetch_one(pool).await)?;
        return Ok(id);
    };
    for (position, lane) in LANES.iter().enumerate() {
        on_tx!(&mut tx, conn => sqlx::query("INSERT INTO weekly_items (run_id, position, item_key, \
            lane, action, verify) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id)
            .bind(position as i32)
            .bind(lane.key)
            .bind(lane.title)
            .bind(lane.action)
            .bind(lane.verify)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
    }
    audit::record(
        &mut tx,
        &system(),
        Change {
            organization_id: Some(organization_id),
            action: "weekly.create",
            subject: format!("weekly_run:{id}"),
            before: None,
            after: Some(json!({"week": week.code(), "status": "open", "lanes": LANES.len()})),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// This week's run (created if needed), with live or frozen evidence.
pub async fn current(db: &Db, organization_id: i64, now: DateTime<Utc>) -> Result<WeeklyRun> {
    let id = ensure(db, organization_id, now).await?;
    get(db, organization_id, id, now).await
}

async fn run_row(db: &Db, organization_id: i64, run_id: i64) -> Result<RunRow> {
    let q = format!("{RUN_SELECT} WHERE r.organization_id = $1 AND r.id = $2");
    let row = on_pool!(db, pool => sqlx::query_as::<_, RunRow>(&q)
        .bind(organization_id).bind(run_id).fetch_optional(pool).await)?;
    row.ok_or(ControlError::NotFound("weekly control run"))
}

/// One run. An unsigned run shows the evidence as of `now`; a signed or withdrawn one the
/// evidence frozen at its sign-off.
pub async fn get(
    db: &Db,
    organization_id: i64,
    run_id: i64,
    now: DateTime<Utc>,
) -> Result<WeeklyRun> {
    let row = run_row(db, organization_id, run_id).await?;
    let items: Vec<ItemRow> = on_pool!(db, pool => sqlx::query_as::<_, ItemRow>(ITEM_SELECT)
        .bind(run_id).fetch_all(pool).await)?;
    let status = row.status()?;
    let frozen = row.snapshot().filter(|_| status != RunStatus::Open);
    let live_evidence = frozen.is_none();
    let evidence = match &frozen {
        Some(s) => s.evidence.clone(),
        None => evidence(db, organization_id, now).await?,
    };
    let items = items
        .into_iter()
        .map(|i| {
            let lane = evidence.iter().find(|e| e.key == i.item_key);
            Item {
                facts: lane.map(|e| e.facts.clone()).unwrap_or_default(),
                check: lane.map_or(Check::Manual, LaneEvidence::check),
                key: i.item_key,
                lane: i.lane,
                action: i.action,
                verify: i.verify,
                done: i.done,
                note: i.note,
                done_by: i.done_by,
                done_by_name: i.done_by_name,
                done_at: i.done_at,
            }
        })
        .collect();
    Ok(WeeklyRun {
        id: row.id,
        week: row.week(),
        status,
        prepared_by: row.prepared_by,
        prepared_by_name: row.prepared_by_name,
        prepared_at: row.prepared_at,
        signed_by: row.signed_by,
        signed_by_name: row.signed_by_name,
        signed_at: row.signed_at,
        justification: row.justification,
        covered_to: row.covered_to,
        fingerprint: row.fingerprint,
        withdrawn_at: row.withdrawn_at,
        withdrawn_reason: row.withdrawn_reason,
        created_at: row.created_at,
        live_evidence,
        items,
    })
}

/// The snapshot of a signed (or withdrawn) run.
pub async fn snapshot(db: &Db, organization_id: i64, run_id: i64) -> Result<Option<Snapshot>> {
    Ok(run_row(db, organization_id, run_id).await?.snapshot())
}

/// The newest runs first.
pub async fn history(db: &Db, organization_id: i64, limit: i64) -> Result<Vec<RunSummary>> {
    let q = format!(
        "{RUN_SELECT} WHERE r.organization_id = $1 ORDER BY r.iso_year DESC, r.iso_week DESC LIMIT $2"
    );
    let rows = on_pool!(db, pool => sqlx::query_as::<_, RunRow>(&q)
        .bind(organization_id).bind(limit).fetch_all(pool).await)?;
    rows.into_iter().map(RunRow::summary).collect()
}

/// One run as listed in the history.
pub async fn summary(db: &Db, organization_id: i64, run_id: i64) -> Result<RunSummary> {
    run_row(db, organization_id, run_id).await?.summary()
}

/// Runs whose sign-off was withdrawn and that nobody has reopened yet (Home flags them).
pub async fn withdrawn(db: &Db, organization_id: i64) -> Result<Vec<RunSummary>> {
    let q = format!(
        "{RUN_SELECT} WHERE r.organization_id = $1 AND r.status = 'withdrawn' \
         ORDER BY r.iso_year DESC, r.iso_week DESC"
    );
    let rows = on_pool!(db, pool => sqlx::query_as::<_, RunRow>(&q)
        .bind(organization_id).fetch_all(pool).await)?;
    rows.into_iter().map(RunRow::summary).collect()
}

fn person(actor: &Actor) -> Result<i64> {
    actor
        .user_id
        .ok_or_else(|| ControlError::invalid("a weekly control run is worked by a named person"))
}

async fn status_in(tx: &mut Tx, organization_id: i64, run_id: i64) -> Result<RunStatus> {
    const Q: &str = "SELECT status FROM weekly_runs WHERE organization_id = $1 AND id = $2";
    let s: Option<String> = on_tx!(tx, conn => sqlx::query_scalar(Q)
        .bind(organization_id).bind(run_id).fetch_optional(conn).await)?;
    s.ok_or(ControlError::NotFound("weekly control run"))?
        .parse()
        .map_err(ControlError::Internal)
}

fn not_editable(status: RunStatus) -> ControlError {
    ControlError::Conflict(
        match status {
            RunStatus::Ready => {
                "This run is marked ready for sign-off; reopen it to change an item."
            }
            RunStatus::Signed => "This run is signed off and locked; it cannot be changed.",
            RunStatus::Withdrawn => {
                "This run's sign-off was withdrawn; reopen it to prepare it again."
            }
            RunStatus::Open => "This run can be changed.",
        }
        .into(),
    )
}

/// What the preparer says about one lane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    pub done: bool,
    pub note: String,
}

/// Marks one lane done or not, with the preparer's note. Only while the run is being prepared.
pub async fn set_item(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    run_id: i64,
    item_key: &str,
    mark: Mark,
    now: DateTime<Utc>,
) -> Result<()> {
    let user = person(actor)?;
    let (done, note) = (mark.done, mark.note.trim());
    if note.chars().count() > MAX_TEXT {
        return Err(ControlError::invalid(format!(
            "a note may have at most {MAX_TEXT} characters"
        )));
    }
    let mut tx = db.begin().await?;
    let status = status_in(&mut tx, organization_id, run_id).await?;
    if status != RunStatus::Open {
        return Err(not_editable(status));
    }
    const BEFORE: &str = "SELECT done, note FROM weekly_items WHERE run_id = $1 AND item_key = $2";
    let before: Option<(bool, String)> = on_tx!(&mut tx, conn => sqlx::query_as(BEFORE)
        .bind(run_id).bind(item_key).fetch_optional(conn).await)?;
    let (was_done, was_note) = before.ok_or(ControlError::NotFound("checklist item"))?;
    // Conditional on the run still being open, so a concurrent "ready" cannot be overtaken.
    const UPDATE: &str = "UPDATE weekly_items SET done = $1, note = $2, done_by = $3, done_at = $4 \
        WHERE run_id = $5 AND item_key = $6 AND EXISTS \
        (SELECT 1 FROM weekly_runs WHERE id = $5 AND status = 'open')";
    let n = on_tx!(&mut tx, conn => sqlx::query(UPDATE)
        .bind(done).bind(note).bind(user).bind(now).bind(run_id).bind(item_key)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    if n != 1 {
        return Err(ControlError::Conflict(
            "the run changed meanwhile; reload it".into(),
        ));
    }
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "weekly.item",
            subject: format!("weekly_run:{run_id}:{item_key}"),
            before: Some(json!({"done": was_done, "note": was_note})),
            after: Some(json!({"done": done, "note": note})),
        },
        now,
    )
    .await?;
    tx.commit().await
}

/// The preparer hands the run over for sign-off: every lane must be marked done.
pub async fn mark_ready(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    run_id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let user = person(actor)?;
    let mut tx = db.begin().await?;
    let status = status_in(&mut tx, organization_id, run_id).await?;
    if status != RunStatus::Open {
        return Err(not_editable(status));
    }
    const UNDONE: &str =
        "SELECT lane FROM weekly_items WHERE run_id = $1 AND NOT done ORDER BY position";
    let undone: Vec<String> = on_tx!(&mut tx, conn => sqlx::query_scalar(UNDONE)
        .bind(run_id).fetch_all(conn).await)?;
    if !undone.is_empty() {
        return Err(ControlError::invalid(format!(
            "Not done yet: {}. Mark every lane done (with a note where something is off) before \
             handing the run over for sign-off.",
            undone.join(", ")
        )));
    }
    const Q: &str = "UPDATE weekly_runs SET status = 'ready', prepared_by = $1, prepared_at = $2, \
        updated_at = $2 WHERE id = $3 AND organization_id = $4 AND status = 'open'";
    let n = on_tx!(&mut tx, conn => sqlx::query(Q)
        .bind(user).bind(now).bind(run_id).bind(organization_id)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    if n != 1 {
        return Err(ControlError::Conflict(
            "the run changed meanwhile; reload it".into(),
        ));
    }
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "weekly.ready",
            subject: format!("weekly_run:{run_id}"),
            before: Some(json!({"status": "open"})),
            after: Some(json!({"status": "ready", "prepared_by": user})),
        },
        now,
    )
    .await?;
    tx.commit().await
}

/// Back to preparation: a run marked ready, or one whose sign-off was withdrawn. A signed run
/// stays locked.
pub async fn reopen(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    run_id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    person(actor)?;
    let mut tx = db.begin().await?;
    let status = status_in(&mut tx, organization_id, run_id).await?;
    match status {
        RunStatus::Ready | RunStatus::Withdrawn => {}
        RunStatus::Open => return Err(ControlError::Conflict("This run is already open.".into())),
        RunStatus::Signed => return Err(not_editable(status)),
    }
    const Q: &str = "UPDATE weekly_runs SET status = 'open', prepared_by = NULL, prepared_at = NULL, \
        signed_by = NULL, signed_at = NULL, justification = '', covered_to = NULL, fingerprint = NULL, \
        snapshot = NULL, updated_at = $1 WHERE id = $2 AND organization_id = $3 AND status = $4";
    let n = on_tx!(&mut tx, conn => sqlx::query(Q)
        .bind(now).bind(run_id).bind(organization_id).bind(status.as_str())
        .execute(conn).await.map(|r| r.rows_affected()))?;
    if n != 1 {
        return Err(ControlError::Conflict(
            "the run changed meanwhile; reload it".into(),
        ));
    }
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "weekly.reopen",
            subject: format!("weekly_run:{run_id}"),
            before: Some(json!({"status": status.as_str()})),
            after: Some(json!({"status": "open"})),
        },
        now,
    )
    .await?;
    tx.commit().await
}

/// The owner's sign-off. Refused unless the run is ready, the signer is an owner who did not
/// prepare it, and every failing automatic check is justified in writing. Freezes the
/// evidence and the fingerprint of what it covers, and locks the run.
pub async fn sign(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    run_id: i64,
    justification: &str,
    now: DateTime<Utc>,
) -> Result<WeeklyRun> {
    let user = person(actor)?;
    if crate::members::role_of(db, user, organization_id).await? != Some(Role::Owner) {
        return Err(ControlError::invalid(
            "Only an owner signs off the weekly control run.",
        ));
    }
    let run = get(db, organization_id, run_id, now).await?;
    match run.status {
        RunStatus::Ready => {}
        RunStatus::Open => {
            return Err(ControlError::Conflict(
                "This run is still being prepared: it can be signed once it is marked ready for \
                 sign-off."
                    .into(),
            ));
        }
        RunStatus::Signed => {
            return Err(ControlError::Conflict(
                "This run is already signed off and locked.".into(),
            ));
        }
        RunStatus::Withdrawn => return Err(not_editable(run.status)),
    }
    if run.makers().contains(&user) {
        return Err(ControlError::Conflict(
            "You prepared this run, so you cannot also sign it off: maker-checker needs a second \
             person. Have another owner sign it, or let the bookkeeper prepare it."
                .into(),
        ));
    }
    let justification = justification.trim();
    if justification.chars().count() > MAX_TEXT {
        return Err(ControlError::invalid(format!(
            "the justification may have at most {MAX_TEXT} characters"
        )));
    }
    let failing: Vec<&str> = run.failing().iter().map(|i| i.lane.as_str()).collect();
    if !failing.is_empty() && justification.chars().count() < MIN_JUSTIFICATION {
        return Err(ControlError::invalid(format!(
            "{} automatic check(s) fail ({}): write a justification (at least \
             {MIN_JUSTIFICATION} characters) to sign off anyway.",
            failing.len(),
            failing.join(", ")
        )));
    }
    let from = run.week.start();
    let to = run.week.end().min(now.date_naive()).max(from);
    let covered = covered(db, organization_id, from, to).await?;
    let fingerprint = Fingerprint::of(&covered);
    let snapshot = Snapshot {
        week: run.week.code(),
        covered_from: from,
        covered_to: to,
        fingerprint: fingerprint.clone(),
        covered,
        evidence: run
            .items
            .iter()
            .map(|i| LaneEvidence {
                key: i.key.clone(),
                facts: i.facts.clone(),
            })
            .collect(),
        signed_at: now,
    };
    let snapshot_text =
        serde_json::to_string(&snapshot).map_err(|e| ControlError::Internal(e.to_string()))?;
    let mut tx = db.begin().await?;
    const Q: &str = "UPDATE weekly_runs SET status = 'signed', signed_by = $1, signed_at = $2, \
        justification = $3, covered_to = $4, fingerprint = $5, snapshot = $6, updated_at = $2 \
        WHERE id = $7 AND organization_id = $8 AND status = 'ready'";
    let n = on_tx!(&mut tx, conn => sqlx::query(Q)
        .bind(user).bind(now).bind(justification).bind(to).bind(fingerprint.code())
        .bind(&snapshot_text).bind(run_id).bind(organization_id)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    if n != 1 {
        return Err(ControlError::Conflict(
            "the run changed meanwhile; reload it".into(),
        ));
    }
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "weekly.sign",
            subject: format!("weekly_run:{run_id}"),
            before: Some(json!({"status": "ready", "prepared_by": run.prepared_by})),
            after: Some(json!({
                "status": "signed",
                "week": run.week.code(),
                "covered": {"from": from, "to": to},
                "fingerprint": fingerprint.code(),
                "failing_checks": failing,
                "justification": justification,
            })),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    get(db, organization_id, run_id, now).await
}

/// The exceptions and matches of `from..=to` (see the module comment).
pub async fn covered(
    db: &Db,
    organization_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Covered>> {
    const EXCEPTIONS: &str = "SELECT exception_key, status, occurred_on FROM exceptions \
        WHERE organization_id = $1 AND occurred_on >= $2 AND occurred_on <= $3";
    let exceptions: Vec<(String, String, NaiveDate)> = on_pool!(db, pool => sqlx::query_as(EXCEPTIONS)
        .bind(organization_id).bind(from).bind(to).fetch_all(pool).await)?;
    let start = from.and_time(NaiveTime::MIN).and_utc();
    let end = to
        .checked_add_days(Days::new(1))
        .unwrap_or(to)
        .and_time(NaiveTime::MIN)
        .and_utc();
    const MATCHES: &str = "SELECT match_key, status, bank_at FROM recon_matches \
        WHERE organization_id = $1 AND bank_at >= $2 AND bank_at < $3";
    let matches: Vec<(String, String, DateTime<Utc>)> = on_pool!(db, pool => sqlx::query_as(MATCHES)
        .bind(organization_id).bind(start).bind(end).fetch_all(pool).await)?;
    let mut out: Vec<Covered> = exceptions
        .into_iter()
        .map(|(key, status, on)| Covered {
            what: "exception".into(),
            key,
            status,
            on,
        })
        .chain(matches.into_iter().map(|(key, status, at)| Covered {
            what: "match".into(),
            key,
            status,
            on: at.date_naive(),
        }))
        .collect();
    out.sort();
    Ok(out)
}

#[derive(sqlx::FromRow)]
struct SignedRow {
    id: i64,
    iso_year: i32,
    iso_week: i32,
    covered_to: Option<NaiveDate>,
    fingerprint: Option<String>,
}

/// Compares every signed run of the organization with the data it covered and withdraws the
/// sign-off of each whose covered set changed. Returns the withdrawn runs' ids.
///
/// Called when the weekly page or Home loads and after each sync.
pub async fn recheck(db: &Db, organization_id: i64, now: DateTime<Utc>) -> Result<Vec<i64>> {
    const Q: &str = "SELECT id, iso_year, iso_week, covered_to, fingerprint FROM weekly_runs \
        WHERE organization_id = $1 AND status = 'signed'";
    let signed: Vec<SignedRow> = on_pool!(db, pool => sqlx::query_as::<_, SignedRow>(Q)
        .bind(organization_id).fetch_all(pool).await)?;
    let periods: Vec<(&SignedRow, NaiveDate, NaiveDate)> = signed
        .iter()
        .map(|r| {
            let week = Week {
                year: r.iso_year,
                week: u32::try_from(r.iso_week).unwrap_or(1),
            };
            let from = week.start();
            (r, from, r.covered_to.unwrap_or(week.end()))
        })
        .collect();
    let (Some(first), Some(last)) = (
        periods.iter().map(|p| p.1).min(),
        periods.iter().map(|p| p.2).max(),
    ) else {
        return Ok(Vec::new());
    };
    // One read for every signed week; each run then looks at its own days.
    let all = covered(db, organization_id, first, last).await?;
    let mut withdrawn = Vec::new();
    for (row, from, to) in periods {
        let now_covered: Vec<Covered> = all
            .iter()
            .filter(|c| c.on >= from && c.on <= to)
            .cloned()
            .collect();
        let fingerprint = Fingerprint::of(&now_covered);
        if row.fingerprint.as_deref() == Some(fingerprint.code().as_str()) {
            continue;
        }
        if withdraw(db, organization_id, row.id, &now_covered, &fingerprint, now).await? {
            withdrawn.push(row.id);
        }
    }
    Ok(withdrawn)
}

/// [`recheck`] for the sync worker: a failure is logged, never fails the sync.
pub async fn recheck_after_sync(db: &Db, organization_id: i64) {
    if let Err(e) = recheck(db, organization_id, Utc::now()).await {
        tracing::warn!(organization = organization_id, error = %e, "weekly sign-off recheck failed");
    }
}

async fn withdraw(
    db: &Db,
    organization_id: i64,
    run_id: i64,
    now_covered: &[Covered],
    fingerprint: &Fingerprint,
    now: DateTime<Utc>,
) -> Result<bool> {
    let row = run_row(db, organization_id, run_id).await?;
    let week = row.week();
    let before = row.snapshot().map(|s| s.covered).unwrap_or_default();
    let reason = describe_changes(&before, now_covered, 3);
    let mut tx = db.begin().await?;
    const Q: &str = "UPDATE weekly_runs SET status = 'withdrawn', withdrawn_at = $1, \
        withdrawn_reason = $2, updated_at = $1 WHERE id = $3 AND status = 'signed'";
    let n = on_tx!(&mut tx, conn => sqlx::query(Q)
        .bind(now).bind(&reason).bind(run_id).execute(conn).await.map(|r| r.rows_affected()))?;
    if n != 1 {
        // Someone else withdrew it first.
        return Ok(false);
    }
    audit::record(
        &mut tx,
        &system(),
        Change {
            organization_id: Some(organization_id),
            action: "weekly.withdraw",
            subject: format!("weekly_run:{run_id}"),
            before: Some(json!({"status": "signed", "fingerprint": row.fingerprint})),
            after: Some(json!({
                "status": "withdrawn",
                "week": week.code(),
                "fingerprint": fingerprint.code(),
                "reason": reason,
            })),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

// ---- evidence ----

fn days_ago(then: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (now.date_naive() - then.date_naive()).num_days()
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// What the system knows about each lane right now.
pub async fn evidence(
    db: &Db,
    organization_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<LaneEvidence>> {
    let today = now.date_naive();
    let org = organization_id;
    let remind = crate::settings::get(db, org).await?.reminder_window();
    let lanes = [
        (
            "access_health",
            access_health(db, org, today, remind).await?,
        ),
        ("reconciliation", reconciliation(db, org, now).await?),
        ("exceptions", exceptions(db, org, today).await?),
        ("collections", collections(db, org, now).await?),
        ("support_risk", support_risk(db, org).await?),
        (
            "wise_reauthorization",
            wise_reauthorization(db, org, today, remind).await?,
        ),
    ];
    Ok(lanes
        .into_iter()
        .map(|(key, facts)| LaneEvidence {
            key: key.into(),
            facts,
        })
        .collect())
}

async fn access_health(db: &Db, org: i64, today: NaiveDate, remind: i64) -> Result<Vec<Evidence>> {
    let members = crate::members::list(db, org).await?;
    let active: Vec<_> = members.iter().filter(|m| m.active).collect();
    let count = |role: Role| active.iter().filter(|m| m.role == role).count();
    let owners = count(Role::Owner);
    let mut facts = vec![
        Evidence::checked(
            "Active owners (recovery login)",
            owners.to_string(),
            owners >= 1,
        ),
        Evidence::info(
            "Active members",
            format!(
                "{} ({} owner, {} bookkeeper, {} viewer)",
                active.len(),
                owners,
                count(Role::Bookkeeper),
                count(Role::Viewer)
            ),
        ),
    ];
    let conns = crate::connections::list(db, org).await?;
    let failing: Vec<&str> = conns
        .iter()
        .filter(|c| c.status == "failing")
        .map(|c| c.provider.label())
        .collect();
    facts.push(Evidence::checked(
        "Failing connections",
        if failing.is_empty() {
            "none".to_string()
        } else {
            failing.join(", ")
        },
        failing.is_empty(),
    ));
    for provider in [
        crate::connections::Provider::Qbo,
        crate::connections::Provider::Wise,
    ] {
        let conn = conns.iter().find(|c| c.provider == provider && c.is_live());
        let label = format!("{} connection", provider.label());
        match conn {
            None => facts.push(Evidence::checked(&label, "not connected", false)),
            Some(c) => {
                facts.push(Evidence::checked(
                    &label,
                    c.status.clone(),
                    c.status == "connected",
                ));
                if let Some(t) = c.expires_at {
                    let left = (t.date_naive() - today).num_days();
                    let renewal = Renewal::of(Some(t.date_naive()), today, remind);
                    facts.push(Evidence::checked(
                        &format!("{} authorization ends", provider.label()),
                        format!("{} ({left} days)", t.date_naive()),
                        !renewal.needs_attention(),
                    ));
                }
            }
        }
    }
    Ok(facts)
}

async fn reconciliation(db: &Db, org: i64, now: DateTime<Utc>) -> Result<Vec<Evidence>> {
    let mut facts = Vec::new();
    match crate::runs::last_success(db, org).await? {
        None => facts.push(Evidence::checked("Last successful sync", "never", false)),
        Some(run) => {
            let at = run.finished_at.unwrap_or(run.created_at);
            let age = days_ago(at, now);
            facts.push(Evidence::checked(
                "Last successful sync",
                format!("{} (#{}, {age} days ago)", stamp(at), run.id),
                age <= FRESH_DAYS,
            ));
            if let Some(p) = run.stats.get("match_percent").and_then(|v| v.as_f64()) {
                facts.push(Evidence::info("Match rate", format!("{p:.1} %")));
            }
            if let Some(n) = run.stats.get("suggested").and_then(|v| v.as_u64()) {
                facts.push(Evidence::info(
                    "Suggested matches awaiting review",
                    n.to_string(),
                ));
            }
        }
    }
    match crate::mappings::active(db, org).await? {
        None => facts.push(Evidence::checked("Applied mapping", "none", false)),
        Some(m) => {
            let settings = crate::settings::get(db, org).await?;
            let stalls = crate::lines::feed_stalls(
                db,
                org,
                &m.accounts,
                now.date_naive(),
                i64::from(settings.stall_days),
            )
            .await?;
            facts.push(Evidence::checked(
                "Feed stalls",
                if stalls.is_empty() {
                    "none".to_string()
                } else {
                    stalls
                        .iter()
                        .map(|s| format!("{} ({} days)", s.currency, s.days))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                stalls.is_empty(),
            ));
        }
    }
    Ok(facts)
}

#[derive(sqlx::FromRow)]
struct ExceptionCounts {
    active: i64,
    unassigned: i64,
    no_next_action: i64,
    overdue: i64,
}

async fn exceptions(db: &Db, org: i64, today: NaiveDate) -> Result<Vec<Evidence>> {
    const Q: &str = "SELECT COUNT(*) AS active, \
        COALESCE(SUM(CASE WHEN owner_user_id IS NULL THEN 1 ELSE 0 END), 0) AS unassigned, \
        COALESCE(SUM(CASE WHEN TRIM(next_action) = '' THEN 1 ELSE 0 END), 0) AS no_next_action, \
        COALESCE(SUM(CASE WHEN due_on IS NOT NULL AND due_on < $2 THEN 1 ELSE 0 END), 0) AS overdue \
        FROM exceptions WHERE organization_id = $1 \
        AND status IN ('open', 'in_progress', 'waiting_on_vendor')";
    let c = on_pool!(db, pool => sqlx::query_as::<_, ExceptionCounts>(Q)
        .bind(org).bind(today).fetch_one(pool).await)?;
    Ok(vec![
        Evidence::info("Active exceptions", c.active.to_string()),
        Evidence::checked(
            "Unassigned active exceptions",
            c.unassigned.to_string(),
            c.unassigned == 0,
        ),
        Evidence::checked(
            "Active exceptions without a next action",
            c.no_next_action.to_string(),
            c.no_next_action == 0,
        ),
        Evidence::checked("Overdue", c.overdue.to_string(), c.overdue == 0),
    ])
}

async fn collections(db: &Db, org: i64, now: DateTime<Utc>) -> Result<Vec<Evidence>> {
    let c = crate::collections::counts(db, org).await?;
    let mut facts = Vec::new();
    match c.fetched_at {
        None => facts.push(Evidence::checked("A/R aging fetched", "never", false)),
        Some(at) => {
            let age = days_ago(at, now);
            facts.push(Evidence::checked(
                "A/R aging fetched",
                format!("{} ({age} days ago)", stamp(at)),
                age <= FRESH_DAYS,
            ));
        }
    }
    facts.push(Evidence::info("Overdue invoices", c.overdue.to_string()));
    facts.push(Evidence::checked(
        "Overdue invoices without a follow-up owner",
        c.unassigned_overdue.to_string(),
        c.unassigned_overdue == 0,
    ));
    Ok(facts)
}

async fn support_risk(db: &Db, org: i64) -> Result<Vec<Evidence>> {
    let settings = crate::settings::get(db, org).await?;
    let owner = match settings.escalation_owner_id {
        Some(id) => crate::users::get(db, id).await?.map(|u| u.display_name),
        None => None,
    };
    let c = crate::support::counts(db, org).await?;
    Ok(vec![
        Evidence::checked(
            "Escalation owner",
            owner.clone().unwrap_or_else(|| "nobody named".into()),
            owner.is_some(),
        ),
        Evidence::checked(
            "Vendor contacts",
            c.vendor_contacts.to_string(),
            c.vendor_contacts >= 1,
        ),
        Evidence::info("Open incidents", c.open_incidents.to_string()),
    ])
}

async fn wise_reauthorization(
    db: &Db,
    org: i64,
    today: NaiveDate,
    remind: i64,
) -> Result<Vec<Evidence>> {
    let paths = crate::connection_paths::list(db, org).await?;
    let feed = paths.iter().find(|p| p.kind == PathKind::BankFeed);
    let label = "Days to Wise bank-feed renewal";
    let fact = match feed.map(|p| (p.renewal(today, remind), p.renewal_due())) {
        Some((Renewal::Ok { days_left }, Some(due))) => {
            Evidence::checked(label, format!("{days_left} (renew by {due})"), true)
        }
        Some((Renewal::DueSoon { days_left }, Some(due))) => Evidence::checked(
            label,
            format!("{days_left} (renew by {due}: renew now)"),
            false,
        ),
        Some((Renewal::Expired { days_ago }, due)) => Evidence::checked(
            label,
            format!(
                "expired {days_ago} days ago ({}): the feed has stopped",
                due.map(|d| d.to_string()).unwrap_or_default()
            ),
            false,
        ),
        _ => Evidence::checked(
            label,
            "no authorization date recorded (Connections → Bank feed)",
            false,
        ),
    };
    Ok(vec![fact])
}

// ---- export ----

/// A spreadsheet cell: quoted when needed, and a leading `=`, `+`, `-` or `@` defused so a
/// note cannot run as a formula when the file is opened.
fn cell(text: &str) -> String {
    let mut s = text.to_string();
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        s.insert(0, '\'');
    }
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The run as CSV: one row per lane, with the run's status and sign-off on every row.
pub fn csv(run: &WeeklyRun) -> String {
    let mut out = String::new();
    let header = [
        "week",
        "run status",
        "lane",
        "what you do",
        "what you verify",
        "automatic check",
        "evidence",
        "done",
        "note",
        "done by",
        "done at",
        "prepared by",
        "signed by",
        "signed at",
        "justification",
        "withdrawn reason",
    ];
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    let opt = |t: Option<DateTime<Utc>>| t.map(stamp).unwrap_or_default();
    for i in &run.items {
        let evidence = i
            .facts
            .iter()
            .map(|f| {
                let mark = match f.ok {
                    Some(true) => " [ok]",
                    Some(false) => " [fail]",
                    None => "",
                };
                format!("{}: {}{mark}", f.label, f.value)
            })
            .collect::<Vec<_>>()
            .join("; ");
        let row = [
            run.week.code(),
            run.status.label().to_string(),
            i.lane.clone(),
            i.action.clone(),
            i.verify.clone(),
            i.check.label().to_string(),
            evidence,
            if i.done { "yes" } else { "no" }.to_string(),
            i.note.clone(),
            i.done_by_name.clone().unwrap_or_default(),
            opt(i.done_at),
            run.prepared_by_name.clone().unwrap_or_default(),
            run.signed_by_name.clone().unwrap_or_default(),
            opt(run.signed_at),
            run.justification.clone(),
            run.withdrawn_reason.clone().unwrap_or_default(),
        ];
        out.push_str(&row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(what: &str, key: &str, status: &str) -> Covered {
        Covered {
            what: what.into(),
            key: key.into(),
            status: status.into(),
            on: "2026-06-02".parse().unwrap(),
        }
    }

    #[test]
    fn the_fingerprint_ignores_order_and_sees_every_change() {
        let a = vec![c("exception", "E1", "open"), c("match", "M1", "confirmed")];
        let b = vec![c("match", "M1", "confirmed"), c("exception", "E1", "open")];
        assert_eq!(Fingerprint::of(&a), Fingerprint::of(&b));
        let changed = vec![
            c("exception", "E1", "resolved"),
            c("match", "M1", "confirmed"),
        ];
        assert_ne!(Fingerprint::of(&a), Fingerprint::of(&changed));
        let added = vec![a[0].clone(), a[1].clone(), c("exception", "E2", "open")];
        assert_eq!(Fingerprint::of(&added).count, 3);
        let text = describe_changes(&a, &added, 3);
        assert!(text.starts_with("1 covered item(s) changed"), "{text}");
        assert!(text.contains("new exception E2 (open)"), "{text}");
        let text = describe_changes(&a, &changed, 3);
        assert!(text.contains("exception E1: open → resolved"), "{text}");
        assert!(describe_changes(&a, &[], 1).contains("and 1 more"));
    }

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a, b"), "\"a, b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }
}

//! Sync and test-batch runs as jobs in the database.
//!
//! A run is queued, then claimed by exactly one worker with a lease (one conditional UPDATE,
//! so instances sharing a PostgreSQL database never run a job twice), reports progress while
//! it renews the lease, and ends succeeded or failed with a reason in plain words. A run whose
//! worker died (lease expired) is failed as interrupted and a retry is queued. The partial
//! unique index on `sync_runs` allows one queued-or-running run per organization.

use crate::db::{Db, Tx, on_pool, on_tx};
use crate::error::{ControlError, Result};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Production: results become matches and exceptions.
    Sync,
    /// A window reconciled under a pending mapping; results are kept on the run only.
    TestBatch,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Manual,
    Schedule,
    Webhook,
    Retry,
    Setup,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
}

macro_rules! names {
    ($t:ty { $($v:ident => $s:literal / $l:literal),* $(,)? }) => {
        impl $t {
            pub fn as_str(self) -> &'static str { match self { $(Self::$v => $s),* } }
            pub fn label(self) -> &'static str { match self { $(Self::$v => $l),* } }
            fn parse(s: &str) -> Result<Self> {
                match s { $($s => Ok(Self::$v),)* other => Err(ControlError::Internal(format!("stored run field {other:?}"))) }
            }
        }
    };
}
names!(Purpose { Sync => "sync" / "sync", TestBatch => "test_batch" / "test batch" });
names!(Trigger { Manual => "manual" / "Sync now", Schedule => "schedule" / "schedule", Webhook => "webhook" / "webhook", Retry => "retry" / "retry after an interruption", Setup => "setup" / "first sync" });
names!(RunStatus { Queued => "queued" / "queued", Running => "running" / "running", Succeeded => "succeeded" / "succeeded", Failed => "failed" / "failed" });

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub id: i64,
    pub organization_id: i64,
    pub purpose: Purpose,
    pub trigger: Trigger,
    pub mapping_id: Option<i64>,
    pub window_from: NaiveDate,
    pub window_to: NaiveDate,
    pub status: RunStatus,
    pub step: String,
    pub done: i64,
    pub total: i64,
    pub percent: i32,
    pub error: Option<String>,
    pub stats: serde_json::Value,
    pub requested_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl Run {
    pub fn is_active(&self) -> bool {
        matches!(self.status, RunStatus::Queued | RunStatus::Running)
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    organization_id: i64,
    purpose: String,
    triggered_by: String,
    mapping_id: Option<i64>,
    window_from: NaiveDate,
    window_to: NaiveDate,
    status: String,
    step: String,
    done: i64,
    total: i64,
    percent: i32,
    error: Option<String>,
    stats: String,
    requested_by: Option<i64>,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
}

impl Row {
    fn into_run(self) -> Result<Run> {
        Ok(Run {
            id: self.id,
            organization_id: self.organization_id,
            purpose: Purpose::parse(&self.purpose)?,
            trigger: Trigger::parse(&self.triggered_by)?,
            mapping_id: self.mapping_id,
            window_from: self.window_from,
            window_to: self.window_to,
            status: RunStatus::parse(&self.status)?,
            step: self.step,
            done: self.done,
            total: self.total,
            percent: self.percent,
            error: self.error,
            stats: serde_json::from_str(&self.stats).unwrap_or_default(),
            requested_by: self.requested_by,
            created_at: self.created_at,
            started_at: self.started_at,
            finished_at: self.finished_at,
        })
    }
}

const COLUMNS: &str = "id, organization_id, purpose, triggered_by, mapping_id, window_from, \
    window_to, status, step, done, total, percent, error, stats, requested_by, created_at, \
    started_at, finished_at";

/// What to queue.
#[derive(Clone, Debug)]
pub struct NewRun {
    pub organization_id: i64,
    pub purpose: Purpose,
    pub trigger: Trigger,
    pub mapping_id: Option<i64>,
    pub window_from: NaiveDate,
    pub window_to: NaiveDate,
    pub requested_by: Option<i64>,
}

/// The queued run, or the one already queued or running for the organization (a second
/// "Sync now" joins the first instead of piling up).
#[derive(Clone, Debug, PartialEq)]
pub enum Enqueued {
    New(Run),
    AlreadyActive(Run),
}

impl Enqueued {
    pub fn run(&self) -> &Run {
        match self {
            Enqueued::New(r) | Enqueued::AlreadyActive(r) => r,
        }
    }
}

pub async fn enqueue(db: &Db, new: NewRun, now: DateTime<Utc>) -> Result<Enqueued> {
    if new.window_from > new.window_to {
        return Err(ControlError::Invalid(
            "the window starts after it ends".into(),
        ));
    }
    let q = format!(
        "INSERT INTO sync_runs (organization_id, purpose, triggered_by, mapping_id, window_from, \
         window_to, status, requested_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8) \
         ON CONFLICT DO NOTHING RETURNING {COLUMNS}"
    );
    let mut tx = db.begin().await?;
    let row = on_tx!(&mut tx, conn => sqlx::query_as::<_, Row>(&q)
        .bind(new.organization_id)
        .bind(new.purpose.as_str())
        .bind(new.trigger.as_str())
        .bind(new.mapping_id)
        .bind(new.window_from)
        .bind(new.window_to)
        .bind(new.requested_by)
        .bind(now)
        .fetch_optional(conn)
        .await)?;
    match row {
        Some(row) => {
            let run = row.into_run()?;
            if let (Purpose::TestBatch, Some(m)) = (run.purpose, run.mapping_id) {
                crate::mappings::attach_test_run(&mut tx, m, run.id).await?;
            }
            tx.commit().await?;
            Ok(Enqueued::New(run))
        }
        None => {
            drop(tx);
            let active = active(db, new.organization_id)
                .await?
                .ok_or_else(|| ControlError::Conflict("could not queue the run".into()))?;
            Ok(Enqueued::AlreadyActive(active))
        }
    }
}

/// Claims the oldest queued run for `worker` until `now + lease`. At most one worker wins a
/// run: the UPDATE re-checks `status = 'queued'` on the row it locks.
pub async fn claim(
    db: &Db,
    worker: &str,
    lease: Duration,
    now: DateTime<Utc>,
) -> Result<Option<Run>> {
    let q = format!(
        "UPDATE sync_runs SET status = 'running', step = 'starting', lease_owner = $1, \
         lease_until = $2, started_at = $3 \
         WHERE id = (SELECT id FROM sync_runs WHERE status = 'queued' ORDER BY id LIMIT 1) \
         AND status = 'queued' RETURNING {COLUMNS}"
    );
    let row = on_pool!(db, pool => sqlx::query_as::<_, Row>(&q)
        .bind(worker)
        .bind(now + lease)
        .bind(now)
        .fetch_optional(pool)
        .await)?;
    row.map(Row::into_run).transpose()
}

/// Progress of a running run; renews the lease. `Ok(false)` when the lease was lost (the
/// run was reaped): the worker must stop without writing results.
#[allow(clippy::too_many_arguments)]
pub async fn progress(
    db: &Db,
    run_id: i64,
    worker: &str,
    step: &str,
    done: i64,
    total: i64,
    percent: i32,
    lease_until: DateTime<Utc>,
) -> Result<bool> {
    const Q: &str = "UPDATE sync_runs SET step = $1, done = $2, total = $3, percent = $4, \
        lease_until = $5 WHERE id = $6 AND lease_owner = $7 AND status = 'running'";
    let n = on_pool!(db, pool => sqlx::query(Q)
        .bind(step)
        .bind(done)
        .bind(total)
        .bind(percent.clamp(0, 100))
        .bind(lease_until)
        .bind(run_id)
        .bind(worker)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Marks the run succeeded inside the transaction that wrote its results, so results and
/// status commit together. Fails (and so rolls back the results) when the lease was lost.
pub async fn finish_in(
    tx: &mut Tx,
    run_id: i64,
    worker: &str,
    stats: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<()> {
    const Q: &str = "UPDATE sync_runs SET status = 'succeeded', step = 'done', percent = 100, \
        stats = $1, finished_at = $2, lease_owner = NULL, lease_until = NULL \
        WHERE id = $3 AND lease_owner = $4 AND status = 'running'";
    let n = on_tx!(tx, conn => sqlx::query(Q)
        .bind(stats.to_string())
        .bind(now)
        .bind(run_id)
        .bind(worker)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    if n == 1 {
        Ok(())
    } else {
        Err(ControlError::Conflict(
            "the run's lease was lost; its results were not saved".into(),
        ))
    }
}

/// Marks the run failed with a plain reason (nothing it fetched was saved).
pub async fn fail(
    db: &Db,
    run_id: i64,
    worker: &str,
    reason: &str,
    stats: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<()> {
    const Q: &str = "UPDATE sync_runs SET status = 'failed', error = $1, stats = $2, finished_at = $3, \
        lease_owner = NULL, lease_until = NULL WHERE id = $4 AND lease_owner = $5 AND status = 'running'";
    on_pool!(db, pool => sqlx::query(Q)
        .bind(reason)
        .bind(stats.to_string())
        .bind(now)
        .bind(run_id)
        .bind(worker)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub const INTERRUPTED: &str =
    "interrupted: the server stopped while this run was in progress; nothing it fetched was saved";

/// Fails runs whose worker stopped renewing its lease, and queues a retry of each production
/// sync. Returns the failed runs' ids.
pub async fn reap(db: &Db, now: DateTime<Utc>) -> Result<Vec<i64>> {
    let q = format!(
        "UPDATE sync_runs SET status = 'failed', error = $1, finished_at = $2, lease_owner = NULL, \
         lease_until = NULL WHERE status = 'running' AND lease_until < $2 RETURNING {COLUMNS}"
    );
    let rows = on_pool!(db, pool => sqlx::query_as::<_, Row>(&q).bind(INTERRUPTED).bind(now).fetch_all(pool).await)?;
    let mut ids = Vec::new();
    for row in rows {
        let run = row.into_run()?;
        ids.push(run.id);
        if run.purpose == Purpose::Sync {
            enqueue(
                db,
                NewRun {
                    organization_id: run.organization_id,
                    purpose: Purpose::Sync,
                    trigger: Trigger::Retry,
                    mapping_id: None,
                    window_from: run.window_from,
                    window_to: run.window_to,
                    requested_by: None,
                },
                now,
            )
            .await?;
        }
    }
    Ok(ids)
}

pub async fn get(db: &Db, organization_id: i64, run_id: i64) -> Result<Run> {
    let q = format!("SELECT {COLUMNS} FROM sync_runs WHERE organization_id = $1 AND id = $2");
    let row = on_pool!(db, pool => sqlx::query_as::<_, Row>(&q).bind(organization_id).bind(run_id).fetch_optional(pool).await)?;
    row.ok_or(ControlError::NotFound("run"))?.into_run()
}

/// The queued or running run of the organization, if any.
pub async fn active(db: &Db, organization_id: i64) -> Result<Option<Run>> {
    let q = format!(
        "SELECT {COLUMNS} FROM sync_runs WHERE organization_id = $1 AND status IN ('queued', 'running')"
    );
    let row = on_pool!(db, pool => sqlx::query_as::<_, Row>(&q).bind(organization_id).fetch_optional(pool).await)?;
    row.map(Row::into_run).transpose()
}

/// The newest runs, newest first.
pub async fn recent(db: &Db, organization_id: i64, limit: i64) -> Result<Vec<Run>> {
    let q = format!(
        "SELECT {COLUMNS} FROM sync_runs WHERE organization_id = $1 ORDER BY id DESC LIMIT $2"
    );
    let rows = on_pool!(db, pool => sqlx::query_as::<_, Row>(&q).bind(organization_id).bind(limit).fetch_all(pool).await)?;
    rows.into_iter().map(Row::into_run).collect()
}

/// The newest succeeded production sync.
pub async fn last_success(db: &Db, organization_id: i64) -> Result<Option<Run>> {
    let q = format!(
        "SELECT {COLUMNS} FROM sync_runs WHERE organization_id = $1 AND purpose = 'sync' \
         AND status = 'succeeded' ORDER BY id DESC LIMIT 1"
    );
    let row = on_pool!(db, pool => sqlx::query_as::<_, Row>(&q).bind(organization_id).fetch_optional(pool).await)?;
    row.map(Row::into_run).transpose()
}

/// Organizations due a scheduled sync: both connections live, an active mapping, no run
/// active, and no production sync queued within their schedule interval.
pub async fn due_for_schedule(db: &Db, now: DateTime<Utc>) -> Result<Vec<(i64, i32)>> {
    const Q: &str = "SELECT o.id, COALESCE(s.schedule_hours, 24) AS hours, \
        (SELECT MAX(r.created_at) FROM sync_runs r WHERE r.organization_id = o.id AND r.purpose = 'sync') AS last \
        FROM organizations o LEFT JOIN org_settings s ON s.organization_id = o.id \
        WHERE EXISTS (SELECT 1 FROM connections c WHERE c.organization_id = o.id AND c.provider = 'qbo' AND c.status <> 'disconnected') \
        AND EXISTS (SELECT 1 FROM connections c WHERE c.organization_id = o.id AND c.provider = 'wise' AND c.status <> 'disconnected') \
        AND EXISTS (SELECT 1 FROM mappings m WHERE m.organization_id = o.id AND m.status = 'active') \
        AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.organization_id = o.id AND r.status IN ('queued', 'running'))";
    let rows = on_pool!(db, pool => sqlx::query_as::<_, (i64, i32, Option<DateTime<Utc>>)>(Q).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .filter(|(_, hours, last)| {
            last.is_none_or(|t| t + Duration::hours(i64::from(*hours)) <= now)
        })
        .map(|(id, hours, _)| (id, hours))
        .collect())
}

/// Extends the lease of a running run (the worker's heartbeat).
pub async fn renew(db: &Db, run_id: i64, worker: &str, lease_until: DateTime<Utc>) -> Result<bool> {
    const Q: &str = "UPDATE sync_runs SET lease_until = $1 WHERE id = $2 AND lease_owner = $3 \
        AND status = 'running'";
    let n = on_pool!(db, pool => sqlx::query(Q).bind(lease_until).bind(run_id).bind(worker)
        .execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

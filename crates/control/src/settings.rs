//! Per-organization sync settings, thresholds and the three owners the playbook names
//! (exceptions, setup, vendor escalation). Changes are audited; an organization never edited
//! gets the defaults.

use crate::audit::{self, Actor, Change};
use crate::db::{Db, Tx, on_pool, on_tx};
use crate::error::{ControlError, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncMode {
    /// Supervised batch on a schedule (the playbook's default).
    Batch,
    /// Also sync when a verified webhook arrives.
    Continuous,
}

impl SyncMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncMode::Batch => "batch",
            SyncMode::Continuous => "continuous",
        }
    }
    pub fn parse(s: &str) -> Result<SyncMode> {
        match s {
            "batch" => Ok(SyncMode::Batch),
            "continuous" => Ok(SyncMode::Continuous),
            other => Err(ControlError::Invalid(format!(
                "unknown sync mode {other:?}"
            ))),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub sync_mode: SyncMode,
    /// Hours between scheduled runs (supervised batch: daily by default).
    pub schedule_hours: i32,
    /// How far back a run pulls.
    pub window_days: i32,
    /// Feed-stall threshold: days of bank activity without a posting on the mapped account.
    pub stall_days: i32,
    /// New exceptions above this share of a run's bank lines raise the spike alert.
    pub spike_percent: i32,
    /// Renewal reminders start this many days before an authorization ends.
    pub reminder_days: i32,
    pub exceptions_owner_id: Option<i64>,
    pub setup_owner_id: Option<i64>,
    pub escalation_owner_id: Option<i64>,
}

impl Settings {
    /// The reminder window as a day count for [`crate::connection_path::Renewal::of`].
    pub fn reminder_window(&self) -> i64 {
        i64::from(self.reminder_days)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            sync_mode: SyncMode::Batch,
            schedule_hours: 24,
            window_days: 183,
            stall_days: 3,
            spike_percent: 10,
            reminder_days: 14,
            exceptions_owner_id: None,
            setup_owner_id: None,
            escalation_owner_id: None,
        }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    sync_mode: String,
    schedule_hours: i32,
    window_days: i32,
    stall_days: i32,
    spike_percent: i32,
    reminder_days: i32,
    exceptions_owner_id: Option<i64>,
    setup_owner_id: Option<i64>,
    escalation_owner_id: Option<i64>,
}

const SELECT: &str = "SELECT sync_mode, schedule_hours, window_days, stall_days, spike_percent, \
    reminder_days, exceptions_owner_id, setup_owner_id, escalation_owner_id FROM org_settings WHERE organization_id = $1";

fn from_row(r: Row) -> Result<Settings> {
    Ok(Settings {
        sync_mode: SyncMode::parse(&r.sync_mode)?,
        schedule_hours: r.schedule_hours,
        window_days: r.window_days,
        stall_days: r.stall_days,
        spike_percent: r.spike_percent,
        reminder_days: r.reminder_days,
        exceptions_owner_id: r.exceptions_owner_id,
        setup_owner_id: r.setup_owner_id,
        escalation_owner_id: r.escalation_owner_id,
    })
}

pub async fn get(db: &Db, organization_id: i64) -> Result<Settings> {
    let row = on_pool!(db, pool => sqlx::query_as::<_, Row>(SELECT).bind(organization_id).fetch_optional(pool).await)?;
    row.map_or_else(|| Ok(Settings::default()), from_row)
}

pub(crate) async fn get_in(tx: &mut Tx, organization_id: i64) -> Result<Settings> {
    let row = on_tx!(tx, conn => sqlx::query_as::<_, Row>(SELECT).bind(organization_id).fetch_optional(conn).await)?;
    row.map_or_else(|| Ok(Settings::default()), from_row)
}

fn check(s: &Settings) -> Result<()> {
    let range = |name: &str, v: i32, lo: i32, hi: i32| {
        if (lo..=hi).contains(&v) {
            Ok(())
        } else {
            Err(ControlError::Invalid(format!(
                "{name} must be between {lo} and {hi}"
            )))
        }
    };
    range("hours between scheduled runs", s.schedule_hours, 1, 168)?;
    range("sync window (days)", s.window_days, 1, 730)?;
    range("feed-stall threshold (days)", s.stall_days, 1, 60)?;
    range("spike threshold (%)", s.spike_percent, 1, 100)?;
    range("renewal reminder (days ahead)", s.reminder_days, 1, 90)
}

/// Saves the settings (audited with before and after). Owners must be active members.
pub async fn update(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    new: Settings,
    now: DateTime<Utc>,
) -> Result<Settings> {
    check(&new)?;
    let mut tx = db.begin().await?;
    let before = get_in(&mut tx, organization_id).await?;
    for owner in [
        new.exceptions_owner_id,
        new.setup_owner_id,
        new.escalation_owner_id,
    ]
    .into_iter()
    .flatten()
    {
        crate::members::require_active_member(&mut tx, owner, organization_id).await?;
    }
    const UPSERT: &str = "INSERT INTO org_settings (organization_id, sync_mode, schedule_hours, \
        window_days, stall_days, spike_percent, reminder_days, exceptions_owner_id, setup_owner_id, \
        escalation_owner_id, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
        ON CONFLICT (organization_id) DO UPDATE SET sync_mode = EXCLUDED.sync_mode, \
        schedule_hours = EXCLUDED.schedule_hours, window_days = EXCLUDED.window_days, \
        stall_days = EXCLUDED.stall_days, spike_percent = EXCLUDED.spike_percent, \
        reminder_days = EXCLUDED.reminder_days, \
        exceptions_owner_id = EXCLUDED.exceptions_owner_id, setup_owner_id = EXCLUDED.setup_owner_id, \
        escalation_owner_id = EXCLUDED.escalation_owner_id, updated_at = EXCLUDED.updated_at";
    on_tx!(&mut tx, conn => sqlx::query(UPSERT)
        .bind(organization_id)
        .bind(new.sync_mode.as_str())
        .bind(new.schedule_hours)
        .bind(new.window_days)
        .bind(new.stall_days)
        .bind(new.spike_percent)
        .bind(new.reminder_days)
        .bind(new.exceptions_owner_id)
        .bind(new.setup_owner_id)
        .bind(new.escalation_owner_id)
        .bind(now)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "settings.update",
            subject: format!("organization:{organization_id}"),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&new).ok(),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(new)
}

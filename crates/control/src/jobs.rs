//! What queues runs besides a person: the schedule (supervised batch, daily by default), a
//! verified webhook (only for organizations in near-continuous mode), and the retry of a run
//! whose worker died. One [`tick`] does all three; the server calls it in a loop and then
//! drains the queue ([`crate::sync::drain`]).

use crate::connections::{self, Provider};
use crate::db::Db;
use crate::error::Result;
use crate::runs::{self, Enqueued, NewRun, Purpose, Trigger};
use crate::settings::{self, SyncMode};
use crate::webhook_inbox;
use chrono::{DateTime, Duration, Utc};

/// What one tick did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tick {
    pub reaped: Vec<i64>,
    pub scheduled: Vec<i64>,
    pub from_webhooks: Vec<i64>,
    pub webhooks_processed: usize,
}

/// The window a scheduled or webhook-triggered run pulls: the organization's window ending today.
async fn window_of(db: &Db, organization_id: i64, now: DateTime<Utc>) -> Result<NewRun> {
    let s = settings::get(db, organization_id).await?;
    let today = now.date_naive();
    Ok(NewRun {
        organization_id,
        purpose: Purpose::Sync,
        trigger: Trigger::Schedule,
        mapping_id: None,
        window_from: today - Duration::days(i64::from(s.window_days)),
        window_to: today,
        requested_by: None,
    })
}

/// Queues a production sync over the organization's window.
pub async fn enqueue_sync(
    db: &Db,
    organization_id: i64,
    trigger: Trigger,
    requested_by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Enqueued> {
    let mut new = window_of(db, organization_id, now).await?;
    new.trigger = trigger;
    new.requested_by = requested_by;
    runs::enqueue(db, new, now).await
}

pub async fn tick(db: &Db, now: DateTime<Utc>) -> Result<Tick> {
    let mut out = Tick {
        reaped: runs::reap(db, now).await?,
        ..Tick::default()
    };
    for (org, _) in runs::due_for_schedule(db, now).await? {
        if let Enqueued::New(run) = enqueue_sync(db, org, Trigger::Schedule, None, now).await? {
            out.scheduled.push(run.id);
        }
    }
    let pending = webhook_inbox::pending(db, 500).await?;
    for event in &pending {
        let provider = if event.source == "wise" {
            Provider::Wise
        } else {
            Provider::Qbo
        };
        let mut run_id = None;
        for org in connections::organizations_by_external(db, provider, &event.account_key).await? {
            if settings::get(db, org).await?.sync_mode != SyncMode::Continuous {
                continue;
            }
            let queued = enqueue_sync(db, org, Trigger::Webhook, None, now).await?;
            if let Enqueued::New(run) = &queued {
                out.from_webhooks.push(run.id);
            }
            run_id = Some(queued.run().id);
        }
        webhook_inbox::mark_processed(db, &[event.id], run_id, now).await?;
        out.webhooks_processed += 1;
    }
    Ok(out)
}

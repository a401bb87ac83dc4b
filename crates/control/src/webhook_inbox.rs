//! The inbox of verified webhook deliveries. Receiving only records (so the sender gets its
//! answer fast); a sync run later reads what is pending. Redeliveries are no-ops.

use crate::db::{Db, on_pool, on_tx};
use crate::error::Result;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a delivery came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Wise,
    Qbo,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Wise => "wise",
            Source::Qbo => "qbo",
        }
    }
}

/// One verified event to keep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboxEvent {
    pub source: Source,
    /// The Wise profile id or the QBO realm id the event is about.
    pub account_key: String,
    pub event_type: String,
    /// Identifies the event across redeliveries.
    pub event_key: String,
    pub occurred_at: Option<DateTime<Utc>>,
    /// The event as delivered (raw JSON).
    pub payload: String,
}

/// Records `events` in one transaction and returns how many were new.
pub async fn record(db: &Db, events: &[InboxEvent], received_at: DateTime<Utc>) -> Result<u64> {
    const Q: &str = "INSERT INTO webhook_inbox \
        (source, account_key, event_type, event_key, occurred_at, received_at, payload) \
        VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (source, event_key) DO NOTHING";
    let mut tx = db.begin().await?;
    let mut added = 0;
    for e in events {
        added += on_tx!(&mut tx, conn => sqlx::query(Q)
            .bind(e.source.as_str())
            .bind(&e.account_key)
            .bind(&e.event_type)
            .bind(&e.event_key)
            .bind(e.occurred_at)
            .bind(received_at)
            .bind(&e.payload)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
    }
    tx.commit().await?;
    Ok(added)
}

/// A stored, not yet processed event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Pending {
    pub id: i64,
    pub source: String,
    pub account_key: String,
    pub event_type: String,
    pub event_key: String,
    pub occurred_at: Option<DateTime<Utc>>,
    pub payload: String,
}

/// Unprocessed events, oldest occurrence first (events arrive out of order).
pub async fn pending(db: &Db, limit: i64) -> Result<Vec<Pending>> {
    const Q: &str = "SELECT id, source, account_key, event_type, event_key, occurred_at, payload \
        FROM webhook_inbox WHERE processed_at IS NULL \
        ORDER BY occurred_at IS NULL, occurred_at, id LIMIT $1";
    Ok(on_pool!(db, pool => sqlx::query_as::<_, Pending>(Q).bind(limit).fetch_all(pool).await)?)
}

/// Marks events processed (with the run they triggered, if any).
pub async fn mark_processed(
    db: &Db,
    ids: &[i64],
    run_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut tx = db.begin().await?;
    for id in ids {
        on_tx!(&mut tx, conn => sqlx::query("UPDATE webhook_inbox SET processed_at = $1, run_id = $2 WHERE id = $3")
            .bind(now).bind(run_id).bind(id).execute(conn).await.map(|r| r.rows_affected()))?;
    }
    tx.commit().await
}

//! The append-only audit log: who did what, when, to what, with the state before and after.
//!
//! Entries are only ever inserted (the schema refuses UPDATE and DELETE with triggers), and
//! always in the same transaction as the change they describe.

use crate::db::{Db, Tx, on_pool, on_tx};
use crate::error::Result;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who is acting: a signed-in person, or the system itself (CLI, first-run setup, jobs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    /// How the actor appears in the log: an e-mail address or e.g. `cli`.
    pub label: String,
}

impl Actor {
    pub fn user(user_id: i64, email: impl Into<String>) -> Self {
        Actor {
            user_id: Some(user_id),
            label: email.into(),
        }
    }

    pub fn system(label: impl Into<String>) -> Self {
        Actor {
            user_id: None,
            label: label.into(),
        }
    }
}

/// One change to record.
#[derive(Clone, Debug)]
pub struct Change<'a> {
    pub organization_id: Option<i64>,
    pub action: &'a str,
    pub subject: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub organization_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before_state: Option<String>,
    pub after_state: Option<String>,
    pub at: DateTime<Utc>,
}

const INSERT: &str = "INSERT INTO audit_log \
    (organization_id, actor_user_id, actor, action, subject, before_state, after_state, at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Records `change` inside `tx`, so it commits or rolls back with the change itself.
pub async fn record(
    tx: &mut Tx,
    actor: &Actor,
    change: Change<'_>,
    at: DateTime<Utc>,
) -> Result<()> {
    let before = change.before.map(|v| v.to_string());
    let after = change.after.map(|v| v.to_string());
    on_tx!(tx, conn => sqlx::query(INSERT)
        .bind(change.organization_id)
        .bind(actor.user_id)
        .bind(&actor.label)
        .bind(change.action)
        .bind(&change.subject)
        .bind(&before)
        .bind(&after)
        .bind(at)
        .execute(conn)
        .await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Records one change on its own (for events that change nothing else, like a login).
pub async fn record_alone(
    db: &Db,
    actor: &Actor,
    change: Change<'_>,
    at: DateTime<Utc>,
) -> Result<()> {
    let mut tx = db.begin().await?;
    record(&mut tx, actor, change, at).await?;
    tx.commit().await
}

/// The newest entries of one organization, newest first.
pub async fn recent(db: &Db, organization_id: i64, limit: i64) -> Result<Vec<AuditEntry>> {
    const Q: &str = "SELECT id, organization_id, actor, action, subject, before_state, after_state, at \
        FROM audit_log WHERE organization_id = $1 ORDER BY id DESC LIMIT $2";
    Ok(on_pool!(db, pool => sqlx::query_as::<_, AuditEntry>(Q)
        .bind(organization_id)
        .bind(limit)
        .fetch_all(pool)
        .await)?)
}

/// Which entries to find: every field optional (empty = any).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Actions starting with this (e.g. `exception.` or `mapping.apply`).
    pub action: String,
    /// Part of the actor's label (e-mail or `sync`), any case.
    pub actor: String,
    /// Part of the subject (e.g. `exception:42`), any case.
    pub subject: String,
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
}

/// Entries matching `filter`, newest first, older than `before_id` when given (keyset paging).
pub async fn search(
    db: &Db,
    organization_id: i64,
    filter: &AuditFilter,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEntry>> {
    use chrono::NaiveTime;
    const Q: &str = "SELECT id, organization_id, actor, action, subject, before_state, after_state, at \
        FROM audit_log WHERE organization_id = $1 AND id < $2 \
        AND ($3 = '' OR action LIKE $3 || '%') \
        AND ($4 = '' OR LOWER(actor) LIKE '%' || LOWER($4) || '%') \
        AND ($5 = '' OR LOWER(subject) LIKE '%' || LOWER($5) || '%') \
        AND at >= $6 AND at < $7 ORDER BY id DESC LIMIT $8";
    let from = filter
        .from
        .map(|d| d.and_time(NaiveTime::MIN).and_utc())
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let to = filter
        .to
        .map(|d| {
            (d + chrono::Duration::days(1))
                .and_time(NaiveTime::MIN)
                .and_utc()
        })
        .unwrap_or_else(|| Utc::now() + chrono::Duration::days(3650));
    Ok(on_pool!(db, pool => sqlx::query_as::<_, AuditEntry>(Q)
        .bind(organization_id)
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(filter.action.trim())
        .bind(filter.actor.trim())
        .bind(filter.subject.trim())
        .bind(from)
        .bind(to)
        .bind(limit)
        .fetch_all(pool)
        .await)?)
}

//! Storing a production run's findings: matches replace the previous set (by key, so an
//! unchanged match is not rewritten), exceptions follow their lifecycle
//! ([`crate::lifecycle::plan`]): new ones go to the exceptions owner, vanished ones resolve
//! automatically and come back reopened, each such step in the audit log.

use crate::audit::{self, Actor, Change};
use crate::db::{Tx, on_tx};
use crate::error::Result;
use crate::exception_status::ExceptionStatus;
use crate::findings::{FoundException, FoundMatch};
use crate::lifecycle;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

const CHUNK: usize = 300;

/// What storing did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub matches_added: usize,
    pub matches_removed: usize,
    pub new_exceptions: usize,
    pub reopened: usize,
    pub auto_resolved: usize,
    pub still_open: usize,
}

fn ids_json(ids: &[String]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
}

/// Stores the matches and applies the exception lifecycle, inside the run's transaction.
pub async fn store(
    tx: &mut Tx,
    organization_id: i64,
    run_id: i64,
    matches: &[FoundMatch],
    exceptions: &[FoundException],
    default_owner: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let mut outcome = Outcome::default();
    store_matches(tx, organization_id, run_id, matches, &mut outcome).await?;
    apply_lifecycle(
        tx,
        organization_id,
        run_id,
        exceptions,
        default_owner,
        now,
        &mut outcome,
    )
    .await?;
    Ok(outcome)
}

async fn store_matches(
    tx: &mut Tx,
    organization_id: i64,
    run_id: i64,
    matches: &[FoundMatch],
    outcome: &mut Outcome,
) -> Result<()> {
    let stored: Vec<(String, String, String)> = on_tx!(tx, conn => sqlx::query_as(
        "SELECT match_key, status, reason FROM recon_matches WHERE organization_id = $1")
        .bind(organization_id).fetch_all(conn).await)?;
    let stored: HashMap<String, (String, String)> =
        stored.into_iter().map(|(k, s, r)| (k, (s, r))).collect();
    let current: HashMap<&str, &FoundMatch> = matches.iter().map(|m| (m.key.as_str(), m)).collect();
    let gone: Vec<&str> = stored
        .keys()
        .map(String::as_str)
        .filter(|k| !current.contains_key(k))
        .collect();
    let write: Vec<&FoundMatch> = current
        .values()
        .filter(|m| {
            stored
                .get(&m.key)
                .is_none_or(|(s, r)| *s != m.status || *r != m.reason)
        })
        .copied()
        .collect();
    outcome.matches_removed = gone.len();
    outcome.matches_added = write
        .iter()
        .filter(|m| !stored.contains_key(&m.key))
        .count();
    for chunk in gone.chunks(CHUNK) {
        on_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new("DELETE FROM recon_matches WHERE organization_id = ");
            qb.push_bind(organization_id);
            qb.push(" AND match_key IN (");
            let mut sep = qb.separated(", ");
            for k in chunk {
                sep.push_bind(*k);
            }
            qb.push(")");
            qb.build().execute(conn).await.map(|r| r.rows_affected())
        })?;
    }
    for chunk in write.chunks(CHUNK) {
        on_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new("INSERT INTO recon_matches (organization_id, match_key, run_id, \
                kind, status, confidence, reason, currency, bank_ids, book_ids, bank_at, posted_at, lag_seconds, path) ");
            qb.push_values(chunk, |mut b, m| {
                b.push_bind(organization_id)
                    .push_bind(&m.key)
                    .push_bind(run_id)
                    .push_bind(&m.kind)
                    .push_bind(&m.status)
                    .push_bind(&m.confidence)
                    .push_bind(&m.reason)
                    .push_bind(&m.currency)
                    .push_bind(ids_json(&m.bank_ids))
                    .push_bind(ids_json(&m.book_ids))
                    .push_bind(m.bank_at)
                    .push_bind(m.posted_at)
                    .push_bind(m.lag_seconds)
                    .push_bind(m.path.as_str());
            });
            qb.push(" ON CONFLICT (organization_id, match_key) DO UPDATE SET run_id = EXCLUDED.run_id, \
                status = EXCLUDED.status, confidence = EXCLUDED.confidence, reason = EXCLUDED.reason, \
                bank_at = EXCLUDED.bank_at, posted_at = EXCLUDED.posted_at, lag_seconds = EXCLUDED.lag_seconds");
            qb.build().execute(conn).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Known {
    id: i64,
    exception_key: String,
    status: String,
    difference: Option<String>,
    reason: String,
}

#[allow(clippy::too_many_arguments)]
async fn apply_lifecycle(
    tx: &mut Tx,
    organization_id: i64,
    run_id: i64,
    exceptions: &[FoundException],
    default_owner: Option<i64>,
    now: DateTime<Utc>,
    outcome: &mut Outcome,
) -> Result<()> {
    let known: Vec<Known> = on_tx!(tx, conn => sqlx::query_as::<_, Known>(
        "SELECT id, exception_key, status, difference, reason FROM exceptions WHERE organization_id = $1")
        .bind(organization_id).fetch_all(conn).await)?;
    let statuses: Vec<(String, ExceptionStatus)> = known
        .iter()
        .map(|k| {
            (
                k.exception_key.clone(),
                k.status.parse().unwrap_or(ExceptionStatus::Open),
            )
        })
        .collect();
    let by_key: HashMap<&str, &Known> = known
        .iter()
        .map(|k| (k.exception_key.as_str(), k))
        .collect();
    let found_keys: Vec<String> = exceptions.iter().map(|e| e.key.clone()).collect();
    let found: HashMap<&str, &FoundException> =
        exceptions.iter().map(|e| (e.key.as_str(), e)).collect();
    let plan = lifecycle::plan(&statuses, &found_keys);
    let system = Actor::system("sync");

    let new: Vec<&FoundException> = plan.new.iter().map(|&i| &exceptions[i]).collect();
    outcome.new_exceptions = new.len();
    for chunk in new.chunks(CHUNK) {
        on_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new("INSERT INTO exceptions (organization_id, exception_key, kind, \
                currency, difference, size_minor, reason, bank_ids, book_ids, occurred_on, status, owner_user_id, \
                present, first_run_id, last_seen_run_id, opened_at, updated_at) ");
            qb.push_values(chunk, |mut b, e| {
                b.push_bind(organization_id)
                    .push_bind(&e.key)
                    .push_bind(&e.kind)
                    .push_bind(&e.currency)
                    .push_bind(e.difference.to_string())
                    .push_bind(e.size_minor)
                    .push_bind(&e.reason)
                    .push_bind(ids_json(&e.bank_ids))
                    .push_bind(ids_json(&e.book_ids))
                    .push_bind(e.occurred_on)
                    .push_bind("open")
                    .push_bind(default_owner)
                    .push_bind(true)
                    .push_bind(run_id)
                    .push_bind(run_id)
                    .push_bind(now)
                    .push_bind(now);
            });
            qb.build().execute(conn).await.map(|r| r.rows_affected())
        })?;
    }

    for key in &plan.reopen {
        let (Some(k), Some(e)) = (by_key.get(key.as_str()), found.get(key.as_str())) else {
            continue;
        };
        on_tx!(tx, conn => sqlx::query("UPDATE exceptions SET status = 'open', resolution = NULL, \
            resolved_at = NULL, present = $1, reopen_count = reopen_count + 1, last_seen_run_id = $2, \
            difference = $3, size_minor = $4, reason = $5, updated_at = $6 WHERE id = $7")
            .bind(true).bind(run_id).bind(e.difference.to_string()).bind(e.size_minor).bind(&e.reason)
            .bind(now).bind(k.id).execute(conn).await.map(|r| r.rows_affected()))?;
        audit::record(
            tx,
            &system,
            Change {
                organization_id: Some(organization_id),
                action: "exception.reopen",
                subject: format!("exception:{}", k.id),
                before: Some(serde_json::json!({"status": k.status})),
                after: Some(serde_json::json!({"status": "open", "reason": "the break is back", "run": run_id})),
            },
            now,
        )
        .await?;
        outcome.reopened += 1;
    }

    let changed: Vec<(&Known, &FoundException)> = plan
        .still
        .iter()
        .filter_map(|key| Some((*by_key.get(key.as_str())?, *found.get(key.as_str())?)))
        .filter(|(k, e)| {
            k.difference.as_deref() != Some(e.difference.to_string().as_str())
                || k.reason != e.reason
        })
        .collect();
    outcome.still_open = plan.still.len();
    for (k, e) in changed {
        on_tx!(tx, conn => sqlx::query("UPDATE exceptions SET difference = $1, size_minor = $2, reason = $3, \
            present = $4, last_seen_run_id = $5, updated_at = $6 WHERE id = $7")
            .bind(e.difference.to_string()).bind(e.size_minor).bind(&e.reason).bind(true).bind(run_id)
            .bind(now).bind(k.id).execute(conn).await.map(|r| r.rows_affected()))?;
    }

    for key in &plan.auto_resolve {
        let Some(k) = by_key.get(key.as_str()) else {
            continue;
        };
        on_tx!(tx, conn => sqlx::query("UPDATE exceptions SET status = 'resolved', resolution = 'auto', \
            resolved_at = $1, present = $2, updated_at = $1 WHERE id = $3")
            .bind(now).bind(false).bind(k.id).execute(conn).await.map(|r| r.rows_affected()))?;
        audit::record(
            tx,
            &system,
            Change {
                organization_id: Some(organization_id),
                action: "exception.auto_resolve",
                subject: format!("exception:{}", k.id),
                before: Some(serde_json::json!({"status": k.status})),
                after: Some(serde_json::json!({"status": "resolved", "reason": "the break no longer appears (fixed in the books or the bank data)", "run": run_id})),
            },
            now,
        )
        .await?;
        outcome.auto_resolved += 1;
    }
    Ok(())
}

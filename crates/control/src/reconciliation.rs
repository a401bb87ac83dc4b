//! The Reconciliation screen's data: matched pairs with their reason, suggested matches and
//! people's decisions on them (kept by match key, applied by every later run), and the balance
//! proof of each fetched statement (opening + movements = closing, per currency).

use crate::audit::{self, Actor, Change};
use crate::db::{Db, Tx, on_pool, on_tx};
use crate::error::{ControlError, Result};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One fetched statement's totals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    pub currency: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub opening: Decimal,
    pub movements: Decimal,
    pub closing: Decimal,
    pub lines: i64,
}

impl Proof {
    /// From a parsed statement, when it carries its opening and closing balances.
    pub fn of(statement: &wise::Statement) -> Option<Proof> {
        Some(Proof {
            currency: statement.currency.as_str().to_owned(),
            from: statement.interval_start?,
            to: statement.interval_end?,
            opening: statement.opening_balance?,
            closing: statement.closing_balance?,
            movements: statement.lines.iter().map(|l| l.amount).sum(),
            lines: statement.lines.len() as i64,
        })
    }

    /// Opening + movements − closing: zero when the statement adds up.
    pub fn difference(&self) -> Decimal {
        self.opening + self.movements - self.closing
    }
}

pub(crate) async fn record_proof_in(
    tx: &mut Tx,
    organization_id: i64,
    proof: &Proof,
    run_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<()> {
    const Q: &str = "INSERT INTO statement_proofs (organization_id, currency, from_at, to_at, opening, \
        movements, closing, lines, run_id, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
        ON CONFLICT (organization_id, currency, from_at, to_at) DO UPDATE SET opening = EXCLUDED.opening, \
        movements = EXCLUDED.movements, closing = EXCLUDED.closing, lines = EXCLUDED.lines, \
        run_id = EXCLUDED.run_id, recorded_at = EXCLUDED.recorded_at";
    on_tx!(tx, conn => sqlx::query(Q)
        .bind(organization_id).bind(&proof.currency).bind(proof.from).bind(proof.to)
        .bind(proof.opening.to_string()).bind(proof.movements.to_string()).bind(proof.closing.to_string())
        .bind(proof.lines).bind(run_id).bind(now)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The newest proof of each currency.
pub async fn proofs(db: &Db, organization_id: i64) -> Result<Vec<Proof>> {
    const Q: &str = "SELECT currency, from_at, to_at, opening, movements, closing, lines \
        FROM statement_proofs WHERE organization_id = $1 ORDER BY currency, to_at DESC, from_at";
    type Row = (
        String,
        DateTime<Utc>,
        DateTime<Utc>,
        String,
        String,
        String,
        i64,
    );
    let rows: Vec<Row> =
        on_pool!(db, pool => sqlx::query_as(Q).bind(organization_id).fetch_all(pool).await)?;
    let dec = |s: &str| -> Result<Decimal> {
        s.parse()
            .map_err(|e| ControlError::Internal(format!("stored proof {s:?}: {e}")))
    };
    let mut out: Vec<Proof> = Vec::new();
    for (currency, from, to, opening, movements, closing, lines) in rows {
        if out.last().is_some_and(|p| p.currency == currency) {
            continue;
        }
        out.push(Proof {
            currency,
            from,
            to,
            opening: dec(&opening)?,
            movements: dec(&movements)?,
            closing: dec(&closing)?,
            lines,
        });
    }
    Ok(out)
}

/// Decisions by match key (`accepted` / `rejected`).
pub(crate) async fn decisions_in(
    tx: &mut Tx,
    organization_id: i64,
) -> Result<HashMap<String, String>> {
    const Q: &str = "SELECT match_key, decision FROM match_decisions WHERE organization_id = $1";
    let rows: Vec<(String, String)> =
        on_tx!(tx, conn => sqlx::query_as(Q).bind(organization_id).fetch_all(conn).await)?;
    Ok(rows.into_iter().collect())
}

/// Records a person's verdict on a suggested match. It applies from the next run on (a
/// rejected match becomes unmatched lines and postings; an accepted one counts as reconciled)
/// and now to the stored match's status.
pub async fn decide(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    match_key: &str,
    accept: bool,
    note: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let decision = if accept { "accepted" } else { "rejected" };
    if !accept && note.trim().is_empty() {
        return Err(ControlError::Invalid(
            "say why the match is wrong before rejecting it".into(),
        ));
    }
    let mut tx = db.begin().await?;
    let status: Option<String> = on_tx!(&mut tx, conn => sqlx::query_scalar(
        "SELECT status FROM recon_matches WHERE organization_id = $1 AND match_key = $2")
        .bind(organization_id).bind(match_key).fetch_optional(conn).await)?;
    match status.as_deref() {
        None => return Err(ControlError::NotFound("match")),
        Some("auto") => {
            return Err(ControlError::Conflict(
                "this match was made automatically; only suggested matches need a decision".into(),
            ));
        }
        _ => {}
    }
    const UPSERT: &str = "INSERT INTO match_decisions (organization_id, match_key, decision, note, decided_by, decided_at) \
        VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (organization_id, match_key) DO UPDATE SET \
        decision = EXCLUDED.decision, note = EXCLUDED.note, decided_by = EXCLUDED.decided_by, decided_at = EXCLUDED.decided_at";
    on_tx!(&mut tx, conn => sqlx::query(UPSERT)
        .bind(organization_id).bind(match_key).bind(decision).bind(note.trim()).bind(actor.user_id).bind(now)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    on_tx!(&mut tx, conn => sqlx::query("UPDATE recon_matches SET status = $1 WHERE organization_id = $2 AND match_key = $3")
        .bind(decision).bind(organization_id).bind(match_key).execute(conn).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: if accept {
                "match.accept"
            } else {
                "match.reject"
            },
            subject: format!("match:{match_key}"),
            before: Some(serde_json::json!({"status": status})),
            after: Some(serde_json::json!({"status": decision, "note": note.trim()})),
        },
        now,
    )
    .await?;
    tx.commit().await
}

/// A stored match, as listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct MatchRow {
    pub match_key: String,
    pub kind: String,
    pub status: String,
    pub confidence: String,
    pub reason: String,
    pub currency: String,
    pub bank_ids: String,
    pub book_ids: String,
    pub bank_at: Option<DateTime<Utc>>,
    pub lag_seconds: Option<i64>,
}

/// Which matches to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MatchFilter {
    pub currency: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// `auto`, `suggested`, `accepted`, `rejected`, or all.
    pub status: Option<String>,
}

pub const PAGE: i64 = 50;

/// One page of matches (newest bank movement first) and whether an older page exists. The
/// SQL names only the filters given, so each query runs on an index.
pub async fn matches(
    db: &Db,
    organization_id: i64,
    filter: &MatchFilter,
    page: i64,
) -> Result<(Vec<MatchRow>, bool)> {
    let from = filter.from.map(|d| d.and_time(NaiveTime::MIN).and_utc());
    let to = filter.to.map(|d| {
        (d + chrono::Duration::days(1))
            .and_time(NaiveTime::MIN)
            .and_utc()
    });
    let mut sql = String::from(
        "SELECT match_key, kind, status, confidence, reason, currency, bank_ids, book_ids, bank_at, lag_seconds \
         FROM recon_matches WHERE organization_id = $1",
    );
    let mut n = 1;
    let mut next = |sql: &mut String, clause: &str| {
        n += 1;
        sql.push_str(&clause.replace('?', &format!("${n}")));
    };
    if filter.currency.is_some() {
        next(&mut sql, " AND currency = ?");
    }
    if filter.status.is_some() {
        next(&mut sql, " AND status = ?");
    }
    if from.is_some() {
        next(&mut sql, " AND bank_at >= ?");
    }
    if to.is_some() {
        next(&mut sql, " AND bank_at < ?");
    }
    next(&mut sql, " ORDER BY bank_at DESC, match_key LIMIT ?");
    next(&mut sql, " OFFSET ?");
    let offset = page.max(0) * PAGE;
    let mut rows = on_pool!(db, pool => {
        let mut q = sqlx::query_as::<_, MatchRow>(&sql).bind(organization_id);
        if let Some(c) = &filter.currency {
            q = q.bind(c);
        }
        if let Some(s) = &filter.status {
            q = q.bind(s);
        }
        if let Some(f) = from {
            q = q.bind(f);
        }
        if let Some(t) = to {
            q = q.bind(t);
        }
        q.bind(PAGE + 1).bind(offset).fetch_all(pool).await
    })?;
    let more = rows.len() as i64 > PAGE;
    rows.truncate(PAGE as usize);
    Ok((rows, more))
}

/// How many matches await a decision.
pub async fn suggested_count(db: &Db, organization_id: i64) -> Result<i64> {
    const Q: &str =
        "SELECT COUNT(*) FROM recon_matches WHERE organization_id = $1 AND status = 'suggested'";
    Ok(
        on_pool!(db, pool => sqlx::query_scalar::<_, i64>(Q).bind(organization_id).fetch_one(pool).await)?,
    )
}

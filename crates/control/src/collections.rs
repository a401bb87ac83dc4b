//! Collections (DESIGN.md screen 10): the A/R aging fetched from QuickBooks through the real
//! client (`AgedReceivables` for the bucket totals, `AgedReceivableDetail` for the open
//! invoices), cached here with a refresh action; each overdue invoice gets a named follow-up
//! owner and a log of follow-ups. Owners and follow-ups are keyed by the invoice, so they
//! survive refreshes; an invoice a refresh no longer lists is closed (paid or credited).

use crate::audit::{self, Actor, Change};
use crate::db::{Db, on_pool, on_tx};
use crate::error::{ControlError, Result};
use crate::follow_up::Outcome;
use chrono::{DateTime, NaiveDate, Utc};
use qbo::reports::{AgingBucket, AgingDetail, AgingParams, AgingSummary};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashSet};

const MAX_NOTE: usize = 4000;

/// "Current", "1–30 days", "91+ days".
pub fn bucket_label(b: AgingBucket) -> String {
    match b {
        AgingBucket::Current => "Current".into(),
        AgingBucket::PastDue { from, to: Some(to) } => format!("{from}–{to} days"),
        AgingBucket::PastDue { from, to: None } => format!("{from}+ days"),
    }
}

/// One customer's line of the aging summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerLine {
    pub customer_id: Option<String>,
    pub name: String,
    /// Aligned with [`Aging::buckets`].
    pub amounts: Vec<Decimal>,
    pub total: Decimal,
}

/// The cached `AgedReceivables` report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aging {
    pub report_date: NaiveDate,
    pub currency: Option<String>,
    pub buckets: Vec<String>,
    pub bucket_totals: Vec<Decimal>,
    pub total: Decimal,
    pub customers: Vec<CustomerLine>,
    pub fetched_at: DateTime<Utc>,
    pub fetched_by_name: Option<String>,
}

impl Aging {
    /// Each bucket's total in whole currency units (rounded), for a chart.
    pub fn whole_unit_bars(&self) -> Vec<(String, i64)> {
        use rust_decimal::prelude::ToPrimitive;
        self.buckets
            .iter()
            .zip(&self.bucket_totals)
            .map(|(b, t)| (b.clone(), t.round().to_i64().unwrap_or(0)))
            .collect()
    }

    /// Each bucket's share of the total, in whole percent (for a bar chart).
    pub fn shares(&self) -> Vec<u32> {
        use rust_decimal::prelude::ToPrimitive;
        self.bucket_totals
            .iter()
            .map(|amount| {
                if self.total.is_zero() {
                    0
                } else {
                    (*amount * Decimal::ONE_HUNDRED / self.total)
                        .round()
                        .to_u32()
                        .unwrap_or(0)
                }
            })
            .collect()
    }
}

/// An amount as the reports print it: two decimals, halves away from zero.
pub fn amount_text(amount: Decimal) -> String {
    let rounded =
        amount.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    format!("{rounded:.2}")
}

/// The part of [`Aging`] kept as JSON.
#[derive(Serialize, Deserialize)]
struct StoredSummary {
    buckets: Vec<String>,
    bucket_totals: Vec<Decimal>,
    total: Decimal,
    customers: Vec<CustomerLine>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    pub id: i64,
    pub contacted_on: NaiveDate,
    pub promised_on: Option<NaiveDate>,
    pub outcome: Outcome,
    pub note: String,
    pub by_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// An open invoice from the last refresh.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    /// `invoice:<QBO Id>`, or `doc:<customer>:<number>` when the report gives no Id.
    pub key: String,
    pub txn_id: Option<String>,
    pub doc_number: String,
    pub customer_name: String,
    pub txn_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub amount: Option<Decimal>,
    pub open_balance: Decimal,
    pub currency: Option<String>,
    pub bucket: String,
    /// Days past due on the report date (0: not due yet).
    pub days_overdue: i64,
    pub owner_user_id: Option<i64>,
    pub owner_name: Option<String>,
    /// Newest first.
    pub follow_ups: Vec<FollowUp>,
}

impl Invoice {
    pub fn is_overdue(&self) -> bool {
        self.days_overdue > 0
    }
}

/// Everything the Collections screen shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collections {
    pub aging: Option<Aging>,
    /// Open invoices, most overdue first.
    pub invoices: Vec<Invoice>,
    pub overdue: usize,
    pub unassigned_overdue: usize,
}

/// What a refresh did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refreshed {
    pub open: usize,
    pub overdue: usize,
    pub closed: u64,
}

/// Fetches both aging reports for `now`'s date from QuickBooks and stores them.
pub async fn refresh(
    ctx: &crate::sync::Context,
    actor: &Actor,
    organization_id: i64,
    now: DateTime<Utc>,
) -> Result<Refreshed> {
    let company = crate::sync::qbo_company(ctx, organization_id)
        .await
        .map_err(|f| ControlError::Invalid(f.message))?;
    let report_date = now.date_naive();
    let params = AgingParams {
        report_date: Some(report_date),
        customer_ids: Vec::new(),
    };
    let upstream = |e: qbo::QboError| {
        ControlError::Conflict(format!("QuickBooks did not deliver the A/R aging: {e}"))
    };
    let summary = company.aged_receivables(&params).await.map_err(upstream)?;
    let detail = company
        .aged_receivable_detail(&params)
        .await
        .map_err(upstream)?;
    store(
        &ctx.db,
        actor,
        organization_id,
        report_date,
        &summary,
        &detail,
        now,
    )
    .await
}

fn invoice_key(txn_id: Option<&str>, customer_id: Option<&str>, doc: &str) -> String {
    match txn_id.filter(|t| !t.is_empty()) {
        Some(id) => format!("invoice:{id}"),
        None => format!("doc:{}:{doc}", customer_id.unwrap_or("")),
    }
}

/// Stores a fetched pair of reports: the summary replaces the cached one, open invoices are
/// upserted (owners kept) and the ones no longer listed are closed.
pub async fn store(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    report_date: NaiveDate,
    summary: &AgingSummary,
    detail: &AgingDetail,
    now: DateTime<Utc>,
) -> Result<Refreshed> {
    let stored = StoredSummary {
        buckets: summary.buckets.iter().map(|b| bucket_label(*b)).collect(),
        bucket_totals: summary.bucket_totals.clone(),
        total: summary.total,
        customers: summary
            .customers
            .iter()
            .map(|c| CustomerLine {
                customer_id: c.customer_id.clone(),
                name: c.name.clone(),
                amounts: c.amounts.clone(),
                total: c.total,
            })
            .collect(),
    };
    let summary_text =
        serde_json::to_string(&stored).map_err(|e| ControlError::Internal(e.to_string()))?;
    let report_date = summary
        .report_date
        .or(detail.report_date)
        .unwrap_or(report_date);
    let mut tx = db.begin().await?;
    const AGING: &str = "INSERT INTO ar_aging (organization_id, report_date, currency, summary, \
        fetched_at, fetched_by) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (organization_id) \
        DO UPDATE SET report_date = EXCLUDED.report_date, currency = EXCLUDED.currency, \
        summary = EXCLUDED.summary, fetched_at = EXCLUDED.fetched_at, fetched_by = EXCLUDED.fetched_by";
    on_tx!(&mut tx, conn => sqlx::query(AGING)
        .bind(organization_id)
        .bind(report_date)
        .bind(summary.currency.as_deref().or(detail.currency.as_deref()))
        .bind(&summary_text)
        .bind(now)
        .bind(actor.user_id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    let mut seen = HashSet::new();
    let mut out = Refreshed::default();
    // Only what is owed to the business: payments and credits carry negative open balances.
    for line in detail
        .lines
        .iter()
        .filter(|l| l.open_balance > Decimal::ZERO)
    {
        let key = invoice_key(
            line.txn_id.as_deref(),
            line.customer_id.as_deref(),
            &line.doc_number,
        );
        if !seen.insert(key.clone()) {
            continue;
        }
        let days_overdue = match (line.due_date, line.bucket) {
            (Some(due), _) => (report_date - due).num_days().max(0),
            (None, AgingBucket::PastDue { from, .. }) => i64::from(from),
            (None, AgingBucket::Current) => 0,
        };
        out.open += 1;
        if days_overdue > 0 {
            out.overdue += 1;
        }
        const UPSERT: &str = "INSERT INTO ar_invoices (organization_id, invoice_key, txn_id, \
            doc_number, customer_id, customer_name, txn_date, due_date, amount, open_balance, \
            currency, bucket, days_overdue, open, first_seen_at, last_seen_at) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) \
            ON CONFLICT (organization_id, invoice_key) DO UPDATE SET txn_id = EXCLUDED.txn_id, \
            doc_number = EXCLUDED.doc_number, customer_id = EXCLUDED.customer_id, \
            customer_name = EXCLUDED.customer_name, txn_date = EXCLUDED.txn_date, \
            due_date = EXCLUDED.due_date, amount = EXCLUDED.amount, \
            open_balance = EXCLUDED.open_balance, currency = EXCLUDED.currency, \
            bucket = EXCLUDED.bucket, days_overdue = EXCLUDED.days_overdue, open = EXCLUDED.open, \
            last_seen_at = EXCLUDED.last_seen_at";
        on_tx!(&mut tx, conn => sqlx::query(UPSERT)
            .bind(organization_id)
            .bind(&key)
            .bind(&line.txn_id)
            .bind(&line.doc_number)
            .bind(&line.customer_id)
            .bind(&line.customer_name)
            .bind(line.txn_date)
            .bind(line.due_date)
            .bind(line.amount.map(|a| a.normalize().to_string()))
            .bind(line.open_balance.normalize().to_string())
            .bind(line.currency.as_deref().or(detail.currency.as_deref()))
            .bind(bucket_label(line.bucket))
            .bind(days_overdue as i32)
            .bind(true)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?;
    }
    // Everything this refresh upserted carries `now`; what it did not list is settled.
    const CLOSE: &str = "UPDATE ar_invoices SET open = $1 WHERE organization_id = $2 AND open \
        AND last_seen_at < $3";
    out.closed = on_tx!(&mut tx, conn => sqlx::query(CLOSE)
        .bind(false).bind(organization_id).bind(now)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "collections.refresh",
            subject: format!("organization:{organization_id}"),
            before: None,
            after: Some(json!({
                "report_date": report_date,
                "total": summary.total,
                "open_invoices": out.open,
                "overdue": out.overdue,
                "closed": out.closed,
            })),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

fn dec(s: &str) -> Result<Decimal> {
    s.parse()
        .map_err(|e| ControlError::Internal(format!("stored amount {s:?}: {e}")))
}

#[derive(sqlx::FromRow)]
struct AgingRow {
    report_date: NaiveDate,
    currency: Option<String>,
    summary: String,
    fetched_at: DateTime<Utc>,
    fetched_by_name: Option<String>,
}

#[derive(sqlx::FromRow)]
struct InvoiceRow {
    invoice_key: String,
    txn_id: Option<String>,
    doc_number: String,
    customer_name: String,
    txn_date: Option<NaiveDate>,
    due_date: Option<NaiveDate>,
    amount: Option<String>,
    open_balance: String,
    currency: Option<String>,
    bucket: String,
    days_overdue: i32,
    owner_user_id: Option<i64>,
    owner_name: Option<String>,
}

#[derive(sqlx::FromRow)]
struct FollowUpRow {
    id: i64,
    invoice_key: String,
    contacted_on: NaiveDate,
    promised_on: Option<NaiveDate>,
    outcome: String,
    note: String,
    by_name: Option<String>,
    created_at: DateTime<Utc>,
}

/// The cached aging and the open invoices with their owners and follow-ups.
pub async fn view(db: &Db, organization_id: i64) -> Result<Collections> {
    const AGING: &str = "SELECT a.report_date, a.currency, a.summary, a.fetched_at, \
        u.display_name AS fetched_by_name FROM ar_aging a LEFT JOIN users u ON u.id = a.fetched_by \
        WHERE a.organization_id = $1";
    let aging = on_pool!(db, pool => sqlx::query_as::<_, AgingRow>(AGING)
        .bind(organization_id).fetch_optional(pool).await)?;
    let aging = match aging {
        None => None,
        Some(a) => {
            let s: StoredSummary = serde_json::from_str(&a.summary)
                .map_err(|e| ControlError::Internal(format!("stored aging: {e}")))?;
            Some(Aging {
                report_date: a.report_date,
                currency: a.currency,
                buckets: s.buckets,
                bucket_totals: s.bucket_totals,
                total: s.total,
                customers: s.customers,
                fetched_at: a.fetched_at,
                fetched_by_name: a.fetched_by_name,
            })
        }
    };
    const INVOICES: &str = "SELECT i.invoice_key, i.txn_id, i.doc_number, i.customer_name, \
        i.txn_date, i.due_date, i.amount, i.open_balance, i.currency, i.bucket, i.days_overdue, \
        i.owner_user_id, u.display_name AS owner_name FROM ar_invoices i \
        LEFT JOIN users u ON u.id = i.owner_user_id WHERE i.organization_id = $1 AND i.open \
        ORDER BY i.days_overdue DESC, i.customer_name, i.doc_number";
    let rows = on_pool!(db, pool => sqlx::query_as::<_, InvoiceRow>(INVOICES)
        .bind(organization_id).fetch_all(pool).await)?;
    const FOLLOW_UPS: &str = "SELECT f.id, f.invoice_key, f.contacted_on, f.promised_on, \
        f.outcome, f.note, u.display_name AS by_name, f.created_at FROM collection_followups f \
        LEFT JOIN users u ON u.id = f.created_by WHERE f.organization_id = $1 ORDER BY f.id DESC";
    let follow_ups = on_pool!(db, pool => sqlx::query_as::<_, FollowUpRow>(FOLLOW_UPS)
        .bind(organization_id).fetch_all(pool).await)?;
    let mut by_invoice: BTreeMap<String, Vec<FollowUp>> = BTreeMap::new();
    for f in follow_ups {
        by_invoice.entry(f.invoice_key).or_default().push(FollowUp {
            id: f.id,
            contacted_on: f.contacted_on,
            promised_on: f.promised_on,
            outcome: f.outcome.parse().map_err(ControlError::Internal)?,
            note: f.note,
            by_name: f.by_name,
            created_at: f.created_at,
        });
    }
    let invoices = rows
        .into_iter()
        .map(|r| {
            Ok(Invoice {
                follow_ups: by_invoice.remove(&r.invoice_key).unwrap_or_default(),
                amount: r.amount.as_deref().map(dec).transpose()?,
                open_balance: dec(&r.open_balance)?,
                key: r.invoice_key,
                txn_id: r.txn_id,
                doc_number: r.doc_number,
                customer_name: r.customer_name,
                txn_date: r.txn_date,
                due_date: r.due_date,
                currency: r.currency,
                bucket: r.bucket,
                days_overdue: i64::from(r.days_overdue),
                owner_user_id: r.owner_user_id,
                owner_name: r.owner_name,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let overdue = invoices.iter().filter(|i| i.is_overdue()).count();
    let unassigned_overdue = invoices
        .iter()
        .filter(|i| i.is_overdue() && i.owner_user_id.is_none())
        .count();
    Ok(Collections {
        aging,
        invoices,
        overdue,
        unassigned_overdue,
    })
}

/// What the weekly control run reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    pub fetched_at: Option<DateTime<Utc>>,
    pub overdue: i64,
    pub unassigned_overdue: i64,
}

pub async fn counts(db: &Db, organization_id: i64) -> Result<Counts> {
    const FETCHED: &str = "SELECT fetched_at FROM ar_aging WHERE organization_id = $1";
    let fetched_at: Option<DateTime<Utc>> = on_pool!(db, pool => sqlx::query_scalar(FETCHED)
        .bind(organization_id).fetch_optional(pool).await)?;
    const Q: &str = "SELECT COUNT(*), \
        COALESCE(SUM(CASE WHEN owner_user_id IS NULL THEN 1 ELSE 0 END), 0) \
        FROM ar_invoices WHERE organization_id = $1 AND open AND days_overdue > 0";
    let (overdue, unassigned_overdue): (i64, i64) = on_pool!(db, pool => sqlx::query_as(Q)
        .bind(organization_id).fetch_one(pool).await)?;
    Ok(Counts {
        fetched_at,
        overdue,
        unassigned_overdue,
    })
}

async fn require_invoice(db: &Db, organization_id: i64, key: &str) -> Result<Option<i64>> {
    const Q: &str =
        "SELECT owner_user_id FROM ar_invoices WHERE organization_id = $1 AND invoice_key = $2";
    let row: Option<(Option<i64>,)> = on_pool!(db, pool => sqlx::query_as(Q)
        .bind(organization_id).bind(key).fetch_optional(pool).await)?;
    row.map(|(o,)| o).ok_or(ControlError::NotFound("invoice"))
}

/// Names (or clears) the follow-up owner of an invoice.
pub async fn assign(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    invoice_key: &str,
    owner: Option<i64>,
    now: DateTime<Utc>,
) -> Result<()> {
    let before = require_invoice(db, organization_id, invoice_key).await?;
    let mut tx = db.begin().await?;
    if let Some(owner) = owner {
        crate::members::require_active_member(&mut tx, owner, organization_id).await?;
    }
    const Q: &str = "UPDATE ar_invoices SET owner_user_id = $1 WHERE organization_id = $2 \
        AND invoice_key = $3";
    on_tx!(&mut tx, conn => sqlx::query(Q)
        .bind(owner).bind(organization_id).bind(invoice_key)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "collections.assign",
            subject: format!("ar_invoice:{invoice_key}"),
            before: Some(json!({"owner_user_id": before})),
            after: Some(json!({"owner_user_id": owner})),
        },
        now,
    )
    .await?;
    tx.commit().await
}

/// One contact with a customer about an invoice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewFollowUp {
    pub contacted_on: NaiveDate,
    pub promised_on: Option<NaiveDate>,
    pub outcome: Outcome,
    pub note: String,
}

/// Logs a follow-up on an invoice; returns its id.
pub async fn log_follow_up(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    invoice_key: &str,
    new: NewFollowUp,
    now: DateTime<Utc>,
) -> Result<i64> {
    let today = now.date_naive();
    if new.contacted_on > today {
        return Err(ControlError::invalid(
            "the contact date is in the future; log a follow-up once it happened",
        ));
    }
    if let Some(p) = new.promised_on
        && p < new.contacted_on
    {
        return Err(ControlError::invalid(
            "the promised payment date is before the contact date",
        ));
    }
    if new.outcome == Outcome::Promised && new.promised_on.is_none() {
        return Err(ControlError::invalid(
            "a promise to pay needs the promised date",
        ));
    }
    let note = new.note.trim();
    if note.chars().count() > MAX_NOTE {
        return Err(ControlError::invalid(format!(
            "a note may have at most {MAX_NOTE} characters"
        )));
    }
    require_invoice(db, organization_id, invoice_key).await?;
    let mut tx = db.begin().await?;
    const Q: &str = "INSERT INTO collection_followups (organization_id, invoice_key, contacted_on, \
        promised_on, outcome, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
        RETURNING id";
    let id: i64 = on_tx!(&mut tx, conn => sqlx::query_scalar(Q)
        .bind(organization_id)
        .bind(invoice_key)
        .bind(new.contacted_on)
        .bind(new.promised_on)
        .bind(new.outcome.as_str())
        .bind(note)
        .bind(actor.user_id)
        .bind(now)
        .fetch_one(conn)
        .await)?;
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "collections.follow_up",
            subject: format!("ar_invoice:{invoice_key}"),
            before: None,
            after: Some(json!({
                "follow_up": id,
                "contacted_on": new.contacted_on,
                "promised_on": new.promised_on,
                "outcome": new.outcome,
                "note": note,
            })),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_and_keys_read_well() {
        assert_eq!(bucket_label(AgingBucket::Current), "Current");
        assert_eq!(bucket_label(AgingBucket::for_days(45)), "31–60 days");
        assert_eq!(bucket_label(AgingBucket::for_days(400)), "91+ days");
        assert_eq!(invoice_key(Some("130"), Some("24"), "1037"), "invoice:130");
        assert_eq!(invoice_key(None, Some("24"), "1037"), "doc:24:1037");
        assert_eq!(amount_text(Decimal::new(5, 0)), "5.00");
        assert_eq!(amount_text(Decimal::new(12345, 3)), "12.35");
    }
}

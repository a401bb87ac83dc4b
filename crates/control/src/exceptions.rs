//! The exception queue: the filtered, sorted, paged list with its standing counts, one
//! exception with both sides of the break, and the work on it (owner, next action and due
//! date, status, comments), each change audited in the same transaction. CSV export of any
//! filter.
//!
//! The sync writes the breaks ([`crate::results`]); this module only ever changes the work
//! fields, so the two never fight over a column.

use crate::aging::{age_days, aged_from};
use crate::audit::{self, Actor, Change};
use crate::csv_write;
use crate::db::{Db, Tx, on_pool, on_tx};
use crate::error::{ControlError, Result};
use crate::exception_filter::{OwnerFilter, PAGE_SIZE, QueueFilter, QueueSort, StatusFilter};
use crate::exception_queue::{
    BankSide, BookSide, Comment, ExceptionDetail, ExceptionRow, HistoryEntry, QueueCounts,
    QueuePage,
};
use crate::exception_status::ExceptionStatus;
use crate::role::Role;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::{BTreeSet, HashMap};

/// Longest next action, comment and status note.
pub const MAX_NEXT_ACTION: usize = 500;
pub const MAX_COMMENT: usize = 4000;
/// Most exceptions one bulk assignment may name.
pub const MAX_BULK: usize = 1000;
/// Ids per `IN (…)` list.
const CHUNK: usize = 400;

/// A value bound to a `$n` placeholder of a query built at run time.
#[derive(Clone, Debug, PartialEq)]
enum Arg {
    Int(i64),
    Text(String),
    Date(NaiveDate),
}

/// SQL text with its arguments, numbered in the order they are added.
#[derive(Debug, Default)]
struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    /// The placeholder for a new argument.
    fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }
}

/// Binds every [`Arg`] of `$args` to the query `$q`, in order (expanded per backend).
macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_str()),
                Arg::Date(v) => q.bind(*v),
            };
        }
        q
    }};
}

/// The WHERE clause (on alias `e`) for a filter; `$1` is the organization.
fn filter_sql(organization_id: i64, f: &QueueFilter, today: NaiveDate) -> Sql {
    let mut sql = Sql::default();
    let org = sql.arg(Arg::Int(organization_id));
    let mut parts = vec![format!("e.organization_id = {org}")];
    if let Some(kind) = f.kind {
        parts.push(format!(
            "e.kind = {}",
            sql.arg(Arg::Text(kind.as_str().into()))
        ));
    }
    match f.owner {
        OwnerFilter::Anyone => {}
        OwnerFilter::Unassigned => parts.push("e.owner_user_id IS NULL".into()),
        OwnerFilter::Person(id) => {
            parts.push(format!("e.owner_user_id = {}", sql.arg(Arg::Int(id))));
        }
    }
    let statuses = f.status.statuses();
    if f.status == StatusFilter::Active {
        parts.push(format!("e.status IN {ACTIVE}"));
    } else if statuses.len() < ExceptionStatus::ALL.len() {
        let list: Vec<String> = statuses
            .iter()
            .map(|s| sql.arg(Arg::Text(s.as_str().into())))
            .collect();
        parts.push(format!("e.status IN ({})", list.join(", ")));
    }
    if let Some(c) = &f.currency {
        parts.push(format!("e.currency = {}", sql.arg(Arg::Text(c.clone()))));
    }
    if let Some(bucket) = f.age {
        // A plain range on the break's date, which the date index serves. (A break without a
        // date — none in practice — matches no age bucket.)
        let (earliest, latest) = bucket.dates(today);
        parts.push(format!("e.occurred_on <= {}", sql.arg(Arg::Date(latest))));
        if let Some(e) = earliest {
            parts.push(format!("e.occurred_on >= {}", sql.arg(Arg::Date(e))));
        }
    }
    if let Some(min) = f.min_minor {
        parts.push(format!("e.size_minor >= {}", sql.arg(Arg::Int(min))));
    }
    if let Some(max) = f.max_minor {
        parts.push(format!("e.size_minor <= {}", sql.arg(Arg::Int(max))));
    }
    sql.text = parts.join(" AND ");
    sql
}

/// The active statuses as a literal list: the partial indexes of migration 0005 carry the
/// same text, and a planner only uses a partial index when the query states its condition.
const ACTIVE: &str = "('open', 'in_progress', 'waiting_on_vendor')";

/// Each order is the column order of one of those indexes, so a page is read in order. (A
/// break always has a date in practice; one without would sort where the backend puts NULLs.)
fn order_sql(sort: QueueSort) -> &'static str {
    match sort {
        QueueSort::Age => "e.occurred_on, e.id",
        QueueSort::Amount => "e.size_minor DESC, e.id DESC",
        QueueSort::Due => "e.due_on IS NULL, e.due_on, e.id",
    }
}

const SELECT: &str = "SELECT e.id, e.kind, e.currency, e.difference, e.reason, e.bank_ids, \
    e.book_ids, e.occurred_on, e.status, e.resolution, e.owner_user_id, \
    u.display_name AS owner_name, e.next_action, e.due_on, e.reopen_count, e.opened_at, \
    e.resolved_at FROM exceptions e LEFT JOIN users u ON u.id = e.owner_user_id";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    kind: String,
    currency: String,
    difference: Option<String>,
    reason: String,
    bank_ids: String,
    book_ids: String,
    occurred_on: Option<NaiveDate>,
    status: String,
    resolution: Option<String>,
    owner_user_id: Option<i64>,
    owner_name: Option<String>,
    next_action: String,
    due_on: Option<NaiveDate>,
    reopen_count: i32,
    opened_at: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
}

impl Row {
    fn into_row(self, today: NaiveDate) -> Result<ExceptionRow> {
        let bad = |what: &str, e: String| {
            ControlError::Internal(format!("stored exception {}: {what}: {e}", self.id))
        };
        let status: ExceptionStatus = self.status.parse().map_err(|e| bad("status", e))?;
        let ids = |s: &str| -> Result<Vec<String>> {
            serde_json::from_str(s).map_err(|e| bad("ids", e.to_string()))
        };
        Ok(ExceptionRow {
            id: self.id,
            kind: self.kind.parse().map_err(|e| bad("kind", e))?,
            difference: self
                .difference
                .as_deref()
                .map(|d| d.parse::<Decimal>())
                .transpose()
                .map_err(|e| bad("difference", e.to_string()))?,
            bank_ids: ids(&self.bank_ids)?,
            book_ids: ids(&self.book_ids)?,
            age_days: age_days(aged_from(self.occurred_on, self.opened_at), today),
            overdue: status.is_active() && self.due_on.is_some_and(|d| d < today),
            currency: self.currency,
            reason: self.reason,
            occurred_on: self.occurred_on,
            status,
            resolution: self.resolution,
            owner_user_id: self.owner_user_id,
            owner_name: self.owner_name,
            next_action: self.next_action,
            due_on: self.due_on,
            reopen_count: self.reopen_count,
            opened_at: self.opened_at,
            resolved_at: self.resolved_at,
        })
    }
}

/// The queue's standing figures: active, active without an owner, active and overdue.
pub async fn counts(db: &Db, organization_id: i64, today: NaiveDate) -> Result<QueueCounts> {
    let q = format!(
        "SELECT COUNT(*), \
         COALESCE(SUM(CASE WHEN owner_user_id IS NULL THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN due_on < $2 THEN 1 ELSE 0 END), 0) \
         FROM exceptions WHERE organization_id = $1 AND status IN {ACTIVE}"
    );
    let (open, unassigned, overdue) = on_pool!(db, pool => sqlx::query_as::<_, (i64, i64, i64)>(&q)
        .bind(organization_id).bind(today).fetch_one(pool).await)?;
    Ok(QueueCounts {
        open,
        unassigned,
        overdue,
    })
}

/// One page of the queue under `filter`, with the standing counts.
pub async fn list(
    db: &Db,
    organization_id: i64,
    filter: &QueueFilter,
    today: NaiveDate,
) -> Result<QueuePage> {
    let sql = filter_sql(organization_id, filter, today);
    let count_q = format!("SELECT COUNT(*) FROM exceptions e WHERE {}", sql.text);
    let total = on_pool!(db, pool => bind_args!(sqlx::query_scalar::<_, i64>(&count_q), &sql.args)
        .fetch_one(pool).await)?;
    let pages = (total.max(1) as u64).div_ceil(PAGE_SIZE as u64) as u32;
    let page = filter.page.min(pages).max(1);
    // The page's ids first (a narrow sort when no index serves it), then their rows.
    let ids_q = format!(
        "SELECT e.id FROM exceptions e WHERE {} ORDER BY {} LIMIT {PAGE_SIZE} OFFSET {}",
        sql.text,
        order_sql(filter.sort),
        u64::from(page - 1) * u64::from(PAGE_SIZE)
    );
    let ids = on_pool!(db, pool => bind_args!(sqlx::query_scalar::<_, i64>(&ids_q), &sql.args)
        .fetch_all(pool).await)?;
    let mut rows = rows_by_id(db, &ids).await?;
    let position: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    rows.sort_by_key(|r| position.get(&r.id).copied());
    Ok(QueuePage {
        rows: rows
            .into_iter()
            .map(|r| r.into_row(today))
            .collect::<Result<_>>()?,
        total,
        page,
        pages,
        counts: counts(db, organization_id, today).await?,
        currencies: currencies(db, organization_id).await?,
        today,
    })
}

async fn rows_by_id(db: &Db, ids: &[i64]) -> Result<Vec<Row>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(on_pool!(db, pool => {
        // By primary key only: the ids come from a query on this organization, and naming
        // the organization here would tempt SQLite into scanning it.
        let mut qb = sqlx::QueryBuilder::new(SELECT);
        qb.push(" WHERE e.id IN (");
        let mut sep = qb.separated(", ");
        for id in ids {
            sep.push_bind(*id);
        }
        qb.push(")");
        qb.build_query_as::<Row>().fetch_all(pool).await
    })?)
}

/// The currencies the organization has exceptions in. A recursive skip scan: one index seek
/// per currency instead of reading every row.
async fn currencies(db: &Db, organization_id: i64) -> Result<Vec<String>> {
    const Q: &str = "WITH RECURSIVE c (currency) AS ( \
        SELECT MIN(currency) FROM exceptions WHERE organization_id = $1 \
        UNION ALL \
        SELECT (SELECT MIN(x.currency) FROM exceptions x \
                WHERE x.organization_id = $1 AND x.currency > c.currency) \
        FROM c WHERE c.currency IS NOT NULL) \
        SELECT currency FROM c WHERE currency IS NOT NULL";
    Ok(on_pool!(db, pool => sqlx::query_scalar::<_, String>(Q)
        .bind(organization_id).fetch_all(pool).await)?)
}

/// Every exception under `filter` (all pages), sorted the same way, as CSV.
pub async fn export_csv(
    db: &Db,
    organization_id: i64,
    filter: &QueueFilter,
    today: NaiveDate,
) -> Result<String> {
    let sql = filter_sql(organization_id, filter, today);
    let q = format!(
        "{SELECT} WHERE {} ORDER BY {}",
        sql.text,
        order_sql(filter.sort)
    );
    let rows = on_pool!(db, pool => bind_args!(sqlx::query_as::<_, Row>(&q), &sql.args)
        .fetch_all(pool).await)?;
    let mut out = String::with_capacity(256 * (rows.len() + 1));
    let header = [
        "id",
        "kind",
        "status",
        "currency",
        "difference",
        "age_days",
        "occurred_on",
        "owner",
        "next_action",
        "due_on",
        "overdue",
        "resolution",
        "opened_at",
        "resolved_at",
        "reason",
        "bank_ids",
        "book_ids",
    ];
    csv_write::push_record(
        &mut out,
        &header.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
    );
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let time = |t: Option<DateTime<Utc>>| {
        t.map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default()
    };
    for row in rows {
        let e = row.into_row(today)?;
        csv_write::push_record(
            &mut out,
            &[
                e.id.to_string(),
                e.kind.as_str().into(),
                e.status.as_str().into(),
                csv_write::field(&e.currency),
                e.difference.map(|d| d.to_string()).unwrap_or_default(),
                e.age_days.to_string(),
                date(e.occurred_on),
                csv_write::text(e.owner_name.as_deref().unwrap_or_default()),
                csv_write::text(&e.next_action),
                date(e.due_on),
                if e.overdue { "yes" } else { "no" }.into(),
                e.resolution.unwrap_or_default(),
                time(Some(e.opened_at)),
                time(e.resolved_at),
                csv_write::text(&e.reason),
                csv_write::text(&e.bank_ids.join(" ")),
                csv_write::text(&e.book_ids.join(" ")),
            ],
        );
    }
    Ok(out)
}

/// One exception of the organization.
pub async fn get(db: &Db, organization_id: i64, id: i64, today: NaiveDate) -> Result<ExceptionRow> {
    let mut tx = db.begin().await?;
    get_in(&mut tx, organization_id, id, today).await
}

async fn get_in(
    tx: &mut Tx,
    organization_id: i64,
    id: i64,
    today: NaiveDate,
) -> Result<ExceptionRow> {
    let q = format!("{SELECT} WHERE e.organization_id = $1 AND e.id = $2");
    let row = on_tx!(tx, conn => sqlx::query_as::<_, Row>(&q)
        .bind(organization_id).bind(id).fetch_optional(conn).await)?;
    row.ok_or(ControlError::NotFound("exception"))?
        .into_row(today)
}

/// `TRANSFER-7#2` → (`TRANSFER-7`, 2): the engine numbers a reference repeated in one
/// balance by booking order ([`crate::findings::numbered`]).
fn split_bank_id(id: &str) -> (&str, usize) {
    match id.rsplit_once('#') {
        Some((reference, n)) => match n.parse::<usize>() {
            Ok(n) if n >= 2 => (reference, n),
            _ => (id, 1),
        },
        None => (id, 1),
    }
}

#[derive(sqlx::FromRow)]
struct BankRow {
    reference: String,
    booked_at: DateTime<Utc>,
    amount: String,
    fee: String,
    counterparty: String,
    payment_reference: String,
    description: String,
    details_type: String,
    source: String,
}

#[derive(sqlx::FromRow)]
struct BookRow {
    external_id: String,
    kind: String,
    txn_date: NaiveDate,
    amount: String,
    doc_number: String,
    payment_ref_num: String,
    memo: String,
    private_note: String,
    counterparty: String,
    is_bank_charge: bool,
    deleted: bool,
}

fn stored_decimal(s: &str) -> Result<Decimal> {
    s.parse()
        .map_err(|e| ControlError::Internal(format!("stored amount {s:?}: {e}")))
}

/// The Wise lines an exception names, in its order; ids not found are returned apart.
async fn bank_sides(
    tx: &mut Tx,
    organization_id: i64,
    e: &ExceptionRow,
) -> Result<(Vec<BankSide>, Vec<String>)> {
    let references: BTreeSet<&str> = e.bank_ids.iter().map(|i| split_bank_id(i).0).collect();
    let references: Vec<&str> = references.into_iter().collect();
    let mut by_reference: HashMap<String, Vec<BankRow>> = HashMap::new();
    for chunk in references.chunks(CHUNK) {
        let rows = on_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new("SELECT reference, booked_at, amount, fee, counterparty, \
                payment_reference, description, details_type, source FROM bank_lines WHERE organization_id = ");
            qb.push_bind(organization_id);
            qb.push(" AND currency = ");
            qb.push_bind(e.currency.as_str());
            qb.push(" AND reference IN (");
            let mut sep = qb.separated(", ");
            for r in chunk {
                sep.push_bind(*r);
            }
            qb.push(") ORDER BY booked_at, id");
            qb.build_query_as::<BankRow>().fetch_all(conn).await
        })?;
        for r in rows {
            by_reference.entry(r.reference.clone()).or_default().push(r);
        }
    }
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for id in &e.bank_ids {
        let (reference, n) = split_bank_id(id);
        match by_reference.get(reference).and_then(|rows| rows.get(n - 1)) {
            Some(r) => found.push(BankSide {
                id: id.clone(),
                reference: r.reference.clone(),
                booked_at: r.booked_at,
                amount: stored_decimal(&r.amount)?,
                fee: stored_decimal(&r.fee)?,
                counterparty: r.counterparty.clone(),
                payment_reference: r.payment_reference.clone(),
                description: r.description.clone(),
                details_type: r.details_type.clone(),
                source: r.source.clone(),
            }),
            None => missing.push(id.clone()),
        }
    }
    Ok((found, missing))
}

/// The postings an exception names, in its order; ids not found are returned apart.
async fn book_sides(
    tx: &mut Tx,
    organization_id: i64,
    e: &ExceptionRow,
) -> Result<(Vec<BookSide>, Vec<String>)> {
    let mut by_id: HashMap<String, BookSide> = HashMap::new();
    for chunk in e.book_ids.chunks(CHUNK) {
        let rows = on_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new("SELECT external_id, kind, txn_date, amount, doc_number, \
                payment_ref_num, memo, private_note, counterparty, is_bank_charge, \
                (CASE WHEN deleted_at IS NULL THEN FALSE ELSE TRUE END) AS deleted \
                FROM book_entries WHERE organization_id = ");
            qb.push_bind(organization_id);
            qb.push(" AND external_id IN (");
            let mut sep = qb.separated(", ");
            for id in chunk {
                sep.push_bind(id.as_str());
            }
            qb.push(")");
            qb.build_query_as::<BookRow>().fetch_all(conn).await
        })?;
        for r in rows {
            by_id.insert(
                r.external_id.clone(),
                BookSide {
                    amount: stored_decimal(&r.amount)?,
                    external_id: r.external_id,
                    kind: r.kind,
                    txn_date: r.txn_date,
                    doc_number: r.doc_number,
                    payment_ref_num: r.payment_ref_num,
                    memo: r.memo,
                    private_note: r.private_note,
                    counterparty: r.counterparty,
                    is_bank_charge: r.is_bank_charge,
                    deleted: r.deleted,
                },
            );
        }
    }
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for id in &e.book_ids {
        match by_id.remove(id) {
            Some(b) => found.push(b),
            None => missing.push(id.clone()),
        }
    }
    Ok((found, missing))
}

/// One exception with its bank line(s) and posting(s), comments and audit history.
pub async fn detail(
    db: &Db,
    organization_id: i64,
    id: i64,
    today: NaiveDate,
) -> Result<ExceptionDetail> {
    let mut tx = db.begin().await?;
    let exception = get_in(&mut tx, organization_id, id, today).await?;
    let (bank, mut missing_ids) = bank_sides(&mut tx, organization_id, &exception).await?;
    let (books, missing_books) = book_sides(&mut tx, organization_id, &exception).await?;
    missing_ids.extend(missing_books);
    let comments = comments_in(&mut tx, id).await?;
    const HISTORY: &str = "SELECT at, actor, action, before_state, after_state FROM audit_log \
        WHERE organization_id = $1 AND subject = $2 ORDER BY id";
    let history = on_tx!(&mut tx, conn => sqlx::query_as::<_, HistoryRow>(HISTORY)
        .bind(organization_id).bind(subject(id)).fetch_all(conn).await)?;
    Ok(ExceptionDetail {
        exception,
        bank,
        books,
        missing_ids,
        comments,
        history: history
            .into_iter()
            .map(|h| HistoryEntry {
                at: h.at,
                actor: h.actor,
                action: h.action,
                before: h.before_state,
                after: h.after_state,
            })
            .collect(),
    })
}

#[derive(sqlx::FromRow)]
struct HistoryRow {
    at: DateTime<Utc>,
    actor: String,
    action: String,
    before_state: Option<String>,
    after_state: Option<String>,
}

async fn comments_in(tx: &mut Tx, exception_id: i64) -> Result<Vec<Comment>> {
    const Q: &str = "SELECT c.id, u.display_name, c.body, c.created_at FROM exception_comments c \
        LEFT JOIN users u ON u.id = c.author_user_id WHERE c.exception_id = $1 ORDER BY c.id";
    let rows: Vec<(i64, Option<String>, String, DateTime<Utc>)> =
        on_tx!(tx, conn => sqlx::query_as(Q).bind(exception_id).fetch_all(conn).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, author, body, created_at)| Comment {
            id,
            author,
            body,
            created_at,
        })
        .collect())
}

fn subject(id: i64) -> String {
    format!("exception:{id}")
}

/// The fields people work on, as the audit log records them.
fn work_json(e: &ExceptionRow) -> serde_json::Value {
    json!({
        "status": e.status,
        "resolution": e.resolution,
        "owner_user_id": e.owner_user_id,
        "next_action": e.next_action,
        "due_on": e.due_on,
    })
}

/// Refuses an owner who could not work the exception: only an active bookkeeper or owner of
/// the organization.
async fn require_assignable(tx: &mut Tx, user_id: i64, organization_id: i64) -> Result<()> {
    const Q: &str = "SELECT m.role FROM memberships m JOIN users u ON u.id = m.user_id \
        WHERE m.user_id = $1 AND m.organization_id = $2 AND m.active AND u.active";
    let role = on_tx!(tx, conn => sqlx::query_scalar::<_, String>(Q)
        .bind(user_id).bind(organization_id).fetch_optional(conn).await)?;
    match role.and_then(|r| r.parse::<Role>().ok()) {
        Some(r) if r.allows(Role::Bookkeeper) => Ok(()),
        _ => Err(ControlError::Invalid(
            "the owner must be an active bookkeeper or owner of this organization".into(),
        )),
    }
}

/// Names (or, with `None`, clears) the owner of one or more exceptions; every exception that
/// changes gets its own audit entry. Returns how many changed. Unknown ids refuse the whole
/// request.
pub async fn assign(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    ids: &[i64],
    owner: Option<i64>,
    now: DateTime<Utc>,
) -> Result<usize> {
    let ids: Vec<i64> = ids
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if ids.is_empty() {
        return Err(ControlError::Invalid(
            "choose at least one exception to assign".into(),
        ));
    }
    if ids.len() > MAX_BULK {
        return Err(ControlError::Invalid(format!(
            "at most {MAX_BULK} exceptions can be assigned at once"
        )));
    }
    let today = now.date_naive();
    let mut tx = db.begin().await?;
    if let Some(o) = owner {
        require_assignable(&mut tx, o, organization_id).await?;
    }
    let mut current = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let rows = on_tx!(&mut tx, conn => {
            let mut qb = sqlx::QueryBuilder::new(SELECT);
            qb.push(" WHERE e.organization_id = ");
            qb.push_bind(organization_id);
            qb.push(" AND e.id IN (");
            let mut sep = qb.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            qb.push(") ORDER BY e.id");
            qb.build_query_as::<Row>().fetch_all(conn).await
        })?;
        current.extend(rows);
    }
    if current.len() != ids.len() {
        return Err(ControlError::NotFound("exception"));
    }
    let bulk = ids.len() > 1;
    let mut changed = 0;
    for row in current {
        let before = row.into_row(today)?;
        if before.owner_user_id == owner {
            continue;
        }
        on_tx!(&mut tx, conn => sqlx::query(
            "UPDATE exceptions SET owner_user_id = $1, updated_at = $2 WHERE id = $3")
            .bind(owner).bind(now).bind(before.id).execute(conn).await.map(|r| r.rows_affected()))?;
        audit::record(
            &mut tx,
            actor,
            Change {
                organization_id: Some(organization_id),
                action: "exception.assign",
                subject: subject(before.id),
                before: Some(json!({"owner_user_id": before.owner_user_id})),
                after: Some(json!({"owner_user_id": owner, "bulk": bulk})),
            },
            now,
        )
        .await?;
        changed += 1;
    }
    tx.commit().await?;
    Ok(changed)
}

/// Sets what happens next and by when. A due date may not be set in the past (one already
/// there may stay).
pub async fn plan(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    id: i64,
    next_action: &str,
    due_on: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<ExceptionRow> {
    let next_action = next_action.trim();
    if next_action.chars().count() > MAX_NEXT_ACTION {
        return Err(ControlError::Invalid(format!(
            "the next action may have at most {MAX_NEXT_ACTION} characters"
        )));
    }
    let today = now.date_naive();
    let mut tx = db.begin().await?;
    let before = get_in(&mut tx, organization_id, id, today).await?;
    if let Some(due) = due_on
        && due < today
        && before.due_on != Some(due)
    {
        return Err(ControlError::Invalid(format!(
            "the due date {due} is in the past"
        )));
    }
    if before.next_action == next_action && before.due_on == due_on {
        return Ok(before);
    }
    on_tx!(&mut tx, conn => sqlx::query(
        "UPDATE exceptions SET next_action = $1, due_on = $2, updated_at = $3 WHERE id = $4")
        .bind(next_action).bind(due_on).bind(now).bind(id).execute(conn).await.map(|r| r.rows_affected()))?;
    let after = get_in(&mut tx, organization_id, id, today).await?;
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "exception.plan",
            subject: subject(id),
            before: Some(json!({"next_action": before.next_action, "due_on": before.due_on})),
            after: Some(json!({"next_action": after.next_action, "due_on": after.due_on})),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Moves an exception to another status. Dismissing needs a written reason; resolving by hand
/// records resolution `manual`; going back to an active status clears the resolution. A
/// non-empty note is also added to the comment thread.
pub async fn change_status(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    id: i64,
    status: ExceptionStatus,
    note: &str,
    now: DateTime<Utc>,
) -> Result<ExceptionRow> {
    let note = note.trim();
    if note.chars().count() > MAX_COMMENT {
        return Err(ControlError::Invalid(format!(
            "the note may have at most {MAX_COMMENT} characters"
        )));
    }
    if status == ExceptionStatus::Dismissed && note.is_empty() {
        return Err(ControlError::Invalid(
            "dismissing needs a written reason: say why this break is not a problem".into(),
        ));
    }
    let today = now.date_naive();
    let mut tx = db.begin().await?;
    let before = get_in(&mut tx, organization_id, id, today).await?;
    if before.status == status {
        return Err(ControlError::Conflict(format!(
            "the exception is already {}",
            status.label().to_lowercase()
        )));
    }
    let (resolution, resolved_at) = match status {
        ExceptionStatus::Resolved => (Some("manual"), Some(now)),
        ExceptionStatus::Dismissed => (None, Some(now)),
        _ => (None, None),
    };
    on_tx!(&mut tx, conn => sqlx::query(
        "UPDATE exceptions SET status = $1, resolution = $2, resolved_at = $3, updated_at = $4 WHERE id = $5")
        .bind(status.as_str()).bind(resolution).bind(resolved_at).bind(now).bind(id)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    if !note.is_empty() {
        insert_comment(
            &mut tx,
            id,
            actor,
            &format!("{}: {note}", status.label()),
            now,
        )
        .await?;
    }
    let after = get_in(&mut tx, organization_id, id, today).await?;
    let mut after_json = work_json(&after);
    after_json["note"] = json!(note);
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "exception.status",
            subject: subject(id),
            before: Some(work_json(&before)),
            after: Some(after_json),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

async fn insert_comment(
    tx: &mut Tx,
    exception_id: i64,
    actor: &Actor,
    body: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    Ok(on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(
        "INSERT INTO exception_comments (exception_id, author_user_id, body, created_at) \
         VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(exception_id).bind(actor.user_id).bind(body).bind(now).fetch_one(conn).await)?)
}

/// Adds a comment to an exception's thread.
pub async fn comment(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    id: i64,
    body: &str,
    now: DateTime<Utc>,
) -> Result<Comment> {
    let body = body.trim();
    if body.is_empty() {
        return Err(ControlError::Invalid("the comment is empty".into()));
    }
    if body.chars().count() > MAX_COMMENT {
        return Err(ControlError::Invalid(format!(
            "a comment may have at most {MAX_COMMENT} characters"
        )));
    }
    let mut tx = db.begin().await?;
    get_in(&mut tx, organization_id, id, now.date_naive()).await?;
    let comment_id = insert_comment(&mut tx, id, actor, body, now).await?;
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "exception.comment",
            subject: subject(id),
            before: None,
            after: Some(json!({"comment_id": comment_id, "body": body})),
        },
        now,
    )
    .await?;
    let comment = comments_in(&mut tx, id)
        .await?
        .into_iter()
        .find(|c| c.id == comment_id)
        .ok_or(ControlError::NotFound("comment"))?;
    tx.commit().await?;
    Ok(comment)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aging::AgeBucket;
    use crate::exception_filter::QueueQuery;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn repeated_references_carry_their_number() {
        assert_eq!(split_bank_id("TRANSFER-7"), ("TRANSFER-7", 1));
        assert_eq!(split_bank_id("TRANSFER-7#2"), ("TRANSFER-7", 2));
        assert_eq!(split_bank_id("TRANSFER-7#x"), ("TRANSFER-7#x", 1));
        assert_eq!(split_bank_id("odd#1"), ("odd#1", 1));
    }

    #[test]
    fn the_default_filter_is_the_active_queue_of_one_organization() {
        let sql = filter_sql(7, &QueueFilter::default(), d("2024-06-30"));
        assert_eq!(
            sql.text,
            "e.organization_id = $1 AND e.status IN ('open', 'in_progress', 'waiting_on_vendor')"
        );
        assert_eq!(sql.args, vec![Arg::Int(7)]);
        let active: Vec<String> = StatusFilter::Active
            .statuses()
            .iter()
            .map(|s| format!("'{s}'"))
            .collect();
        assert_eq!(ACTIVE, format!("({})", active.join(", ")));
    }

    #[test]
    fn every_filter_binds_its_values_in_order() {
        let f = QueueQuery {
            kind: "unbooked_fee".into(),
            owner: "unassigned".into(),
            status: "all".into(),
            currency: "EUR".into(),
            age: "8-30".into(),
            min: "1".into(),
            max: "2".into(),
            ..Default::default()
        }
        .parse()
        .unwrap();
        assert_eq!(f.status, StatusFilter::All);
        assert_eq!(f.age, Some(AgeBucket::Month));
        let sql = filter_sql(1, &f, d("2024-06-30"));
        assert_eq!(
            sql.text,
            "e.organization_id = $1 AND e.kind = $2 AND e.owner_user_id IS NULL AND e.currency = $3 \
             AND e.occurred_on <= $4 AND e.occurred_on >= $5 \
             AND e.size_minor >= $6 AND e.size_minor <= $7"
        );
        assert_eq!(sql.args[3], Arg::Date(d("2024-06-22")));
        assert_eq!(sql.args[4], Arg::Date(d("2024-05-31")));
        assert_eq!(sql.args[5], Arg::Int(100));
        assert_eq!(sql.args.len(), 7);
    }
}

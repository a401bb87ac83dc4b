//! Normalized bank lines (Wise) and book entries (QBO postings on bank accounts), upserted
//! idempotently by external id inside the caller's transaction.
//!
//! Bank lines are immutable movements: one per (currency, reference, time, amount), so an
//! overlapping window or a re-uploaded statement adds nothing. Book entries can be edited in
//! QBO: a content fingerprint tells an edit from a repeat, and a posting a full pull no longer
//! returns is marked deleted. Amounts are exact decimals stored as normalized text.

use crate::db::{Db, Tx, on_tx};
use crate::error::{ControlError, Result};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Rows per multi-row INSERT (well under SQLite's and PostgreSQL's bind limits).
const CHUNK: usize = 400;

/// One Wise movement, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankLine {
    pub currency: String,
    pub reference: String,
    pub booked_at: DateTime<Utc>,
    pub amount: Decimal,
    pub fee: Decimal,
    pub counterparty: String,
    pub payment_reference: String,
    pub description: String,
    pub details_type: String,
}

impl BankLine {
    pub fn from_statement(line: &wise::StatementLine) -> BankLine {
        BankLine {
            currency: line.currency.as_str().to_owned(),
            reference: line.reference_number.clone(),
            booked_at: line.booked_at,
            amount: line.amount,
            fee: line.total_fees,
            counterparty: line.counterparty.clone().unwrap_or_default(),
            payment_reference: line.payment_reference.clone().unwrap_or_default(),
            description: line.description.clone(),
            details_type: line.details_type.clone(),
        }
    }

    /// The idempotency key.
    pub fn identity(&self) -> (String, String, DateTime<Utc>, String) {
        (
            self.currency.clone(),
            self.reference.clone(),
            self.booked_at,
            self.amount.normalize().to_string(),
        )
    }
}

/// One posting, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookEntry {
    /// `<EntityName>:<Id>`.
    pub external_id: String,
    pub kind: String,
    pub txn_date: NaiveDate,
    pub amount: Decimal,
    pub currency: Option<String>,
    pub bank_account_id: String,
    pub doc_number: String,
    pub payment_ref_num: String,
    pub private_note: String,
    pub memo: String,
    pub counterparty: String,
    pub created_at: Option<DateTime<Utc>>,
    pub is_bank_charge: bool,
}

impl BookEntry {
    pub fn from_posting(p: qbo::postings::BankPosting) -> BookEntry {
        BookEntry {
            external_id: p.id,
            kind: p.entity.name().to_owned(),
            txn_date: p.txn_date,
            amount: p.amount,
            currency: p.currency,
            bank_account_id: p.bank_account_id,
            doc_number: p.doc_number,
            payment_ref_num: p.payment_ref_num,
            private_note: p.private_note,
            memo: p.memo,
            counterparty: p.counterparty,
            created_at: p.created_at,
            is_bank_charge: p.is_bank_charge,
        }
    }

    /// A hash of everything the engine reads: an edit in QBO changes it.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            self.kind.as_str(),
            &self.txn_date.to_string(),
            &self.amount.normalize().to_string(),
            self.currency.as_deref().unwrap_or(""),
            &self.bank_account_id,
            &self.doc_number,
            &self.payment_ref_num,
            &self.private_note,
            &self.memo,
            &self.counterparty,
            &self.created_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            if self.is_bank_charge { "fee" } else { "" },
        ] {
            h.update(part.as_bytes());
            h.update([0u8]);
        }
        hex::encode(&h.finalize()[..16])
    }
}

/// Stores a raw payload once per content; returns its id.
pub async fn keep_payload(
    tx: &mut Tx,
    organization_id: i64,
    source: &str,
    body: &str,
    run_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<i64> {
    let sha = hex::encode(Sha256::digest(body.as_bytes()));
    const FIND: &str = "SELECT id FROM raw_payloads WHERE organization_id = $1 AND sha256 = $2";
    // Look first, so a repeat (an unchanged page) never ships its body to the database again.
    let found = on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(FIND)
        .bind(organization_id).bind(&sha).fetch_optional(conn).await)?;
    if let Some(id) = found {
        return Ok(id);
    }
    on_tx!(tx, conn => sqlx::query("INSERT INTO raw_payloads (organization_id, source, sha256, body, run_id, received_at) \
        VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (organization_id, sha256) DO NOTHING")
        .bind(organization_id).bind(source).bind(&sha).bind(body).bind(run_id).bind(now)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    let id = on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(FIND)
        .bind(organization_id).bind(&sha).fetch_one(conn).await)?;
    Ok(id)
}

type BankKey = (String, String, DateTime<Utc>, String);

async fn bank_keys(tx: &mut Tx, organization_id: i64) -> Result<HashSet<BankKey>> {
    const Q: &str =
        "SELECT currency, reference, booked_at, amount FROM bank_lines WHERE organization_id = $1";
    let rows = on_tx!(tx, conn => sqlx::query_as::<_, BankKey>(Q).bind(organization_id).fetch_all(conn).await)?;
    Ok(rows.into_iter().collect())
}

/// Which of `lines` are not stored yet (for the upload preview and the upsert).
pub async fn unknown_bank_lines<'a>(
    tx: &mut Tx,
    organization_id: i64,
    lines: &'a [BankLine],
) -> Result<Vec<&'a BankLine>> {
    let known = bank_keys(tx, organization_id).await?;
    let mut seen = HashSet::new();
    Ok(lines
        .iter()
        .filter(|l| {
            let k = l.identity();
            !known.contains(&k) && seen.insert(k)
        })
        .collect())
}

/// Inserts the lines not stored yet; returns how many were added.
pub async fn upsert_bank_lines(
    tx: &mut Tx,
    organization_id: i64,
    lines: &[BankLine],
    source: &str,
    payload_id: Option<i64>,
    run_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<u64> {
    let fresh = unknown_bank_lines(tx, organization_id, lines).await?;
    let mut added = 0;
    for chunk in fresh.chunks(CHUNK) {
        added += on_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new("INSERT INTO bank_lines (organization_id, currency, reference, \
                booked_at, amount, fee, counterparty, payment_reference, description, details_type, source, \
                payload_id, first_run_id, created_at) ");
            qb.push_values(chunk, |mut b, l| {
                b.push_bind(organization_id)
                    .push_bind(&l.currency)
                    .push_bind(&l.reference)
                    .push_bind(l.booked_at)
                    .push_bind(l.amount.normalize().to_string())
                    .push_bind(l.fee.normalize().to_string())
                    .push_bind(&l.counterparty)
                    .push_bind(&l.payment_reference)
                    .push_bind(&l.description)
                    .push_bind(&l.details_type)
                    .push_bind(source)
                    .push_bind(payload_id)
                    .push_bind(run_id)
                    .push_bind(now);
            });
            qb.push(" ON CONFLICT (organization_id, currency, reference, booked_at, amount) DO NOTHING");
            qb.build().execute(conn).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(added)
}

/// What an upsert of book entries did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BookChanges {
    pub added: u64,
    pub changed: u64,
    pub deleted: u64,
}

/// Upserts the postings of a full pull: new ones are added, edited ones updated, and stored
/// ones on `accounts` that the pull no longer returned are marked deleted.
pub async fn sync_book_entries(
    tx: &mut Tx,
    organization_id: i64,
    entries: &[BookEntry],
    accounts: &HashSet<String>,
    run_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<BookChanges> {
    const Q: &str = "SELECT external_id, fingerprint, bank_account_id, deleted_at IS NOT NULL \
        FROM book_entries WHERE organization_id = $1";
    let stored: Vec<(String, String, String, bool)> =
        on_tx!(tx, conn => sqlx::query_as(Q).bind(organization_id).fetch_all(conn).await)?;
    let stored: HashMap<String, (String, String, bool)> = stored
        .into_iter()
        .map(|(id, fp, acct, deleted)| (id, (fp, acct, deleted)))
        .collect();
    let mut changes = BookChanges::default();
    let mut write = Vec::new();
    let mut pulled = HashSet::with_capacity(entries.len());
    for e in entries {
        if !pulled.insert(e.external_id.as_str()) {
            continue;
        }
        let fp = e.fingerprint();
        match stored.get(&e.external_id) {
            None => {
                changes.added += 1;
                write.push((e, fp));
            }
            Some((old, _, deleted)) if *old != fp || *deleted => {
                changes.changed += 1;
                write.push((e, fp));
            }
            Some(_) => {}
        }
    }
    for chunk in write.chunks(CHUNK) {
        on_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new("INSERT INTO book_entries (organization_id, external_id, kind, \
                txn_date, amount, currency, bank_account_id, doc_number, payment_ref_num, private_note, memo, \
                counterparty, created_at, is_bank_charge, fingerprint, first_run_id, updated_run_id) ");
            qb.push_values(chunk, |mut b, (e, fp)| {
                b.push_bind(organization_id)
                    .push_bind(&e.external_id)
                    .push_bind(&e.kind)
                    .push_bind(e.txn_date)
                    .push_bind(e.amount.normalize().to_string())
                    .push_bind(&e.currency)
                    .push_bind(&e.bank_account_id)
                    .push_bind(&e.doc_number)
                    .push_bind(&e.payment_ref_num)
                    .push_bind(&e.private_note)
                    .push_bind(&e.memo)
                    .push_bind(&e.counterparty)
                    .push_bind(e.created_at)
                    .push_bind(e.is_bank_charge)
                    .push_bind(fp)
                    .push_bind(run_id)
                    .push_bind(run_id);
            });
            qb.push(" ON CONFLICT (organization_id, external_id) DO UPDATE SET kind = EXCLUDED.kind, \
                txn_date = EXCLUDED.txn_date, amount = EXCLUDED.amount, currency = EXCLUDED.currency, \
                bank_account_id = EXCLUDED.bank_account_id, doc_number = EXCLUDED.doc_number, \
                payment_ref_num = EXCLUDED.payment_ref_num, private_note = EXCLUDED.private_note, \
                memo = EXCLUDED.memo, counterparty = EXCLUDED.counterparty, created_at = EXCLUDED.created_at, \
                is_bank_charge = EXCLUDED.is_bank_charge, fingerprint = EXCLUDED.fingerprint, \
                deleted_at = NULL, updated_run_id = EXCLUDED.updated_run_id");
            qb.build().execute(conn).await.map(|r| r.rows_affected())
        })?;
    }
    let gone: Vec<&String> = stored
        .iter()
        .filter(|(id, (_, acct, deleted))| {
            !deleted && accounts.contains(acct) && !pulled.contains(id.as_str())
        })
        .map(|(id, _)| id)
        .collect();
    for chunk in gone.chunks(CHUNK) {
        changes.deleted += on_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new("UPDATE book_entries SET deleted_at = ");
            qb.push_bind(now);
            qb.push(", updated_run_id = ");
            qb.push_bind(run_id);
            qb.push(" WHERE organization_id = ");
            qb.push_bind(organization_id);
            qb.push(" AND external_id IN (");
            let mut sep = qb.separated(", ");
            for id in chunk {
                sep.push_bind(id.as_str());
            }
            qb.push(")");
            qb.build().execute(conn).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(changes)
}

/// Widens the period each currency's bank data covers.
pub async fn extend_coverage(
    tx: &mut Tx,
    organization_id: i64,
    currency: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<()> {
    const Q: &str = "INSERT INTO bank_coverage (organization_id, currency, from_date, to_date) \
        VALUES ($1, $2, $3, $4) ON CONFLICT (organization_id, currency) DO UPDATE SET \
        from_date = CASE WHEN EXCLUDED.from_date < bank_coverage.from_date THEN EXCLUDED.from_date ELSE bank_coverage.from_date END, \
        to_date = CASE WHEN EXCLUDED.to_date > bank_coverage.to_date THEN EXCLUDED.to_date ELSE bank_coverage.to_date END";
    on_tx!(tx, conn => sqlx::query(Q).bind(organization_id).bind(currency).bind(from).bind(to)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn coverage_in(
    tx: &mut Tx,
    organization_id: i64,
) -> Result<BTreeMap<String, (NaiveDate, NaiveDate)>> {
    const Q: &str =
        "SELECT currency, from_date, to_date FROM bank_coverage WHERE organization_id = $1";
    let rows: Vec<(String, NaiveDate, NaiveDate)> =
        on_tx!(tx, conn => sqlx::query_as(Q).bind(organization_id).fetch_all(conn).await)?;
    Ok(rows.into_iter().map(|(c, f, t)| (c, (f, t))).collect())
}

fn dec(s: &str, what: &str) -> Result<Decimal> {
    s.parse()
        .map_err(|e| ControlError::Internal(format!("stored {what} {s:?}: {e}")))
}

#[derive(sqlx::FromRow)]
struct BankRow {
    currency: String,
    reference: String,
    booked_at: DateTime<Utc>,
    amount: String,
    fee: String,
    counterparty: String,
    payment_reference: String,
    description: String,
    details_type: String,
}

/// Every stored bank line of the organization.
pub async fn bank_lines(db: &Db, organization_id: i64) -> Result<Vec<BankLine>> {
    let mut tx = db.begin().await?;
    bank_lines_in(&mut tx, organization_id).await
}

/// As [`bank_lines`], inside a transaction (seeing its own writes).
pub async fn bank_lines_in(tx: &mut Tx, organization_id: i64) -> Result<Vec<BankLine>> {
    const Q: &str = "SELECT currency, reference, booked_at, amount, fee, counterparty, payment_reference, \
        description, details_type FROM bank_lines WHERE organization_id = $1 ORDER BY currency, booked_at, id";
    let rows = on_tx!(tx, conn => sqlx::query_as::<_, BankRow>(Q).bind(organization_id).fetch_all(conn).await)?;
    rows.into_iter()
        .map(|r| {
            Ok(BankLine {
                amount: dec(&r.amount, "amount")?,
                fee: dec(&r.fee, "fee")?,
                currency: r.currency,
                reference: r.reference,
                booked_at: r.booked_at,
                counterparty: r.counterparty,
                payment_reference: r.payment_reference,
                description: r.description,
                details_type: r.details_type,
            })
        })
        .collect()
}

#[derive(sqlx::FromRow)]
struct BookRow {
    external_id: String,
    kind: String,
    txn_date: NaiveDate,
    amount: String,
    currency: Option<String>,
    bank_account_id: String,
    doc_number: String,
    payment_ref_num: String,
    private_note: String,
    memo: String,
    counterparty: String,
    created_at: Option<DateTime<Utc>>,
    is_bank_charge: bool,
}

/// Every live (not deleted) stored posting of the organization.
pub async fn book_entries(db: &Db, organization_id: i64) -> Result<Vec<BookEntry>> {
    let mut tx = db.begin().await?;
    book_entries_in(&mut tx, organization_id).await
}

/// As [`book_entries`], inside a transaction (seeing its own writes).
pub async fn book_entries_in(tx: &mut Tx, organization_id: i64) -> Result<Vec<BookEntry>> {
    const Q: &str = "SELECT external_id, kind, txn_date, amount, currency, bank_account_id, doc_number, \
        payment_ref_num, private_note, memo, counterparty, created_at, is_bank_charge \
        FROM book_entries WHERE organization_id = $1 AND deleted_at IS NULL ORDER BY external_id";
    let rows = on_tx!(tx, conn => sqlx::query_as::<_, BookRow>(Q).bind(organization_id).fetch_all(conn).await)?;
    rows.into_iter()
        .map(|r| {
            Ok(BookEntry {
                amount: dec(&r.amount, "amount")?,
                external_id: r.external_id,
                kind: r.kind,
                txn_date: r.txn_date,
                currency: r.currency,
                bank_account_id: r.bank_account_id,
                doc_number: r.doc_number,
                payment_ref_num: r.payment_ref_num,
                private_note: r.private_note,
                memo: r.memo,
                counterparty: r.counterparty,
                created_at: r.created_at,
                is_bank_charge: r.is_bank_charge,
            })
        })
        .collect()
}

/// Feed stalls of every mapped balance (see [`crate::feed_stall`]).
pub async fn feed_stalls(
    db: &Db,
    organization_id: i64,
    accounts: &BTreeMap<String, String>,
    today: NaiveDate,
    stall_days: i64,
) -> Result<Vec<crate::feed_stall::Stall>> {
    let mut tx = db.begin().await?;
    let mut out = Vec::new();
    for (currency, account) in accounts {
        const LAST: &str = "SELECT MAX(txn_date) FROM book_entries WHERE organization_id = $1 \
            AND bank_account_id = $2 AND deleted_at IS NULL";
        let last: Option<NaiveDate> = on_tx!(&mut tx, conn => sqlx::query_scalar(LAST)
            .bind(organization_id).bind(account).fetch_one(conn).await)?;
        let after = last.map_or(DateTime::<Utc>::UNIX_EPOCH, |d| {
            (d + chrono::Duration::days(1))
                .and_time(chrono::NaiveTime::MIN)
                .and_utc()
        });
        const AFTER: &str = "SELECT MIN(booked_at), COUNT(*) FROM bank_lines WHERE organization_id = $1 \
            AND currency = $2 AND booked_at >= $3";
        let (first, n): (Option<DateTime<Utc>>, i64) = on_tx!(&mut tx, conn => sqlx::query_as(AFTER)
            .bind(organization_id).bind(currency).bind(after).fetch_one(conn).await)?;
        if let Some(s) = crate::feed_stall::detect(
            currency,
            last,
            first.map(|t| t.date_naive()),
            n,
            today,
            stall_days,
        ) {
            out.push(s);
        }
    }
    Ok(out)
}

//! Booking an unbooked Wise fee in QuickBooks (verify-then-post): Clearline drafts the Bank
//! Charges Purchase from the exception, an owner approves it, it is written once (QBO
//! `requestid` derived from the exception, so a retry returns the same Purchase) and the
//! exception resolves. Nothing is written to QBO without the named owner's approval.

use crate::audit::{self, Actor, Change};
use crate::connections::{self, Provider};
use crate::db::{Db, on_pool, on_tx};
use crate::error::{ControlError, Result};
use crate::mappings;
use crate::sync::Context;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The Purchase Clearline would write.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeDraft {
    pub exception_id: i64,
    pub request_id: String,
    pub currency: String,
    pub amount: Decimal,
    pub txn_date: NaiveDate,
    pub bank_account_id: String,
    pub fee_account_id: String,
    pub bank_reference: String,
    pub description: String,
    /// Already written (status `written`) or attempted (`failed`, with the reason).
    pub booking: Option<(String, Option<String>, Option<String>)>,
}

#[derive(sqlx::FromRow)]
struct ExceptionRow {
    kind: String,
    currency: String,
    difference: Option<String>,
    bank_ids: String,
    occurred_on: Option<NaiveDate>,
    status: String,
}

/// The draft for an `unbooked_fee` exception.
pub async fn draft(db: &Db, organization_id: i64, exception_id: i64) -> Result<FeeDraft> {
    const Q: &str = "SELECT kind, currency, difference, bank_ids, occurred_on, status FROM exceptions \
        WHERE organization_id = $1 AND id = $2";
    let e = on_pool!(db, pool => sqlx::query_as::<_, ExceptionRow>(Q).bind(organization_id).bind(exception_id).fetch_optional(pool).await)?
        .ok_or(ControlError::NotFound("exception"))?;
    if e.kind != "unbooked_fee" {
        return Err(ControlError::Invalid(
            "only an unbooked fee can be booked from here".into(),
        ));
    }
    let amount: Decimal = e
        .difference
        .as_deref()
        .unwrap_or("0")
        .parse()
        .map_err(|_| ControlError::Internal("stored fee amount".into()))?;
    if amount <= Decimal::ZERO {
        return Err(ControlError::Invalid(
            "the fee amount is not positive".into(),
        ));
    }
    let mapping = mappings::active(db, organization_id)
        .await?
        .ok_or_else(|| ControlError::Invalid("no mapping is applied".into()))?;
    let bank_account_id = mapping.accounts.get(&e.currency).cloned().ok_or_else(|| {
        ControlError::Invalid(format!("the {} balance is not mapped", e.currency))
    })?;
    let fee_account_id = mapping.fee_account_id.clone().ok_or_else(|| {
        ControlError::Invalid("name the Bank Charges account in the mapping first".into())
    })?;
    let bank_reference = serde_json::from_str::<Vec<String>>(&e.bank_ids)
        .ok()
        .and_then(|v| v.into_iter().next())
        .unwrap_or_default();
    let digest = Sha256::digest(format!("{organization_id}:{exception_id}:{bank_reference}"));
    let booking: Option<(String, Option<String>, Option<String>)> = on_pool!(db, pool => sqlx::query_as(
        "SELECT status, qbo_id, error FROM fee_bookings WHERE organization_id = $1 AND exception_id = $2")
        .bind(organization_id).bind(exception_id).fetch_optional(pool).await)?;
    if booking.is_none()
        && !matches!(
            e.status.as_str(),
            "open" | "in_progress" | "waiting_on_vendor"
        )
    {
        return Err(ControlError::Conflict(format!(
            "this exception is {}",
            e.status
        )));
    }
    Ok(FeeDraft {
        exception_id,
        request_id: format!("fee-{}", &hex::encode(digest)[..32]),
        currency: e.currency,
        amount,
        txn_date: e.occurred_on.unwrap_or_else(|| Utc::now().date_naive()),
        bank_account_id,
        fee_account_id,
        description: format!("Wise fee on {bank_reference}"),
        bank_reference,
        booking,
    })
}

/// The owner approves the draft: it is written to QBO once and the exception resolves.
/// A QBO failure is recorded with its reason and leaves the exception open (approve again to
/// retry: the same `requestid` never creates a second Purchase).
pub async fn approve(
    ctx: &Context,
    actor: &Actor,
    organization_id: i64,
    exception_id: i64,
    now: DateTime<Utc>,
) -> Result<String> {
    let db = &ctx.db;
    let d = draft(db, organization_id, exception_id).await?;
    if let Some((status, Some(id), _)) = &d.booking
        && status == "written"
    {
        return Ok(id.clone());
    }
    let multicurrency = connections::get(db, organization_id, Provider::Qbo)
        .await?
        .filter(connections::Connection::is_live)
        .ok_or_else(|| ControlError::Invalid("QuickBooks is not connected".into()))?
        .facts
        .get("multicurrency")
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    const UPSERT: &str = "INSERT INTO fee_bookings (organization_id, exception_id, request_id, amount, currency, \
        txn_date, status, approved_by, approved_at) VALUES ($1, $2, $3, $4, $5, $6, 'approved', $7, $8) \
        ON CONFLICT (organization_id, exception_id) DO UPDATE SET status = 'approved', error = NULL, \
        approved_by = EXCLUDED.approved_by, approved_at = EXCLUDED.approved_at";
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, conn => sqlx::query(UPSERT)
        .bind(organization_id).bind(exception_id).bind(&d.request_id).bind(d.amount.to_string())
        .bind(&d.currency).bind(d.txn_date).bind(actor.user_id).bind(now)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "fee.approve",
            subject: format!("exception:{exception_id}"),
            before: None,
            after: Some(
                serde_json::json!({"amount": d.amount.to_string(), "currency": d.currency,
                "date": d.txn_date, "request_id": d.request_id}),
            ),
        },
        now,
    )
    .await?;
    tx.commit().await?;

    let request = qbo::BankChargeRequest {
        request_id: d.request_id.clone(),
        bank_account_id: d.bank_account_id.clone(),
        fee_account_id: d.fee_account_id.clone(),
        amount: d.amount,
        txn_date: d.txn_date,
        currency: multicurrency.then(|| d.currency.clone()),
        exchange_rate: None,
        vendor_id: None,
        private_note: format!(
            "Wise fee, {} — booked by Clearline (exception {exception_id}) after approval by {}",
            d.bank_reference, actor.label
        ),
        description: d.description.clone(),
    };
    let company = crate::sync::qbo_company(ctx, organization_id)
        .await
        .map_err(|f| ControlError::Invalid(f.message))?;
    let written = company.create_bank_charge(&request).await;
    let mut tx = db.begin().await?;
    match written {
        Ok(purchase) => {
            let id = format!("Purchase:{}", purchase.id);
            on_tx!(&mut tx, conn => sqlx::query("UPDATE fee_bookings SET status = 'written', qbo_id = $1, written_at = $2 \
                WHERE organization_id = $3 AND exception_id = $4")
                .bind(&id).bind(now).bind(organization_id).bind(exception_id)
                .execute(conn).await.map(|r| r.rows_affected()))?;
            on_tx!(&mut tx, conn => sqlx::query("UPDATE exceptions SET status = 'resolved', resolution = 'manual', \
                resolved_at = $1, next_action = $2, updated_at = $1 WHERE organization_id = $3 AND id = $4")
                .bind(now).bind(format!("Fee booked in QuickBooks as {id}")).bind(organization_id).bind(exception_id)
                .execute(conn).await.map(|r| r.rows_affected()))?;
            audit::record(
                &mut tx,
                actor,
                Change {
                    organization_id: Some(organization_id),
                    action: "fee.book",
                    subject: format!("exception:{exception_id}"),
                    before: Some(serde_json::json!({"status": "open"})),
                    after: Some(serde_json::json!({"status": "resolved", "qbo": id})),
                },
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(id)
        }
        Err(e) => {
            let reason = format!("QuickBooks: {e}");
            on_tx!(&mut tx, conn => sqlx::query("UPDATE fee_bookings SET status = 'failed', error = $1 \
                WHERE organization_id = $2 AND exception_id = $3")
                .bind(&reason).bind(organization_id).bind(exception_id)
                .execute(conn).await.map(|r| r.rows_affected()))?;
            tx.commit().await?;
            Err(ControlError::Invalid(reason))
        }
    }
}

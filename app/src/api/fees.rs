//! Booking an unbooked Wise fee in QuickBooks: the draft (what would be written) and the
//! owner's approval, which writes it once and resolves the exception.

use crate::error::AppError;
use crate::model::FeeDraftView;
use leptos::prelude::*;

/// The draft Bank Charges Purchase for an `unbooked_fee` exception.
#[server(endpoint = "fee_draft")]
pub async fn fee_draft(exception_id: i64) -> Result<FeeDraftView, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<FeeDraft>().await?;
    let state = app_state()?;
    let org = caller.organization_id;
    let d = control::fee_booking::draft(&state.db, org, exception_id)
        .await
        .map_err(fail)?;
    let accounts = control::catalog::accounts(&state.db, org)
        .await
        .map_err(fail)?;
    let name = |id: &str| {
        accounts
            .iter()
            .find(|a| a.account_id == id)
            .map_or_else(|| format!("account {id}"), |a| a.name.clone())
    };
    let (status, qbo_id, error) = d.booking.clone().unwrap_or_default();
    Ok(FeeDraftView {
        amount: d.amount.to_string(),
        currency: d.currency.clone(),
        txn_date: d.txn_date.to_string(),
        bank_account: name(&d.bank_account_id),
        fee_account: name(&d.fee_account_id),
        description: d.description,
        status,
        qbo_id,
        error,
        can_approve: caller.role.allows(control::Role::Owner),
    })
}

/// The owner approves: the fee is written to QuickBooks once and the exception resolves.
#[server(endpoint = "fee_book")]
pub async fn fee_book(exception_id: i64) -> Result<String, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<FeeBook>().await?;
    let state = app_state()?;
    control::fee_booking::approve(
        &state.sync_context("web"),
        &caller.actor(),
        caller.organization_id,
        exception_id,
        state.now(),
    )
    .await
    .map_err(fail)
}

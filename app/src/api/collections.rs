//! Collections (screen 10): the A/R aging fetched from QuickBooks and cached, a named
//! follow-up owner per overdue invoice, and the follow-up log.

use crate::error::AppError;
use crate::model::Person;
use control::follow_up::Outcome;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpView {
    pub contacted_on: chrono::NaiveDate,
    pub promised_on: Option<chrono::NaiveDate>,
    pub outcome: Outcome,
    pub note: String,
    pub by: Option<String>,
    pub at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceView {
    pub key: String,
    pub doc_number: String,
    pub customer: String,
    pub due_date: Option<chrono::NaiveDate>,
    pub days_overdue: i64,
    pub bucket: String,
    /// Open balance, with its currency when the report names one.
    pub open_balance: String,
    pub owner_id: Option<i64>,
    pub owner: Option<String>,
    pub follow_ups: Vec<FollowUpView>,
}

/// One bucket of the aging: its label, amount, and share of the total (for the bar).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketView {
    pub label: String,
    pub amount: String,
    pub percent: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgingView {
    pub report_date: chrono::NaiveDate,
    pub fetched_at: String,
    pub fetched_by: Option<String>,
    pub total: String,
    pub buckets: Vec<BucketView>,
    /// (customer, amount per bucket, total)
    pub customers: Vec<(String, Vec<String>, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionsPage {
    pub aging: Option<AgingView>,
    pub invoices: Vec<InvoiceView>,
    pub overdue: usize,
    pub unassigned_overdue: usize,
    pub people: Vec<Person>,
    pub can_edit: bool,
    pub today: chrono::NaiveDate,
}

#[cfg(feature = "ssr")]
fn money(text: String, currency: Option<&str>) -> String {
    match currency {
        Some(c) => format!("{text} {c}"),
        None => text,
    }
}

/// The cached aging and the open invoices.
#[server(endpoint = "collections_view")]
pub async fn collections_view() -> Result<CollectionsPage, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<CollectionsView>().await?;
    let state = app_state()?;
    let (db, org) = (&state.db, caller.organization_id);
    let c = control::collections::view(db, org).await.map_err(fail)?;
    let people = control::members::list(db, org)
        .await
        .map_err(fail)?
        .into_iter()
        .filter(|m| m.active)
        .map(|m| Person {
            id: m.user_id,
            name: m.display_name,
        })
        .collect();
    let text = control::collections::amount_text;
    let aging = c.aging.map(|a| {
        let currency = a.currency.clone();
        let shares = a.shares();
        AgingView {
            report_date: a.report_date,
            fetched_at: a.fetched_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            fetched_by: a.fetched_by_name,
            total: money(text(a.total), currency.as_deref()),
            buckets: a
                .buckets
                .iter()
                .zip(&a.bucket_totals)
                .zip(shares)
                .map(|((label, amount), percent)| BucketView {
                    label: label.clone(),
                    amount: money(text(*amount), currency.as_deref()),
                    percent,
                })
                .collect(),
            customers: a
                .customers
                .into_iter()
                .map(|c| {
                    (
                        c.name,
                        c.amounts.iter().map(|x| text(*x)).collect(),
                        text(c.total),
                    )
                })
                .collect(),
        }
    });
    Ok(CollectionsPage {
        aging,
        invoices: c
            .invoices
            .into_iter()
            .map(|i| InvoiceView {
                open_balance: money(text(i.open_balance), i.currency.as_deref()),
                key: i.key,
                doc_number: i.doc_number,
                customer: i.customer_name,
                due_date: i.due_date,
                days_overdue: i.days_overdue,
                bucket: i.bucket,
                owner_id: i.owner_user_id,
                owner: i.owner_name,
                follow_ups: i
                    .follow_ups
                    .into_iter()
                    .map(|f| FollowUpView {
                        contacted_on: f.contacted_on,
                        promised_on: f.promised_on,
                        outcome: f.outcome,
                        note: f.note,
                        by: f.by_name,
                        at: f.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                    })
                    .collect(),
            })
            .collect(),
        overdue: c.overdue,
        unassigned_overdue: c.unassigned_overdue,
        people,
        can_edit: caller.role.allows(control::Role::Bookkeeper),
        today: state.now().date_naive(),
    })
}

/// Fetches the A/R aging from QuickBooks now.
#[server(endpoint = "collections_refresh")]
pub async fn collections_refresh() -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<CollectionsRefresh>().await?;
    let state = app_state()?;
    control::collections::refresh(
        &state.sync_context("web"),
        &caller.actor(),
        caller.organization_id,
        state.now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

/// Names (or, with `owner` empty, clears) an invoice's follow-up owner.
#[server(endpoint = "collection_assign")]
pub async fn collection_assign(invoice: String, owner: String) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, reject, state::app_state};
    let caller = require::<CollectionAssign>().await?;
    let state = app_state()?;
    let owner = match owner.trim() {
        "" => None,
        v => Some(
            v.parse::<i64>()
                .map_err(|_| reject(AppError::Invalid("choose a person from the list".into())))?,
        ),
    };
    control::collections::assign(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        &invoice,
        owner,
        state.now(),
    )
    .await
    .map_err(fail)
}

/// Logs a follow-up: dates are `YYYY-MM-DD` (`promised_on` may be empty).
#[server(endpoint = "collection_follow_up")]
pub async fn collection_follow_up(
    invoice: String,
    contacted_on: String,
    outcome: String,
    promised_on: String,
    note: String,
) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, reject, state::app_state};
    let caller = require::<CollectionFollowUp>().await?;
    let state = app_state()?;
    let invalid = |m: String| reject(AppError::Invalid(m));
    let date = |field: &str, t: &str| {
        t.trim()
            .parse::<chrono::NaiveDate>()
            .map_err(|_| invalid(format!("{field}: {t:?} is not a date (YYYY-MM-DD)")))
    };
    let new = control::collections::NewFollowUp {
        contacted_on: date("contacted on", &contacted_on)?,
        promised_on: match promised_on.trim() {
            "" => None,
            t => Some(date("promised payment date", t)?),
        },
        outcome: outcome.parse().map_err(invalid)?,
        note,
    };
    control::collections::log_follow_up(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        &invoice,
        new,
        state.now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

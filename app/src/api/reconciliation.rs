//! The Reconciliation screen: matched pairs with their reason, suggested matches to accept or
//! reject (decisions remembered by every later run), and each currency's balance proof.

use crate::error::AppError;
use crate::model::ReconciliationView;
use leptos::prelude::*;

/// One page of matches for a currency, period and status (all optional; dates YYYY-MM-DD).
#[server(endpoint = "reconciliation_page")]
pub async fn reconciliation_page(
    currency: String,
    from: String,
    to: String,
    status: String,
    page: i64,
) -> Result<ReconciliationView, AppError> {
    use crate::model::{MatchView, ProofView};
    use crate::ssr::{fail, guard::require, reject, state::app_state};
    use control::reconciliation::{self, MatchFilter};
    let caller = require::<ReconciliationPage>().await?;
    let state = app_state()?;
    let (db, org) = (&state.db, caller.organization_id);
    let date = |s: &str| -> Result<Option<chrono::NaiveDate>, AppError> {
        match s.trim() {
            "" => Ok(None),
            d => d.parse().map(Some).map_err(|_| {
                reject(AppError::Invalid(format!(
                    "{d:?} is not a date (YYYY-MM-DD)"
                )))
            }),
        }
    };
    let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let filter = MatchFilter {
        currency: opt(&currency),
        from: date(&from)?,
        to: date(&to)?,
        status: opt(&status),
    };
    let (rows, more) = reconciliation::matches(db, org, &filter, page)
        .await
        .map_err(fail)?;
    let suggested = reconciliation::suggested_count(db, org)
        .await
        .map_err(fail)?;
    let ids = |s: &str| serde_json::from_str::<Vec<String>>(s).unwrap_or_default();
    let proofs = reconciliation::proofs(db, org).await.map_err(fail)?;
    let mut currencies: Vec<String> = control::catalog::balances(db, org)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|b| b.currency)
        .collect();
    currencies.sort();
    Ok(ReconciliationView {
        currencies,
        proofs: proofs
            .into_iter()
            .map(|p| ProofView {
                period: format!(
                    "{} – {}",
                    p.from.format("%Y-%m-%d"),
                    p.to.format("%Y-%m-%d")
                ),
                opening: p.opening.to_string(),
                movements: p.movements.to_string(),
                closing: p.closing.to_string(),
                lines: p.lines,
                difference: p.difference().to_string(),
                balanced: p.difference().is_zero(),
                currency: p.currency,
            })
            .collect(),
        matches: rows
            .into_iter()
            .map(|m| MatchView {
                bank: ids(&m.bank_ids),
                books: ids(&m.book_ids),
                bank_at: m
                    .bank_at
                    .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default(),
                lag: m
                    .lag_seconds
                    .map(control::telemetry::human_duration)
                    .unwrap_or_default(),
                key: m.match_key,
                kind: m.kind.replace('_', " "),
                status: m.status,
                confidence: m.confidence,
                reason: m.reason,
                currency: m.currency,
            })
            .collect(),
        more,
        page,
        suggested,
        can_decide: caller.role.allows(control::Role::Bookkeeper),
    })
}

/// Accepts or rejects a suggested match (`decision` = `accept` or `reject`; a rejection needs
/// a note saying why).
#[server(endpoint = "match_decide")]
pub async fn match_decide(key: String, decision: String, note: String) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, reject, state::app_state};
    let caller = require::<MatchDecide>().await?;
    let state = app_state()?;
    let accept = match decision.as_str() {
        "accept" => true,
        "reject" => false,
        _ => return Err(reject(AppError::Invalid("decide accept or reject".into()))),
    };
    control::reconciliation::decide(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        &key,
        accept,
        &note,
        state.now(),
    )
    .await
    .map_err(fail)
}

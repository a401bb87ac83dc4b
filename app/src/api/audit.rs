//! Reading the audit log.

use crate::error::AppError;
use crate::model::AuditView;
use leptos::prelude::*;

/// The newest audit entries of the current organization.
#[server(endpoint = "audit_recent")]
pub async fn audit_recent() -> Result<Vec<AuditView>, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<AuditRecent>().await?;
    let state = app_state()?;
    let entries = control::audit::recent(&state.db, caller.organization_id, 200)
        .await
        .map_err(fail)?;
    Ok(entries
        .into_iter()
        .map(|e| AuditView {
            id: e.id,
            at: e.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            actor: e.actor,
            action: e.action,
            subject: e.subject,
            before: e.before_state,
            after: e.after_state,
        })
        .collect())
}

//! Reading the audit log.

use crate::error::AppError;
use crate::model::{AuditPageView, AuditView};
use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, StreamingText, TextStream};

/// The newest audit entries of the current organization.
#[server(endpoint = "audit_recent")]
pub async fn audit_recent() -> Result<Vec<AuditView>, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<AuditRecent>().await?;
    let state = app_state()?;
    let entries = control::audit::recent(&state.db, caller.organization_id, 200)
        .await
        .map_err(fail)?;
    Ok(entries.into_iter().map(view).collect())
}

#[cfg(feature = "ssr")]
fn view(e: control::audit::AuditEntry) -> AuditView {
    AuditView {
        id: e.id,
        at: e.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        actor: e.actor,
        action: e.action,
        subject: e.subject,
        before: e.before_state,
        after: e.after_state,
    }
}

#[cfg(feature = "ssr")]
pub(crate) fn audit_filter(
    action: &str,
    actor: &str,
    subject: &str,
    from: &str,
    to: &str,
) -> Result<control::audit::AuditFilter, AppError> {
    use crate::ssr::reject;
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
    Ok(control::audit::AuditFilter {
        action: action.into(),
        actor: actor.into(),
        subject: subject.into(),
        from: date(from)?,
        to: date(to)?,
    })
}

/// Audit entries matching the filter (all fields optional), newest first, 100 a page;
/// `before` (an entry id) pages to older entries.
#[server(endpoint = "audit_search")]
pub async fn audit_search(
    action: String,
    actor: String,
    subject: String,
    from: String,
    to: String,
    before: String,
) -> Result<AuditPageView, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<AuditSearch>().await?;
    let state = app_state()?;
    let filter = audit_filter(&action, &actor, &subject, &from, &to)?;
    const PAGE: i64 = 100;
    let entries = control::audit::search(
        &state.db,
        caller.organization_id,
        &filter,
        before.trim().parse().ok(),
        PAGE,
    )
    .await
    .map_err(fail)?;
    let next_before = (entries.len() as i64 == PAGE)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    Ok(AuditPageView {
        entries: entries.into_iter().map(view).collect(),
        next_before,
    })
}

/// The filtered audit log as a CSV download (a plain GET link with the filter's parameters),
/// newest first, at most 100,000 entries.
#[server(endpoint = "audit_export", input = GetUrl, output = StreamingText)]
pub async fn audit_export(
    #[server(default)] action: String,
    #[server(default)] actor: String,
    #[server(default)] subject: String,
    #[server(default)] from: String,
    #[server(default)] to: String,
) -> Result<TextStream<AppError>, AppError> {
    use crate::ssr::{csv_download, fail, guard::require, state::app_state};
    use control::csv_write::{field, push_record, text};
    let caller = require::<AuditExport>().await?;
    let state = app_state()?;
    let filter = audit_filter(&action, &actor, &subject, &from, &to)?;
    let entries = control::audit::search(&state.db, caller.organization_id, &filter, None, 100_000)
        .await
        .map_err(fail)?;
    let mut csv = String::new();
    push_record(
        &mut csv,
        &["id", "at", "actor", "action", "subject", "before", "after"].map(String::from),
    );
    for e in entries {
        push_record(
            &mut csv,
            &[
                e.id.to_string(),
                field(&e.at.to_rfc3339()),
                text(&e.actor),
                text(&e.action),
                text(&e.subject),
                text(&e.before_state.unwrap_or_default()),
                text(&e.after_state.unwrap_or_default()),
            ],
        );
    }
    csv_download(&format!("audit-{}.csv", state.now().date_naive()));
    Ok(TextStream::from(futures_util::stream::once(
        async move { csv },
    )))
}

//! The exception queue: reading it (any member), working it (bookkeepers and owners), and
//! exporting the current filter as CSV.

use crate::error::AppError;
use crate::model::{ExceptionPageView, QueueView};
use control::exception_filter::QueueQuery;
use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, StreamingText, TextStream};

/// Active bookkeepers and owners: the people an exception can be assigned to.
#[cfg(feature = "ssr")]
async fn assignable(
    db: &control::Db,
    organization_id: i64,
) -> Result<Vec<crate::model::Person>, AppError> {
    Ok(control::members::list(db, organization_id)
        .await
        .map_err(crate::ssr::fail)?
        .into_iter()
        .filter(|m| m.active && m.role.allows(control::Role::Bookkeeper))
        .map(|m| crate::model::Person {
            id: m.user_id,
            name: m.display_name,
        })
        .collect())
}

#[cfg(feature = "ssr")]
fn filter_of(query: &QueueQuery) -> Result<control::exception_filter::QueueFilter, AppError> {
    query
        .parse()
        .map_err(|m| crate::ssr::reject(AppError::Invalid(m)))
}

/// One page of the queue under the filter (GET parameters of `/exceptions`), with the
/// standing counts.
#[server(endpoint = "exceptions_list")]
pub async fn exceptions_list(#[server(flatten)] query: QueueQuery) -> Result<QueueView, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<ExceptionsList>().await?;
    let state = app_state()?;
    let filter = filter_of(&query)?;
    let page = control::exceptions::list(
        &state.db,
        caller.organization_id,
        &filter,
        state.now().date_naive(),
    )
    .await
    .map_err(fail)?;
    Ok(QueueView {
        page,
        people: assignable(&state.db, caller.organization_id).await?,
        can_edit: caller.role.allows(control::Role::Bookkeeper),
    })
}

/// One exception with both sides of the break, its comments and history.
#[server(endpoint = "exception_detail")]
pub async fn exception_detail(id: i64) -> Result<ExceptionPageView, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<ExceptionDetail>().await?;
    let state = app_state()?;
    let detail = control::exceptions::detail(
        &state.db,
        caller.organization_id,
        id,
        state.now().date_naive(),
    )
    .await
    .map_err(fail)?;
    Ok(ExceptionPageView {
        detail,
        people: assignable(&state.db, caller.organization_id).await?,
        can_edit: caller.role.allows(control::Role::Bookkeeper),
    })
}

/// The whole filtered queue as a CSV download: a plain GET link with the filter's parameters.
#[server(endpoint = "exceptions_export", input = GetUrl, output = StreamingText)]
pub async fn exceptions_export(
    #[server(flatten)] query: QueueQuery,
) -> Result<TextStream<AppError>, AppError> {
    use crate::ssr::{csv_download, fail, guard::require, state::app_state};
    let caller = require::<ExceptionsExport>().await?;
    let state = app_state()?;
    let filter = filter_of(&query)?;
    let today = state.now().date_naive();
    let csv = control::exceptions::export_csv(&state.db, caller.organization_id, &filter, today)
        .await
        .map_err(fail)?;
    csv_download(&format!("exceptions-{today}.csv"));
    Ok(TextStream::from(futures_util::stream::once(
        async move { csv },
    )))
}

/// `""` is nobody; otherwise a user id.
#[cfg(feature = "ssr")]
fn owner_of(text: &str) -> Result<Option<i64>, AppError> {
    match text.trim() {
        "" => Ok(None),
        id => id.parse().map(Some).map_err(|_| {
            crate::ssr::reject(AppError::Invalid(format!("owner: {id:?} is not a person")))
        }),
    }
}

/// Names the owner of one exception (`owner` empty: nobody).
#[server(endpoint = "exception_assign")]
pub async fn exception_assign(id: i64, owner: String) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<ExceptionAssign>().await?;
    let state = app_state()?;
    control::exceptions::assign(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        &[id],
        owner_of(&owner)?,
        state.now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

/// Names the owner of every exception ticked in the queue. Returns how many changed.
#[server(endpoint = "exceptions_bulk_assign")]
pub async fn exceptions_bulk_assign(
    #[server(default)] ids: Vec<i64>,
    owner: String,
) -> Result<usize, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<ExceptionsBulkAssign>().await?;
    let state = app_state()?;
    control::exceptions::assign(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        &ids,
        owner_of(&owner)?,
        state.now(),
    )
    .await
    .map_err(fail)
}

/// Sets the next action and the due date (`YYYY-MM-DD`, or empty for none).
#[server(endpoint = "exception_plan")]
pub async fn exception_plan(id: i64, next_action: String, due_on: String) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, reject, state::app_state};
    let caller = require::<ExceptionPlan>().await?;
    let state = app_state()?;
    let due_on = match due_on.trim() {
        "" => None,
        d => Some(d.parse().map_err(|_| {
            reject(AppError::Invalid(format!(
                "due date: {d:?} is not a date (YYYY-MM-DD)"
            )))
        })?),
    };
    control::exceptions::plan(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        id,
        &next_action,
        due_on,
        state.now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

/// Moves an exception to another status; `note` is required to dismiss.
#[server(endpoint = "exception_status")]
pub async fn exception_status(id: i64, status: String, note: String) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, reject, state::app_state};
    let caller = require::<ExceptionStatus>().await?;
    let state = app_state()?;
    let status = status.parse().map_err(|m| reject(AppError::Invalid(m)))?;
    control::exceptions::change_status(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        id,
        status,
        &note,
        state.now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

/// Adds a comment to an exception's thread.
#[server(endpoint = "exception_comment")]
pub async fn exception_comment(id: i64, body: String) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<ExceptionComment>().await?;
    let state = app_state()?;
    control::exceptions::comment(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        id,
        &body,
        state.now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

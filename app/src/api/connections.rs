//! The documented connection paths (bank feed, Wise app) on the Connections screen.

use crate::error::AppError;
use crate::model::ConnectionPathsView;
use leptos::prelude::*;

/// Both paths with their renewal state, and the people who can own them.
#[server(endpoint = "connection_paths_list")]
pub async fn connection_paths_list() -> Result<ConnectionPathsView, AppError> {
    use crate::model::{PathView, Person};
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<ConnectionPathsList>().await?;
    let state = app_state()?;
    let today = state.now().date_naive();
    let paths = control::connection_paths::list(&state.db, caller.organization_id)
        .await
        .map_err(fail)?;
    let people = control::members::list(&state.db, caller.organization_id)
        .await
        .map_err(fail)?
        .into_iter()
        .filter(|m| m.active)
        .map(|m| Person {
            id: m.user_id,
            name: m.display_name,
        })
        .collect();
    Ok(ConnectionPathsView {
        today,
        paths: paths
            .into_iter()
            .map(|p| PathView {
                renewal_due: p.renewal_due(),
                renewal: p.renewal(today),
                path: p,
            })
            .collect(),
        people,
        can_edit: caller.role.allows(control::Role::Owner),
    })
}

/// Saves one path's record. Dates are `YYYY-MM-DD` or empty; `owner_user_id` may be empty.
#[server(endpoint = "connection_path_update")]
pub async fn connection_path_update(
    path: String,
    owner_user_id: String,
    set_up_on: String,
    authorized_on: String,
    renews_on: String,
    test_status: String,
    notes: String,
) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, reject, state::app_state};
    use control::connection_paths::PathUpdate;
    let caller = require::<ConnectionPathUpdate>().await?;
    let state = app_state()?;
    let invalid = |m: String| reject(AppError::Invalid(m));
    let date = |field: &str, text: &str| -> Result<Option<chrono::NaiveDate>, AppError> {
        match text.trim() {
            "" => Ok(None),
            t => t
                .parse()
                .map(Some)
                .map_err(|_| invalid(format!("{field}: {t:?} is not a date (YYYY-MM-DD)"))),
        }
    };
    let kind = path.parse().map_err(invalid)?;
    let change = PathUpdate {
        owner_user_id: match owner_user_id.trim() {
            "" => None,
            id => Some(
                id.parse()
                    .map_err(|_| invalid(format!("owner: {id:?} is not a member id")))?,
            ),
        },
        set_up_on: date("set-up date", &set_up_on)?,
        authorized_on: date("authorization date", &authorized_on)?,
        renews_on: date("renewal date", &renews_on)?,
        test_status: test_status.parse().map_err(invalid)?,
        notes: notes.trim().to_string(),
    };
    control::connection_paths::update(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        kind,
        change,
        state.now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

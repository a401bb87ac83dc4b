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
    let remind = control::settings::get(&state.db, caller.organization_id)
        .await
        .map_err(fail)?
        .reminder_window();
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
                renewal: p.renewal(today, remind),
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

/// Home's connection health: QuickBooks and Wise (API), then the bank feed and the Wise app
/// (documented paths), each with its state, last successful sync and renewal countdown.
#[server(endpoint = "connection_health")]
pub async fn connection_health() -> Result<crate::model::ConnectionHealthView, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    use control::connection_health::{Link, of_link, of_path};
    use control::connections::Provider;
    let caller = require::<ConnectionHealth>().await?;
    let state = app_state()?;
    let (db, org) = (&state.db, caller.organization_id);
    let today = state.now().date_naive();
    let settings = control::settings::get(db, org).await.map_err(fail)?;
    let remind = settings.reminder_window();
    let conns = control::connections::list(db, org).await.map_err(fail)?;
    let mut rows: Vec<_> = [Provider::Qbo, Provider::Wise]
        .into_iter()
        .map(|provider| {
            let live = conns.iter().find(|c| c.provider == provider && c.is_live());
            let link = live.map_or_else(
                || Link {
                    name: provider.label(),
                    ..Link::default()
                },
                |c| Link {
                    name: provider.label(),
                    status: Some(&c.status),
                    display_name: &c.display_name,
                    personal_token: c.auth_kind == "personal_token",
                    expires_on: c.expires_at.map(|t| t.date_naive()),
                    last_success: c.last_success_at,
                    last_error: c.last_error.as_deref(),
                },
            );
            of_link(&link, today, remind)
        })
        .collect();
    let paths = control::connection_paths::list(db, org)
        .await
        .map_err(fail)?;
    rows.extend(paths.iter().map(|p| of_path(p, today, remind)));
    Ok(crate::model::ConnectionHealthView {
        rows,
        reminder_days: settings.reminder_days,
    })
}

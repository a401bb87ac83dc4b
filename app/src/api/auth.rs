//! Signing in and out, the current identity, switching organizations, first-run setup.

use crate::error::AppError;
use crate::model::Identity;
use leptos::prelude::*;

/// Signs in with e-mail and password and starts a fresh session in the person's first
/// organization.
#[server(endpoint = "login")]
pub async fn login(email: String, password: String) -> Result<(), AppError> {
    use crate::ssr::{fail, guard, reject, state::app_state};
    use control::audit::{self, Actor, Change};
    let state = app_state()?;
    let session = session().await?;
    let user = match control::users::authenticate(&state.db, &email, password).await {
        Ok(user) => user,
        Err(control::ControlError::BadCredentials) => {
            tracing::info!("sign-in refused");
            return Err(reject(AppError::Invalid(
                "Wrong e-mail or password.".into(),
            )));
        }
        Err(e) => return Err(fail(e)),
    };
    let orgs = control::members::organizations_of(&state.db, user.id)
        .await
        .map_err(fail)?;
    let Some(first) = orgs.first() else {
        return Err(reject(AppError::Forbidden));
    };
    // A new session id on every sign-in defeats session fixation.
    session.cycle_id().await.map_err(session_failed)?;
    session
        .insert(guard::USER_KEY, user.id)
        .await
        .map_err(session_failed)?;
    session
        .insert(guard::ORG_KEY, first.organization_id)
        .await
        .map_err(session_failed)?;
    audit::record_alone(
        &state.db,
        &Actor::user(user.id, &user.email),
        Change {
            organization_id: Some(first.organization_id),
            action: "session.login",
            subject: format!("user:{}", user.id),
            before: None,
            after: None,
        },
        state.now(),
    )
    .await
    .map_err(fail)?;
    tracing::info!(user_id = user.id, "signed in");
    redirect_plain_form("/");
    Ok(())
}

/// Ends the session (server side too; the cookie is cleared).
#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let session = session().await?;
    session.flush().await.map_err(session_failed)?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// The signed-in person in their current organization.
#[server(endpoint = "me")]
pub async fn me() -> Result<Identity, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<Me>().await?;
    let state = app_state()?;
    let orgs = control::members::organizations_of(&state.db, caller.user_id)
        .await
        .map_err(fail)?;
    let organization_name = orgs
        .iter()
        .find(|o| o.organization_id == caller.organization_id)
        .map(|o| o.organization_name.clone())
        .unwrap_or_default();
    Ok(Identity {
        user_id: caller.user_id,
        email: caller.email,
        display_name: caller.display_name,
        organization_id: caller.organization_id,
        organization_name,
        role: caller.role,
        organizations: orgs,
    })
}

/// Makes another of the caller's organizations the current one.
#[server(endpoint = "switch_organization")]
pub async fn switch_organization(organization_id: i64) -> Result<(), AppError> {
    use crate::ssr::{fail, guard, reject, state::app_state};
    let caller = guard::require::<SwitchOrganization>().await?;
    let state = app_state()?;
    let role = control::members::role_of(&state.db, caller.user_id, organization_id)
        .await
        .map_err(fail)?;
    if role.is_none() {
        return Err(reject(AppError::Forbidden));
    }
    let session = session().await?;
    session
        .insert(guard::ORG_KEY, organization_id)
        .await
        .map_err(session_failed)?;
    redirect_plain_form("/");
    Ok(())
}

/// Whether a setup link can still be used.
#[server(endpoint = "setup_status")]
pub async fn setup_status(token: String) -> Result<bool, AppError> {
    use crate::ssr::{fail, state::app_state};
    let state = app_state()?;
    control::setup::token_is_valid(&state.db, &token)
        .await
        .map_err(fail)
}

/// Uses a setup link: creates the first organization and its owner, and signs them in.
#[server(endpoint = "setup_complete")]
pub async fn setup_complete(
    token: String,
    organization: String,
    name: String,
    email: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    use crate::ssr::{fail, guard, reject, state::app_state};
    use control::setup::{self, FirstOwner};
    let state = app_state()?;
    if password != password_confirm {
        return Err(reject(AppError::Invalid(
            "The two passwords differ.".into(),
        )));
    }
    let first = FirstOwner {
        organization_name: control::organizations::parse_name(&organization).map_err(fail)?,
        email: control::Email::parse(&email)
            .map_err(|e| reject(AppError::Invalid(e.to_string())))?,
        display_name: control::users::parse_display_name(&name).map_err(fail)?,
        password: control::password::NewPassword::parse(&password).map_err(fail)?,
    };
    let done = setup::complete(&state.db, &token, first, state.now())
        .await
        .map_err(fail)?;
    let session = session().await?;
    session.cycle_id().await.map_err(session_failed)?;
    session
        .insert(guard::USER_KEY, done.user_id)
        .await
        .map_err(session_failed)?;
    session
        .insert(guard::ORG_KEY, done.organization_id)
        .await
        .map_err(session_failed)?;
    tracing::info!(user_id = done.user_id, "first owner created");
    redirect_plain_form("/");
    Ok(())
}

#[cfg(feature = "ssr")]
async fn session() -> Result<tower_sessions::Session, AppError> {
    leptos_axum::extract().await.map_err(|e| {
        tracing::error!(error = %e, "no session layer");
        crate::ssr::reject(AppError::Internal)
    })
}

#[cfg(feature = "ssr")]
fn session_failed(e: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %e, "session store failed");
    crate::ssr::reject(AppError::Internal)
}

/// A form posted without JavaScript gets a real redirect; the hydrated app navigates itself.
#[cfg(feature = "ssr")]
fn redirect_plain_form(path: &str) {
    let plain = use_context::<http::request::Parts>()
        .and_then(|p| p.headers.get(http::header::ACCEPT).cloned())
        .and_then(|v| v.to_str().ok().map(|s| s.contains("text/html")))
        .unwrap_or(false);
    if plain {
        leptos_axum::redirect(path);
    }
}

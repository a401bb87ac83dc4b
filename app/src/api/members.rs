//! The owner's management of the organization's members, and new organizations.

use crate::error::AppError;
use control::people::Member;
use leptos::prelude::*;

/// Everyone in the current organization, active first.
#[server(endpoint = "members_list")]
pub async fn members_list() -> Result<Vec<Member>, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<MembersList>().await?;
    let state = app_state()?;
    control::members::list(&state.db, caller.organization_id)
        .await
        .map_err(fail)
}

/// Adds a member. `password` is the initial password for a person without an account yet;
/// leave it empty for someone who already has one.
#[server(endpoint = "members_add")]
pub async fn members_add(
    email: String,
    name: String,
    role: String,
    password: String,
) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, reject, state::app_state};
    use control::members::NewMember;
    let caller = require::<MembersAdd>().await?;
    let state = app_state()?;
    let new = NewMember {
        email: control::Email::parse(&email)
            .map_err(|e| reject(AppError::Invalid(e.to_string())))?,
        display_name: control::users::parse_display_name(&name).map_err(fail)?,
        role: role
            .parse::<control::Role>()
            .map_err(|e| reject(AppError::Invalid(e.to_string())))?,
        password: match password.as_str() {
            "" => None,
            p => Some(control::password::NewPassword::parse(p).map_err(fail)?),
        },
    };
    control::members::add(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        new,
        state.now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

/// Changes a member's role.
#[server(endpoint = "members_role")]
pub async fn members_role(user_id: i64, role: String) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, reject, state::app_state};
    let caller = require::<MembersRole>().await?;
    let state = app_state()?;
    let role = role
        .parse::<control::Role>()
        .map_err(|e| reject(AppError::Invalid(e.to_string())))?;
    control::members::change_role(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        user_id,
        role,
        state.now(),
    )
    .await
    .map_err(fail)
}

/// Deactivates (`active = false`) or reactivates a member.
#[server(endpoint = "members_active")]
pub async fn members_active(user_id: i64, active: bool) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<MembersActive>().await?;
    let state = app_state()?;
    control::members::set_active(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        user_id,
        active,
        state.now(),
    )
    .await
    .map_err(fail)
}

/// Creates another organization with the caller as its owner (a bookkeeper's new client).
#[server(endpoint = "organization_create")]
pub async fn organization_create(name: String) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, reject, state::app_state};
    let caller = require::<OrganizationCreate>().await?;
    let state = app_state()?;
    let name = control::organizations::parse_name(&name).map_err(fail)?;
    control::organizations::create_with_owner(
        &state.db,
        &caller.actor(),
        &name,
        caller.user_id,
        state.now(),
    )
    .await
    .map_err(|e| match e {
        control::ControlError::Conflict(m) => reject(AppError::Conflict(m)),
        other => fail(other),
    })?;
    Ok(())
}

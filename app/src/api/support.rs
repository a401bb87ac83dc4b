//! Support & escalation (screen 11): vendor contacts, the internal escalation owner, and the
//! incident log.

use crate::error::AppError;
use crate::model::Person;
use control::incident::{IncidentStatus, Severity};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactView {
    pub id: i64,
    pub name: String,
    pub company: String,
    pub channel: String,
    pub notes: String,
    pub updated_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentView {
    pub id: i64,
    pub title: String,
    pub severity: Severity,
    pub owner_id: Option<i64>,
    pub owner: Option<String>,
    pub status: IncidentStatus,
    pub notes: String,
    pub opened_at: String,
    pub opened_by: Option<String>,
    pub closed_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportPage {
    pub escalation_owner_id: Option<i64>,
    pub escalation_owner: Option<String>,
    pub contacts: Vec<ContactView>,
    pub incidents: Vec<IncidentView>,
    pub people: Vec<Person>,
    /// Owners edit contacts and the escalation owner.
    pub can_configure: bool,
    /// Bookkeepers and owners log incidents.
    pub can_log: bool,
}

#[cfg(feature = "ssr")]
fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[cfg(feature = "ssr")]
fn person_id(text: &str) -> Result<Option<i64>, AppError> {
    match text.trim() {
        "" => Ok(None),
        v => v.parse().map(Some).map_err(|_| {
            crate::ssr::reject(AppError::Invalid("choose a person from the list".into()))
        }),
    }
}

/// Contacts, the escalation owner and the incident log.
#[server(endpoint = "support_view")]
pub async fn support_view() -> Result<SupportPage, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<SupportView>().await?;
    let state = app_state()?;
    let (db, org) = (&state.db, caller.organization_id);
    let members = control::members::list(db, org).await.map_err(fail)?;
    let settings = control::settings::get(db, org).await.map_err(fail)?;
    let escalation_owner = settings.escalation_owner_id.and_then(|id| {
        members
            .iter()
            .find(|m| m.user_id == id)
            .map(|m| m.display_name.clone())
    });
    let contacts = control::support::contacts(db, org).await.map_err(fail)?;
    let incidents = control::support::incidents(db, org, 200)
        .await
        .map_err(fail)?;
    Ok(SupportPage {
        escalation_owner_id: settings.escalation_owner_id,
        escalation_owner,
        contacts: contacts
            .into_iter()
            .map(|c| ContactView {
                id: c.id,
                name: c.name,
                company: c.company,
                channel: c.channel,
                notes: c.notes,
                updated_at: stamp(c.updated_at),
            })
            .collect(),
        incidents: incidents
            .into_iter()
            .map(|i| IncidentView {
                id: i.id,
                title: i.title,
                severity: i.severity,
                owner_id: i.owner_user_id,
                owner: i.owner_name,
                status: i.status,
                notes: i.notes,
                opened_at: stamp(i.opened_at),
                opened_by: i.opened_by_name,
                closed_at: i.closed_at.map(stamp),
            })
            .collect(),
        people: members
            .into_iter()
            .filter(|m| m.active)
            .map(|m| Person {
                id: m.user_id,
                name: m.display_name,
            })
            .collect(),
        can_configure: caller.role.allows(control::Role::Owner),
        can_log: caller.role.allows(control::Role::Bookkeeper),
    })
}

/// Adds a vendor contact (`id` empty) or changes one.
#[server(endpoint = "vendor_contact_save")]
pub async fn vendor_contact_save(
    id: String,
    name: String,
    company: String,
    channel: String,
    notes: String,
) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, reject, state::app_state};
    let caller = require::<VendorContactSave>().await?;
    let state = app_state()?;
    let id = match id.trim() {
        "" => None,
        v => Some(
            v.parse::<i64>()
                .map_err(|_| reject(AppError::Invalid("unknown contact".into())))?,
        ),
    };
    control::support::save_contact(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        id,
        control::support::ContactInput {
            name,
            company,
            channel,
            notes,
        },
        state.now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

#[server(endpoint = "vendor_contact_delete")]
pub async fn vendor_contact_delete(id: i64) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<VendorContactDelete>().await?;
    let state = app_state()?;
    control::support::delete_contact(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        id,
        state.now(),
    )
    .await
    .map_err(fail)
}

/// Names the internal escalation owner (empty: nobody).
#[server(endpoint = "escalation_owner_update")]
pub async fn escalation_owner_update(owner: String) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<EscalationOwnerUpdate>().await?;
    let state = app_state()?;
    control::support::set_escalation_owner(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        person_id(&owner)?,
        state.now(),
    )
    .await
    .map_err(fail)
}

/// Opens an incident.
#[server(endpoint = "incident_open")]
pub async fn incident_open(
    title: String,
    severity: String,
    owner: String,
    notes: String,
) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, reject, state::app_state};
    let caller = require::<IncidentOpen>().await?;
    let state = app_state()?;
    control::support::open_incident(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        control::support::NewIncident {
            title,
            severity: severity.parse().map_err(|e| reject(AppError::Invalid(e)))?,
            owner_user_id: person_id(&owner)?,
            notes,
        },
        state.now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

/// Changes an incident's severity, owner, status (closing stamps the time) and notes.
#[server(endpoint = "incident_update")]
pub async fn incident_update(
    id: i64,
    severity: String,
    owner: String,
    status: String,
    notes: String,
) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, reject, state::app_state};
    let caller = require::<IncidentUpdate>().await?;
    let state = app_state()?;
    let invalid = |e: String| reject(AppError::Invalid(e));
    control::support::update_incident(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        id,
        control::support::IncidentUpdate {
            severity: severity.parse().map_err(invalid)?,
            owner_user_id: person_id(&owner)?,
            status: status.parse().map_err(invalid)?,
            notes,
        },
        state.now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

//! The playbook's rollout controls: the Known vs Unknown matrix, the preflight checklist with
//! its go / no-go checkpoint, and the pilot. Viewers read; bookkeepers also record matrix
//! evidence and pick pilot samples; owners edit everything, sign and promote.

use crate::error::AppError;
use crate::model::Person;
use control::playbook::{Check, Checkpoint, MatrixRow, Pilot, PreflightItem};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The Known vs Unknown screen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatrixScreen {
    pub rows: Vec<MatrixRow>,
    /// Active members, for naming a row's owner.
    pub people: Vec<Person>,
    /// Status, evidence notes and measurements (bookkeeper and owner).
    pub can_record: bool,
    /// The playbook columns, owners and new rows (owner).
    pub can_edit: bool,
}

/// The Preflight screen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreflightScreen {
    pub items: Vec<PreflightItem>,
    pub checks: Vec<Check>,
    /// Newest first.
    pub checkpoints: Vec<Checkpoint>,
    pub people: Vec<Person>,
    /// Edit items and sign the checkpoint (owner).
    pub can_edit: bool,
}

/// The Pilot screen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PilotScreen {
    pub pilot: Pilot,
    pub today: chrono::NaiveDate,
    /// The classification rule, stated where it is applied.
    pub rule: String,
    /// Pick and drop samples (bookkeeper and owner).
    pub can_sample: bool,
    /// Window, fallback and promotion (owner).
    pub can_edit: bool,
}

#[cfg(feature = "ssr")]
mod parse {
    use crate::error::AppError;
    use crate::ssr::reject;

    /// A person chosen in a form: empty is nobody.
    pub fn person(s: &str) -> Result<Option<i64>, AppError> {
        match s.trim() {
            "" => Ok(None),
            v => v
                .parse()
                .map(Some)
                .map_err(|_| reject(AppError::Invalid("choose a person from the list".into()))),
        }
    }

    pub fn named<T: std::str::FromStr>(what: &str, s: &str) -> Result<T, AppError> {
        s.trim()
            .parse()
            .map_err(|_| reject(AppError::Invalid(format!("choose a {what} from the list"))))
    }

    pub fn date(what: &str, s: &str) -> Result<chrono::NaiveDate, AppError> {
        s.trim().parse().map_err(|_| {
            reject(AppError::Invalid(format!(
                "the {what} date is missing or not a date (YYYY-MM-DD)"
            )))
        })
    }

    /// A checkbox: present (any value) is on.
    pub fn checked(v: &Option<String>) -> bool {
        v.as_deref().is_some_and(|v| v != "false")
    }
}

#[cfg(feature = "ssr")]
async fn people(db: &control::Db, organization_id: i64) -> Result<Vec<Person>, AppError> {
    Ok(control::members::list(db, organization_id)
        .await
        .map_err(crate::ssr::fail)?
        .into_iter()
        .filter(|m| m.active)
        .map(|m| Person {
            id: m.user_id,
            name: m.display_name,
        })
        .collect())
}

/// The organization's matrix (seeded on first read).
#[server(endpoint = "matrix_list")]
pub async fn matrix_list() -> Result<MatrixScreen, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    use control::Role;
    let caller = require::<MatrixList>().await?;
    let state = app_state()?;
    let org = caller.organization_id;
    let rows = control::playbook::matrix::list(&state.db, org, state.now())
        .await
        .map_err(fail)?;
    Ok(MatrixScreen {
        rows,
        people: people(&state.db, org).await?,
        can_record: caller.role.allows(Role::Bookkeeper),
        can_edit: caller.role.allows(Role::Owner),
    })
}

/// Records a row's status (`unverified`, `verified`, `failed`) and evidence note.
#[server(endpoint = "matrix_evidence")]
pub async fn matrix_evidence(id: i64, status: String, note: String) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<MatrixEvidence>().await?;
    let state = app_state()?;
    control::playbook::matrix::set_evidence(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        id,
        control::playbook::matrix::Evidence {
            status: parse::named("status", &status)?,
            note,
        },
        state.now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

/// Attaches what the system measured for the row (observed cadence, applied mapping).
#[server(endpoint = "matrix_attach")]
pub async fn matrix_attach(id: i64) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<MatrixAttach>().await?;
    let state = app_state()?;
    control::playbook::matrix::attach_measurement(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        id,
        state.now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

/// Rewrites a row's playbook columns and names its owner (empty = nobody).
#[server(endpoint = "matrix_edit")]
pub async fn matrix_edit(
    id: i64,
    area: String,
    known_now: String,
    verify_in_tenant: String,
    why_it_matters: String,
    owner_user_id: String,
) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<MatrixEdit>().await?;
    let state = app_state()?;
    control::playbook::matrix::edit(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        id,
        control::playbook::matrix::RowText {
            area,
            known_now,
            verify_in_tenant,
            why_it_matters,
            owner_user_id: parse::person(&owner_user_id)?,
        },
        state.now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

/// Adds a row; `measure` is empty, `cadence` or `mapping`.
#[server(endpoint = "matrix_add")]
pub async fn matrix_add(
    area: String,
    known_now: String,
    verify_in_tenant: String,
    why_it_matters: String,
    owner_user_id: String,
    measure: String,
) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<MatrixAdd>().await?;
    let state = app_state()?;
    let measure = match measure.trim() {
        "" => None,
        m => Some(parse::named("measurement", m)?),
    };
    control::playbook::matrix::add(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        control::playbook::matrix::RowText {
            area,
            known_now,
            verify_in_tenant,
            why_it_matters,
            owner_user_id: parse::person(&owner_user_id)?,
        },
        measure,
        state.now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

/// The checklist, the automatic checks as they stand, and the signed checkpoints.
#[server(endpoint = "preflight_view")]
pub async fn preflight_view() -> Result<PreflightScreen, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    use control::playbook::preflight;
    let caller = require::<PreflightView>().await?;
    let state = app_state()?;
    let (db, org) = (&state.db, caller.organization_id);
    Ok(PreflightScreen {
        items: preflight::items(db, org, state.now()).await.map_err(fail)?,
        checks: preflight::automatic_checks(db, org).await.map_err(fail)?,
        checkpoints: preflight::checkpoints(db, org).await.map_err(fail)?,
        people: people(db, org).await?,
        can_edit: caller.role.allows(control::Role::Owner),
    })
}

/// Records an item's owner (empty = nobody), done flag (checkbox) and note.
#[server(endpoint = "preflight_item_update")]
pub async fn preflight_item_update(
    id: i64,
    owner_user_id: String,
    done: Option<String>,
    note: String,
) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<PreflightItemUpdate>().await?;
    let state = app_state()?;
    control::playbook::preflight::update_item(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        id,
        control::playbook::preflight::ItemUpdate {
            owner_user_id: parse::person(&owner_user_id)?,
            done: parse::checked(&done),
            note,
        },
        state.now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

/// Signs the go / no-go checkpoint (`go` or `no_go`); refused while an automatic check fails.
#[server(endpoint = "preflight_sign")]
pub async fn preflight_sign(decision: String, note: String) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<PreflightSign>().await?;
    let state = app_state()?;
    control::playbook::preflight::sign(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        parse::named("decision", &decision)?,
        &note,
        state.now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

/// The pilot: window, samples with expected against posted and timing, gates.
#[server(endpoint = "pilot_view")]
pub async fn pilot_view() -> Result<PilotScreen, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    use control::Role;
    let caller = require::<PilotView>().await?;
    let state = app_state()?;
    let today = state.now().date_naive();
    Ok(PilotScreen {
        pilot: control::playbook::pilot::view(&state.db, caller.organization_id, today)
            .await
            .map_err(fail)?,
        today,
        rule: control::telemetry::RULE.into(),
        can_sample: caller.role.allows(Role::Bookkeeper),
        can_edit: caller.role.allows(Role::Owner),
    })
}

/// Freezes the pilot window (`YYYY-MM-DD` both).
#[server(endpoint = "pilot_window")]
pub async fn pilot_window(from: String, to: String) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<PilotWindow>().await?;
    let state = app_state()?;
    control::playbook::pilot::set_window(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        parse::date("start", &from)?,
        parse::date("end", &to)?,
        state.now(),
    )
    .await
    .map_err(fail)
}

/// Adds a bank line of the window to the sample set.
#[server(endpoint = "pilot_sample_add")]
pub async fn pilot_sample_add(bank_line_id: i64) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<PilotSampleAdd>().await?;
    let state = app_state()?;
    control::playbook::pilot::add_sample(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        bank_line_id,
        state.now(),
    )
    .await
    .map_err(fail)
}

/// Takes a sample out of the set.
#[server(endpoint = "pilot_sample_remove")]
pub async fn pilot_sample_remove(id: i64) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<PilotSampleRemove>().await?;
    let state = app_state()?;
    control::playbook::pilot::remove_sample(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        id,
        state.now(),
    )
    .await
    .map_err(fail)
}

/// Records whether the fallback was tested (checkbox) and how.
#[server(endpoint = "pilot_fallback")]
pub async fn pilot_fallback(tested: Option<String>, note: String) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<PilotFallback>().await?;
    let state = app_state()?;
    control::playbook::pilot::record_fallback(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        parse::checked(&tested),
        &note,
        state.now(),
    )
    .await
    .map_err(fail)
}

/// Promotes the pilot to production; refused unless every go-live gate passes.
#[server(endpoint = "pilot_promote")]
pub async fn pilot_promote() -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<PilotPromote>().await?;
    let state = app_state()?;
    control::playbook::pilot::promote(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        state.now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

//! The state every request can reach: options, database, and the one clock.

use crate::error::AppError;
use axum::extract::FromRef;
use chrono::{DateTime, Utc};
use control::Db;
use leptos::prelude::*;

/// Where "now" comes from; tests may pin it.
pub type Clock = fn() -> DateTime<Utc>;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub clock: Clock,
    /// Seals tokens and keys before they are stored.
    pub vault: control::secrets::Vault,
    /// Where Wise and QBO are (the real services or the built-in emulators).
    pub connectors: control::sync::Connectors,
    /// How long a job claim lasts without renewal.
    pub job_lease: chrono::Duration,
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// What a sync worker or a connect flow needs, named after its caller.
    pub fn sync_context(&self, worker: impl Into<String>) -> control::sync::Context {
        control::sync::Context {
            db: self.db.clone(),
            vault: self.vault.clone(),
            connectors: self.connectors.clone(),
            worker: worker.into(),
            lease: self.job_lease,
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The state from the reactive context (set by `leptos_routes` for pages and server fns).
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from context");
        AppError::Internal
    })
}

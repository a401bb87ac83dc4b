//! The control room's domain and storage: organizations, people and their roles, the setup
//! token that creates the first owner, and the append-only audit log.
//!
//! Everything persistent goes through [`Db`], which speaks SQLite (the embedded default) and
//! PostgreSQL (the scale-out backend) with the same SQL text; handlers never see sqlx.

pub mod connection_health;
pub mod connection_path;
pub mod email;
pub mod exception_status;
pub mod feed_stall;
pub mod follow_up;
pub mod incident;
pub mod lifecycle;
pub mod people;
pub mod playbook;
pub mod role;
pub mod telemetry;
// The exception queue and statement upload (issue #7).
pub mod aging;
pub mod csv_write;
pub mod exception_filter;
pub mod exception_kind;
pub mod exception_queue;
pub mod statement_upload;
pub mod weekly_run;

#[cfg(feature = "storage")]
pub mod audit;
#[cfg(feature = "storage")]
pub mod catalog;
#[cfg(feature = "storage")]
pub mod collections;
#[cfg(feature = "storage")]
pub mod connect;
#[cfg(feature = "storage")]
pub mod connection_paths;
#[cfg(feature = "storage")]
pub mod connections;
#[cfg(feature = "storage")]
pub mod convert;
#[cfg(feature = "storage")]
pub mod dashboard;
#[cfg(feature = "storage")]
pub mod db;
#[cfg(feature = "storage")]
pub mod demo_record;
#[cfg(feature = "storage")]
mod error;
#[cfg(feature = "storage")]
pub mod exceptions;
#[cfg(feature = "storage")]
pub mod fee_booking;
#[cfg(feature = "storage")]
pub mod findings;
#[cfg(feature = "storage")]
pub mod jobs;
#[cfg(feature = "storage")]
pub mod lines;
#[cfg(feature = "storage")]
pub mod mappings;
#[cfg(feature = "storage")]
pub mod members;
#[cfg(feature = "storage")]
pub mod organizations;
#[cfg(feature = "storage")]
pub mod password;
#[cfg(feature = "storage")]
pub mod reconciliation;
#[cfg(feature = "storage")]
pub mod results;
#[cfg(feature = "storage")]
pub mod runs;
#[cfg(feature = "storage")]
pub mod secrets;
#[cfg(feature = "storage")]
pub mod sessions;
#[cfg(feature = "storage")]
pub mod settings;
#[cfg(feature = "storage")]
pub mod setup;
#[cfg(feature = "storage")]
pub mod support;
#[cfg(feature = "storage")]
pub mod sync;
#[cfg(feature = "storage")]
pub mod testing;
#[cfg(feature = "storage")]
pub mod uploads;
#[cfg(feature = "storage")]
pub mod users;
#[cfg(feature = "storage")]
pub mod webhook_inbox;
#[cfg(feature = "storage")]
pub mod weekly;

#[cfg(feature = "storage")]
pub use db::Db;
pub use email::Email;
#[cfg(feature = "storage")]
pub use error::{ControlError, Result};
pub use role::Role;

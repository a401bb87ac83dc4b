//! One module per screen.

pub mod audit;
pub mod collections;
pub mod connections;
pub mod exceptions;
pub mod fee;
pub mod home;
pub mod login;
pub mod mapping;
pub mod matrix;
pub mod not_found;
pub mod pilot;
pub mod preflight;
pub mod reconciliation;
pub mod screens;
pub mod settings;
pub mod setup;
pub mod support;
pub mod upload;
pub mod weekly;

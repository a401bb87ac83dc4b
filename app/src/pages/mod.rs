//! One module per screen.

pub mod audit;
pub mod collections;
pub mod connections;
pub mod home;
pub mod login;
pub mod mapping;
pub mod not_found;
pub mod screens;
pub mod settings;
pub mod setup;
pub mod support;
pub mod weekly;

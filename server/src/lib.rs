//! The Clearline process: configuration, the HTTP server (pages, server functions,
//! health), and the command line. `main.rs` only parses arguments and calls in here, so
//! integration tests start the very same server.

pub mod cli;
pub mod config;
pub mod connect_oauth;
pub mod demo;
pub mod demo_org;
pub mod jobs;
pub mod logging;
pub mod reconcile;
pub mod web;
pub mod webhooks;

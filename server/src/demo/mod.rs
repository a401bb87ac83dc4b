//! The demo organization: on a machine with no Wise or QBO configuration, `serve` shows a small
//! design studio's books, reconciled. [`data`] is the studio (pure, deterministic per anchor
//! date); [`emulators`] starts the built-in Wise and QBO emulators on 127.0.0.1 seeded with it.

pub mod data;
pub mod emulators;

pub use data::{BankRef, Books, DEMO_REALM_ID, Expected, Planted, Problem, Record, Studio, studio};
pub use emulators::{DEMO_WISE_TOKEN, DemoEmulators, SeedError, seed_books};

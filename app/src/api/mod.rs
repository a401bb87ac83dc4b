//! Server functions. Each one is thin: the access check first, then one domain call, then
//! the error mapped for the user. Endpoint names are stable (`/api/<name>`), and each has a
//! rule in [`crate::access::ACCESS`].

pub mod audit;
pub mod auth;
pub mod collections;
pub mod connections;
pub mod exceptions;
pub mod fees;
pub mod members;
pub mod playbook;
pub mod reconciliation;
pub mod support;
pub mod sync;
pub mod uploads;
pub mod weekly;

pub use audit::*;
pub use auth::*;
pub use collections::*;
pub use connections::*;
pub use exceptions::*;
pub use fees::*;
pub use members::*;
pub use playbook::*;
pub use reconciliation::*;
pub use support::*;
pub use sync::*;
pub use uploads::*;
pub use weekly::*;

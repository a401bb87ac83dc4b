//! Server functions. Each one is thin: the access check first, then one domain call, then
//! the error mapped for the user. Endpoint names are stable (`/api/<name>`), and each has a
//! rule in [`crate::access::ACCESS`].

pub mod audit;
pub mod auth;
pub mod collections;
pub mod connections;
pub mod members;
pub mod support;
pub mod sync;
pub mod weekly;

pub use audit::*;
pub use auth::*;
pub use collections::*;
pub use connections::*;
pub use members::*;
pub use support::*;
pub use sync::*;
pub use weekly::*;

//! The one time source. Production uses the system clock; tests inject their own.

use std::sync::Arc;

use chrono::{DateTime, Utc};

/// Returns "now" in UTC.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The system clock.
#[must_use]
pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

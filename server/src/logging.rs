//! Structured logs with `tracing`. `CLEARLINE_LOG=json` switches to JSON lines; `RUST_LOG`
//! filters. Request logs carry the path only, never the query string (setup links carry a
//! token there) and never headers (cookies).

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_sessions=warn"));
    let json = std::env::var("CLEARLINE_LOG").is_ok_and(|v| v == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

//! The job loop: every second, reap dead runs, queue scheduled and webhook-triggered ones
//! ([`control::jobs::tick`]), then run what is queued ([`control::sync::drain`]). Several
//! instances may run it against one PostgreSQL database: claims are exclusive.

use control::sync::Context;
use std::time::Duration;

pub async fn run(ctx: Context) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(e) = control::jobs::tick(&ctx.db, chrono::Utc::now()).await {
            tracing::warn!(error = %e, "job scheduling failed");
        }
        if let Err(e) = control::sync::drain(&ctx).await {
            tracing::warn!(error = %e, "running queued jobs failed");
        }
    }
}

//! Per-realm request limits (quickbooks-api.md §13.3): at most 10 requests in flight and 500
//! per minute per realm. A semaphore bounds concurrency; a sliding one-minute window of start
//! times bounds the rate. Waiting here is cheaper than a 429 and its 60-second penalty.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The limits one realm is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_in_flight: usize,
    pub per_minute: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_in_flight: 10,
            per_minute: 500,
        }
    }
}

/// Hands out permission to send one request.
#[derive(Debug)]
pub(crate) struct RealmLimiter {
    in_flight: Arc<Semaphore>,
    started: Arc<Mutex<VecDeque<Instant>>>,
    limits: Limits,
}

const WINDOW: Duration = Duration::from_secs(60);

impl RealmLimiter {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            in_flight: Arc::new(Semaphore::new(limits.max_in_flight.max(1))),
            started: Arc::new(Mutex::new(VecDeque::new())),
            limits,
        }
    }

    /// Waits for a free slot and for room in the minute window; the permit is the slot.
    /// The future owns what it needs (no borrow of `self`), so callers' futures stay `Send`.
    pub(crate) fn acquire(&self) -> impl Future<Output = OwnedSemaphorePermit> + Send + 'static {
        let in_flight = self.in_flight.clone();
        let started = self.started.clone();
        let per_minute = self.limits.per_minute.max(1);
        async move {
            // The semaphore is never closed, so acquire cannot fail.
            let permit = in_flight
                .acquire_owned()
                .await
                .unwrap_or_else(|_| unreachable!("the limiter's semaphore is never closed"));
            loop {
                let wait = {
                    let mut started = started
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    let now = Instant::now();
                    while started.front().is_some_and(|t| now - *t >= WINDOW) {
                        started.pop_front();
                    }
                    if started.len() < per_minute {
                        started.push_back(now);
                        None
                    } else {
                        started.front().map(|t| WINDOW - (now - *t))
                    }
                };
                match wait {
                    None => return permit,
                    Some(d) => {
                        tracing::debug!(
                            wait_ms = d.as_millis(),
                            "QBO per-minute limit reached; waiting"
                        );
                        tokio::time::sleep(d).await;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_minute_window_delays_the_overflow() {
        let l = RealmLimiter::new(Limits {
            max_in_flight: 10,
            per_minute: 3,
        });
        let t0 = Instant::now();
        for _ in 0..3 {
            drop(l.acquire().await);
        }
        assert!(Instant::now() - t0 < Duration::from_secs(1));
        drop(l.acquire().await);
        assert!(Instant::now() - t0 >= WINDOW);
    }

    #[tokio::test]
    async fn in_flight_is_bounded() {
        let l = RealmLimiter::new(Limits {
            max_in_flight: 2,
            per_minute: 100,
        });
        let a = l.acquire().await;
        let _b = l.acquire().await;
        assert!(
            tokio::time::timeout(Duration::from_millis(20), l.acquire())
                .await
                .is_err()
        );
        drop(a);
        assert!(
            tokio::time::timeout(Duration::from_millis(200), l.acquire())
                .await
                .is_ok()
        );
    }
}

//! The one retry policy for every QBO and OAuth HTTP call (quickbooks-api.md §13.1, §13.3):
//! 429 waits (Intuit says 60 s) and retries; 5xx and timeouts back off exponentially up to a
//! bound; 401 gets exactly one token refresh (decided in the client, not here); other 4xx are
//! final. Writes are safe to retry because every write carries a `requestid`.

use std::time::Duration;

use rand::Rng;

/// Why an attempt failed, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// HTTP 429.
    Throttled,
    /// HTTP 5xx (500, 502, 503, 504) or a `SystemFault`.
    Server,
    /// Connection failure or the client-side timeout.
    Transport,
}

/// How often and how long to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included.
    pub max_attempts: u32,
    /// First back-off after a 5xx or timeout; doubled per attempt.
    pub base_delay: Duration,
    /// Upper bound of one back-off.
    pub max_delay: Duration,
    /// Wait after a 429.
    pub throttle_wait: Duration,
    /// Client-side timeout of one attempt (QBO itself gives up after 120 s).
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            throttle_wait: Duration::from_secs(60),
            request_timeout: Duration::from_secs(100),
        }
    }
}

impl RetryPolicy {
    /// A policy for tests against the emulator: same shape, millisecond waits.
    #[must_use]
    pub fn fast() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(40),
            throttle_wait: Duration::from_millis(20),
            request_timeout: Duration::from_secs(5),
        }
    }

    /// How long to wait before attempt `attempt + 1` (attempts count from 1), or `None` when
    /// the attempts are used up.
    #[must_use]
    pub fn delay_after(&self, failure: Failure, attempt: u32) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        Some(match failure {
            Failure::Throttled => self.throttle_wait,
            Failure::Server | Failure::Transport => {
                let exp = self
                    .base_delay
                    .saturating_mul(1u32 << (attempt - 1).min(16))
                    .min(self.max_delay);
                // Up to 20 % jitter so parallel realms do not retry in lock-step.
                let jitter_ms = u64::try_from(exp.as_millis() / 5).unwrap_or(0);
                let jitter = if jitter_ms > 0 {
                    Duration::from_millis(rand::thread_rng().gen_range(0..=jitter_ms))
                } else {
                    Duration::ZERO
                };
                (exp + jitter).min(self.max_delay)
            }
        })
    }

    /// Classifies an HTTP status; `None` when retrying cannot help.
    #[must_use]
    pub fn classify_status(status: u16) -> Option<Failure> {
        match status {
            429 => Some(Failure::Throttled),
            500 | 502 | 503 | 504 | 408 => Some(Failure::Server),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_bounded() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            ..RetryPolicy::default()
        };
        let d1 = p.delay_after(Failure::Server, 1).unwrap();
        let d3 = p.delay_after(Failure::Server, 3).unwrap();
        assert!(d1 >= Duration::from_millis(100) && d1 <= Duration::from_millis(120));
        assert!(d3 >= Duration::from_millis(400));
        assert!(p.delay_after(Failure::Transport, 9).unwrap() <= Duration::from_secs(1));
        assert_eq!(p.delay_after(Failure::Server, 10), None);
        assert_eq!(
            p.delay_after(Failure::Throttled, 1),
            Some(Duration::from_secs(60))
        );
    }

    #[test]
    fn only_transient_statuses_retry() {
        assert_eq!(RetryPolicy::classify_status(429), Some(Failure::Throttled));
        assert_eq!(RetryPolicy::classify_status(503), Some(Failure::Server));
        assert_eq!(RetryPolicy::classify_status(400), None);
        assert_eq!(RetryPolicy::classify_status(401), None);
    }
}

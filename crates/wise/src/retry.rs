//! The crate's one retry policy: 429 honours `Retry-After`, 5xx and transport failures back off
//! exponentially up to a bound. Everything else is not retried here (401 refresh and the SCA
//! repeat are decisions of the client, made once each).

use chrono::{DateTime, Utc};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total tries for one request, including the first.
    pub max_attempts: u32,
    /// Delay before the first retry; doubles each time.
    pub base_delay: Duration,
    /// Ceiling for one backoff delay.
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is not waited for: the call fails with `RateLimited`
    /// so a scheduler can come back later instead of holding a worker.
    pub max_retry_after: Duration,
    /// Per-request timeout (a timed-out request is retried like a 5xx).
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// What happened on one try, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    RateLimited { retry_after: Option<Duration> },
    ServerError,
    Transport,
}

impl RetryPolicy {
    /// How long to wait before try `attempt + 1`, or `None` to give up. `attempt` is 1-based.
    pub fn delay(&self, attempt: u32, failure: Failure) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        match failure {
            Failure::RateLimited {
                retry_after: Some(d),
            } => (d <= self.max_retry_after).then_some(d),
            _ => Some(self.backoff(attempt)),
        }
    }

    /// `base × 2^(attempt−1)`, capped at `max_delay`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }
}

/// `Retry-After` is either delay-seconds or an HTTP-date.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&Utc);
    Some((when - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_bounded() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
            ..RetryPolicy::default()
        };
        let d: Vec<_> = (1..=5).map(|a| p.backoff(a).as_millis()).collect();
        assert_eq!(d, [100, 200, 400, 500, 500]);
        assert_eq!(p.backoff(100), Duration::from_millis(500));
        assert_eq!(p.delay(10, Failure::ServerError), None);
    }

    #[test]
    fn retry_after_is_honoured_within_bound() {
        let p = RetryPolicy::default();
        let ra = |s| Failure::RateLimited {
            retry_after: Some(Duration::from_secs(s)),
        };
        assert_eq!(p.delay(1, ra(3)), Some(Duration::from_secs(3)));
        assert_eq!(p.delay(1, ra(3600)), None);
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:05 GMT", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
    }
}

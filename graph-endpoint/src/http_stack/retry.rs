//! When and how long to wait before trying a call again.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode};

/// The retry behaviour of a [`GraphClient`](crate::GraphClient): what Graph's
/// own SDKs do, by default.
///
/// - 429, 503 and 504 are retried; `Retry-After` is honoured in every form
///   (seconds, fractional seconds, HTTP date), capped at [`RetryPolicy::max_wait`];
///   without it (or with a value that cannot be read) the wait is exponential
///   backoff with jitter.
/// - Transport failures are retried only when the request is safe to repeat
///   (GET, PUT, DELETE) or failed before any byte was sent (connect errors).
/// - At most [`RetryPolicy::max_retries`] retries and [`RetryPolicy::max_elapsed`]
///   of waiting in all; each retry carries `Retry-Attempt: n` and the same
///   `client-request-id`.
///
/// ```
/// use std::time::Duration;
/// use graph_endpoint::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_retries(5)
///     .base_delay(Duration::from_millis(500))
///     .max_wait(Duration::from_secs(30));
/// assert_eq!(policy.retries(), 5);
/// assert_eq!(RetryPolicy::none().retries(), 0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    max_retries: u32,
    base_delay: Duration,
    max_jitter: Duration,
    max_wait: Duration,
    max_elapsed: Duration,
}

/// Graph's SDKs never retry more than this.
pub const MAX_RETRIES: u32 = 10;

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_secs(3),
            max_jitter: Duration::from_secs(1),
            max_wait: Duration::from_secs(180),
            max_elapsed: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    #[must_use]
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// How many retries after the first attempt (default 3, at most 10).
    #[must_use]
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries.min(MAX_RETRIES);
        self
    }

    /// The first backoff delay, doubled on each retry (default 3 s).
    #[must_use]
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The most random jitter added to a backoff delay (default 1 s).
    #[must_use]
    pub fn max_jitter(mut self, jitter: Duration) -> Self {
        self.max_jitter = jitter;
        self
    }

    /// The longest any one wait may be, `Retry-After` included (default 180 s).
    #[must_use]
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait;
        self
    }

    /// The most time one call may spend waiting between attempts (default 300 s).
    #[must_use]
    pub fn max_elapsed(mut self, elapsed: Duration) -> Self {
        self.max_elapsed = elapsed;
        self
    }

    /// The configured number of retries.
    #[must_use]
    pub fn retries(&self) -> u32 {
        self.max_retries
    }

    /// Whether a response with this status may be retried.
    #[must_use]
    pub fn retries_status(status: StatusCode) -> bool {
        crate::error::is_transient_status(status)
    }

    /// The wait before retry number `retry` (1-based) after a response with
    /// these headers: `Retry-After` if readable and sane, else backoff.
    #[must_use]
    pub fn wait_for(&self, retry: u32, headers: Option<&HeaderMap>) -> Duration {
        let advised = headers.and_then(|h| retry_after(h, SystemTime::now()));
        let wait = advised.unwrap_or_else(|| self.backoff(retry));
        wait.min(self.max_wait)
    }

    /// Exponential backoff with jitter: `base * 2^(retry-1) + random(0..jitter)`.
    #[must_use]
    pub fn backoff(&self, retry: u32) -> Duration {
        let exponential = self
            .base_delay
            .saturating_mul(1u32 << retry.saturating_sub(1).min(16));
        let jitter = self.max_jitter.mul_f64(jitter_fraction());
        exponential.saturating_add(jitter)
    }

    /// The most time one call may spend waiting between attempts.
    pub(crate) fn elapsed_budget(&self) -> Duration {
        self.max_elapsed
    }

    /// Whether attempt `number` (1-based) may be followed by a retry after
    /// `wait`, when `waited` was spent waiting already: retries remain and the
    /// wait fits the time budget.
    pub(crate) fn allows(&self, number: u32, waited: Duration, wait: Duration) -> bool {
        number <= self.max_retries && waited + wait <= self.max_elapsed
    }
}

/// A uniform fraction in [0, 1), from a fresh UUID's random bits: no extra
/// random-number crate for one number per retry.
fn jitter_fraction() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u128() as u64;
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// A `Retry-After` of more than a day is taken as a mistake and ignored.
const ABSURD_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Reads `Retry-After`: whole or fractional seconds, or an HTTP date. `None`
/// when absent, unreadable, negative or absurd.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let wait = if let Ok(seconds) = value.parse::<f64>() {
        if !seconds.is_finite() || seconds < 0.0 {
            return None;
        }
        Duration::try_from_secs_f64(seconds).ok()?
    } else {
        let at = httpdate::parse_http_date(value).ok()?;
        at.duration_since(now).unwrap_or(Duration::ZERO)
    };
    (wait <= ABSURD_RETRY_AFTER).then_some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::RETRY_AFTER, value.parse().unwrap());
        headers
    }

    #[test]
    fn retry_after_in_every_form() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_770);
        assert_eq!(
            retry_after(&headers("7"), now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(&headers("2.128"), now),
            Some(Duration::from_millis(2128))
        );
        assert_eq!(
            retry_after(&headers("Sun, 06 Nov 1994 08:49:37 GMT"), now),
            Some(Duration::from_secs(7))
        );
        // A date in the past means "now".
        assert_eq!(
            retry_after(&headers("Sun, 06 Nov 1994 08:49:00 GMT"), now),
            Some(Duration::ZERO)
        );
        for bad in ["soon", "-3", "NaN", "inf", "999999999"] {
            assert_eq!(retry_after(&headers(bad), now), None, "{bad}");
        }
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn backoff_doubles_with_bounded_jitter_and_waits_are_capped() {
        let policy = RetryPolicy::default()
            .base_delay(Duration::from_millis(100))
            .max_jitter(Duration::from_millis(10))
            .max_wait(Duration::from_millis(350));
        for (retry, base) in [(1, 100), (2, 200), (3, 400)] {
            let wait = policy.backoff(retry);
            assert!(wait >= Duration::from_millis(base) && wait < Duration::from_millis(base + 10));
        }
        assert_eq!(policy.wait_for(3, None), Duration::from_millis(350));
        assert_eq!(
            policy.wait_for(1, Some(&headers("0.25"))),
            Duration::from_millis(250)
        );
        assert_eq!(
            policy.wait_for(1, Some(&headers("60"))),
            Duration::from_millis(350)
        );
        let fallback = policy.wait_for(1, Some(&headers("garbage")));
        assert!(fallback >= Duration::from_millis(100) && fallback < Duration::from_millis(110));
    }

    #[test]
    fn retries_are_bounded() {
        assert_eq!(
            RetryPolicy::default().max_retries(50).retries(),
            MAX_RETRIES
        );
    }
}

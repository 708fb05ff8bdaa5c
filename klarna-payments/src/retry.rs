//! When and how long to wait before sending a request again.

use std::time::Duration;

use reqwest::StatusCode;

pub(crate) use crate::operations::Replay;

/// How failed calls are retried: exponential backoff with jitter, a cap on attempts
/// and on total time, and `Retry-After` honoured up to a bound.
///
/// Reads, updates and cancels are safe to repeat and are retried on connection failures,
/// timeouts, 408, 429 and 5xx answers. A create (a session, an order, a customer token)
/// is retried **only** when Klarna surely did not process it: the connection could not
/// be made (refused, DNS, TLS handshake), or Klarna answered `429` (rate limited, not
/// processed; its `Retry-After` is honoured). Klarna has no idempotency key for these
/// calls, and a replayed create opens a second session or places a second order.
///
/// ```
/// use std::time::Duration;
/// use klarna_payments::RetryPolicy;
///
/// let patient = RetryPolicy::default()
///     .max_attempts(5)
///     .initial_backoff(Duration::from_millis(100))
///     .max_elapsed(Duration::from_secs(20));
/// let off = RetryPolicy::none();
/// assert_eq!(off.attempts(), 1);
/// assert_eq!(patient.attempts(), 5);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_elapsed: Duration,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// Three attempts, backoff from 200 ms doubling up to 2 s, at most 30 s in all, and
    /// a `Retry-After` of at most 10 s.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(2),
            max_elapsed: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// Never retry: every call is sent once.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Attempts in all, the first included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait before the first retry; it doubles for each further one.
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest backoff between two attempts.
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// No retry starts, and no wait runs, past this long after the first attempt began.
    pub fn max_elapsed(mut self, elapsed: Duration) -> Self {
        self.max_elapsed = elapsed;
        self
    }

    /// The longest `Retry-After` honoured; a longer one is cut to this.
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// Attempts in all.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The backoff before attempt `attempt + 1` (1-based `attempt`), before jitter.
    fn base_backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }

    /// The wait after failed attempt `attempt`: "equal jitter", a uniform draw in
    /// `[base/2, base]`, or the (capped) `Retry-After` when that is longer.
    pub(crate) fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let base = self.base_backoff(attempt);
        let half = base / 2;
        let jitter = Duration::from_nanos(fastrand::u64(0..=(base - half).as_nanos() as u64));
        let backoff = half + jitter;
        match retry_after {
            Some(wait) => backoff.max(wait.min(self.max_retry_after)),
            None => backoff,
        }
    }

    /// Whether another attempt may start after `attempt` attempts, `elapsed` time, and
    /// a planned wait of `delay`.
    pub(crate) fn allows(&self, attempt: u32, elapsed: Duration, delay: Duration) -> bool {
        attempt < self.max_attempts && elapsed.saturating_add(delay) <= self.max_elapsed
    }
}

impl Replay {
    /// Whether an answer with `status` is worth another attempt. A create is retried
    /// only on `429`: Klarna refused it without processing it, so no second session,
    /// order or customer token can come of the retry.
    pub(crate) fn retries_status(self, status: StatusCode) -> bool {
        match self {
            Replay::Safe => {
                status == StatusCode::REQUEST_TIMEOUT
                    || status == StatusCode::TOO_MANY_REQUESTS
                    || status.is_server_error()
            }
            Replay::OnlyIfUnprocessed => status == StatusCode::TOO_MANY_REQUESTS,
        }
    }

    /// Whether a failed exchange is worth another attempt: for a create, only when the
    /// connection was never made.
    pub(crate) fn retries_error(self, error: &reqwest::Error) -> bool {
        match self {
            // A body cut off mid-read surfaces from `chunk()` as a decode error wrapping
            // the body error; the transport reads raw bytes, so it is a broken transfer.
            Replay::Safe => {
                error.is_connect()
                    || error.is_timeout()
                    || error.is_request()
                    || error.is_body()
                    || error.is_decode()
            }
            Replay::OnlyIfUnprocessed => error.is_connect(),
        }
    }
}

/// Parses `Retry-After` as delay-seconds (HTTP dates are not honoured: backoff applies).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_is_capped_and_jitters_within_bounds() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(350));
        for _ in 0..200 {
            let first = policy.delay(1, None);
            assert!(
                first >= Duration::from_millis(50) && first <= Duration::from_millis(100),
                "{first:?}"
            );
            let second = policy.delay(2, None);
            assert!(
                second >= Duration::from_millis(100) && second <= Duration::from_millis(200),
                "{second:?}"
            );
            let capped = policy.delay(30, None);
            assert!(
                capped >= Duration::from_millis(175) && capped <= Duration::from_millis(350),
                "{capped:?}"
            );
        }
    }

    #[test]
    fn retry_after_is_honoured_but_bounded() {
        let policy = RetryPolicy::default().max_retry_after(Duration::from_secs(3));
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(86_400))),
            Duration::from_secs(3)
        );
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn attempts_and_total_time_are_capped() {
        let policy = RetryPolicy::default()
            .max_attempts(3)
            .max_elapsed(Duration::from_secs(1));
        assert!(policy.allows(1, Duration::ZERO, Duration::from_millis(200)));
        assert!(!policy.allows(3, Duration::ZERO, Duration::ZERO));
        assert!(!policy.allows(1, Duration::from_millis(900), Duration::from_millis(200)));
        assert_eq!(RetryPolicy::default().max_attempts(0).attempts(), 1);
    }

    #[test]
    fn a_create_is_retried_on_429_only() {
        assert!(!Replay::OnlyIfUnprocessed.retries_status(StatusCode::SERVICE_UNAVAILABLE));
        assert!(!Replay::OnlyIfUnprocessed.retries_status(StatusCode::REQUEST_TIMEOUT));
        assert!(Replay::OnlyIfUnprocessed.retries_status(StatusCode::TOO_MANY_REQUESTS));
        assert!(Replay::Safe.retries_status(StatusCode::SERVICE_UNAVAILABLE));
        assert!(Replay::Safe.retries_status(StatusCode::TOO_MANY_REQUESTS));
        assert!(Replay::Safe.retries_status(StatusCode::REQUEST_TIMEOUT));
        assert!(!Replay::Safe.retries_status(StatusCode::BAD_REQUEST));
        for create in ["create_credit_session", "create_order", "purchase_token"] {
            assert_eq!(Replay::for_operation(create), Replay::OnlyIfUnprocessed);
        }
        for safe in [
            "read_credit_session",
            "update_credit_session",
            "cancel_credit_session",
            "cancel_authorization",
        ] {
            assert_eq!(Replay::for_operation(safe), Replay::Safe);
        }
    }
}

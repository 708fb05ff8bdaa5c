//! Klarna's per-merchant rate limits, as optional token buckets.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Requests per second allowed, for creates and for every other call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// Session creations per second.
    pub create_per_second: f64,
    /// Reads and updates per second.
    pub other_per_second: f64,
}

impl RateLimit {
    /// Klarna's playground limits: 5 creates/s, 50 other calls/s.
    pub const PLAYGROUND: RateLimit = RateLimit {
        create_per_second: 5.0,
        other_per_second: 50.0,
    };
    /// Klarna's production limits: 40 creates/s, 200 other calls/s.
    pub const PRODUCTION: RateLimit = RateLimit {
        create_per_second: 40.0,
        other_per_second: 200.0,
    };
}

/// One token bucket: `rate` tokens a second, holding at most `rate` (one second's burst).
pub(crate) struct Bucket {
    rate: f64,
    state: Mutex<(f64, Instant)>,
}

impl Bucket {
    pub(crate) fn new(rate: f64) -> Self {
        let rate = rate.max(0.001);
        Self {
            rate,
            state: Mutex::new((rate, Instant::now())),
        }
    }

    /// Takes a token, or says how long until one is available.
    pub(crate) fn take(&self) -> Result<(), Duration> {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (tokens, last) = &mut *state;
        let now = Instant::now();
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.rate).min(self.rate);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / self.rate))
        }
    }
}

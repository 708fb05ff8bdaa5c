//! Throughput and latency percentiles.

use std::time::Duration;

use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub requests: usize,
    pub seconds: f64,
    pub per_second: f64,
    pub p50_us: f64,
    pub p99_us: f64,
}

/// Accumulates latencies and busy time over several rounds.
#[derive(Default)]
pub struct Samples {
    latencies: Vec<Duration>,
    busy: Duration,
}

impl Samples {
    pub fn add(&mut self, latencies: Vec<Duration>, wall: Duration) {
        self.latencies.extend(latencies);
        self.busy += wall;
    }

    pub fn summary(mut self) -> Summary {
        self.latencies.sort_unstable();
        let at = |q: f64| {
            let index = ((self.latencies.len() as f64 - 1.0) * q).round() as usize;
            self.latencies
                .get(index)
                .map(|d| d.as_secs_f64() * 1e6)
                .unwrap_or(f64::NAN)
        };
        let seconds = self.busy.as_secs_f64();
        Summary {
            requests: self.latencies.len(),
            seconds,
            per_second: self.latencies.len() as f64 / seconds,
            p50_us: at(0.50),
            p99_us: at(0.99),
        }
    }
}

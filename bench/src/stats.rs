//! Throughput and latency percentiles.

use std::time::Duration;

use serde::Serialize;

use crate::contenders::CALLS;

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub requests: usize,
    pub seconds: f64,
    pub per_second: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    /// The median latency of each call of an iteration apart (creates, reads, updates,
    /// orders: `contenders::CALLS`).
    pub p50_by_call_us: [f64; CALLS.len()],
    /// Heap allocations per request (client side, harness included: under 0.05).
    pub allocs_per_request: f64,
    pub alloc_bytes_per_request: f64,
    /// CPU time per request, the canned server's thread excluded.
    pub cpu_us_per_request: f64,
}

/// What a batch cost besides time.
#[derive(Clone, Copy, Default)]
pub struct Costs {
    pub allocations: u64,
    pub bytes: u64,
    pub cpu_us: f64,
}

/// Accumulates latencies and busy time over several rounds.
#[derive(Default)]
pub struct Samples {
    latencies: Vec<Duration>,
    busy: Duration,
    costs: Costs,
    /// Requests per second of each round's batch, in round order.
    pub rounds: Vec<f64>,
    /// The median latency (µs) of each call of an iteration in each round's batch, in
    /// round order: for comparing one call between contenders, round by round.
    pub call_rounds: Vec<[f64; CALLS.len()]>,
}

/// The median latency (µs) of each call apart; `latencies` come in iterations, each
/// call's in `CALLS` order.
fn p50_by_call(latencies: &[Duration]) -> [f64; CALLS.len()] {
    std::array::from_fn(|call| {
        let mut apart: Vec<Duration> = latencies
            .iter()
            .skip(call)
            .step_by(CALLS.len())
            .copied()
            .collect();
        apart.sort_unstable();
        apart
            .get(apart.len() / 2)
            .map(|d| d.as_secs_f64() * 1e6)
            .unwrap_or(f64::NAN)
    })
}

impl Samples {
    pub fn add(&mut self, latencies: Vec<Duration>, wall: Duration) {
        self.rounds
            .push(latencies.len() as f64 / wall.as_secs_f64());
        self.call_rounds.push(p50_by_call(&latencies));
        self.latencies.extend(latencies);
        self.busy += wall;
    }

    pub fn add_costs(&mut self, costs: Costs) {
        self.costs.allocations += costs.allocations;
        self.costs.bytes += costs.bytes;
        self.costs.cpu_us += costs.cpu_us;
    }

    pub fn summary(mut self) -> Summary {
        let p50_by_call_us = p50_by_call(&self.latencies);
        self.latencies.sort_unstable();
        let at = |q: f64| {
            let index = ((self.latencies.len() as f64 - 1.0) * q).round() as usize;
            self.latencies
                .get(index)
                .map(|d| d.as_secs_f64() * 1e6)
                .unwrap_or(f64::NAN)
        };
        let seconds = self.busy.as_secs_f64();
        let requests = self.latencies.len() as f64;
        Summary {
            allocs_per_request: self.costs.allocations as f64 / requests,
            alloc_bytes_per_request: self.costs.bytes as f64 / requests,
            cpu_us_per_request: self.costs.cpu_us / requests,
            requests: self.latencies.len(),
            seconds,
            per_second: self.latencies.len() as f64 / seconds,
            p50_us: at(0.50),
            p99_us: at(0.99),
            p50_by_call_us,
        }
    }
}

/// The median and quartiles of `values`.
#[derive(Clone, Debug, Serialize)]
pub struct Spread {
    pub median: f64,
    pub q1: f64,
    pub q3: f64,
}

impl Spread {
    pub fn of(mut values: Vec<f64>) -> Spread {
        values.sort_by(f64::total_cmp);
        let at = |q: f64| {
            if values.is_empty() {
                return f64::NAN;
            }
            // Linear interpolation between the closest ranks.
            let rank = (values.len() - 1) as f64 * q;
            let (low, high) = (rank.floor() as usize, rank.ceil() as usize);
            values[low] + (values[high] - values[low]) * (rank - low as f64)
        };
        Spread {
            median: at(0.5),
            q1: at(0.25),
            q3: at(0.75),
        }
    }

    /// The spread of `numerator[i] / denominator[i]`: ratios of batches run in the same
    /// round, so that drift of the machine between rounds cancels out.
    pub fn of_paired(numerator: &[f64], denominator: &[f64]) -> Spread {
        Spread::of(
            numerator
                .iter()
                .zip(denominator)
                .map(|(n, d)| n / d)
                .collect(),
        )
    }
}

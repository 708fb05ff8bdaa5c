//! The runner behind `cargo xtask bench`; each mode prints one JSON object.
//!
//! - `client ITERATIONS ROUNDS`: create/read/update/order loops against a canned
//!   loopback server at concurrency 1 and 64, every contender in every round, order
//!   rotated; throughput, latency, allocations and CPU time per request, and each
//!   contender's throughput relative to the baseline and to the openapi-generator
//!   client as the median (and quartiles) of the ratios of batches run in the same
//!   round; and per call (`by_call`), its median latency and the baseline's median
//!   latency of the same call over it, again as the median of same-round ratios.
//! - `codec ITERATIONS`: encode a create body and decode a read answer, 3 and 1000
//!   lines, generated types against plain serde structs, alternating; and the
//!   pre-send checks of the create body (schema alone, and schema and arithmetic).
//! - `one INDEX CONCURRENCY ITERATIONS`: one contender alone in its process, for
//!   profiling and for its peak resident memory.
//! - `validate LINES ITERATIONS`: the default pre-send checks alone, for profiling.
//! - `servers REQUESTS ROUNDS NAME=URL...`: create-session load at 64 connections
//!   against each server, alternating.

mod bodies;
mod canned;
mod contenders;
mod counting;
mod load;
mod plain;
mod stats;

use std::time::{Duration, Instant};

use contenders::{Bodies, CALLS, Contender};
use serde_json::{Value, json};
use stats::{Costs, Samples, Spread};

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // On a runtime worker, not the main thread, so that a batch run in the calling task
    // (concurrency 1) runs where spawned tasks run.
    let output = tokio::spawn(command(args))
        .await
        .expect("the bench finishes");
    println!("{output}");
}

async fn command(args: Vec<String>) -> Value {
    let number =
        |i: usize, default: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    match args.first().map(String::as_str) {
        Some("client") => client(number(1, 2000), number(2, 5)).await,
        Some("codec") => codec(number(1, 2000)),
        Some("validate") => validate_only(number(1, 3), number(2, 100_000)),
        Some("one") => one(number(1, 1), number(2, 64), number(3, 2000)).await,
        Some("servers") => servers(number(1, 4000), number(2, 3), &args[3.min(args.len())..]).await,
        _ => {
            eprintln!("usage: klarna-bench client|codec|one|validate|servers ...");
            std::process::exit(2);
        }
    }
}

async fn run_batch(
    contender: &Contender,
    bodies: &std::sync::Arc<Bodies>,
    concurrency: usize,
    iterations: usize,
    server_clock: libc::clockid_t,
) -> (Vec<Duration>, Duration, Costs) {
    let (allocations, bytes) = counting::allocations();
    let cpu = counting::client_cpu_us(server_clock);
    let started = Instant::now();
    let per_task = iterations / concurrency;
    let latencies = if concurrency == 1 {
        // One caller: the loop runs in the calling task, so every contender's batch
        // runs on the worker that runs the rounds. (A task spawned per batch landed on
        // alternate workers, and the batches' speed followed the worker's CPU, not the
        // contender: 7 k against 30 k requests/s in consecutive batches.)
        iterations_of(contender, bodies, per_task).await
    } else {
        let tasks: Vec<_> = (0..concurrency)
            .map(|_| {
                let contender = contender.clone();
                let bodies = std::sync::Arc::clone(bodies);
                tokio::spawn(async move { iterations_of(&contender, &bodies, per_task).await })
            })
            .collect();
        let mut latencies = Vec::with_capacity(per_task * concurrency * CALLS.len());
        for task in tasks {
            latencies.extend(task.await.unwrap());
        }
        latencies
    };
    let wall = started.elapsed();
    let (allocations_after, bytes_after) = counting::allocations();
    let costs = Costs {
        allocations: allocations_after - allocations,
        bytes: bytes_after - bytes,
        cpu_us: counting::client_cpu_us(server_clock) - cpu,
    };
    (latencies, wall, costs)
}

/// `count` create → read → update → order iterations of `contender`, one after
/// another: the latency of each call.
async fn iterations_of(contender: &Contender, bodies: &Bodies, count: usize) -> Vec<Duration> {
    let mut latencies = Vec::with_capacity(count * CALLS.len());
    for _ in 0..count {
        latencies.extend(contender.iteration(bodies).await);
    }
    latencies
}

async fn client(iterations: usize, rounds: usize) -> Value {
    let (address, server_clock) = canned::start(bodies::read(3).to_string());
    let base = format!("http://{address}");
    let contenders = Contender::all(&base);
    let bodies = std::sync::Arc::new(Bodies::new(
        &bodies::create(3),
        &bodies::update(3),
        &bodies::order(3),
    ));
    let mut results = Vec::new();
    for concurrency in [1usize, 64] {
        // At concurrency 1 every thread of the runner, the canned server's included,
        // shares one CPU: a request then costs the CPU time of client, server and kernel,
        // and no thread waits for another CPU to wake (on this VM that wait varied by
        // ±15 % between batches and drowned the clients' differences). At 64 the
        // runtime's workers use every CPU.
        pin_all(concurrency == 1);
        // For a quick comparison while working on the client (`cargo xtask bench` does
        // not set it): concurrency 1 only.
        if concurrency > 1 && std::env::var_os("KLARNA_BENCH_ONLY_C1").is_some() {
            break;
        }
        // Warm up connections and caches.
        for contender in &contenders {
            run_batch(
                contender,
                &bodies,
                concurrency,
                concurrency * 20,
                server_clock,
            )
            .await;
        }
        let mut samples: Vec<Samples> = contenders.iter().map(|_| Samples::default()).collect();
        for round in 0..rounds {
            for k in 0..contenders.len() {
                let index = (k + round) % contenders.len();
                let (latencies, wall, costs) = run_batch(
                    &contenders[index],
                    &bodies,
                    concurrency,
                    iterations,
                    server_clock,
                )
                .await;
                samples[index].add(latencies, wall);
                samples[index].add_costs(costs);
            }
        }
        // Ratios of batches run in the same round, against the baseline (index 0) and
        // the openapi-generator client (the last): their median is what the targets use.
        let baseline = samples[0].rounds.clone();
        let generator = samples[contenders.len() - 1].rounds.clone();
        // Per call: the baseline's median latency of the call over this contender's, in
        // the same round (above 1 when this contender's call is quicker), as the
        // throughput ratios above read.
        let call = |samples: &Samples, call: usize| -> Vec<f64> {
            samples
                .call_rounds
                .iter()
                .map(|round| round[call])
                .collect()
        };
        let baseline_calls: Vec<Vec<f64>> =
            (0..CALLS.len()).map(|c| call(&samples[0], c)).collect();
        for (contender, samples) in contenders.iter().zip(samples) {
            let by_call: Vec<Value> = (0..CALLS.len())
                .map(|c| {
                    json!({
                        "call": CALLS[c],
                        "vs_baseline": Spread::of_paired(&baseline_calls[c], &call(&samples, c)),
                    })
                })
                .collect();
            results.push(json!({
                "contender": contender.name(),
                "concurrency": concurrency,
                "vs_baseline": Spread::of_paired(&samples.rounds, &baseline),
                "vs_generator": Spread::of_paired(&samples.rounds, &generator),
                "by_call": by_call,
                "summary": samples.summary(),
            }));
        }
    }
    json!({"client": results, "iterations_per_round": iterations, "rounds": rounds})
}

/// One contender alone in this process (index into `Contender::all`), after a warm-up
/// round: for profiling, and for its peak resident memory.
async fn one(index: usize, concurrency: usize, iterations: usize) -> Value {
    let (address, server_clock) = canned::start(bodies::read(3).to_string());
    let contender = Contender::new(index, &format!("http://{address}"));
    let bodies = std::sync::Arc::new(Bodies::new(
        &bodies::create(3),
        &bodies::update(3),
        &bodies::order(3),
    ));
    // As in `client`.
    pin_all(concurrency == 1);
    run_batch(
        &contender,
        &bodies,
        concurrency,
        concurrency * 20,
        server_clock,
    )
    .await;
    let mut samples = Samples::default();
    let (latencies, wall, costs) =
        run_batch(&contender, &bodies, concurrency, iterations, server_clock).await;
    samples.add(latencies, wall);
    samples.add_costs(costs);
    json!({
        "contender": contender.name(),
        "concurrency": concurrency,
        "summary": samples.summary(),
        "peak_rss_kib": counting::peak_rss_kib(),
    })
}

/// The default pre-send checks alone on a create body of LINES lines, for profiling.
fn validate_only(lines: usize, iterations: usize) -> Value {
    let body: klarna_payments::types::SessionCreate =
        serde_json::from_value(bodies::create(lines)).unwrap();
    let checks = klarna_payments::validation::Checks::default();
    // The spec is loaded and compiled on first use: not part of a call's cost.
    assert!(klarna_payments::validation::validate(&body, checks).is_empty());
    let (allocations, _) = counting::allocations();
    let ns = time_per_op(iterations, || {
        drop(std::hint::black_box(klarna_payments::validation::validate(
            std::hint::black_box(&body),
            checks,
        )))
    });
    let allocations = (counting::allocations().0 - allocations) as f64 / iterations as f64;
    json!({"lines": lines, "iterations": iterations, "validate_ns": ns, "allocations": allocations})
}

fn time_per_op(iterations: usize, mut op: impl FnMut()) -> f64 {
    let started = Instant::now();
    for _ in 0..iterations {
        op();
    }
    started.elapsed().as_secs_f64() * 1e9 / iterations as f64
}

fn codec(iterations: usize) -> Value {
    use klarna_payments::types as generated;
    let mut results = Vec::new();
    for lines in [3usize, 1000] {
        let n = if lines == 3 {
            iterations * 50
        } else {
            iterations / 4
        }
        .max(10);
        let create_json = bodies::create(lines);
        let read_text = bodies::read(lines).to_string();
        let ours: generated::SessionCreate = serde_json::from_value(create_json.clone()).unwrap();
        let theirs: plain::SessionCreate = serde_json::from_value(create_json).unwrap();
        let (mut enc_gen, mut enc_plain, mut dec_gen, mut dec_plain) = (0.0, 0.0, 0.0, 0.0);
        let (mut check_schema, mut check_all) = (0.0, 0.0);
        let mut check_allocations = 0;
        let checks = klarna_payments::validation::Checks::default();
        let schema_only = klarna_payments::validation::Checks {
            schema: true,
            arithmetic: false,
        };
        assert!(klarna_payments::validation::validate(&ours, checks).is_empty());
        const ROUNDS: usize = 5;
        for _ in 0..ROUNDS {
            enc_gen += time_per_op(n, || {
                drop(std::hint::black_box(serde_json::to_vec(&ours).unwrap()))
            });
            enc_plain += time_per_op(n, || {
                drop(std::hint::black_box(serde_json::to_vec(&theirs).unwrap()))
            });
            check_schema += time_per_op(n, || {
                drop(std::hint::black_box(klarna_payments::validation::validate(
                    std::hint::black_box(&ours),
                    schema_only,
                )))
            });
            let before = counting::allocations().0;
            check_all += time_per_op(n, || {
                drop(std::hint::black_box(klarna_payments::validation::validate(
                    std::hint::black_box(&ours),
                    checks,
                )))
            });
            check_allocations += counting::allocations().0 - before;
            dec_gen += time_per_op(n, || {
                drop(std::hint::black_box(
                    serde_json::from_str::<generated::SessionRead>(&read_text).unwrap(),
                ))
            });
            dec_plain += time_per_op(n, || {
                drop(std::hint::black_box(
                    serde_json::from_str::<plain::SessionRead>(&read_text).unwrap(),
                ))
            });
        }
        let r = ROUNDS as f64;
        results.push(json!({
            "lines": lines, "iterations": n * ROUNDS,
            "encode_generated_ns": enc_gen / r, "encode_plain_ns": enc_plain / r,
            "decode_generated_ns": dec_gen / r, "decode_plain_ns": dec_plain / r,
            "check_schema_ns": check_schema / r, "check_all_ns": check_all / r,
            "check_allocations": check_allocations as f64 / (n * ROUNDS) as f64,
        }));
    }
    json!({"codec": results})
}

async fn servers(requests: usize, rounds: usize, targets: &[String]) -> Value {
    let body = bodies::create(3).to_string();
    // The same `Authorization` value a client sends, from reqwest.
    let authorization = reqwest::Client::new()
        .post("http://127.0.0.1/")
        .basic_auth(contenders::USER, Some(contenders::PASSWORD))
        .build()
        .ok()
        .and_then(|r| r.headers().get(reqwest::header::AUTHORIZATION).cloned())
        .and_then(|v| v.to_str().ok().map(str::to_owned))
        .expect("reqwest encodes basic credentials");
    let targets: Vec<(String, std::sync::Arc<Vec<u8>>, String)> = targets
        .iter()
        .map(|t| {
            let (name, authority) = t
                .split_once('=')
                .and_then(|(name, url)| Some((name, url.strip_prefix("http://")?)))
                .map(|(name, rest)| (name, rest.trim_end_matches('/')))
                .filter(|(_, authority)| !authority.contains('/'))
                .unwrap_or_else(|| panic!("{t:?}: a target is NAME=http://HOST:PORT"));
            let request = load::create_request(authority, &authorization, &body);
            (
                name.to_string(),
                std::sync::Arc::new(request),
                authority.to_string(),
            )
        })
        .collect();
    let mut samples: Vec<Samples> = targets.iter().map(|_| Samples::default()).collect();
    let mut failures = vec![0usize; targets.len()];
    for round in 0..=rounds {
        for k in 0..targets.len() {
            let index = (k + round) % targets.len();
            let (_, request, authority) = &targets[index];
            let count = if round == 0 { 256 } else { requests };
            let started = Instant::now();
            let tasks: Vec<_> = (0..64)
                .map(|_| {
                    let (request, authority) = (std::sync::Arc::clone(request), authority.clone());
                    tokio::spawn(async move { load::run(&authority, &request, count / 64).await })
                })
                .collect();
            let mut latencies = Vec::new();
            for task in tasks {
                let outcome = task.await.unwrap();
                latencies.extend(outcome.latencies);
                if round > 0 {
                    failures[index] += outcome.failed;
                }
            }
            if round > 0 {
                samples[index].add(latencies, started.elapsed());
            }
        }
    }
    let results: Vec<Value> = targets
        .iter()
        .zip(samples)
        .zip(failures)
        .map(|(((name, _, _), s), failed)| json!({"server": name, "summary": s.summary(), "non_200": failed}))
        .collect();
    json!({"servers": results})
}

/// The CPUs this process may run on when it started (before any pinning).
static ALLOWED_CPUS: std::sync::OnceLock<libc::cpu_set_t> = std::sync::OnceLock::new();

/// Lets every thread of this process (those started later inherit it) run only on the
/// first CPU it was allowed at start (`first_only`), or on all of those again.
fn pin_all(first_only: bool) {
    let allowed = ALLOWED_CPUS.get_or_init(|| {
        // SAFETY: a zeroed `cpu_set_t` is the empty set, and `sched_getaffinity` fills
        // one of the size passed.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        let done =
            unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
        assert_eq!(
            done,
            0,
            "sched_getaffinity: {}",
            std::io::Error::last_os_error()
        );
        set
    });
    let mut set = *allowed;
    if first_only {
        // SAFETY: CPU_ISSET and CPU_SET read and write within the set, below CPU_SETSIZE.
        let first = (0..libc::CPU_SETSIZE as usize)
            .find(|&cpu| unsafe { libc::CPU_ISSET(cpu, allowed) })
            .expect("the process may run on some CPU");
        set = unsafe { std::mem::zeroed() };
        unsafe { libc::CPU_SET(first, &mut set) };
    }
    let tasks = std::fs::read_dir("/proc/self/task").expect("/proc/self/task lists the threads");
    for task in tasks.flatten() {
        if let Ok(tid) = task.file_name().to_string_lossy().parse::<libc::pid_t>() {
            // SAFETY: `set` is a valid `cpu_set_t` of the size passed.
            let done = unsafe {
                libc::sched_setaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), &set)
            };
            if done != 0 {
                // A thread that ended meanwhile is no longer there to pin.
                let error = std::io::Error::last_os_error();
                assert_eq!(
                    error.raw_os_error(),
                    Some(libc::ESRCH),
                    "sched_setaffinity: {error}"
                );
            }
        }
    }
}

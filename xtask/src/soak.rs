//! `cargo xtask soak`: a bounded soak of the persistent simulator (release build, with a
//! state file): mixed traffic (create, read, update, approve, place the order, cancel)
//! from a fixed number of connections for a fixed time, sampling each minute the
//! simulator's resident memory, the latency quantiles and the rate, so that a leak or a
//! slowdown shows as a trend. Writes the table into RELIABILITY.md.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::load::{Connection, Simulator, create_body, field, quantile_us};

const BEGIN: &str = "<!-- soak:begin -->";
const END: &str = "<!-- soak:end -->";
/// Connections sending traffic at once.
const CONNECTIONS: usize = 16;

/// One minute's figures.
struct Sample {
    minute: usize,
    requests: usize,
    errors: u64,
    p50_us: u32,
    p99_us: u32,
    rss_mib: f64,
}

/// One round of a shopper's checkout, by one connection: every step's latency.
fn checkout(connection: &mut Connection, n: u64, latencies: &mut Vec<u32>) -> Result<(), String> {
    let mut timed = |method: &str, path: &str, body: Option<&str>| {
        let started = Instant::now();
        let answer = connection
            .send(method, path, body)
            .map_err(|e| e.to_string())?;
        latencies.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
        Ok::<_, String>(answer)
    };
    let (status, created) = timed(
        "POST",
        "/payments/v1/sessions",
        Some(&create_body(&format!("S-{n}"))),
    )?;
    let id = field(&created, "session_id").ok_or(format!("create answered {status}"))?;
    let session = format!("/payments/v1/sessions/{id}");
    expect(timed("GET", &session, None)?.0, 200)?;
    let change = format!(r#"{{"merchant_reference2":"soak-{n}"}}"#);
    expect(timed("POST", &session, Some(&change))?.0, 204)?;
    if n % 4 == 3 {
        // A shopper who walks away.
        return expect(timed("DELETE", &session, None)?.0, 204);
    }
    let (status, approved) = timed(
        "POST",
        &format!("/simulator/v1/sessions/{id}/authorize"),
        Some("{}"),
    )?;
    let token =
        field(&approved, "authorization_token").ok_or(format!("approval answered {status}"))?;
    let order = format!("/payments/v1/authorizations/{token}/order");
    expect(timed("POST", &order, Some(&create_body("order")))?.0, 200)?;
    expect(timed("GET", &session, None)?.0, 200)
}

fn expect(status: u16, wanted: u16) -> Result<(), String> {
    if status == wanted {
        Ok(())
    } else {
        Err(format!("answered {status}, not {wanted}"))
    }
}

/// Runs the soak for `minutes` against `binary` with a state file under `scratch`.
pub fn run(root: &Path, binary: &Path, scratch: &Path, minutes: usize) -> Result<String, String> {
    std::fs::create_dir_all(scratch).map_err(|e| e.to_string())?;
    let state = scratch.join("soak-state.json");
    let _ = std::fs::remove_file(&state);
    let _ = std::fs::remove_file(crate::persistence::journal(&state));
    let state_arg = state.to_string_lossy().into_owned();
    let simulator = Simulator::start(binary, &["--state-file", state_arg.as_str()])?;
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let rounds = Arc::new(AtomicU64::new(0));
    let latencies: Arc<Mutex<Vec<u32>>> = Arc::new(Mutex::new(Vec::new()));
    let mut samples = Vec::new();
    std::thread::scope(|scope| {
        for _ in 0..CONNECTIONS {
            let (stop, errors, rounds, latencies) = (
                Arc::clone(&stop),
                Arc::clone(&errors),
                Arc::clone(&rounds),
                Arc::clone(&latencies),
            );
            let authority = simulator.authority.clone();
            scope.spawn(move || {
                let mut connection = None;
                let mut mine = Vec::with_capacity(1024);
                while !stop.load(Ordering::Relaxed) {
                    let open = match connection.as_mut() {
                        Some(open) => open,
                        None => match Connection::open(&authority) {
                            Ok(open) => connection.insert(open),
                            Err(_) => {
                                errors.fetch_add(1, Ordering::Relaxed);
                                std::thread::sleep(Duration::from_millis(100));
                                continue;
                            }
                        },
                    };
                    let n = rounds.fetch_add(1, Ordering::Relaxed);
                    if checkout(open, n, &mut mine).is_err() {
                        errors.fetch_add(1, Ordering::Relaxed);
                        connection = None;
                    }
                    if mine.len() >= 1024 {
                        latencies.lock().unwrap().append(&mut mine);
                    }
                }
                latencies.lock().unwrap().append(&mut mine);
            });
        }
        let mut errors_before = 0;
        for minute in 1..=minutes {
            std::thread::sleep(Duration::from_secs(60));
            let mut taken = std::mem::take(&mut *latencies.lock().unwrap());
            let errors_now = errors.load(Ordering::Relaxed);
            samples.push(Sample {
                minute,
                requests: taken.len(),
                errors: errors_now - errors_before,
                p50_us: quantile_us(&mut taken, 0.50),
                p99_us: quantile_us(&mut taken, 0.99),
                rss_mib: simulator.rss_kib().unwrap_or(0) as f64 / 1024.0,
            });
            errors_before = errors_now;
            eprintln!("soak minute {minute}/{minutes}: {} requests", taken.len());
        }
        stop.store(true, Ordering::Relaxed);
    });
    let state_mib = [state.clone(), crate::persistence::journal(&state)]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum::<u64>() as f64
        / (1024.0 * 1024.0);
    drop(simulator);
    let figures = render(&samples, rounds.load(Ordering::Relaxed), state_mib);
    let path = root.join("RELIABILITY.md");
    let current = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
    let updated = match (current.find(BEGIN), current.find(END)) {
        (Some(start), Some(stop)) => {
            format!(
                "{}{BEGIN}\n{figures}\n{}",
                &current[..start],
                &current[stop..]
            )
        }
        _ => format!("{current}\n## Soak\n\n{BEGIN}\n{figures}\n{END}\n"),
    };
    std::fs::write(&path, updated).map_err(|e| e.to_string())?;
    println!("{figures}");
    Ok("RELIABILITY.md updated".into())
}

fn render(samples: &[Sample], rounds: u64, state_mib: f64) -> String {
    let mut out = format!(
        "`cargo xtask soak --minutes {}`: the release simulator with a state file, {CONNECTIONS} \
         connections each running checkouts (create, read, update, then approve, place the \
         order and read, or cancel for every fourth) without pause. {rounds} checkouts in all; \
         the state file and journal ended at {state_mib:.0} MiB.\n\n\
         | minute | requests | errors | p50 | p99 | simulator RSS |\n|---|---|---|---|---|---|\n",
        samples.len()
    );
    for s in samples {
        out.push_str(&format!(
            "| {} | {} | {} | {:.2} ms | {:.2} ms | {:.0} MiB |\n",
            s.minute,
            s.requests,
            s.errors,
            f64::from(s.p50_us) / 1000.0,
            f64::from(s.p99_us) / 1000.0,
            s.rss_mib
        ));
    }
    if let (Some(first), Some(last)) = (samples.first(), samples.last()) {
        out.push_str(&format!(
            "\nFirst to last minute: p99 {:.2} → {:.2} ms, RSS {:.0} → {:.0} MiB, requests per \
             minute {} → {}.\n",
            f64::from(first.p99_us) / 1000.0,
            f64::from(last.p99_us) / 1000.0,
            first.rss_mib,
            last.rss_mib,
            first.requests,
            last.requests
        ));
    }
    out
}

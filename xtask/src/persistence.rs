//! The simulator's `--state-file` at scale (release build): acknowledged creates per
//! second with 100,000 sessions held and durability on, against the same without a
//! state file; memory held; `kill -9` in a stream of creates at that scale, then a
//! restart (how long it takes) and every acknowledged session read back.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::load::{Connection, Simulator, create_body, field};

/// Sessions held before the measured creates.
pub const HELD: usize = 100_000;
/// Connections sending creates at once.
const CONNECTIONS: usize = 64;
/// Creates measured (on top of the sessions held).
const MEASURED: usize = 20_000;

/// What one configuration measured.
pub struct Figures {
    pub label: &'static str,
    pub fill_per_second: f64,
    pub creates_per_second: f64,
    pub rss_mib: f64,
    pub state_mib: f64,
}

/// What `kill -9` at scale showed.
pub struct Crash {
    pub acknowledged: usize,
    pub lost: usize,
    pub restart_seconds: f64,
    pub sessions_after: usize,
}

/// Creates `total` sessions over `connections` connections; the ids acknowledged (in
/// no particular order) and the time taken. Stops early, without error, once `stop`
/// is set or a connection breaks (the simulator was killed).
fn create_many(
    authority: &str,
    total: usize,
    connections: usize,
    stop: &AtomicBool,
) -> (Vec<String>, Duration) {
    let next = Arc::new(AtomicUsize::new(0));
    let acknowledged = Arc::new(Mutex::new(Vec::with_capacity(total.min(1 << 20))));
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..connections {
            let (next, acknowledged) = (Arc::clone(&next), Arc::clone(&acknowledged));
            scope.spawn(move || {
                let Ok(mut connection) = Connection::open(authority) else {
                    return;
                };
                let mut mine = Vec::new();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= total || stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let body = create_body(&format!("R-{n}"));
                    match connection.send("POST", "/payments/v1/sessions", Some(&body)) {
                        Ok((200, answer)) => {
                            if let Some(id) = field(&answer, "session_id") {
                                mine.push(id);
                            }
                        }
                        Ok(_) | Err(_) => break,
                    }
                }
                acknowledged.lock().unwrap().extend(mine);
            });
        }
    });
    let elapsed = started.elapsed();
    let ids = std::mem::take(&mut *acknowledged.lock().unwrap());
    (ids, elapsed)
}

fn size_mib(path: &Path) -> f64 {
    let journal = journal(path);
    let bytes = [path, journal.as_path()]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum::<u64>();
    bytes as f64 / (1024.0 * 1024.0)
}

/// The journal beside a state file (as the simulator names it).
pub fn journal(path: &Path) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".journal");
    name.into()
}

/// Fills a simulator to [`HELD`] sessions, then measures [`MEASURED`] more creates.
fn measure(binary: &Path, label: &'static str, state: Option<&Path>) -> Result<Figures, String> {
    let capacity = (HELD + 2 * MEASURED).to_string();
    let mut args = vec!["--max-sessions", capacity.as_str()];
    let state_arg;
    if let Some(state) = state {
        let _ = std::fs::remove_file(state);
        let _ = std::fs::remove_file(journal(state));
        state_arg = state.to_string_lossy().into_owned();
        args.extend(["--state-file", state_arg.as_str()]);
    }
    let simulator = Simulator::start(binary, &args)?;
    let never = AtomicBool::new(false);
    let (filled, fill) = create_many(&simulator.authority, HELD, CONNECTIONS, &never);
    if filled.len() != HELD {
        return Err(format!(
            "{label}: only {} of {HELD} creates answered",
            filled.len()
        ));
    }
    let (measured, took) = create_many(&simulator.authority, MEASURED, CONNECTIONS, &never);
    if measured.len() != MEASURED {
        return Err(format!(
            "{label}: only {} of {MEASURED} creates answered",
            measured.len()
        ));
    }
    Ok(Figures {
        label,
        fill_per_second: HELD as f64 / fill.as_secs_f64(),
        creates_per_second: MEASURED as f64 / took.as_secs_f64(),
        rss_mib: simulator.rss_kib().unwrap_or(0) as f64 / 1024.0,
        state_mib: state.map_or(0.0, size_mib),
    })
}

/// Kills the simulator holding `state` (filled by [`measure`]) with SIGKILL in the middle
/// of a stream of creates, restarts it on the same file, and reads back every session
/// whose create was acknowledged.
fn crash(binary: &Path, state: &Path) -> Result<Crash, String> {
    let state_arg = state.to_string_lossy().into_owned();
    let capacity = (HELD + 4 * MEASURED).to_string();
    let args = [
        "--max-sessions",
        capacity.as_str(),
        "--state-file",
        state_arg.as_str(),
    ];
    let simulator = Simulator::start(binary, &args)?;
    let authority = simulator.authority.clone();
    let stop = AtomicBool::new(false);
    let (acknowledged, _) = std::thread::scope(|scope| {
        let stream = scope.spawn(|| create_many(&authority, usize::MAX, 16, &stop));
        std::thread::sleep(Duration::from_secs(3));
        simulator.kill_9();
        stop.store(true, Ordering::Relaxed);
        stream.join().expect("the create stream ends")
    });
    let started = Instant::now();
    let simulator = Simulator::start(binary, &args)?;
    let restart_seconds = started.elapsed().as_secs_f64();
    let mut connection = Connection::open(&simulator.authority).map_err(|e| e.to_string())?;
    let mut lost = 0;
    for id in &acknowledged {
        match connection.send("GET", &format!("/payments/v1/sessions/{id}"), None) {
            Ok((200, _)) => {}
            _ => lost += 1,
        }
    }
    Ok(Crash {
        acknowledged: acknowledged.len(),
        lost,
        restart_seconds,
        sessions_after: HELD + MEASURED + acknowledged.len(),
    })
}

/// Every persistence figure, as a Markdown section.
pub fn run(binary: &Path, scratch: &Path) -> Result<String, String> {
    std::fs::create_dir_all(scratch).map_err(|e| e.to_string())?;
    let state = scratch.join("state.json");
    let without = measure(binary, "no state file", None)?;
    let with = measure(binary, "state file (durable)", Some(&state))?;
    let crashed = crash(binary, &state)?;
    Ok(render(&[without, with], &crashed))
}

fn render(figures: &[Figures], crashed: &Crash) -> String {
    let mut out = format!(
        "Release build, {CONNECTIONS} connections on loopback, each create acknowledged only once \
         it is on disk (with a state file). {HELD} sessions are created first (\"fill\"), then \
         {MEASURED} more are measured.\n\n\
         | configuration | fill creates/s | creates/s with {HELD} held | RSS | state file + journal |\n\
         |---|---|---|---|---|\n"
    );
    for f in figures {
        out.push_str(&format!(
            "| {} | {:.0} | {:.0} | {:.0} MiB | {:.0} MiB |\n",
            f.label, f.fill_per_second, f.creates_per_second, f.rss_mib, f.state_mib
        ));
    }
    let durable = figures.iter().find(|f| f.state_mib > 0.0);
    let met = durable.is_some_and(|f| f.creates_per_second >= 1000.0);
    out.push_str(&format!(
        "\nTarget ≥ 1,000 acknowledged creates/s with {HELD} held and durability on: {}.\n\n\
         `kill -9` in a stream of creates (16 connections) at that scale: {} creates \
         acknowledged before the kill, {} of them lost after the restart; the restart (loading \
         about {} sessions) took {:.1} s.\n",
        if met { "**met**" } else { "**missed**" },
        crashed.acknowledged,
        crashed.lost,
        crashed.sessions_after,
        crashed.restart_seconds
    ));
    out
}

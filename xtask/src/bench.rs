//! `cargo xtask bench`: one run that measures the client against a raw reqwest baseline
//! and the openapi-generator Rust client, the generated codecs against plain serde, the
//! simulator against Prism, the simulator's state file at scale (`persistence.rs`), and
//! build times; then rewrites the figures in BENCHMARKS.md.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BEGIN: &str = "<!-- bench:begin -->";
const END: &str = "<!-- bench:end -->";

/// The calls of one client-bench iteration, in the order of the runner's
/// `p50_by_call_us` (`bench/src/contenders.rs`, `CALLS`).
const CALLS: [&str; 4] = ["create", "read", "update", "order"];

/// Runs every measurement and updates BENCHMARKS.md.
pub fn run(root: &Path, quick: bool) -> Result<String, String> {
    let bench_dir = root.join("target").join("bench");
    std::fs::create_dir_all(&bench_dir).map_err(|e| e.to_string())?;
    step("installing pinned tools (openapi-generator, Prism)");
    sh(
        root,
        Command::new(root.join(".ci/install-tools")).arg("python"),
    )?;
    sh(
        root,
        Command::new(root.join(".ci/install-tools")).arg("bench"),
    )?;

    step("generating the openapi-generator Rust client");
    let generated = bench_dir.join("openapi-generator-client");
    let _ = std::fs::remove_dir_all(&generated);
    sh(
        root,
        Command::new(root.join(".tools/venv/bin/openapi-generator-cli"))
            .args([
                "generate",
                "-g",
                "rust",
                "-i",
                "openapi/klarna-payments.yaml",
                "-o",
            ])
            .arg(&generated)
            .args(["--additional-properties=packageName=klarna-ogen,supportAsync=true"]),
    )?;
    let manifest = generated.join("Cargo.toml");
    let mut text = std::fs::read_to_string(&manifest).map_err(|e| e.to_string())?;
    text.push_str("\n[workspace]\n");
    std::fs::write(&manifest, text).map_err(|e| e.to_string())?;

    step("building the runner and the simulator (release)");
    let runner_target = bench_dir.join("target");
    sh(
        root,
        cargo()
            .args([
                "build",
                "--release",
                "--manifest-path",
                "bench/Cargo.toml",
                "--target-dir",
            ])
            .arg(&runner_target),
    )?;
    sh(
        root,
        cargo().args(["build", "--release", "-p", "klarna-simulator"]),
    )?;
    let runner = runner_target.join("release/klarna-bench");

    // Many short rounds rather than few long ones: each round pairs the contenders'
    // batches, and the median of many pairs is what the noise of a shared machine
    // disturbs least.
    let (iterations, rounds, server_requests) = if quick {
        ("400", "4", "2000")
    } else {
        ("1000", "20", "8000")
    };
    step("client overhead (concurrency 1 and 64)");
    let client = json_output(Command::new(&runner).args(["client", iterations, rounds]))?;
    step("peak memory (each contender alone in a process, concurrency 64)");
    let mut footprint = Vec::new();
    for index in 0..4 {
        footprint.push(json_output(Command::new(&runner).args([
            "one",
            &index.to_string(),
            "64",
            iterations,
        ]))?);
    }
    step("encode/decode and pre-send checks");
    let codec = json_output(Command::new(&runner).args(["codec", iterations]))?;

    step("simulator vs Prism (64 connections)");
    // Where `cargo build` put the simulator: the workspace's target directory, unless
    // CARGO_TARGET_DIR says otherwise.
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            }
        })
        .unwrap_or_else(|| root.join("target"));
    let simulator = Server::simulator(&target_dir.join("release/klarna-simulator"))?;
    let prism = Server::prism(root)?;
    let servers = json_output(Command::new(&runner).args([
        "servers",
        server_requests,
        "3",
        &format!("klarna-simulator={}", simulator.url),
        &format!("prism={}", prism.url),
    ]))?;
    drop((simulator, prism));
    for row in servers["servers"].as_array().cloned().unwrap_or_default() {
        if row["non_200"].as_u64() != Some(0) {
            return Err(format!(
                "{} answered {} requests with a status other than 200: its figures would be meaningless",
                row["server"], row["non_200"]
            ));
        }
    }

    step("the simulator's state file at scale (100,000 sessions held)");
    let persistence = crate::persistence::run(
        &target_dir.join("release/klarna-simulator"),
        &bench_dir.join("persistence"),
    )?;

    step("build times");
    let builds = build_times(root, &bench_dir, &manifest)?;

    let figures = format!(
        "{}\n### The simulator's state file at scale\n\n{persistence}",
        render(&client, &footprint, &codec, &servers, &builds, quick)
    );
    let path = root.join("BENCHMARKS.md");
    let current = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| format!("# Benchmarks\n\n{BEGIN}\n{END}\n"));
    let (Some(start), Some(stop)) = (current.find(BEGIN), current.find(END)) else {
        return Err(format!("BENCHMARKS.md lacks the {BEGIN} / {END} markers"));
    };
    let updated = format!(
        "{}{BEGIN}\n{figures}\n{}",
        &current[..start],
        &current[stop..]
    );
    std::fs::write(&path, updated).map_err(|e| e.to_string())?;
    println!("{figures}");
    Ok("BENCHMARKS.md updated".into())
}

fn step(what: &str) {
    eprintln!("==> {what}");
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn sh(root: &Path, command: &mut Command) -> Result<(), String> {
    let status = command
        .current_dir(root)
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("{command:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed with {status}"))
    }
}

fn json_output(command: &mut Command) -> Result<Value, String> {
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("{command:?}: {e}"))?;
    if !output.status.success() {
        return Err(format!("{command:?} failed with {}", output.status));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("runner output is not JSON: {e}"))
}

/// A server process, killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn simulator(binary: &Path) -> Result<Self, String> {
        let mut child = Command::new(binary)
            .args([
                "--port",
                "0",
                "--username",
                "bench",
                "--password",
                "bench-secret",
            ])
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        // Keep draining, so the simulator never writes into a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        let url = first
            .split_whitespace()
            .last()
            .unwrap_or_default()
            .to_string();
        if !url.starts_with("http://127.0.0.1:") {
            return Err(format!("the simulator did not start: {first:?}"));
        }
        Ok(Self { child, url })
    }

    fn prism(root: &Path) -> Result<Self, String> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let child = Command::new(root.join(".tools/prism/node_modules/.bin/prism"))
            .args([
                "mock",
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "openapi/klarna-payments.yaml",
            ])
            .current_dir(root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        let server = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err("Prism did not start within 60 s".into());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(server)
    }
}

fn timed(root: &Path, command: &mut Command) -> Result<f64, String> {
    let started = Instant::now();
    let status = command
        .current_dir(root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("{command:?} failed"));
    }
    Ok(started.elapsed().as_secs_f64())
}

struct Builds {
    ours_clean: f64,
    ours_touch: f64,
    /// `klarna-payments` with `native-tls`, the openapi-generator crate's default TLS.
    ours_native_tls: f64,
    ogen_clean: f64,
}

fn build_times(root: &Path, bench_dir: &Path, ogen_manifest: &Path) -> Result<Builds, String> {
    let ours_dir: PathBuf = bench_dir.join("build-ours");
    let ogen_dir: PathBuf = bench_dir.join("build-ogen");
    let _ = std::fs::remove_dir_all(&ours_dir);
    let _ = std::fs::remove_dir_all(&ogen_dir);
    // Fetch first so that downloads are not timed.
    sh(
        root,
        cargo()
            .args(["fetch", "--manifest-path"])
            .arg(ogen_manifest),
    )?;
    let ours_clean = timed(
        root,
        cargo()
            .args(["build", "-p", "klarna-payments", "--target-dir"])
            .arg(&ours_dir),
    )?;
    let spec = root.join("openapi/klarna-payments.yaml");
    let file = std::fs::File::options()
        .append(true)
        .open(&spec)
        .map_err(|e| e.to_string())?;
    file.set_modified(std::time::SystemTime::now())
        .map_err(|e| e.to_string())?;
    let ours_touch = timed(
        root,
        cargo()
            .args(["build", "-p", "klarna-payments", "--target-dir"])
            .arg(&ours_dir),
    )?;
    let native_dir: PathBuf = bench_dir.join("build-ours-native-tls");
    let _ = std::fs::remove_dir_all(&native_dir);
    let ours_native_tls = timed(
        root,
        cargo()
            .args([
                "build",
                "-p",
                "klarna-payments",
                "--no-default-features",
                "--features",
                "native-tls",
                "--target-dir",
            ])
            .arg(&native_dir),
    )?;
    let ogen_clean = timed(
        root,
        cargo()
            .args(["build", "--manifest-path"])
            .arg(ogen_manifest)
            .arg("--target-dir")
            .arg(&ogen_dir),
    )?;
    Ok(Builds {
        ours_clean,
        ours_touch,
        ours_native_tls,
        ogen_clean,
    })
}

fn f(value: &Value) -> f64 {
    value.as_f64().unwrap_or(f64::NAN)
}

fn mark(met: bool) -> &'static str {
    if met { "met" } else { "**missed**" }
}

fn render(
    client: &Value,
    footprint: &[Value],
    codec: &Value,
    servers: &Value,
    builds: &Builds,
    quick: bool,
) -> String {
    let mut out = String::new();
    let machine = machine();
    out.push_str(&format!(
        "Measured by `cargo xtask bench{}` on {machine}.\n\n",
        if quick { " --quick" } else { "" }
    ));
    out.push_str(&format!(
        "### Client overhead (canned loopback server; {} rounds × {} create/read/update/order iterations per contender, order rotated)\n\n\
         The ratios are medians over the rounds of the ratio of two batches run in the same round \
         (quartiles in brackets), so that the machine's drift between rounds cancels out. \
         Allocations and CPU time are the client side's: the canned server's thread is excluded.\n\n",
        client["rounds"], client["iterations_per_round"]
    ));
    out.push_str(
        "| contender | concurrency | requests/s | p50 µs | p99 µs | vs baseline | vs openapi-generator | allocations / request | CPU µs / request |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    let rows = client["client"].as_array().cloned().unwrap_or_default();
    let ratio = |row: &Value, key: &str| {
        let r = &row[key];
        format!(
            "{:.2}× [{:.2}–{:.2}]",
            f(&r["median"]),
            f(&r["q1"]),
            f(&r["q3"])
        )
    };
    for row in &rows {
        let s = &row["summary"];
        out.push_str(&format!(
            "| {} | {} | {:.0} | {:.0} | {:.0} | {} | {} | {:.1} | {:.1} |\n",
            row["contender"].as_str().unwrap_or("?"),
            row["concurrency"],
            f(&s["per_second"]),
            f(&s["p50_us"]),
            f(&s["p99_us"]),
            ratio(row, "vs_baseline"),
            ratio(row, "vs_generator"),
            f(&s["allocs_per_request"]),
            f(&s["cpu_us_per_request"]),
        ));
    }
    out.push_str(
        "\n### Per call: placing the order next to opening the session\n\n\
         Median latency of each call in the same batches as above; *vs baseline* is the median over \
         the rounds of the baseline's median latency of the same call over the contender's \
         (above 1: quicker than the baseline), quartiles in brackets. At concurrency 1 a call's \
         latency is its cost (one CPU, nothing else waiting); at 64 it is mostly the wait behind \
         the other 63 callers, so the ratios there say little about one call.\n\n\
         | contender | concurrency | create p50 µs | create vs baseline | order p50 µs | order vs baseline |\n\
         |---|---|---|---|---|---|\n",
    );
    let by_call = |row: &Value, call: &str| {
        let index = CALLS.iter().position(|c| *c == call);
        let p50 = index.map_or(f64::NAN, |i| f(&row["summary"]["p50_by_call_us"][i]));
        let spread = row["by_call"]
            .as_array()
            .and_then(|calls| calls.iter().find(|c| c["call"] == call))
            .map(|c| c["vs_baseline"].clone())
            .unwrap_or(Value::Null);
        (
            p50,
            format!(
                "{:.2}× [{:.2}–{:.2}]",
                f(&spread["median"]),
                f(&spread["q1"]),
                f(&spread["q3"])
            ),
        )
    };
    for row in &rows {
        let (create, create_ratio) = by_call(row, "create");
        let (order, order_ratio) = by_call(row, "order");
        out.push_str(&format!(
            "| {} | {} | {create:.1} | {create_ratio} | {order:.1} | {order_ratio} |\n",
            row["contender"].as_str().unwrap_or("?"),
            row["concurrency"],
        ));
    }
    let ours = "klarna-payments";
    let ogen = "openapi-generator rust client";
    let find = |name: &str, c: u64| {
        rows.iter()
            .find(|r| r["concurrency"] == c && r["contender"] == name)
            .cloned()
            .unwrap_or(Value::Null)
    };
    out.push_str(
        "\n### Memory (each contender alone in its own process, concurrency 64, canned server included)\n\n\
         | contender | peak RSS MiB | allocations / request | bytes allocated / request |\n|---|---|---|---|\n",
    );
    for row in footprint {
        let s = &row["summary"];
        out.push_str(&format!(
            "| {} | {:.1} | {:.1} | {:.0} |\n",
            row["contender"].as_str().unwrap_or("?"),
            f(&row["peak_rss_kib"]) / 1024.0,
            f(&s["allocs_per_request"]),
            f(&s["alloc_bytes_per_request"]),
        ));
    }
    out.push_str("\n### Encode / decode and pre-send checks (ns per operation)\n\n| lines | encode generated | encode plain | ratio | decode generated | decode plain | ratio | checks (schema) | checks (schema + arithmetic) | checks / encode | allocations / check |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
    let (mut decode_1000, mut check_3, mut check_1000) = (f64::NAN, f64::NAN, f64::NAN);
    let mut check_allocations: f64 = 0.0;
    for row in codec["codec"].as_array().cloned().unwrap_or_default() {
        let (eg, ep, dg, dp) = (
            f(&row["encode_generated_ns"]),
            f(&row["encode_plain_ns"]),
            f(&row["decode_generated_ns"]),
            f(&row["decode_plain_ns"]),
        );
        let (cs, ca) = (f(&row["check_schema_ns"]), f(&row["check_all_ns"]));
        if row["lines"] == 1000 {
            decode_1000 = dg / dp;
            check_1000 = ca / eg;
        } else {
            check_3 = ca;
        }
        check_allocations = check_allocations.max(f(&row["check_allocations"]));
        out.push_str(&format!(
            "| {} | {eg:.0} | {ep:.0} | {:.2}× | {dg:.0} | {dp:.0} | {:.2}× | {cs:.0} | {ca:.0} | {:.2}× | {:.2} |\n",
            row["lines"],
            eg / ep,
            dg / dp,
            ca / eg,
            f(&row["check_allocations"]),
        ));
    }
    out.push_str("\n### Simulator vs Prism (create session, 64 connections)\n\n| server | requests | requests/s | p50 µs | p99 µs | non-200 answers |\n|---|---|---|---|---|---|\n");
    let mut sim = (f64::NAN, f64::NAN);
    let mut prism = f64::NAN;
    for row in servers["servers"].as_array().cloned().unwrap_or_default() {
        let s = &row["summary"];
        if row["server"] == "klarna-simulator" {
            sim = (f(&s["per_second"]), f(&s["p99_us"]));
        } else {
            prism = f(&s["per_second"]);
        }
        out.push_str(&format!(
            "| {} | {} | {:.0} | {:.0} | {:.0} | {} |\n",
            row["server"].as_str().unwrap_or("?"),
            s["requests"],
            f(&s["per_second"]),
            f(&s["p50_us"]),
            f(&s["p99_us"]),
            row["non_200"]
        ));
    }
    out.push_str(&format!(
        "\n### Build (dev profile, dependencies fetched beforehand)\n\n| build | seconds |\n|---|---|\n\
         | `klarna-payments`, clean | {:.1} |\n| `klarna-payments`, after touching the spec | {:.2} |\n\
         | `klarna-payments` with `native-tls` (the openapi-generator crate's default TLS), clean | {:.1} |\n\
         | openapi-generator crate, clean (its default features) | {:.1} |\n",
        builds.ours_clean, builds.ours_touch, builds.ours_native_tls, builds.ogen_clean
    ));
    let median = |name: &str, c: u64, key: &str| f(&find(name, c)[key]["median"]);
    let (r1, r64) = (
        median(ours, 1, "vs_baseline"),
        median(ours, 64, "vs_baseline"),
    );
    let (g1, g64) = (
        median(ours, 1, "vs_generator"),
        median(ours, 64, "vs_generator"),
    );
    let allocs = |name: &str, c: u64| f(&find(name, c)["summary"]["allocs_per_request"]);
    let (a_ours, a_ogen) = (
        allocs(ours, 1).max(allocs(ours, 64)),
        allocs(ogen, 1).min(allocs(ogen, 64)),
    );
    let (sim_ratio, sim_p99_ms) = (sim.0 / prism, sim.1 / 1000.0);
    let targets: [(&str, String, bool); 13] = [
        (
            "client ≥ 0.95× baseline, concurrency 1",
            format!("{r1:.2}×"),
            r1 >= 0.95,
        ),
        (
            "client ≥ 0.95× baseline, concurrency 64",
            format!("{r64:.2}×"),
            r64 >= 0.95,
        ),
        (
            "client ≥ 1.0× openapi-generator, concurrency 1",
            format!("{g1:.2}×"),
            g1 >= 1.0,
        ),
        (
            "client ≥ 1.0× openapi-generator, concurrency 64",
            format!("{g64:.2}×"),
            g64 >= 1.0,
        ),
        (
            "allocations per request ≤ openapi-generator's",
            format!("{a_ours:.1} vs {a_ogen:.1}"),
            a_ours <= a_ogen,
        ),
        (
            "checks of a 3-line body < 2 µs",
            format!("{:.2} µs", check_3 / 1000.0),
            check_3 < 2000.0,
        ),
        (
            "checks of a 1,000-line body < 2× its serialization",
            format!("{check_1000:.2}×"),
            check_1000 < 2.0,
        ),
        (
            "checks allocate nothing for a valid body",
            format!("{check_allocations:.2} per check"),
            check_allocations < 0.01,
        ),
        (
            "1,000-line decode ≤ 1.2× plain serde",
            format!("{decode_1000:.2}×"),
            decode_1000 <= 1.2,
        ),
        (
            "simulator ≥ 10× Prism",
            format!("{sim_ratio:.1}×"),
            sim_ratio >= 10.0,
        ),
        (
            "simulator p99 < 10 ms",
            format!("{sim_p99_ms:.2} ms"),
            sim_p99_ms < 10.0,
        ),
        (
            "clean build no slower than the openapi-generator crate",
            format!("{:.1} s vs {:.1} s", builds.ours_clean, builds.ogen_clean),
            builds.ours_clean <= builds.ogen_clean,
        ),
        (
            "spec-touch rebuild < 2 s",
            format!("{:.2} s", builds.ours_touch),
            builds.ours_touch < 2.0,
        ),
    ];
    out.push_str("\n### Targets\n\n| target | this run | |\n|---|---|---|\n");
    for (target, value, met) in targets {
        out.push_str(&format!("| {target} | {value} | {} |\n", mark(met)));
    }
    out
}

fn machine() -> String {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<u64>().ok())
        })
        .map(|kib| format!("{:.0} GiB", kib as f64 / 1024.0 / 1024.0))
        .unwrap_or_else(|| "? GiB".into());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cores} cores ({cpu}), {memory} memory")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Builds, render};

    #[test]
    fn renders_every_table_and_target() {
        let rows = |c: u64| {
            [
                "reqwest + serde_json (baseline)",
                "klarna-payments",
                "klarna-payments, pre-send checks off",
                "openapi-generator rust client",
            ]
            .map(|name| {
                json!({
                    "contender": name, "concurrency": c,
                    "vs_baseline": {"median": 0.97, "q1": 0.9, "q3": 1.01},
                    "vs_generator": {"median": 1.02, "q1": 0.95, "q3": 1.05},
                    "by_call": [
                        {"call": "create", "vs_baseline": {"median": 0.96, "q1": 0.95, "q3": 0.97}},
                        {"call": "read", "vs_baseline": {"median": 1.0, "q1": 1.0, "q3": 1.0}},
                        {"call": "update", "vs_baseline": {"median": 1.0, "q1": 1.0, "q3": 1.0}},
                        {"call": "order", "vs_baseline": {"median": 0.94, "q1": 0.93, "q3": 0.96}}
                    ],
                    "summary": {"per_second": 1000.0, "p50_us": 90.0, "p99_us": 150.0,
                                "p50_by_call_us": [26.0, 25.0, 24.0, 23.5],
                                "allocs_per_request": 80.0, "cpu_us_per_request": 30.0,
                                "alloc_bytes_per_request": 20000.0},
                    "peak_rss_kib": 14000,
                })
            })
        };
        let mut all: Vec<_> = rows(1).into();
        all.extend(rows(64));
        let client = json!({"client": all, "rounds": 10, "iterations_per_round": 2000});
        let footprint: Vec<_> = rows(64).into();
        let codec = json!({"codec": [
            {"lines": 3, "encode_generated_ns": 1000.0, "encode_plain_ns": 990.0,
             "decode_generated_ns": 3000.0, "decode_plain_ns": 2500.0,
             "check_schema_ns": 700.0, "check_all_ns": 800.0, "check_allocations": 0.0},
            {"lines": 1000, "encode_generated_ns": 250000.0, "encode_plain_ns": 245000.0,
             "decode_generated_ns": 700000.0, "decode_plain_ns": 690000.0,
             "check_schema_ns": 170000.0, "check_all_ns": 180000.0, "check_allocations": 0.0}
        ]});
        let servers = json!({"servers": [
            {"server": "klarna-simulator", "non_200": 0,
             "summary": {"requests": 100, "per_second": 20000.0, "p50_us": 2000.0, "p99_us": 5000.0}},
            {"server": "prism", "non_200": 0,
             "summary": {"requests": 100, "per_second": 1500.0, "p50_us": 40000.0, "p99_us": 70000.0}}
        ]});
        let builds = Builds {
            ours_clean: 50.0,
            ours_touch: 1.0,
            ours_native_tls: 45.0,
            ogen_clean: 26.0,
        };
        let text = render(&client, &footprint, &codec, &servers, &builds, false);
        for expected in [
            "| klarna-payments | 64 | 1000 | 90 | 150 | 0.97× [0.90–1.01] | 1.02× [0.95–1.05] | 80.0 | 30.0 |",
            "| klarna-payments | 13.7 | 80.0 | 20000 |",
            "| klarna-payments | 1 | 26.0 | 0.96× [0.95–0.97] | 23.5 | 0.94× [0.93–0.96] |",
            "| 3 | 1000 | 990 | 1.01× | 3000 | 2500 | 1.20× | 700 | 800 | 0.80× | 0.00 |",
            "| client ≥ 0.95× baseline, concurrency 64 | 0.97× | met |",
            "| client ≥ 1.0× openapi-generator, concurrency 1 | 1.02× | met |",
            "| allocations per request ≤ openapi-generator's | 80.0 vs 80.0 | met |",
            "| checks of a 3-line body < 2 µs | 0.80 µs | met |",
            "| checks of a 1,000-line body < 2× its serialization | 0.72× | met |",
            "| clean build no slower than the openapi-generator crate | 50.0 s vs 26.0 s | **missed** |",
            "| `klarna-payments` with `native-tls` (the openapi-generator crate's default TLS), clean | 45.0 |",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
    }
}

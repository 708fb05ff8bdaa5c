//! `cargo xtask fuzz`: builds the coverage-guided fuzz targets of `fuzz/` with libFuzzer
//! on the stable toolchain and runs them one after the other.
//!
//! cargo-fuzz needs nightly (for `-Zsanitizer`); what it adds to rustc's flags for the
//! coverage itself is stable: LLVM's `sancov-module` pass with inline 8-bit counters,
//! the PC table and comparison tracing. `libfuzzer-sys` compiles libFuzzer with the
//! system's C++ compiler. The build goes through `--target <host>`, so that build
//! scripts and proc macros are not instrumented (they would not link). Without a
//! sanitizer's allocator hooks libFuzzer cannot enforce `-malloc_limit_mb`; the targets'
//! allocator refuses single allocations above 256 MiB instead, and `-rss_limit_mb`
//! bounds the total. RELIABILITY.md ("Fuzzing") has the choice and the figures.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::Value;

/// One fuzz target of `fuzz/`.
pub struct Target {
    /// The binary's name (`fuzz/fuzz_targets/<name>.rs`).
    pub name: &'static str,
    /// What it drives.
    pub about: &'static str,
    /// Seed folders, relative to the workspace root (read recursively).
    pub seeds: &'static [&'static str],
}

/// Every target, in the order they run.
pub const TARGETS: [Target; 4] = [
    Target {
        name: "decode",
        about: "response models (SessionRead, MerchantSession, ErrorResponse, Order, CustomerToken): decode, Debug, re-encode",
        seeds: &["tests/corpus", "generators/corpus"],
    },
    Target {
        name: "validate",
        about: "validation::validate on SessionCreate/SessionUpdate/OrderCreate/CustomerTokenCreate, arithmetic, the request builders",
        seeds: &["generators/corpus", "tests/corpus"],
    },
    Target {
        name: "simulator",
        about: "the simulator's router in-process: scripts of requests (method, path, headers, body)",
        seeds: &[],
    },
    Target {
        name: "schema",
        about: "klarna_schema::SchemaDocument::validate (and validate_serialize) of any JSON against every request schema",
        seeds: &["generators/corpus", "tests/corpus"],
    },
];

/// How long each target runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    /// This many executions (libFuzzer's `-runs`).
    Runs(u64),
    /// This many seconds (libFuzzer's `-max_total_time`).
    Seconds(u64),
}

/// The issue's goal: ten million executions per target.
pub const DEFAULT_RUNS: u64 = 10_000_000;
/// Executions per target of `--smoke`.
pub const SMOKE_RUNS: u64 = 3_000;
/// The largest input tried, in bytes (longer seeds are cut).
pub const MAX_LEN: u32 = 8192;
/// An input running longer than this many seconds is a hang.
pub const TIMEOUT_SECONDS: u32 = 10;
/// A process above this resident size is a leak or unbounded growth.
pub const RSS_LIMIT_MB: u32 = 2048;

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    /// The targets to run (all by default).
    pub targets: Vec<&'static str>,
    /// How long each runs.
    pub budget: Budget,
    /// A short run from the seeds only, in a fresh corpus (for CI).
    pub smoke: bool,
    /// More libFuzzer flags (after `--`), such as `-use_value_profile=1`.
    pub extra: Vec<String>,
}

/// Parses `[--target NAME]... [--runs N | --seconds S] [--smoke] [-- LIBFUZZER-FLAGS]`.
pub fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut targets = Vec::new();
    let mut budget = None;
    let mut smoke = false;
    let (args, extra) = match args.iter().position(|a| a == "--") {
        Some(at) => (&args[..at], args[at + 1..].to_vec()),
        None => (args, Vec::new()),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--target" => {
                let name = value("--target")?;
                let target = TARGETS.iter().find(|t| t.name == name).ok_or_else(|| {
                    format!(
                        "no fuzz target {name:?}; the targets: {}",
                        TARGETS.map(|t| t.name).join(", ")
                    )
                })?;
                targets.push(target.name);
            }
            "--runs" | "--seconds" => {
                if budget.is_some() {
                    return Err("give one of --runs and --seconds".into());
                }
                let number: u64 = value(arg)?
                    .parse()
                    .map_err(|_| format!("{arg} takes a whole number"))?;
                if number == 0 {
                    return Err(format!("{arg} must be at least 1"));
                }
                budget = Some(if arg == "--runs" {
                    Budget::Runs(number)
                } else {
                    Budget::Seconds(number)
                });
            }
            "--smoke" => smoke = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if targets.is_empty() {
        targets = TARGETS.map(|t| t.name).to_vec();
    }
    let budget = match (budget, smoke) {
        (Some(_), true) => return Err("--smoke runs a fixed number of inputs".into()),
        (Some(budget), false) => budget,
        (None, true) => Budget::Runs(SMOKE_RUNS),
        (None, false) => Budget::Runs(DEFAULT_RUNS),
    };
    Ok(Options {
        targets,
        budget,
        smoke,
        extra,
    })
}

/// rustc's flags for libFuzzer's coverage, all stable (cargo-fuzz's, without a sanitizer).
pub const RUSTFLAGS: [&str; 9] = [
    "--cfg",
    "fuzzing",
    "-Cpasses=sancov-module",
    "-Cllvm-args=-sanitizer-coverage-level=4",
    "-Cllvm-args=-sanitizer-coverage-inline-8bit-counters",
    "-Cllvm-args=-sanitizer-coverage-pc-table",
    "-Cllvm-args=-sanitizer-coverage-trace-compares",
    "-Cdebug-assertions",
    "-Coverflow-checks",
];

/// What one target's run came to, from libFuzzer's final statistics.
#[derive(Debug, Default, PartialEq)]
pub struct Figures {
    /// Executions (`stat::number_of_executed_units`).
    pub executions: u64,
    /// Executions per second (`stat::average_exec_per_sec`).
    pub per_second: u64,
    /// Coverage counters hit (`cov:`, edges).
    pub edges: u64,
    /// Coverage features (`ft:`: edges with hit counts, comparisons).
    pub features: u64,
    /// Inputs in the corpus at the end and their total size (`corp: N/SIZE`).
    pub corpus: String,
    /// Peak resident memory in MB (`stat::peak_rss_mb`).
    pub peak_rss_mb: u64,
}

/// Reads the figures out of libFuzzer's output.
pub fn figures(log: &str) -> Figures {
    let mut found = Figures::default();
    let stat =
        |line: &str, key: &str| -> Option<u64> { line.strip_prefix(key)?.trim().parse().ok() };
    for line in log.lines() {
        if let Some(n) = stat(line, "stat::number_of_executed_units:") {
            found.executions = n;
        } else if let Some(n) = stat(line, "stat::average_exec_per_sec:") {
            found.per_second = n;
        } else if let Some(n) = stat(line, "stat::peak_rss_mb:") {
            found.peak_rss_mb = n;
        }
        // Status lines: `#N  KIND  cov: C ft: F corp: U/SIZE ...`; the last one wins.
        if line.starts_with('#') && line.contains(" cov: ") {
            let words: Vec<&str> = line.split_whitespace().collect();
            let after = |key: &str| {
                words
                    .iter()
                    .position(|w| *w == key)
                    .and_then(|i| words.get(i + 1))
            };
            if let Some(n) = after("cov:").and_then(|w| w.parse().ok()) {
                found.edges = n;
            }
            if let Some(n) = after("ft:").and_then(|w| w.parse().ok()) {
                found.features = n;
            }
            if let Some(corpus) = after("corp:") {
                found.corpus = corpus.to_string();
            }
        }
    }
    found
}

/// Builds the targets and runs each; the summary as a Markdown table.
pub fn run(root: &Path, options: &Options) -> Result<String, String> {
    let work = work_dir(root);
    let triple = host_triple()?;
    if which("c++").is_none() && std::env::var_os("CXX").is_none() {
        return Err("libFuzzer is C++: no `c++` on PATH (Debian: apt-get install g++)".into());
    }
    step(&format!(
        "building the fuzz targets (release, libFuzzer coverage, {triple}) into {}",
        work.display()
    ));
    let status = cargo()
        .current_dir(root)
        .args([
            "build",
            "--release",
            "--bins",
            "--manifest-path",
            "fuzz/Cargo.toml",
        ])
        .args(["--target", &triple, "--target-dir"])
        .arg(&work)
        .env("CARGO_ENCODED_RUSTFLAGS", RUSTFLAGS.join("\u{1f}"))
        .env_remove("RUSTFLAGS")
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("building the fuzz targets failed".into());
    }
    let dictionary = work.join("klarna.dict");
    std::fs::write(&dictionary, dictionary_text(root)?).map_err(|e| e.to_string())?;
    let simulator_seeds = work.join("seeds/simulator");
    write_simulator_seeds(root, &simulator_seeds)?;

    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for name in &options.targets {
        let target = TARGETS
            .iter()
            .find(|t| t.name == *name)
            .expect("parse_args checked the name");
        let corpus = if options.smoke {
            work.join("smoke-corpus").join(name)
        } else {
            work.join("corpus").join(name)
        };
        if options.smoke {
            let _ = std::fs::remove_dir_all(&corpus);
        }
        let artifacts = work.join("artifacts").join(name);
        for dir in [&corpus, &artifacts] {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let mut seeds: Vec<PathBuf> = target.seeds.iter().map(|s| root.join(s)).collect();
        if target.name == "simulator" {
            seeds.push(simulator_seeds.clone());
        }
        let binary = work.join(&triple).join("release").join(name);
        let mut command = Command::new(&binary);
        command.arg(&corpus).args(&seeds).args([
            format!("-max_len={MAX_LEN}"),
            format!("-timeout={TIMEOUT_SECONDS}"),
            format!("-rss_limit_mb={RSS_LIMIT_MB}"),
            format!("-dict={}", dictionary.display()),
            format!("-artifact_prefix={}/", artifacts.display()),
            "-print_final_stats=1".into(),
            match options.budget {
                Budget::Runs(n) => format!("-runs={n}"),
                Budget::Seconds(s) => format!("-max_total_time={s}"),
            },
        ]);
        if options.smoke {
            command.arg("-seed=1");
        }
        command.args(&options.extra);
        let shown = format!(
            "{} {}",
            binary.display(),
            command
                .get_args()
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        );
        step(&format!("{name}: {}\n{shown}", target.about));
        let before = artifact_names(&artifacts);
        let log_path = work.join("logs").join(format!("{name}.log"));
        std::fs::create_dir_all(log_path.parent().expect("a folder")).map_err(|e| e.to_string())?;
        let started = Instant::now();
        let (ok, log) = run_logged(command, &log_path, options.smoke)?;
        let elapsed = started.elapsed().as_secs_f64();
        let mut found = figures(&log);
        if found.per_second == 0 && elapsed > 0.0 {
            // libFuzzer divides by whole seconds; a short run shows 0.
            found.per_second = (found.executions as f64 / elapsed) as u64;
        }
        let new: Vec<String> = artifact_names(&artifacts)
            .into_iter()
            .filter(|a| !before.contains(a))
            .collect();
        rows.push(format!(
            "| {name} | {} | {} | {:.0} s | {} | {} | {} | {} MB | {} |",
            thousands(found.executions),
            thousands(found.per_second),
            elapsed,
            found.corpus,
            found.edges,
            found.features,
            found.peak_rss_mb,
            if new.is_empty() {
                "none".to_string()
            } else {
                new.join(", ")
            }
        ));
        if !ok || !new.is_empty() {
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
            failures.push(format!(
                "{name}: libFuzzer stopped on a finding; input(s) in {} (replay: {} <file>); log {}",
                artifacts.display(),
                binary.display(),
                log_path.display()
            ));
        }
    }
    let mut summary = String::from(
        "| target | executions | exec/s | time | corpus (inputs/size) | edges (cov) | features (ft) | peak RSS | findings |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    summary.push_str(&rows.join("\n"));
    if failures.is_empty() {
        Ok(summary)
    } else {
        Err(format!("{summary}\n\n{}", failures.join("\n")))
    }
}

/// Runs libFuzzer, its output into `log_path` and, filtered, to stderr.
fn run_logged(
    mut command: Command,
    log_path: &Path,
    quiet: bool,
) -> Result<(bool, String), String> {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {:?}: {e}", command.get_program()))?;
    let mut file = std::fs::File::create(log_path).map_err(|e| e.to_string())?;
    let mut log = String::new();
    let stderr = child.stderr.take().expect("piped");
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap_or_default();
        let _ = writeln!(file, "{line}");
        // Progress (libFuzzer's pulse lines double the interval each time) and the end.
        let shown = line.contains("pulse ") || line.contains("DONE ") || line.starts_with("stat::");
        if (shown && !quiet) || line.contains("DONE ") {
            eprintln!("{line}");
        }
        // Keep the status lines, the statistics and the end of the output.
        if line.starts_with("stat::") || line.contains(" cov: ") || log.len() < 1 << 20 {
            log.push_str(&line);
            log.push('\n');
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        // The report at the end: read it back whole from the file.
        log = std::fs::read_to_string(log_path).unwrap_or(log);
    }
    Ok((status.success(), log))
}

fn artifact_names(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// `$CARGO_TARGET_DIR/fuzz`, or `target/fuzz` in the workspace.
pub fn work_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("fuzz")
}

fn host_triple() -> Result<String, String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let output = Command::new(rustc)
        .arg("-vV")
        .output()
        .map_err(|e| format!("cannot run rustc: {e}"))?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_owned)
        .ok_or_else(|| "rustc -vV names no host".into())
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn step(message: &str) {
    eprintln!("\n=== fuzz: {message}");
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The three specs (the API, the simulator's control endpoints, its browser endpoints).
fn specs(root: &Path) -> Result<Vec<Value>, String> {
    [
        "klarna-payments.yaml",
        "simulator-control.yaml",
        "simulator-browser.yaml",
    ]
    .iter()
    .map(|file| crate::spec::load(&root.join("openapi").join(file)))
    .collect()
}

/// A libFuzzer dictionary: the specs' property names and values, paths, methods, the
/// headers and the script syntax of the `simulator` target.
pub fn dictionary_text(root: &Path) -> Result<String, String> {
    let mut words: Vec<String> = Vec::new();
    for spec in specs(root)? {
        collect_words(&spec, &mut words);
        if let Some(paths) = spec.get("paths").and_then(Value::as_object) {
            words.extend(paths.keys().cloned());
        }
    }
    words.extend(
        [
            "GET ",
            "POST ",
            "DELETE ",
            "PUT ",
            "OPTIONS ",
            "\n###\n",
            "\n\n",
            "Authorization: {auth}\n",
            "Authorization: Bearer {client_token}\n",
            "Content-Type: application/json\n",
            "Origin: http://localhost\n",
            "{session_id}",
            "{authorization_token}",
            "{client_token}",
            "{fault_id}",
            "true",
            "false",
            "null",
            "-9223372036854775808",
            "9223372036854775807",
            "18446744073709551616",
            "1e308",
            "-0",
            "\\u0000",
            "\\ud800",
        ]
        .map(String::from),
    );
    words.sort();
    words.dedup();
    let mut text = String::from("# Generated by `cargo xtask fuzz` from openapi/*.yaml.\n");
    for word in words.iter().filter(|w| !w.is_empty() && w.len() <= 64) {
        text.push('"');
        for byte in word.bytes() {
            match byte {
                b'"' | b'\\' => {
                    text.push('\\');
                    text.push(byte as char);
                }
                0x20..=0x7e => text.push(byte as char),
                _ => text.push_str(&format!("\\x{byte:02X}")),
            }
        }
        text.push_str("\"\n");
    }
    Ok(text)
}

/// Property names (quoted, as in JSON), enum values and string examples.
fn collect_words(node: &Value, words: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            if let Some(properties) = map.get("properties").and_then(Value::as_object) {
                words.extend(properties.keys().map(|k| format!("\"{k}\":")));
            }
            for key in ["enum", "x-extensible-enum"] {
                if let Some(values) = map.get(key).and_then(Value::as_array) {
                    words.extend(
                        values
                            .iter()
                            .filter_map(Value::as_str)
                            .map(|v| format!("\"{v}\"")),
                    );
                }
            }
            if let Some(Value::String(example)) = map.get("example") {
                words.push(format!("\"{example}\""));
            }
            map.values().for_each(|v| collect_words(v, words));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_words(v, words)),
        _ => {}
    }
}

/// One request of a `simulator` script.
fn request(method: &str, path: &str, auth: &str, body: Option<&str>) -> String {
    let mut text = format!("{method} {path}\nAuthorization: {auth}\n");
    if body.is_some() {
        text.push_str("Content-Type: application/json\n");
    }
    text.push('\n');
    text.push_str(body.unwrap_or(""));
    text
}

/// Seeds of the `simulator` target: checkouts from the shared request corpus (create,
/// read, update, approve, order or customer token, cancel), and every request example
/// of the three specs after a create and an approval.
pub fn simulator_seeds(root: &Path) -> Result<Vec<(String, String)>, String> {
    const AUTH: &str = "{auth}";
    let mut bodies = Vec::new();
    let corpus = root.join("generators/corpus/request");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .map_err(|e| format!("{}: {e}", corpus.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|e| e.to_string())?;
        bodies.push(compact(&text)?);
    }
    let first = bodies.first().cloned().ok_or("no request corpus")?;
    // The browser's endpoints need a client token, which in-store sessions do not get.
    let online = bodies
        .iter()
        .find(|b| !b.contains("in_store"))
        .cloned()
        .unwrap_or_else(|| first.clone());
    let create = |body: &str| request("POST", "/payments/v1/sessions", AUTH, Some(body));
    let authorize = request(
        "POST",
        "/simulator/v1/sessions/{session_id}/authorize",
        AUTH,
        Some("{}"),
    );
    let mut seeds = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        seeds.push((
            format!("checkout-{i}"),
            [
                create(body),
                request("GET", "/payments/v1/sessions/{session_id}", AUTH, None),
                request(
                    "POST",
                    "/payments/v1/sessions/{session_id}",
                    AUTH,
                    Some(r#"{"merchant_reference1":"ORDER-2"}"#),
                ),
                authorize.clone(),
                request(
                    "POST",
                    "/payments/v1/authorizations/{authorization_token}/order",
                    AUTH,
                    Some(body),
                ),
                request("GET", "/simulator/v1/requests", AUTH, None),
            ]
            .join("\n###\n"),
        ));
        seeds.push((
            format!("cancel-{i}"),
            [
                create(body),
                authorize.clone(),
                request(
                    "DELETE",
                    "/payments/v1/authorizations/{authorization_token}",
                    AUTH,
                    None,
                ),
                request("DELETE", "/payments/v1/sessions/{session_id}", AUTH, None),
            ]
            .join("\n###\n"),
        ));
    }
    seeds.push((
        "browser".into(),
        [
            create(&online),
            request("GET", "/kp/lib/v1/api.js", "none", None),
            request("GET", "/kp/payments/v1/session", "Bearer {client_token}", None),
            request(
                "POST",
                "/kp/payments/v1/load",
                "Bearer {client_token}",
                Some(r#"{"payment_method_category":"pay_later"}"#),
            ),
            request(
                "POST",
                "/kp/payments/v1/authorize",
                "Bearer {client_token}",
                Some(r#"{"payment_method_category":"pay_later","approved":true,"auto_finalize":false}"#),
            ),
            request("POST", "/kp/payments/v1/finalize", "Bearer {client_token}", Some("{}")),
        ]
        .join("\n###\n"),
    ));
    seeds.push((
        "refused".into(),
        [
            request("POST", "/payments/v1/sessions", "Basic eDp5", Some(&first)),
            request("POST", "/payments/v1/sessions", AUTH, Some("{\"order_amount\": ")),
            format!("POST /payments/v1/sessions\nAuthorization: {AUTH}\nContent-Type: text/plain\n\n{first}"),
            request("GET", "/payments/v1/sessions/..%2F..", AUTH, None),
            request("PATCH", "/payments/v1/nowhere", AUTH, Some("[]")),
        ]
        .join("\n###\n"),
    ));
    let mut example = 0;
    for spec in specs(root)? {
        let Some(paths) = spec.get("paths").and_then(Value::as_object) else {
            continue;
        };
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, operation) in item {
                let Some(content) = operation
                    .pointer("/requestBody/content/application~1json")
                    .and_then(Value::as_object)
                else {
                    continue;
                };
                let mut values: Vec<&Value> = content.get("example").into_iter().collect();
                if let Some(examples) = content.get("examples").and_then(Value::as_object) {
                    values.extend(examples.values().filter_map(|e| e.get("value")));
                }
                for value in values {
                    let auth = if path.starts_with("/kp/") {
                        "Bearer {client_token}"
                    } else {
                        AUTH
                    };
                    seeds.push((
                        format!("example-{example}"),
                        [
                            create(&online),
                            authorize.clone(),
                            request(&method.to_uppercase(), path, auth, Some(&value.to_string())),
                            request("GET", "/simulator/v1/faults", AUTH, None),
                            create(&first),
                        ]
                        .join("\n###\n"),
                    ));
                    example += 1;
                }
            }
        }
    }
    Ok(seeds)
}

fn compact(json: &str) -> Result<String, String> {
    serde_json::from_str::<Value>(json)
        .map(|v| v.to_string())
        .map_err(|e| e.to_string())
}

fn write_simulator_seeds(root: &Path, dir: &Path) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (name, text) in simulator_seeds(root)? {
        std::fs::write(dir.join(format!("{name}.txt")), text).map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_the_command_line() {
        let all = parse_args(&[]).unwrap();
        assert_eq!(all.targets, ["decode", "validate", "simulator", "schema"]);
        assert_eq!(all.budget, Budget::Runs(DEFAULT_RUNS));
        let one = parse_args(&args("--target schema --seconds 30")).unwrap();
        assert_eq!(one.targets, ["schema"]);
        assert_eq!(one.budget, Budget::Seconds(30));
        assert_eq!(
            parse_args(&args("--smoke")).unwrap().budget,
            Budget::Runs(SMOKE_RUNS)
        );
        assert!(parse_args(&args("--target nope")).is_err());
        assert!(parse_args(&args("--runs 5 --seconds 5")).is_err());
        assert!(parse_args(&args("--runs 0")).is_err());
        assert!(parse_args(&args("--smoke --runs 9")).is_err());
        let extra = parse_args(&args("--target decode -- -use_value_profile=1")).unwrap();
        assert_eq!(extra.targets, ["decode"]);
        assert_eq!(extra.extra, ["-use_value_profile=1"]);
    }

    #[test]
    fn reads_libfuzzer_figures() {
        let log = "#2\tINITED cov: 10 ft: 11 corp: 1/1b exec/s: 0 rss: 30Mb\n\
                   #3888583\tDONE   cov: 577 ft: 2974 corp: 1137/161Kb lim: 4096 exec/s: 94843 rss: 29Mb\n\
                   Done 3888583 runs in 41 second(s)\n\
                   stat::number_of_executed_units: 3888583\n\
                   stat::average_exec_per_sec:     94843\n\
                   stat::new_units_added:          5979\n\
                   stat::peak_rss_mb:              29\n";
        assert_eq!(
            figures(log),
            Figures {
                executions: 3_888_583,
                per_second: 94_843,
                edges: 577,
                features: 2974,
                corpus: "1137/161Kb".into(),
                peak_rss_mb: 29,
            }
        );
        assert_eq!(thousands(3_888_583), "3,888,583");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn seeds_and_dictionary_come_from_the_repository() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let seeds = simulator_seeds(root).unwrap();
        assert!(seeds.iter().any(|(name, _)| name == "checkout-0"));
        assert!(
            seeds
                .iter()
                .any(|(_, text)| text.contains("/simulator/v1/faults"))
        );
        let dictionary = dictionary_text(root).unwrap();
        assert!(dictionary.contains("\"\\\"purchase_country\\\":\"\n"));
        assert!(dictionary.contains("\"/payments/v1/sessions/{session_id}\"\n"));
        for line in dictionary.lines().skip(1) {
            assert!(line.starts_with('"') && line.ends_with('"'), "{line}");
        }
    }
}

//! `cargo xtask validate` checks `openapi/klarna-payments.yaml` against the project's
//! rules; `cargo xtask regen [--check]` refreshes (or checks) what derives from it;
//! `cargo xtask bench` measures; `cargo xtask fuzz` runs the fuzz targets of `fuzz/`.

use xtask::{bench, fuzz, persistence, regen, rules, soak, spec};

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  validate [SPEC]          check the spec against the project's rules
  regen [--check] [SPEC]   regenerate openapi/klarna-payments.json and
                           openapi/generated/bindings.rs.txt; with --check, change
                           nothing and fail with a diff if either is stale

  bench [--quick]          measure client overhead, codecs, simulator vs Prism and
                           build times; rewrite the figures in BENCHMARKS.md

  fuzz [--target NAME]... [--runs N | --seconds S] [--smoke] [-- FLAGS]
                           build the libFuzzer targets of fuzz/ (stable toolchain,
                           needs a C++ compiler) and run each in turn: decode,
                           validate, simulator, schema; N defaults to 10000000;
                           --smoke: 3000 runs each from the seeds (CI); FLAGS go
                           to libFuzzer. Corpora, findings, logs in target/fuzz/
  persistence              the simulator's state file at scale (100,000 sessions held:
                           durable creates/s, memory, kill -9 and restart); release build
  soak [--minutes N]       mixed traffic against the persistent simulator for N minutes
                           (default 10), RSS and p99 each minute, into RELIABILITY.md

SPEC defaults to openapi/klarna-payments.yaml in the workspace root.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    match args.first().map(String::as_str) {
        Some("validate") => {
            let spec_path = args
                .get(1)
                .map(PathBuf::from)
                .unwrap_or_else(|| spec::default_path(&root));
            report(rules::validate_file(&spec_path))
        }
        Some("regen") => {
            let check = args.iter().any(|a| a == "--check");
            let spec_path = args[1..]
                .iter()
                .find(|a| !a.starts_with("--"))
                .map(PathBuf::from)
                .unwrap_or_else(|| spec::default_path(&root));
            finish(regen::run(&root, &spec_path, check))
        }
        Some("bench") => finish(bench::run(&root, args.iter().any(|a| a == "--quick"))),
        Some("fuzz") => match fuzz::parse_args(&args[1..]) {
            Ok(options) => finish(fuzz::run(&root, &options)),
            Err(message) => {
                eprintln!("{message}\n\n{USAGE}");
                ExitCode::from(2)
            }
        },
        Some("persistence") => finish(
            release_simulator(&root)
                .and_then(|binary| persistence::run(&binary, &root.join("target/persistence"))),
        ),
        Some("soak") => {
            let minutes = match args.iter().position(|a| a == "--minutes") {
                Some(i) => match args.get(i + 1).and_then(|m| m.parse::<usize>().ok()) {
                    Some(minutes) if (1..=60).contains(&minutes) => minutes,
                    _ => {
                        eprintln!("--minutes takes a number from 1 to 60\n\n{USAGE}");
                        return ExitCode::from(2);
                    }
                },
                None => 10,
            };
            finish(
                release_simulator(&root).and_then(|binary| {
                    soak::run(&root, &binary, &root.join("target/soak"), minutes)
                }),
            )
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// Builds the simulator in release mode; the binary's path.
fn release_simulator(root: &std::path::Path) -> Result<PathBuf, String> {
    let status =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(root)
            .args(["build", "--release", "-p", "klarna-simulator"])
            .status()
            .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("building the simulator failed".into());
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            }
        })
        .unwrap_or_else(|| root.join("target"));
    Ok(target.join("release/klarna-simulator"))
}

/// Prints a task's outcome and turns it into the exit code.
fn finish(outcome: Result<String, String>) -> ExitCode {
    match outcome {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn report(findings: Vec<rules::Finding>) -> ExitCode {
    if findings.is_empty() {
        println!("spec OK: every rule passed");
        return ExitCode::SUCCESS;
    }
    for finding in &findings {
        eprintln!("{finding}\n");
    }
    eprintln!("{} problem(s) found", findings.len());
    ExitCode::FAILURE
}

/// The workspace root: xtask's manifest lives one level below it.
fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

//! `cargo xtask validate` checks `openapi/klarna-payments.yaml` against the project's
//! rules; `cargo xtask regen [--check]` refreshes (or checks) what derives from it.

use xtask::{bench, regen, rules, spec};

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
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
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

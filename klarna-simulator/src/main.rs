//! `cargo run -p klarna-simulator -- [--port N] [--host IP] [--username U] [--password P]
//! [--rate-limit playground|production] [--max-sessions N]`

use std::io::Write;
use std::net::IpAddr;
use std::process::ExitCode;

use klarna_simulator::{
    DEFAULT_PASSWORD, DEFAULT_USERNAME, RateLimit, Simulator, SimulatorBuilder,
};

const USAGE: &str = "usage: klarna-simulator [--port N] [--host IP] [--username U] [--password P]
                        [--rate-limit playground|production] [--max-sessions N]

Serves Klarna's Payments Sessions API on 127.0.0.1 (port 0, the default, picks a free one).";

/// Reads the command line into a configured builder, or says what is wrong
/// (`Err(None)` for `--help`).
fn parse(args: impl Iterator<Item = String>) -> Result<SimulatorBuilder, Option<String>> {
    let mut builder = Simulator::builder();
    let (mut username, mut password) = (DEFAULT_USERNAME.to_string(), DEFAULT_PASSWORD.to_string());
    let mut args = args.peekable();
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Err(None);
        }
        let value = args
            .next()
            .ok_or_else(|| Some(format!("{flag} needs a value")))?;
        let invalid = |what: &str| Some(format!("{flag} takes {what}, not {value:?}"));
        builder = match flag.as_str() {
            "--port" => builder.port(value.parse().map_err(|_| invalid("a port number"))?),
            "--host" => builder.host(
                value
                    .parse::<IpAddr>()
                    .map_err(|_| invalid("an IP address"))?,
            ),
            "--max-sessions" => {
                builder.max_sessions(value.parse().map_err(|_| invalid("a number"))?)
            }
            "--rate-limit" => builder.rate_limit(match value.as_str() {
                "playground" => RateLimit::PLAYGROUND,
                "production" => RateLimit::PRODUCTION,
                _ => return Err(invalid("playground or production")),
            }),
            "--username" => {
                username = value;
                builder
            }
            "--password" => {
                password = value;
                builder
            }
            other => return Err(Some(format!("unknown argument {other}"))),
        };
    }
    Ok(builder.credentials(username, password))
}

#[tokio::main]
async fn main() -> ExitCode {
    let builder = match parse(std::env::args().skip(1)) {
        Ok(builder) => builder,
        Err(message) => {
            if let Some(message) = &message {
                eprintln!("{message}");
            }
            eprintln!("{USAGE}");
            return if message.is_none() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    let simulator = match builder.start().await {
        Ok(simulator) => simulator,
        Err(error) => {
            eprintln!("cannot start the simulator: {error}");
            return ExitCode::FAILURE;
        }
    };
    // A closed stdout (the reader went away) must not stop the server: ignore write errors.
    let mut out = std::io::stdout();
    let _ = writeln!(
        out,
        "Klarna simulator listening on {}",
        simulator.base_url()
    );
    let _ = writeln!(
        out,
        "HTTP Basic credentials: username {:?}, password {:?}",
        simulator.username(),
        simulator.password()
    );
    let _ = writeln!(out, "Press Ctrl-C to stop.");
    let _ = out.flush();
    let _ = tokio::signal::ctrl_c().await;
    simulator.shutdown().await;
    ExitCode::SUCCESS
}

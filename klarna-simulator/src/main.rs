//! `cargo run -p klarna-simulator -- [--port N] [--host IP] [--username U] [--password P]
//! [--rate-limit playground|production] [--max-sessions N] [--state-file PATH]
//! [--request-log N] [--allow-callback-host HOST]... [--fault SPEC]...`

use std::io::Write;
use std::net::IpAddr;
use std::process::ExitCode;

use klarna_simulator::{
    DEFAULT_PASSWORD, DEFAULT_USERNAME, Fault, RateLimit, Simulator, SimulatorBuilder,
};

const USAGE: &str = "usage: klarna-simulator [--port N] [--host IP] [--username U] [--password P]
                        [--rate-limit playground|production] [--max-sessions N]
                        [--state-file PATH] [--request-log N]
                        [--allow-callback-host HOST]... [--fault SPEC]...

Serves Klarna's Payments API on 127.0.0.1 (port 0, the default, picks a free one), and
the browser library that stands in for Klarna's at /kp/lib/v1/api.js.

  --state-file PATH  keep the sessions in PATH and PATH.journal (loaded at start; every
                     change on disk before it is answered)
  --request-log N    how many requests GET /simulator/v1/requests keeps (default 1000)
  --allow-callback-host HOST
                     also send Klarna's authorization callback (merchant_urls.authorization)
                     to this host name or IP; repeatable (default: loopback hosts only)
  --fault SPEC       make matching requests fail; repeatable. SPEC is comma-separated
                     key=value pairs:
                       operation=createCreditSession|readCreditSession|
                                 updateCreditSession|cancelCreditSession|
                                 createOrder|cancelAuthorization|purchaseToken
                       session-id=ID        only requests for this session
                       count=N              only the next N matching requests
                       status=400..599      answer this status with a Klarna error body
                       error-code=CODE      its error_code (default from the status)
                       error-message=TEXT   one of its error_messages (repeatable)
                       retry-after=SECONDS  add a Retry-After header
                       delay-ms=N           hold the answer back N ms (at most 120000)
                       close=before-headers|after-headers   cut the connection
                     e.g. --fault 'operation=readCreditSession,status=503,count=2,retry-after=1'
                     Faults can also be set at runtime: POST /simulator/v1/faults.";

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
            "--state-file" => builder.state_file(value),
            "--allow-callback-host" => builder.allow_callback_host(value),
            "--request-log" => builder.request_log(value.parse().map_err(|_| invalid("a number"))?),
            "--fault" => builder.fault(
                value
                    .parse::<Fault>()
                    .map_err(|error| Some(format!("--fault {value:?}: {error}")))?,
            ),
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

/// Waits for Ctrl-C or, on Unix, SIGTERM (as `docker stop` and CI runners send).
async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
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
    if let Some(path) = simulator.state_file() {
        let _ = writeln!(
            out,
            "Sessions kept in {} ({} loaded)",
            path.display(),
            simulator.session_count()
        );
    }
    for fault in simulator.faults() {
        let _ = writeln!(out, "Fault {}: {}", fault.id, fault.fault);
    }
    let _ = writeln!(out, "Press Ctrl-C to stop.");
    let _ = out.flush();
    stop_requested().await;
    simulator.shutdown().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> impl Iterator<Item = String> {
        list.iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn faults_and_state_file_are_read_and_mistakes_are_explained() {
        assert!(
            parse(args(&[
                "--fault",
                "operation=createCreditSession,status=503,count=2,retry-after=1",
                "--fault",
                "close=after-headers",
                "--state-file",
                "/tmp/state.json",
                "--request-log",
                "10",
            ]))
            .is_ok()
        );
        let Err(Some(message)) = parse(args(&["--fault", "status=200"])) else {
            panic!("a 200 fault is refused");
        };
        assert!(
            message.contains("status: must be from 400 to 599"),
            "{message}"
        );
        assert!(parse(args(&["--request-log", "many"])).is_err());
    }
}

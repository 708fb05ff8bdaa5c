//! `cargo run -p klarna-simulator -- [--port N] [--host IP] [--username U] [--password P]
//! [--rate-limit playground|production] [--max-sessions N] [--state-file PATH]
//! [--request-log N] [--header-read-timeout SECS] [--idle-timeout SECS]
//! [--max-connections N] [--allow-callback-host HOST]... [--fault SPEC]...`

use std::io::Write;
use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

use klarna_simulator::{
    DEFAULT_PASSWORD, DEFAULT_USERNAME, Fault, RateLimit, Simulator, SimulatorBuilder,
};

const USAGE: &str = "usage: klarna-simulator [--port N] [--host IP] [--username U] [--password P]
                        [--rate-limit playground|production] [--max-sessions N]
                        [--state-file PATH] [--request-log N]
                        [--header-read-timeout SECS] [--idle-timeout SECS]
                        [--max-connections N]
                        [--allow-callback-host HOST]... [--fault SPEC]...

Serves Klarna's Payments API on 127.0.0.1 (port 0, the default, picks a free one), and
the browser library that stands in for Klarna's at /kp/lib/v1/api.js.

  --state-file PATH  keep the sessions in PATH and PATH.journal (loaded at start; every
                     change on disk before it is answered)
  --request-log N    how many requests GET /simulator/v1/requests keeps (default 1000)
  --header-read-timeout SECS
                     a request's head must arrive within SECS (default 10; a first
                     request from the connection's start, a later one from its first
                     byte), and its body within SECS of the first read; a late
                     connection is closed without an answer
  --idle-timeout SECS
                     close a kept-alive connection with no next request for SECS
                     (default 60)
  --max-connections N
                     serve at most N connections at once (default 512); more wait
                     (queued, not refused) while idle connections are closed to make
                     room and stalled ones time out
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
            "--header-read-timeout" => {
                builder.header_read_timeout(seconds(&value).ok_or_else(|| invalid("seconds"))?)
            }
            "--idle-timeout" => {
                builder.idle_timeout(seconds(&value).ok_or_else(|| invalid("seconds"))?)
            }
            "--max-connections" => builder.max_connections(
                value
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| invalid("a number from 1"))?,
            ),
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

/// A positive, finite number of seconds (`2`, `0.5`).
fn seconds(value: &str) -> Option<Duration> {
    let seconds: f64 = value.parse().ok()?;
    (seconds > 0.0)
        .then(|| Duration::try_from_secs_f64(seconds).ok())
        .flatten()
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

    #[test]
    fn connection_limits_are_read_and_mistakes_are_explained() {
        assert!(
            parse(args(&[
                "--header-read-timeout",
                "2.5",
                "--idle-timeout",
                "30",
                "--max-connections",
                "100",
            ]))
            .is_ok()
        );
        for (flag, value, expected) in [
            ("--header-read-timeout", "0", "takes seconds"),
            ("--header-read-timeout", "-1", "takes seconds"),
            ("--idle-timeout", "soon", "takes seconds"),
            ("--idle-timeout", "inf", "takes seconds"),
            ("--idle-timeout", "NaN", "takes seconds"),
            ("--max-connections", "0", "takes a number from 1"),
            ("--max-connections", "lots", "takes a number from 1"),
        ] {
            let Err(Some(message)) = parse(args(&[flag, value])) else {
                panic!("{flag} {value} is refused");
            };
            assert!(message.contains(expected), "{message}");
        }
        assert_eq!(seconds("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(seconds("1e400"), None);
    }
}

//! Helpers shared by the simulator's integration tests: a raw HTTP/1.1 exchange over
//! TCP (to see exactly what reached the wire, including connections cut short), and the
//! simulator binary started as a child process.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A request body the simulator accepts: one Swedish line at 25% tax.
pub fn create_body(reference: &str) -> String {
    serde_json::json!({
        "purchase_country": "SE",
        "purchase_currency": "SEK",
        "locale": "sv-SE",
        "merchant_reference1": reference,
        "order_amount": 10000,
        "order_tax_amount": 2000,
        "order_lines": [{
            "type": "physical",
            "name": "Shoe",
            "quantity": 1,
            "unit_price": 10000,
            "tax_rate": 2500,
            "total_amount": 10000,
            "total_tax_amount": 2000
        }]
    })
    .to_string()
}

/// How the server ended the exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// It closed the connection (FIN).
    Closed,
    /// It reset the connection.
    Reset,
}

/// Everything the server sent on one connection, and how that ended.
#[derive(Debug)]
pub struct Exchange {
    pub bytes: Vec<u8>,
    pub end: End,
    pub elapsed: Duration,
}

impl Exchange {
    fn head_end(&self) -> Option<usize> {
        self.bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|p| p + 4)
    }

    /// The status code, if a status line arrived.
    pub fn status(&self) -> Option<u16> {
        let line = self.bytes.split(|b| *b == b'\r').next()?;
        std::str::from_utf8(line)
            .ok()?
            .split(' ')
            .nth(1)?
            .parse()
            .ok()
    }

    /// A header of the answer (name in any case).
    pub fn header(&self, name: &str) -> Option<String> {
        let head = std::str::from_utf8(&self.bytes[..self.head_end()?]).ok()?;
        head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    }

    /// The bytes after the head.
    pub fn body(&self) -> &[u8] {
        self.head_end().map_or(&[][..], |end| &self.bytes[end..])
    }

    /// The body as JSON (`Null` if it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(self.body()).unwrap_or(serde_json::Value::Null)
    }
}

/// Sends one request (with `Connection: close`) and reads until the server ends the
/// connection (at most 10 s).
pub async fn exchange(
    base_url: &str,
    method: &str,
    path: &str,
    credentials: Option<(&str, &str)>,
    content_type: Option<&str>,
    body: &str,
) -> Exchange {
    let address = base_url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.expect("connect");
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    if let Some((user, password)) = credentials {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        request.push_str(&format!("Authorization: Basic {token}\r\n"));
    }
    if let Some(content_type) = content_type {
        request.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    let started = Instant::now();
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 8192];
    let end = loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk)).await {
            Ok(Ok(0)) => break End::Closed,
            Ok(Ok(n)) => bytes.extend_from_slice(&chunk[..n]),
            Ok(Err(_)) => break End::Reset,
            Err(_) => panic!("the server neither answered nor closed within 10 s"),
        }
    };
    Exchange {
        bytes,
        end,
        elapsed: started.elapsed(),
    }
}

/// The simulator binary, running; killed (SIGKILL) when dropped.
pub struct Binary {
    pub child: Child,
    pub base_url: String,
    pub stdout: Vec<String>,
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the simulator binary with `args` and waits (at most 20 s) for its address.
pub fn start_binary(args: &[&str]) -> Binary {
    let child = Command::new(env!("CARGO_BIN_EXE_klarna-simulator"))
        .args(["--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the simulator binary starts");
    // From here on, a panic kills and reaps the child (Drop).
    let mut binary = Binary {
        child,
        base_url: String::new(),
        stdout: Vec::new(),
    };
    let stdout = binary.child.stdout.take().expect("piped stdout");
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        match received.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => {
                let found = line
                    .split_whitespace()
                    .find(|w| w.starts_with("http://127.0.0.1:"))
                    .map(str::to_string);
                binary.stdout.push(line);
                if let Some(base_url) = found {
                    // Keep reading the banner for a moment, for tests that check it.
                    while let Ok(line) = received.recv_timeout(Duration::from_millis(200)) {
                        binary.stdout.push(line);
                    }
                    binary.base_url = base_url;
                    return binary;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Ok(Some(status)) = binary.child.try_wait() {
                    let mut stderr = String::new();
                    if let Some(mut err) = binary.child.stderr.take() {
                        let _ = err.read_to_string(&mut stderr);
                    }
                    panic!("the simulator exited with {status}: {stderr}");
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    panic!(
        "the simulator did not print its address; stdout: {:?}",
        binary.stdout
    );
}

/// Runs the binary with `args` to completion: exit code and stderr.
pub fn run_binary(args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_klarna-simulator"))
        .args(args)
        .output()
        .expect("the simulator binary runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

//! The load generator of `servers`: keep-alive HTTP/1.1 connections that send one
//! prepared create-session request after another and read each answer through.
//!
//! A full client (reqwest) used about 46 µs of CPU per request here (the load process's
//! user and system time over a run of 24,256 requests), 40 % of the two cores the server
//! under test shares with it; this one writes prepared bytes, parses only the answer's
//! head and reads past its body, so the figures are the server's. Same role as `wrk`.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long one exchange may take before it counts as failed (the connection is then
/// dropped and the next request opens another).
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest answer head read; a longer one counts as failed.
const MAX_HEAD_BYTES: usize = 1 << 20;

/// What one connection saw: each request's latency, and how many were answered with
/// something other than `200` (or not at all).
pub struct Outcome {
    pub latencies: Vec<Duration>,
    pub failed: usize,
}

/// The bytes of one `POST /payments/v1/sessions` to `authority` (`host:port`).
pub fn create_request(authority: &str, authorization: &str, body: &str) -> Vec<u8> {
    format!(
        "POST /payments/v1/sessions HTTP/1.1\r\nHost: {authority}\r\nAuthorization: {authorization}\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Sends `request` `count` times over one connection to `authority` (reconnecting if
/// the server closes it), each after the previous answer was read whole.
pub async fn run(authority: &str, request: &[u8], count: usize) -> Outcome {
    let mut outcome = Outcome {
        latencies: Vec::with_capacity(count),
        failed: 0,
    };
    let mut connection: Option<Connection> = None;
    for _ in 0..count {
        let started = Instant::now();
        let exchange = async {
            if connection.is_none() {
                connection = Connection::open(authority).await.ok();
            }
            match &mut connection {
                Some(open) => open.exchange(request).await,
                None => None,
            }
        };
        let status = tokio::time::timeout(EXCHANGE_TIMEOUT, exchange)
            .await
            .ok()
            .flatten();
        outcome.latencies.push(started.elapsed());
        match status {
            Some(Answer { status, keep_alive }) => {
                outcome.failed += usize::from(status != 200);
                if !keep_alive {
                    connection = None;
                }
            }
            None => {
                outcome.failed += 1;
                connection = None;
            }
        }
    }
    outcome
}

struct Answer {
    status: u16,
    keep_alive: bool,
}

struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    async fn open(authority: &str) -> std::io::Result<Self> {
        let stream = TcpStream::connect(authority).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buffer: vec![0; 16 * 1024],
        })
    }

    /// Writes the request and reads the answer through; `None` if the connection broke
    /// or the answer was not HTTP/1.1 with a `Content-Length` (the servers measured send
    /// one; a run with any failure is refused by `cargo xtask bench`). The server
    /// answers one request at a time, so nothing follows the body.
    async fn exchange(&mut self, request: &[u8]) -> Option<Answer> {
        self.stream.write_all(request).await.ok()?;
        let mut filled = 0;
        loop {
            if filled == self.buffer.len() {
                if filled >= MAX_HEAD_BYTES {
                    return None;
                }
                self.buffer.resize(self.buffer.len() * 2, 0);
            }
            let read = self.stream.read(&mut self.buffer[filled..]).await.ok()?;
            if read == 0 {
                return None;
            }
            filled += read;
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut response = httparse::Response::new(&mut headers);
            let head = match response.parse(&self.buffer[..filled]).ok()? {
                httparse::Status::Complete(head) => head,
                httparse::Status::Partial => continue,
            };
            let header = |name: &str| {
                response
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case(name))
                    .map(|h| h.value)
            };
            let length: usize = std::str::from_utf8(header("content-length")?)
                .ok()?
                .trim()
                .parse()
                .ok()?;
            let keep_alive =
                !header("connection").is_some_and(|v| v.eq_ignore_ascii_case(b"close"));
            let status = response.code?;
            // The rest of the body, read and dropped.
            let mut remaining = (head + length).saturating_sub(filled);
            while remaining > 0 {
                let chunk = remaining.min(self.buffer.len());
                let read = self.stream.read(&mut self.buffer[..chunk]).await.ok()?;
                if read == 0 {
                    return None;
                }
                remaining -= read;
            }
            return Some(Answer { status, keep_alive });
        }
    }
}

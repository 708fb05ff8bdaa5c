//! Just enough HTTP/1.1 to drive the simulator binary from plain threads: keep-alive
//! connections on loopback, a request and its answer (status and body), and the binary
//! started on a free port. Used by the persistence figures and the soak.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The credentials the simulator is started with.
pub const USER: &str = "load";
pub const PASSWORD: &str = "load-secret";

/// A running simulator binary; killed (SIGKILL) and reaped when dropped.
pub struct Simulator {
    pub child: Child,
    /// `127.0.0.1:PORT`.
    pub authority: String,
}

impl Simulator {
    /// Starts `binary` on a free loopback port with `args` and waits (at most 120 s, a
    /// large state file takes a while to load) for its address.
    pub fn start(binary: &Path, args: &[&str]) -> Result<Self, String> {
        let mut child = Command::new(binary)
            .args(["--port", "0", "--username", USER, "--password", PASSWORD])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(first)) = lines.next() {
                let _ = sender.send(first);
            }
            // Keep draining, so the simulator never writes into a closed pipe.
            for _ in lines {}
        });
        let first = receiver
            .recv_timeout(Duration::from_secs(120))
            .map_err(|_| "the simulator did not start within 120 s".to_string())?;
        let authority = first
            .split("http://")
            .nth(1)
            .map(|rest| rest.trim().to_string())
            .ok_or_else(|| format!("the simulator did not print its address: {first:?}"))?;
        Ok(Self { child, authority })
    }

    /// Its resident memory now, in KiB (Linux `/proc`).
    pub fn rss_kib(&self) -> Option<u64> {
        rss_kib(self.child.id())
    }

    /// Kills it with SIGKILL and waits for it.
    pub fn kill_9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Resident memory of process `pid`, in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

/// One keep-alive connection.
pub struct Connection {
    reader: BufReader<TcpStream>,
    authority: String,
    authorization: String,
}

impl Connection {
    pub fn open(authority: &str) -> io::Result<Self> {
        let stream = TcpStream::connect(authority)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        stream.set_write_timeout(Some(Duration::from_secs(30)))?;
        let credentials = base64_encode(format!("{USER}:{PASSWORD}").as_bytes());
        Ok(Self {
            reader: BufReader::new(stream),
            authority: authority.to_string(),
            authorization: format!("Basic {credentials}"),
        })
    }

    /// Sends one request and reads its answer: the status and the body.
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> io::Result<(u16, Vec<u8>)> {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nhost: {}\r\nauthorization: {}\r\n",
            self.authority, self.authorization
        );
        if let Some(body) = body {
            head.push_str(&format!(
                "content-type: application/json\r\ncontent-length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        let stream = self.reader.get_mut();
        stream.write_all(head.as_bytes())?;
        if let Some(body) = body {
            stream.write_all(body.as_bytes())?;
        }
        self.read_answer()
    }

    fn read_answer(&mut self) -> io::Result<(u16, Vec<u8>)> {
        let broken = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(broken("connection closed"));
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| broken("no status line"))?;
        let mut length = 0usize;
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(broken("connection closed in the head"));
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().map_err(|_| broken("bad length"))?;
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body)?;
        Ok((status, body))
    }
}

/// Standard base64 with padding (for the Basic credentials).
fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A create body for a one-line cart, with a reference to tell sessions apart.
pub fn create_body(reference: &str) -> String {
    serde_json::json!({
        "purchase_country": "SE",
        "purchase_currency": "SEK",
        "locale": "sv-SE",
        "merchant_reference1": reference,
        "order_amount": 10000,
        "order_tax_amount": 2000,
        "order_lines": [{
            "type": "physical", "name": "Trail shoe", "quantity": 1, "unit_price": 10000,
            "tax_rate": 2500, "total_amount": 10000, "total_tax_amount": 2000
        }],
        "billing_address": {"given_name": "Test", "family_name": "Shopper",
                            "email": "shopper@example.com", "postal_code": "11122"}
    })
    .to_string()
}

/// The value at `key` of a JSON answer, as text.
pub fn field(body: &[u8], key: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value.get(key)?.as_str().map(str::to_owned)
}

/// The `q` quantile (0..=1) of `samples` in microseconds (sorted in place).
pub fn quantile_us(samples: &mut [u32], q: f64) -> u32 {
    if samples.is_empty() {
        return 0;
    }
    samples.sort_unstable();
    let index = ((samples.len() - 1) as f64 * q).round() as usize;
    samples[index]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64_encode(b""), "");
        assert_eq!(base64_encode(b"f"), "Zg==");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_encode(b"foo"), "Zm9v");
        assert_eq!(
            base64_encode(b"load:load-secret"),
            "bG9hZDpsb2FkLXNlY3JldA=="
        );
    }

    #[test]
    fn quantiles() {
        let mut samples = vec![5, 1, 4, 2, 3];
        assert_eq!(quantile_us(&mut samples, 0.0), 1);
        assert_eq!(quantile_us(&mut samples, 0.5), 3);
        assert_eq!(quantile_us(&mut samples, 1.0), 5);
        assert_eq!(quantile_us(&mut [], 0.99), 0);
    }
}

//! A loopback HTTP/1.1 server that answers each request with the next scripted
//! [`Reply`] and records what it received. Raw TCP, so it can also misbehave: stall,
//! close before or after the head, reset mid-body, or drip the body.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// How a reply goes wrong, if it does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A well-formed reply.
    None,
    /// Wait this long before writing anything.
    Stall(Duration),
    /// Close the connection without writing a byte.
    CloseBeforeHead,
    /// Write the head (announcing the body's length), then close.
    CloseAfterHead,
    /// Write the head and half the body, then reset the connection.
    ResetMidBody,
    /// Write the head, then the body one byte per interval.
    Drip(Duration),
}

/// One scripted answer.
#[derive(Clone, Debug)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// Extra headers (Content-Length is added).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// How it goes wrong.
    pub fault: Fault,
}

impl Reply {
    /// A reply with a JSON body.
    pub fn json(status: u16, body: &str) -> Self {
        Self::raw(status, body.as_bytes()).header("Content-Type", "application/json")
    }

    /// A reply with no body.
    pub fn empty(status: u16) -> Self {
        Self::raw(status, b"")
    }

    /// A reply with any body and no content type.
    pub fn raw(status: u16, body: &[u8]) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.to_vec(),
            fault: Fault::None,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Makes the reply misbehave.
    pub fn fault(mut self, fault: Fault) -> Self {
        self.fault = fault;
        self
    }
}

/// A request as the server received it.
#[derive(Clone, Debug)]
pub struct Received {
    /// Method, e.g. `POST`.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Received {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    script: VecDeque<Reply>,
    fallback: Option<Reply>,
    received: Vec<Received>,
}

/// The running server; stops when dropped.
pub struct ScriptedServer {
    url: String,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ScriptedServer {
    /// Starts on 127.0.0.1 with a free port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("local addr"));
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, Arc::clone(&shared)));
            }
        });
        Self { url, state, task }
    }

    /// The base URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Queues replies, answered in order.
    pub fn push(&self, replies: impl IntoIterator<Item = Reply>) {
        self.state.lock().unwrap().script.extend(replies);
    }

    /// The reply used once the script is exhausted (default: 500 "script exhausted").
    pub fn always(&self, reply: Reply) {
        self.state.lock().unwrap().fallback = Some(reply);
    }

    /// Every request received so far.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }
}

async fn serve(mut stream: TcpStream, state: Arc<Mutex<State>>) {
    loop {
        let Some(request) = read_request(&mut stream).await else {
            return;
        };
        let reply = {
            let mut state = state.lock().unwrap();
            state.received.push(request);
            state
                .script
                .pop_front()
                .or_else(|| state.fallback.clone())
                .unwrap_or_else(|| Reply::json(500, r#"{"error_code":"SCRIPT_EXHAUSTED"}"#))
        };
        if !write_reply(&mut stream, reply).await {
            return;
        }
    }
}

/// Reads one request; `None` when the peer closed or sent garbage.
async fn read_request(stream: &mut TcpStream) -> Option<Received> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Request::new(&mut headers);
        if let httparse::Status::Complete(head_len) = parsed.parse(&buffer).ok()? {
            let headers: Vec<(String, String)> = parsed
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.to_ascii_lowercase(),
                        String::from_utf8_lossy(h.value).into_owned(),
                    )
                })
                .collect();
            let length: usize = headers
                .iter()
                .find(|(n, _)| n == "content-length")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let method = parsed.method?.to_string();
            let path = parsed.path?.to_string();
            let mut body = buffer[head_len..].to_vec();
            while body.len() < length {
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                body.extend_from_slice(&chunk[..n]);
            }
            body.truncate(length);
            return Some(Received {
                method,
                path,
                headers,
                body,
            });
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

/// Writes `reply`; `false` when the connection must not be reused.
async fn write_reply(stream: &mut TcpStream, reply: Reply) -> bool {
    let mut head = format!("HTTP/1.1 {} Scripted\r\n", reply.status);
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", reply.body.len()));
    match reply.fault {
        Fault::None => {
            let mut bytes = head.into_bytes();
            bytes.extend_from_slice(&reply.body);
            stream.write_all(&bytes).await.is_ok()
        }
        Fault::Stall(wait) => {
            tokio::time::sleep(wait).await;
            let mut bytes = head.into_bytes();
            bytes.extend_from_slice(&reply.body);
            stream.write_all(&bytes).await.is_ok()
        }
        Fault::CloseBeforeHead => false,
        Fault::CloseAfterHead => {
            let _ = stream.write_all(head.as_bytes()).await;
            false
        }
        Fault::ResetMidBody => {
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&reply.body[..reply.body.len() / 2]).await;
            // A zero linger makes the close send RST; only a non-zero linger blocks on drop.
            #[allow(deprecated)]
            let _ = stream.set_linger(Some(Duration::ZERO));
            false
        }
        Fault::Drip(interval) => {
            if stream.write_all(head.as_bytes()).await.is_err() {
                return false;
            }
            for byte in &reply.body {
                tokio::time::sleep(interval).await;
                if stream.write_all(std::slice::from_ref(byte)).await.is_err() {
                    return false;
                }
            }
            true
        }
    }
}

//! Target `simulator`: a script of requests, sent in-process (no socket) to the router of
//! a fresh simulator, one script per input.
//!
//! The input is text: requests separated by a line `###`. A request is a line
//! `METHOD PATH`, header lines `Name: value`, an empty line and the body. `{auth}` in a
//! header value stands for the simulator's valid `Authorization`; `{session_id}`,
//! `{authorization_token}`, `{client_token}`, `{order_id}`, `{token_id}` and `{fault_id}`
//! (the field `id`) anywhere in the path, a header or the body stand for the value of
//! that field in the latest JSON answer that had it (so a script can create a session,
//! approve it and place its order). The spec's path templates use the same names.
//!
//! Properties, besides "no panic, no hang": no answer is a 5xx unless the script set a
//! fault; every answer of Klarna's API (`/payments/v1/…`) carries a correlation id, and
//! decodes into the client's model for it: an error body into `ErrorResponse`, a
//! success into the operation's answer model.

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt as _;
use klarna_payments::types::{CustomerToken, ErrorResponse, MerchantSession, Order, SessionRead};
use serde_json::Value;
use tower::ServiceExt as _;

/// At most this many requests per input.
const MAX_REQUESTS: usize = 16;
/// The placeholders, each with the answer field whose latest value it stands for.
const CAPTURED: [(&str, &str); 6] = [
    ("session_id", "session_id"),
    ("authorization_token", "authorization_token"),
    ("client_token", "client_token"),
    ("order_id", "order_id"),
    ("token_id", "token_id"),
    ("fault_id", "id"),
];

/// One request of the script.
struct Step<'a> {
    method: &'a str,
    path: &'a str,
    headers: Vec<(&'a str, &'a str)>,
    body: &'a [u8],
}

/// Splits the input into requests (at most `MAX_REQUESTS`); lines that are no request
/// are left out.
fn parse(data: &[u8]) -> Vec<Step<'_>> {
    let mut steps = Vec::new();
    for chunk in split(data, b"\n###\n").take(MAX_REQUESTS) {
        let (head, body) = match find(chunk, b"\n\n") {
            Some(at) => (&chunk[..at], &chunk[at + 2..]),
            None => (chunk, &[][..]),
        };
        let Ok(head) = std::str::from_utf8(head) else {
            continue;
        };
        let mut lines = head.split('\n');
        let Some((method, path)) = lines.next().and_then(|l| l.split_once(' ')) else {
            continue;
        };
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim(), value.trim()))
            .collect();
        steps.push(Step {
            method,
            path,
            headers,
            body,
        });
    }
    steps
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn split<'a>(mut data: &'a [u8], separator: &'a [u8]) -> impl Iterator<Item = &'a [u8]> {
    std::iter::from_fn(move || {
        if data.is_empty() {
            return None;
        }
        match find(data, separator) {
            Some(at) => {
                let chunk = &data[..at];
                data = &data[at + separator.len()..];
                Some(chunk)
            }
            None => Some(std::mem::take(&mut data)),
        }
    })
}

/// `text` with every placeholder replaced.
fn fill(text: &[u8], captured: &[(&'static str, String)], auth: &str) -> Vec<u8> {
    if !text.contains(&b'{') {
        return text.to_vec();
    }
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    'outer: while let Some(at) = rest.iter().position(|&b| b == b'{') {
        out.extend_from_slice(&rest[..at]);
        rest = &rest[at..];
        if let Some(after) = rest.strip_prefix(b"{auth}") {
            out.extend_from_slice(auth.as_bytes());
            rest = after;
            continue;
        }
        for (name, value) in captured {
            if rest.len() > name.len() + 1
                && &rest[1..=name.len()] == name.as_bytes()
                && rest[name.len() + 1] == b'}'
            {
                out.extend_from_slice(value.as_bytes());
                rest = &rest[name.len() + 2..];
                continue 'outer;
            }
        }
        out.push(b'{');
        rest = &rest[1..];
    }
    out.extend_from_slice(rest);
    out
}

fn auth() -> &'static str {
    static AUTH: OnceLock<String> = OnceLock::new();
    AUTH.get_or_init(|| {
        use std::fmt::Write as _;
        let raw = format!(
            "{}:{}",
            klarna_simulator::DEFAULT_USERNAME,
            klarna_simulator::DEFAULT_PASSWORD
        );
        // Base64 by hand: the fuzz crate needs no codec for one constant.
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut encoded = String::from("Basic ");
        for chunk in raw.as_bytes().chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    let _ = encoded.write_char(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
                } else {
                    encoded.push('=');
                }
            }
        }
        encoded
    })
}

/// Which client model a success of Klarna's API decodes into.
#[derive(Clone, Copy, Debug)]
enum Answer {
    MerchantSession,
    SessionRead,
    Order,
    CustomerToken,
    Empty,
}

/// The answer model of a request to Klarna's API, by method and path; `None` for the
/// simulator's own endpoints and unknown paths.
fn klarna_operation(method: &Method, path: &str) -> Option<Answer> {
    let rest = path.strip_prefix("/payments/v1/")?;
    let segments: Vec<&str> = rest.split('/').collect();
    Some(match (method.as_str(), segments.as_slice()) {
        ("POST", ["sessions"]) => Answer::MerchantSession,
        ("GET", ["sessions", _]) => Answer::SessionRead,
        ("POST", ["sessions", _]) | ("DELETE", ["sessions", _]) => Answer::Empty,
        ("DELETE", ["authorizations", _]) => Answer::Empty,
        ("POST", ["authorizations", _, "order"]) => Answer::Order,
        ("POST", ["authorizations", _, "customer-token"]) => Answer::CustomerToken,
        _ => return None,
    })
}

/// Whether to print each request's answer (`KLARNA_FUZZ_TRACE=1`, to read what an input
/// does when replayed).
fn trace() -> bool {
    static TRACE: OnceLock<bool> = OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("KLARNA_FUZZ_TRACE").is_some())
}

fn runtime() -> tokio::runtime::Runtime {
    // A fresh runtime per input: dropping it ends whatever an input started in the
    // background (an authorization callback). Paused time: a delay fault ends at once.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a runtime")
}

/// Runs the script `data` against a fresh simulator.
pub fn run(data: &[u8]) {
    let steps = parse(data);
    if steps.is_empty() {
        return;
    }
    runtime().block_on(async move {
        let router = klarna_simulator::Simulator::builder()
            .max_sessions(8)
            .request_log(32)
            .into_router();
        let mut captured: Vec<(&'static str, String)> = Vec::new();
        let mut faults_set = false;
        for step in steps {
            let Ok(method) = Method::from_bytes(step.method.as_bytes()) else {
                continue;
            };
            let path = fill(step.path.as_bytes(), &captured, auth());
            let mut request = Request::builder().method(method.clone()).uri(&path[..]);
            for (name, value) in &step.headers {
                request = request.header(*name, fill(value.as_bytes(), &captured, auth()));
            }
            let Ok(request) = request.body(Body::from(fill(step.body, &captured, auth()))) else {
                continue;
            };
            let path = request.uri().path().to_owned();
            let response = router
                .clone()
                .oneshot(request)
                .await
                .expect("the router is infallible");
            let status = response.status();
            let correlation = response.headers().get("klarna-correlation-id").cloned();
            let bytes = response
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            if trace() {
                eprintln!(
                    "{method} {path} -> {status}: {}",
                    String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
                );
            }
            if path.starts_with("/simulator/v1/faults")
                && method == Method::POST
                && status.is_success()
            {
                faults_set = true;
            }
            if faults_set {
                // A fault may answer anything, cut the body, or close the connection.
                continue;
            }
            assert!(
                !status.is_server_error(),
                "{method} {path}: answered {status} without a fault: {}",
                String::from_utf8_lossy(&bytes)
            );
            capture(&bytes, &mut captured);
            if let Some(answer) = klarna_operation(&method, &path) {
                check_answer(
                    &method,
                    &path,
                    status,
                    correlation.is_some(),
                    answer,
                    &bytes,
                );
            }
        }
    });
}

/// Keeps the fields of `CAPTURED` an answer has, for the placeholders.
fn capture(bytes: &[u8], captured: &mut Vec<(&'static str, String)>) {
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(bytes) else {
        return;
    };
    for (name, field) in CAPTURED {
        let value = match fields.get(field) {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Number(number)) => number.to_string(),
            _ => continue,
        };
        captured.retain(|(n, _)| *n != name);
        captured.push((name, value));
    }
}

fn check_answer(
    method: &Method,
    path: &str,
    status: StatusCode,
    correlated: bool,
    answer: Answer,
    bytes: &[u8],
) {
    let shown = || String::from_utf8_lossy(bytes).into_owned();
    assert!(
        correlated,
        "{method} {path}: {status} without Klarna-Correlation-Id"
    );
    if !status.is_success() {
        if let Err(error) = serde_json::from_slice::<ErrorResponse>(bytes) {
            panic!(
                "{method} {path}: the {status} body does not decode as ErrorResponse ({error}): {}",
                shown()
            );
        }
        return;
    }
    let decoded = match answer {
        Answer::MerchantSession => serde_json::from_slice::<MerchantSession>(bytes).map(drop),
        Answer::SessionRead => serde_json::from_slice::<SessionRead>(bytes).map(drop),
        Answer::Order => serde_json::from_slice::<Order>(bytes).map(drop),
        Answer::CustomerToken => serde_json::from_slice::<CustomerToken>(bytes).map(drop),
        Answer::Empty => Ok(()),
    };
    if let Err(error) = decoded {
        panic!(
            "{method} {path}: the {status} answer does not decode as {answer:?} ({error}): {}",
            shown()
        );
    }
}

//! The request log: one line per request received (the `/simulator/v1/` control
//! endpoints excepted), newest last, bounded. A line is written when the request
//! arrives and completed when its answer leaves, so that a request whose client gave up
//! (a timeout during a delay) is counted too. It holds what a test needs to count
//! attempts and see which fault fired: never a body, a query string or a header value.

use std::collections::VecDeque;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::faults::Operation;

/// How many requests are kept unless configured otherwise.
pub const DEFAULT_REQUEST_LOG: usize = 1000;
const MAX_PATH_CHARS: usize = 256;
const MAX_SESSION_ID_CHARS: usize = 128;
const MAX_METHOD_CHARS: usize = 32;

/// How a request's exchange ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The answer is not ready yet.
    InProgress,
    /// The client closed the connection before the answer was ready.
    ClientClosed,
    /// A complete answer was handed to the connection.
    Answered,
    /// A fault closed the connection before any byte of the answer.
    ClosedBeforeHeaders,
    /// A fault closed the connection after the headers, part-way through the body.
    ClosedAfterHeaders,
    /// A request the simulator sent got no answer (refused, broken off or timed out).
    NoAnswer,
}

/// One request served.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RequestRecord {
    /// Position in the log, from 1, never reused (also after clearing).
    pub seq: u64,
    /// When it arrived, on the simulator's clock.
    pub received_at: DateTime<Utc>,
    /// The Klarna operation, if the request was for one.
    pub operation: Option<Operation>,
    /// The HTTP method.
    pub method: String,
    /// The path template for Klarna operations (`/payments/v1/sessions/{session_id}`),
    /// otherwise the path itself (without the query, cut at 256 characters; anything
    /// after `/payments/v1/authorizations/` hidden).
    pub path: String,
    /// The session the request was for: the session id in the path (cut at 128
    /// characters), or for an authorization's operations the session the token was
    /// given for, if it is known (the token itself is never logged).
    pub session_id: Option<String>,
    /// The status answered; `None` while in progress, or when no answer was sent.
    pub status: Option<u16>,
    /// How the exchange ended.
    pub outcome: Outcome,
    /// The `Klarna-Correlation-Id` of the answer (also when it was never delivered).
    pub correlation_id: String,
    /// The id of the fault that fired, if one did.
    pub fault: Option<u64>,
    /// Time from arrival to the answer's head being handed to the connection (for an
    /// outbound request: from sending to the answer's head).
    pub duration_ms: u64,
    /// A request the simulator sent (Klarna's authorization callback to the merchant)
    /// rather than one it received.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub outbound: bool,
}

/// Cuts `text` to at most `max` characters.
pub(crate) fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => text[..end].to_string(),
        None => text.to_string(),
    }
}

/// A path that is no operation's, as the log shows it: cut, and with whatever follows
/// `/payments/v1/authorizations/` hidden (an authorization token is a credential).
fn redacted_path(path: &str) -> String {
    let prefix = "/payments/v1/authorizations/";
    match path.strip_prefix(prefix) {
        Some(rest) if !rest.is_empty() => format!("{prefix}<redacted>"),
        _ => cut(path, MAX_PATH_CHARS),
    }
}

/// What [`RequestLog::begin`] needs about a request as it arrives.
pub(crate) struct Arrival<'a> {
    pub(crate) received_at: DateTime<Utc>,
    pub(crate) operation: Option<Operation>,
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) session_id: Option<&'a str>,
    pub(crate) correlation_id: &'a str,
    /// Sent by the simulator (a callback), not received.
    pub(crate) outbound: bool,
}

/// How a request ended, for [`RequestLog::finish`].
pub(crate) struct Ending {
    pub(crate) status: Option<u16>,
    pub(crate) outcome: Outcome,
    pub(crate) fault: Option<u64>,
    pub(crate) duration_ms: u64,
}

/// The last `capacity` requests.
pub(crate) struct RequestLog {
    capacity: usize,
    inner: Mutex<(u64, VecDeque<RequestRecord>)>,
}

impl RequestLog {
    /// A log keeping the last `capacity` requests (0: keeps none).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new((
                0,
                VecDeque::with_capacity(capacity.min(DEFAULT_REQUEST_LOG)),
            )),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, VecDeque<RequestRecord>)> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many requests are kept.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Appends an arriving request (in progress), dropping the oldest beyond the
    /// capacity; its sequence number, for [`finish`](Self::finish).
    pub(crate) fn begin(&self, seen: Arrival<'_>) -> Option<u64> {
        if self.capacity == 0 {
            return None;
        }
        let path = match seen.operation {
            Some(operation) => operation.path_template().to_string(),
            None if seen.outbound => cut(seen.path, MAX_PATH_CHARS),
            None => redacted_path(seen.path),
        };
        let mut record = RequestRecord {
            seq: 0,
            received_at: seen.received_at,
            operation: seen.operation,
            method: cut(seen.method, MAX_METHOD_CHARS),
            path,
            session_id: seen.session_id.map(|id| cut(id, MAX_SESSION_ID_CHARS)),
            status: None,
            outcome: Outcome::InProgress,
            correlation_id: seen.correlation_id.to_string(),
            fault: None,
            duration_ms: 0,
            outbound: seen.outbound,
        };
        let mut inner = self.lock();
        inner.0 += 1;
        record.seq = inner.0;
        while inner.1.len() >= self.capacity {
            inner.1.pop_front();
        }
        inner.1.push_back(record);
        Some(inner.0)
    }

    /// Completes request `seq`, if it is still kept.
    pub(crate) fn finish(&self, seq: u64, ending: Ending) {
        let mut inner = self.lock();
        // The kept sequence numbers are consecutive: the request's place is arithmetic.
        let Some(first) = inner.1.front().map(|r| r.seq) else {
            return;
        };
        let Some(record) = seq
            .checked_sub(first)
            .and_then(|offset| usize::try_from(offset).ok())
            .and_then(|offset| inner.1.get_mut(offset))
            .filter(|r| r.seq == seq)
        else {
            return;
        };
        record.status = ending.status;
        record.outcome = ending.outcome;
        record.fault = ending.fault;
        record.duration_ms = ending.duration_ms;
    }

    /// The requests kept with `seq` greater than `since`, oldest first.
    pub(crate) fn list(&self, since: u64) -> Vec<RequestRecord> {
        self.lock()
            .1
            .iter()
            .filter(|r| r.seq > since)
            .cloned()
            .collect()
    }

    /// Forgets every request (sequence numbers continue).
    pub(crate) fn clear(&self) {
        self.lock().1.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(path: &str) -> Arrival<'_> {
        Arrival {
            received_at: Utc::now(),
            operation: None,
            method: "GET",
            path,
            session_id: None,
            correlation_id: "c",
            outbound: false,
        }
    }

    fn answered(status: u16) -> Ending {
        Ending {
            status: Some(status),
            outcome: Outcome::Answered,
            fault: Some(7),
            duration_ms: 3,
        }
    }

    #[test]
    fn keeps_the_last_n_and_numbers_them() {
        let log = RequestLog::new(3);
        for _ in 0..5 {
            log.begin(seen("/x"));
        }
        let seqs: Vec<u64> = log.list(0).iter().map(|r| r.seq).collect();
        assert_eq!(seqs, [3, 4, 5]);
        assert_eq!(log.list(4).len(), 1);
        log.clear();
        assert_eq!(log.begin(seen("/x")), Some(6));
        assert_eq!(log.list(0)[0].seq, 6);
        let none = RequestLog::new(0);
        assert_eq!(none.begin(seen("/x")), None);
        assert!(none.list(0).is_empty());
    }

    #[test]
    fn a_request_is_completed_in_place_unless_it_was_dropped_meanwhile() {
        let log = RequestLog::new(2);
        let first = log.begin(seen("/a")).unwrap();
        let second = log.begin(seen("/b")).unwrap();
        assert_eq!(log.list(0)[1].outcome, Outcome::InProgress);
        log.finish(second, answered(204));
        let kept = log.list(0);
        assert_eq!(
            (
                kept[1].status,
                kept[1].outcome,
                kept[1].fault,
                kept[1].duration_ms
            ),
            (Some(204), Outcome::Answered, Some(7), 3)
        );
        log.begin(seen("/c"));
        log.finish(first, answered(500));
        assert!(log.list(0).iter().all(|r| r.status != Some(500)));
        log.finish(99, answered(500));
        assert!(log.list(0).iter().all(|r| r.status != Some(500)));
    }

    #[test]
    fn long_paths_are_cut_on_a_character_boundary() {
        let log = RequestLog::new(1);
        log.begin(seen(&"é".repeat(1000)));
        assert_eq!(log.list(0)[0].path.chars().count(), MAX_PATH_CHARS);
    }
}

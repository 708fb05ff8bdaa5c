//! Faults on demand: make chosen requests fail the way a real Klarna, or the network in
//! front of it, sometimes does. A [`Fault`] says which requests it matches (an
//! operation, a session id, the next N) and what happens to them (an error status with
//! a Klarna error body, a delay, a `Retry-After` header, a connection closed before or
//! after the headers). The same fault can be set from Rust, from the command line
//! (`--fault 'operation=readCreditSession,status=503,count=2'`) and over HTTP
//! (`POST /simulator/v1/faults` with the JSON form).

use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::http::Method;
use serde::{Deserialize, Serialize};

/// The most faults held at once; adding one more drops the oldest spent fault, or is
/// refused when none is spent.
pub const MAX_FAULTS: usize = 256;
/// The longest delay a fault may add (2 minutes).
pub const MAX_DELAY: Duration = Duration::from_secs(120);
const MAX_ERROR_CODE_CHARS: usize = 100;
const MAX_MESSAGES: usize = 16;
const MAX_MESSAGE_CHARS: usize = 1000;
const MAX_SESSION_ID_CHARS: usize = 200;

/// A Klarna Sessions operation, named by its `operationId` in the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Operation {
    /// `POST /payments/v1/sessions`.
    #[serde(rename = "createCreditSession")]
    CreateCreditSession,
    /// `GET /payments/v1/sessions/{session_id}`.
    #[serde(rename = "readCreditSession")]
    ReadCreditSession,
    /// `POST /payments/v1/sessions/{session_id}`.
    #[serde(rename = "updateCreditSession")]
    UpdateCreditSession,
    /// `DELETE /payments/v1/sessions/{session_id}`.
    #[serde(rename = "cancelCreditSession")]
    CancelCreditSession,
    /// `POST /payments/v1/authorizations/{authorization_token}/order`.
    #[serde(rename = "createOrder")]
    CreateOrder,
    /// `DELETE /payments/v1/authorizations/{authorization_token}`.
    #[serde(rename = "cancelAuthorization")]
    CancelAuthorization,
    /// `POST /payments/v1/authorizations/{authorization_token}/customer-token`.
    #[serde(rename = "purchaseToken")]
    PurchaseToken,
}

/// The collection path of the Sessions API.
pub(crate) const SESSIONS_PATH: &str = "/payments/v1/sessions";
/// The collection path of the authorizations.
pub(crate) const AUTHORIZATIONS_PATH: &str = "/payments/v1/authorizations";

/// What names the item a request is for, in its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PathId<'a> {
    /// A session id (session operations).
    Session(&'a str),
    /// An authorization token (a credential: never logged).
    Authorization(&'a str),
}

impl Operation {
    /// Every operation.
    pub const ALL: [Operation; 7] = [
        Operation::CreateCreditSession,
        Operation::ReadCreditSession,
        Operation::UpdateCreditSession,
        Operation::CancelCreditSession,
        Operation::CreateOrder,
        Operation::CancelAuthorization,
        Operation::PurchaseToken,
    ];

    /// The `operationId`, e.g. `readCreditSession`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::CreateCreditSession => "createCreditSession",
            Operation::ReadCreditSession => "readCreditSession",
            Operation::UpdateCreditSession => "updateCreditSession",
            Operation::CancelCreditSession => "cancelCreditSession",
            Operation::CreateOrder => "createOrder",
            Operation::CancelAuthorization => "cancelAuthorization",
            Operation::PurchaseToken => "purchaseToken",
        }
    }

    /// The path template, as the spec writes it.
    pub fn path_template(self) -> &'static str {
        match self {
            Operation::CreateCreditSession => SESSIONS_PATH,
            Operation::ReadCreditSession
            | Operation::UpdateCreditSession
            | Operation::CancelCreditSession => "/payments/v1/sessions/{session_id}",
            Operation::CreateOrder => "/payments/v1/authorizations/{authorization_token}/order",
            Operation::CancelAuthorization => "/payments/v1/authorizations/{authorization_token}",
            Operation::PurchaseToken => {
                "/payments/v1/authorizations/{authorization_token}/customer-token"
            }
        }
    }

    /// Whether it creates something (a session, an order, a customer token).
    pub fn creates(self) -> bool {
        matches!(
            self,
            Operation::CreateCreditSession | Operation::CreateOrder | Operation::PurchaseToken
        )
    }

    /// The operation a request is for, and the id or token in its path, if any.
    pub(crate) fn of<'a>(
        method: &Method,
        path: &'a str,
    ) -> Option<(Operation, Option<PathId<'a>>)> {
        if path == SESSIONS_PATH {
            return (*method == Method::POST).then_some((Operation::CreateCreditSession, None));
        }
        if let Some(id) = path
            .strip_prefix(SESSIONS_PATH)
            .and_then(|p| p.strip_prefix('/'))
        {
            if id.is_empty() || id.contains('/') {
                return None;
            }
            let operation = match *method {
                Method::GET => Operation::ReadCreditSession,
                Method::POST => Operation::UpdateCreditSession,
                Method::DELETE => Operation::CancelCreditSession,
                _ => return None,
            };
            return Some((operation, Some(PathId::Session(id))));
        }
        let rest = path.strip_prefix(AUTHORIZATIONS_PATH)?.strip_prefix('/')?;
        let (token, suffix) = match rest.split_once('/') {
            Some((token, suffix)) => (token, Some(suffix)),
            None => (rest, None),
        };
        if token.is_empty() {
            return None;
        }
        let operation = match (method.clone(), suffix) {
            (Method::DELETE, None) => Operation::CancelAuthorization,
            (Method::POST, Some("order")) => Operation::CreateOrder,
            (Method::POST, Some("customer-token")) => Operation::PurchaseToken,
            _ => return None,
        };
        Some((operation, Some(PathId::Authorization(token))))
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Operation {
    type Err = InvalidFault;

    /// Parses an `operationId` (letter case ignored).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Operation::ALL
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| {
                InvalidFault::new(
                    "operation",
                    "must be an operationId of the spec: createCreditSession, readCreditSession, updateCreditSession, cancelCreditSession, createOrder, cancelAuthorization or purchaseToken",
                )
            })
    }
}

/// How a faulted answer's connection ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Close {
    /// The connection is closed without a byte of the answer: no status, no headers.
    BeforeHeaders,
    /// The status line and headers (announcing the body's full `Content-Length`) and the
    /// first half of the body are sent, then the connection is closed.
    AfterHeaders,
}

impl FromStr for Close {
    type Err = InvalidFault;

    /// `before_headers` or `after_headers` (`-` for `_` accepted).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().replace('-', "_").as_str() {
            "before_headers" => Ok(Close::BeforeHeaders),
            "after_headers" => Ok(Close::AfterHeaders),
            _ => Err(InvalidFault::new(
                "close",
                "must be before_headers or after_headers",
            )),
        }
    }
}

impl fmt::Display for Close {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Close::BeforeHeaders => "before_headers",
            Close::AfterHeaders => "after_headers",
        })
    }
}

/// Which requests a fault matches and what it does to them.
///
/// A fault matches authenticated requests to the four Klarna operations (never the
/// `/simulator/v1/` control endpoints), optionally only one operation and/or one
/// session id, either every time or for the next `count` matches. When several faults
/// match a request, the oldest one with matches left fires; at most one fires per
/// request.
///
/// Effects, in order:
/// 1. With a `status`, the operation is **not** carried out: the answer is that status
///    with a Klarna error body (`error_code`, `error_messages`, `correlation_id`).
///    Without one, the operation is carried out as usual (a create stores its session)
///    and its own answer is used.
/// 2. `delay`: the answer is held back this long.
/// 3. `retry_after`: a `Retry-After: <seconds>` header is added.
/// 4. `close`: the connection is cut before or after the headers.
///
/// ```
/// use std::time::Duration;
/// use klarna_simulator::{Close, Fault, Operation};
///
/// // Reads answer 503 with `Retry-After: 1` twice, then normally again.
/// let outage = Fault::new()
///     .operation(Operation::ReadCreditSession)
///     .status(503)
///     .retry_after(Duration::from_secs(1))
///     .count(2);
/// // The same, as the command line and `Display` write it.
/// let parsed: Fault = "operation=readCreditSession,status=503,retry-after=1,count=2"
///     .parse()
///     .unwrap();
/// assert_eq!(outage, parsed);
/// // The next create is carried out, but its answer is lost on the way back.
/// let lost = Fault::new()
///     .operation(Operation::CreateCreditSession)
///     .close(Close::BeforeHeaders)
///     .count(1);
/// let slow = Fault::new().delay(Duration::from_millis(500));
/// # let _ = (lost, slow);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    operation: Option<Operation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error_messages: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_after: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    delay_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    close: Option<Close>,
}

impl Fault {
    /// A fault matching every Klarna request, with no effect yet: add at least one of
    /// [`status`](Self::status), [`delay`](Self::delay), [`retry_after`](Self::retry_after)
    /// or [`close`](Self::close).
    pub fn new() -> Self {
        Self::default()
    }

    /// Matches only this operation.
    pub fn operation(mut self, operation: Operation) -> Self {
        self.operation = Some(operation);
        self
    }

    /// Matches only requests for this session id (reads, updates and cancels).
    pub fn session_id(mut self, session_id: impl Into<String>) -> Self {
        self.session_id = Some(session_id.into());
        self
    }

    /// Fires for the next `count` matching requests only (default: every one, until
    /// removed).
    pub fn count(mut self, count: u64) -> Self {
        self.count = Some(count);
        self
    }

    /// Answers with this status (400 to 599) and a Klarna error body, without carrying
    /// out the operation.
    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// The `error_code` of the error body (default: derived from the status, e.g.
    /// `SERVICE_UNAVAILABLE`). Needs a [`status`](Self::status).
    pub fn error_code(mut self, code: impl Into<String>) -> Self {
        self.error_code = Some(code.into());
        self
    }

    /// Adds a message to the error body's `error_messages` (default: one message naming
    /// the status). Needs a [`status`](Self::status).
    pub fn error_message(mut self, message: impl Into<String>) -> Self {
        self.error_messages
            .get_or_insert_with(Vec::new)
            .push(message.into());
        self
    }

    /// Adds `Retry-After` to the answer: `wait` in whole seconds (a part of a second
    /// counts as one more), as the header carries it.
    pub fn retry_after(mut self, wait: Duration) -> Self {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        self.retry_after = Some(u32::try_from(seconds).unwrap_or(u32::MAX));
        self
    }

    /// Holds the answer back this long (at most [`MAX_DELAY`]; millisecond precision).
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay_ms = Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// Cuts the connection before or after the answer's headers.
    pub fn close(mut self, close: Close) -> Self {
        self.close = Some(close);
        self
    }

    /// Checks the fault can be used: every value in range and at least one effect.
    pub fn validate(&self) -> Result<(), InvalidFault> {
        if self.status.is_none() && (self.error_code.is_some() || self.error_messages.is_some()) {
            let field = if self.error_code.is_some() {
                "error_code"
            } else {
                "error_messages"
            };
            return Err(InvalidFault::new(field, "needs a status"));
        }
        if self.status.is_none()
            && self.delay_ms.is_none()
            && self.close.is_none()
            && self.retry_after.is_none()
        {
            return Err(InvalidFault::new(
                "status",
                "a fault needs at least one of status, delay_ms, close, retry_after",
            ));
        }
        if self.count == Some(0) {
            return Err(InvalidFault::new("count", "must be at least 1"));
        }
        if let Some(status) = self.status
            && !(400..=599).contains(&status)
        {
            return Err(InvalidFault::new("status", "must be from 400 to 599"));
        }
        if let Some(code) = &self.error_code
            && (code.is_empty()
                || code.chars().count() > MAX_ERROR_CODE_CHARS
                || code.chars().any(char::is_control))
        {
            return Err(InvalidFault::new(
                "error_code",
                "must be 1 to 100 characters, without control characters",
            ));
        }
        if let Some(messages) = &self.error_messages
            && (messages.len() > MAX_MESSAGES
                || messages
                    .iter()
                    .any(|m| m.chars().count() > MAX_MESSAGE_CHARS))
        {
            return Err(InvalidFault::new(
                "error_messages",
                "at most 16 messages of at most 1000 characters each",
            ));
        }
        if let Some(delay) = self.delay_ms
            && u128::from(delay) > MAX_DELAY.as_millis()
        {
            return Err(InvalidFault::new("delay_ms", "must be at most 120000"));
        }
        if let Some(id) = &self.session_id {
            if id.is_empty() || id.chars().count() > MAX_SESSION_ID_CHARS {
                return Err(InvalidFault::new(
                    "session_id",
                    "must be 1 to 200 characters",
                ));
            }
            if self.operation == Some(Operation::CreateCreditSession) {
                return Err(InvalidFault::new(
                    "session_id",
                    "a create has no session id yet, so this fault could never fire",
                ));
            }
        }
        Ok(())
    }

    fn matches(&self, operation: Operation, session_id: Option<&str>) -> bool {
        self.operation.is_none_or(|wanted| wanted == operation)
            && self
                .session_id
                .as_deref()
                .is_none_or(|wanted| session_id == Some(wanted))
    }

    pub(crate) fn answer_status(&self) -> Option<u16> {
        self.status
    }

    pub(crate) fn delay_duration(&self) -> Option<Duration> {
        self.delay_ms.map(Duration::from_millis)
    }

    pub(crate) fn retry_after_seconds(&self) -> Option<u32> {
        self.retry_after
    }

    pub(crate) fn close_mode(&self) -> Option<Close> {
        self.close
    }

    /// The error body's `error_code` and `error_messages` for status `status`.
    pub(crate) fn error_parts(&self, status: u16) -> (String, Vec<String>) {
        let reason = axum::http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error");
        let code = self.error_code.clone().unwrap_or_else(|| {
            reason
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_uppercase()
                    } else {
                        '_'
                    }
                })
                .collect()
        });
        let messages = self
            .error_messages
            .clone()
            .unwrap_or_else(|| vec![format!("{reason} (simulated fault)")]);
        (code, messages)
    }
}

impl FromStr for Fault {
    type Err = InvalidFault;

    /// Parses the command-line form: comma-separated `key=value` pairs, keys as in the
    /// JSON form with `-` or `_` (`operation`, `session_id`, `count`, `status`,
    /// `error_code`, `error_message` (repeatable), `retry_after`, `delay_ms`, `close`).
    /// Values cannot contain commas; use the HTTP endpoint for such messages.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut fault = Fault::new();
        for item in text.split(',') {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            let Some((key, value)) = item.split_once('=') else {
                return Err(InvalidFault::new(
                    "fault",
                    format!("expected key=value, got {item:?}"),
                ));
            };
            let value = value.trim();
            let number = |field: &'static str| {
                value
                    .parse::<u64>()
                    .map_err(|_| InvalidFault::new(field, "must be a whole number"))
            };
            match key.trim().replace('-', "_").as_str() {
                "operation" => fault.operation = Some(value.parse()?),
                "session_id" => fault.session_id = Some(value.to_string()),
                "count" => fault.count = Some(number("count")?),
                "status" => {
                    fault.status = Some(
                        u16::try_from(number("status")?)
                            .map_err(|_| InvalidFault::new("status", "must be from 400 to 599"))?,
                    )
                }
                "error_code" => fault.error_code = Some(value.to_string()),
                "error_message" | "error_messages" => {
                    fault = fault.error_message(value);
                }
                "retry_after" => {
                    fault.retry_after =
                        Some(u32::try_from(number("retry_after")?).map_err(|_| {
                            InvalidFault::new("retry_after", "must be at most 4294967295")
                        })?)
                }
                "delay_ms" => fault.delay_ms = Some(number("delay_ms")?),
                "close" => fault.close = Some(value.parse()?),
                other => {
                    return Err(InvalidFault::new(
                        "fault",
                        format!(
                            "unknown key {other:?}; known: operation, session_id, count, status, \
                             error_code, error_message, retry_after, delay_ms, close"
                        ),
                    ));
                }
            }
        }
        fault.validate()?;
        Ok(fault)
    }
}

impl fmt::Display for Fault {
    /// The command-line form (messages containing commas do not parse back).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if let Some(operation) = self.operation {
            parts.push(format!("operation={operation}"));
        }
        if let Some(id) = &self.session_id {
            parts.push(format!("session-id={id}"));
        }
        if let Some(status) = self.status {
            parts.push(format!("status={status}"));
        }
        if let Some(code) = &self.error_code {
            parts.push(format!("error-code={code}"));
        }
        for message in self.error_messages.iter().flatten() {
            parts.push(format!("error-message={message}"));
        }
        if let Some(seconds) = self.retry_after {
            parts.push(format!("retry-after={seconds}"));
        }
        if let Some(delay) = self.delay_ms {
            parts.push(format!("delay-ms={delay}"));
        }
        if let Some(close) = self.close {
            parts.push(format!("close={close}"));
        }
        if let Some(count) = self.count {
            parts.push(format!("count={count}"));
        }
        f.write_str(&parts.join(","))
    }
}

/// Why a fault was refused: the field and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidFault {
    field: &'static str,
    reason: String,
}

impl InvalidFault {
    fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }

    /// The field at fault, e.g. `status`.
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// What is wrong with it.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for InvalidFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl std::error::Error for InvalidFault {}

/// A fault held by a running simulator, with how often it fired.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FaultRecord {
    /// Its id, for `DELETE /simulator/v1/faults/{id}` and
    /// [`SimulatorHandle::remove_fault`](crate::SimulatorHandle::remove_fault).
    pub id: u64,
    /// The fault as set.
    #[serde(flatten)]
    pub fault: Fault,
    /// How many requests it fired on.
    pub fired: u64,
    /// How many more times it will fire (`None`: until removed).
    pub remaining: Option<u64>,
}

/// What fired on one request.
#[derive(Clone, Debug)]
pub(crate) struct Fired {
    pub(crate) id: u64,
    pub(crate) fault: Fault,
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    entries: Vec<(u64, Fault, u64)>,
}

/// The faults of one simulator.
#[derive(Default)]
pub(crate) struct FaultSet {
    inner: Mutex<Inner>,
    /// Whether any fault has matches left: requests skip the lock when not.
    armed: AtomicBool,
}

fn spent(fault: &Fault, fired: u64) -> bool {
    fault.count.is_some_and(|count| fired >= count)
}

fn record(id: u64, fault: &Fault, fired: u64) -> FaultRecord {
    FaultRecord {
        id,
        fault: fault.clone(),
        fired,
        remaining: fault.count.map(|count| count.saturating_sub(fired)),
    }
}

impl FaultSet {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn rearm(&self, inner: &Inner) {
        let armed = inner
            .entries
            .iter()
            .any(|(_, fault, fired)| !spent(fault, *fired));
        self.armed.store(armed, Ordering::Release);
    }

    /// Adds a checked fault.
    pub(crate) fn add(&self, fault: Fault) -> Result<FaultRecord, InvalidFault> {
        fault.validate()?;
        let mut inner = self.lock();
        if inner.entries.len() >= MAX_FAULTS {
            match inner
                .entries
                .iter()
                .position(|(_, fault, fired)| spent(fault, *fired))
            {
                Some(oldest_spent) => {
                    inner.entries.remove(oldest_spent);
                }
                None => {
                    return Err(InvalidFault::new(
                        "fault",
                        format!("{MAX_FAULTS} faults are active already; delete some first"),
                    ));
                }
            }
        }
        inner.next_id += 1;
        let id = inner.next_id;
        let added = record(id, &fault, 0);
        inner.entries.push((id, fault, 0));
        self.rearm(&inner);
        Ok(added)
    }

    /// Every fault held, oldest first.
    pub(crate) fn list(&self) -> Vec<FaultRecord> {
        self.lock()
            .entries
            .iter()
            .map(|(id, fault, fired)| record(*id, fault, *fired))
            .collect()
    }

    /// Removes fault `id`; `false` if there is none.
    pub(crate) fn remove(&self, id: u64) -> bool {
        let mut inner = self.lock();
        let before = inner.entries.len();
        inner.entries.retain(|(held, _, _)| *held != id);
        let removed = inner.entries.len() != before;
        self.rearm(&inner);
        removed
    }

    /// Removes every fault.
    pub(crate) fn clear(&self) {
        let mut inner = self.lock();
        inner.entries.clear();
        self.rearm(&inner);
    }

    /// The fault that fires on a request for `operation` (and `session_id`), counted.
    pub(crate) fn take(&self, operation: Operation, session_id: Option<&str>) -> Option<Fired> {
        if !self.armed.load(Ordering::Acquire) {
            return None;
        }
        let mut inner = self.lock();
        let (id, fault, fired) = inner.entries.iter_mut().find(|(_, fault, fired)| {
            !spent(fault, *fired) && fault.matches(operation, session_id)
        })?;
        *fired += 1;
        let now_spent = spent(fault, *fired);
        let fired_now = Fired {
            id: *id,
            fault: fault.clone(),
        };
        if now_spent {
            self.rearm(&inner);
        }
        Some(fired_now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_form_parses_and_prints_back() {
        let fault: Fault =
            "operation=createCreditSession, status=503, count=2, retry-after=1, delay_ms=250"
                .parse()
                .unwrap();
        assert_eq!(
            fault,
            Fault::new()
                .operation(Operation::CreateCreditSession)
                .status(503)
                .count(2)
                .retry_after(Duration::from_secs(1))
                .delay(Duration::from_millis(250))
        );
        assert_eq!(fault.to_string().parse::<Fault>().unwrap(), fault);
        let closing: Fault = "close=before-headers,session-id=abc".parse().unwrap();
        assert_eq!(
            closing,
            Fault::new().close(Close::BeforeHeaders).session_id("abc")
        );
        let custom: Fault =
            "status=403,error-code=MERCHANT_INACTIVE,error-message=Inactive,error-message=Really"
                .parse()
                .unwrap();
        assert_eq!(custom.error_parts(403).0, "MERCHANT_INACTIVE");
        assert_eq!(custom.error_parts(403).1, ["Inactive", "Really"]);
    }

    #[test]
    fn mistakes_name_the_field() {
        for (text, field) in [
            ("", "status"),
            ("operation=createCreditSession", "status"),
            ("status=200", "status"),
            ("status=70000", "status"),
            ("status=503,count=0", "count"),
            ("operation=listSessions,status=500", "operation"),
            ("close=sideways", "close"),
            ("delay-ms=999999999", "delay_ms"),
            ("error-code=X", "error_code"),
            ("stauts=503", "fault"),
            ("status", "fault"),
            (
                "operation=createCreditSession,session-id=x,status=500",
                "session_id",
            ),
            ("retry-after=-1", "retry_after"),
        ] {
            let error = text.parse::<Fault>().unwrap_err();
            assert_eq!(error.field(), field, "{text:?}: {error}");
        }
    }

    #[test]
    fn the_json_form_refuses_unknown_keys_and_prints_only_what_is_set() {
        let fault: Fault =
            serde_json::from_str(r#"{"operation":"readCreditSession","status":503,"count":2}"#)
                .unwrap();
        assert_eq!(
            serde_json::to_value(&fault).unwrap(),
            serde_json::json!({"operation":"readCreditSession","status":503,"count":2})
        );
        assert!(serde_json::from_str::<Fault>(r#"{"stauts":503}"#).is_err());
    }

    #[test]
    fn default_error_codes_follow_the_status() {
        let fault = Fault::new().status(503);
        assert_eq!(
            fault.error_parts(503),
            (
                "SERVICE_UNAVAILABLE".to_string(),
                vec!["Service Unavailable (simulated fault)".to_string()]
            )
        );
        assert_eq!(fault.error_parts(599).0, "ERROR");
    }

    #[test]
    fn counted_faults_fire_in_order_and_are_then_spent() {
        let set = FaultSet::default();
        let reads = set
            .add(
                Fault::new()
                    .operation(Operation::ReadCreditSession)
                    .status(503)
                    .count(2),
            )
            .unwrap();
        let one_session = set.add(Fault::new().session_id("s-1").status(500)).unwrap();
        assert!(set.take(Operation::CreateCreditSession, None).is_none());
        assert_eq!(
            set.take(Operation::ReadCreditSession, Some("s-1"))
                .unwrap()
                .id,
            reads.id
        );
        assert_eq!(
            set.take(Operation::ReadCreditSession, Some("s-2"))
                .unwrap()
                .id,
            reads.id
        );
        assert_eq!(
            set.take(Operation::ReadCreditSession, Some("s-1"))
                .unwrap()
                .id,
            one_session.id
        );
        assert!(
            set.take(Operation::ReadCreditSession, Some("s-2"))
                .is_none()
        );
        let listed = set.list();
        assert_eq!((listed[0].fired, listed[0].remaining), (2, Some(0)));
        assert_eq!((listed[1].fired, listed[1].remaining), (1, None));
        assert!(set.remove(one_session.id));
        assert!(!set.remove(one_session.id));
        assert!(
            set.take(Operation::UpdateCreditSession, Some("s-1"))
                .is_none()
        );
        set.clear();
        assert!(set.list().is_empty());
    }

    #[test]
    fn the_set_is_bounded_and_makes_room_from_spent_faults() {
        let set = FaultSet::default();
        for _ in 0..MAX_FAULTS {
            set.add(Fault::new().status(500).count(1)).unwrap();
        }
        assert!(set.take(Operation::CreateCreditSession, None).is_some());
        set.add(Fault::new().status(502)).unwrap();
        assert_eq!(set.list().len(), MAX_FAULTS);
        assert_eq!(
            set.add(Fault::new().status(502)).unwrap_err().field(),
            "fault"
        );
    }

    #[test]
    fn operations_are_recognised_from_method_and_path() {
        fn of(method: Method, path: &str) -> Option<(Operation, Option<PathId<'_>>)> {
            Operation::of(&method, path)
        }
        assert_eq!(
            of(Method::POST, "/payments/v1/sessions"),
            Some((Operation::CreateCreditSession, None))
        );
        assert_eq!(
            of(Method::GET, "/payments/v1/sessions/abc"),
            Some((Operation::ReadCreditSession, Some(PathId::Session("abc"))))
        );
        assert_eq!(
            of(Method::POST, "/payments/v1/sessions/abc"),
            Some((Operation::UpdateCreditSession, Some(PathId::Session("abc"))))
        );
        assert_eq!(
            of(Method::DELETE, "/payments/v1/sessions/abc"),
            Some((Operation::CancelCreditSession, Some(PathId::Session("abc"))))
        );
        assert_eq!(of(Method::GET, "/payments/v1/sessions"), None);
        assert_eq!(of(Method::GET, "/payments/v1/sessions/"), None);
        assert_eq!(of(Method::GET, "/payments/v1/sessions/a/b"), None);
        assert_eq!(of(Method::PUT, "/payments/v1/sessions/abc"), None);
        assert_eq!(of(Method::GET, "/payments/v1/sessionsabc"), None);
        let token = Some(PathId::Authorization("t-1"));
        assert_eq!(
            of(Method::POST, "/payments/v1/authorizations/t-1/order"),
            Some((Operation::CreateOrder, token))
        );
        assert_eq!(
            of(
                Method::POST,
                "/payments/v1/authorizations/t-1/customer-token"
            ),
            Some((Operation::PurchaseToken, token))
        );
        assert_eq!(
            of(Method::DELETE, "/payments/v1/authorizations/t-1"),
            Some((Operation::CancelAuthorization, token))
        );
        assert_eq!(of(Method::GET, "/payments/v1/authorizations/t-1"), None);
        assert_eq!(of(Method::POST, "/payments/v1/authorizations//order"), None);
        assert_eq!(
            of(Method::POST, "/payments/v1/authorizations/t-1/orders"),
            None
        );
    }

    /// Every operation of the spec is one the simulator knows, with the same path.
    #[test]
    fn the_operations_are_the_specs() {
        let spec = klarna_payments::spec::document().document();
        let mut seen = Vec::new();
        for (path, item) in spec["paths"].as_object().unwrap() {
            for operation in item.as_object().unwrap().values() {
                let Some(id) = operation.get("operationId").and_then(|v| v.as_str()) else {
                    continue;
                };
                let known: Operation = id.parse().unwrap();
                assert_eq!(known.as_str(), id);
                assert_eq!(known.path_template(), path, "{id}");
                seen.push(known);
            }
        }
        assert_eq!(seen.len(), Operation::ALL.len());
    }
}

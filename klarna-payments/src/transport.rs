//! What happens to every request: headers, timeouts, retries, a bound on the answer's
//! size, and a `tracing` span. [`Client`](crate::Client)'s calls use this module's `send`;
//! requests made through [`generated::Client`](crate::generated::Client) get the same
//! through its progenitor `ClientHooks`.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, USER_AGENT};
use tracing::{Instrument, field};

use crate::retry::{Replay, RetryPolicy, parse_retry_after};

/// The response header carrying Klarna's correlation id.
pub const CORRELATION_HEADER: &str = "klarna-correlation-id";

/// [`CORRELATION_HEADER`] as a header name, so that looking it up parses nothing.
const CORRELATION: reqwest::header::HeaderName =
    reqwest::header::HeaderName::from_static(CORRELATION_HEADER);

/// The per-client settings the hooks apply. Built by
/// [`ClientBuilder`](crate::ClientBuilder); its `Debug` never shows the credentials.
#[derive(Clone)]
pub struct Transport(Arc<Settings>);

pub(crate) struct Settings {
    pub(crate) authorization: HeaderValue,
    pub(crate) user_agent: HeaderValue,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeout: Duration,
    pub(crate) max_response_bytes: usize,
}

impl Transport {
    pub(crate) fn new(settings: Settings) -> Self {
        Self(Arc::new(settings))
    }

    /// The largest answer body read, in bytes.
    pub fn max_response_bytes(&self) -> usize {
        self.0.max_response_bytes
    }
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("authorization", &"<redacted>")
            .field("user_agent", &self.0.user_agent)
            .field("retry", &self.0.retry)
            .field("timeout", &self.0.timeout)
            .field("max_response_bytes", &self.0.max_response_bytes)
            .finish()
    }
}

/// What one call saw, for the errors and the answer built from it. Everything but
/// `attempts` and `replay_safe` is the last attempt's own: each attempt starts afresh.
#[derive(Clone, Debug, Default)]
pub(crate) struct CallRecord {
    pub(crate) attempts: u32,
    pub(crate) status: Option<StatusCode>,
    /// The correlation id header of the last answer, as sent (a cheap reference to the
    /// bytes read, turned into text only when an error or the answer needs it).
    pub(crate) correlation_id: Option<HeaderValue>,
    pub(crate) retry_after: Option<Duration>,
    /// The last answer's body was past the size limit and its status is not one that
    /// is retried (408, 429, 5xx): it is [`Error::ResponseTooLarge`](crate::Error). An
    /// oversized answer with such a status is that status, with what was read of its body
    /// (at most the limit).
    pub(crate) too_large: bool,
    /// Whether the operation may be sent twice (false for a create).
    pub(crate) replay_safe: bool,
}

impl CallRecord {
    /// The last answer's correlation id, if readable.
    pub(crate) fn correlation_id(&self) -> Option<String> {
        readable(self.correlation_id.as_ref()?)
    }
}

/// The correlation id header of an answer, if present and readable.
pub(crate) fn correlation_id(headers: &HeaderMap) -> Option<String> {
    readable(headers.get(CORRELATION)?)
}

fn readable(value: &HeaderValue) -> Option<String> {
    value.to_str().ok().map(str::to_owned)
}

/// The bytes of an answer body: `bytes::Bytes`, named through reqwest's body type
/// (this crate does not depend on `bytes` itself).
pub(crate) type Bytes = <reqwest::Body as BodyData>::Data;

/// Names the data type of an HTTP body (see [`Bytes`]).
pub(crate) trait BodyData {
    type Data;
}

impl<B: http_body_util::BodyExt> BodyData for B {
    type Data = B::Data;
}

/// An answer as the transport read it: status and headers, and the body (at most the
/// size limit of it).
pub(crate) struct Answer {
    pub(crate) parts: http::response::Parts,
    pub(crate) body: Bytes,
}

impl Answer {
    /// The answer as a `reqwest::Response` again (its body already read), from `url`.
    pub(crate) fn into_response(self, url: url::Url) -> reqwest::Response {
        use reqwest::ResponseBuilderExt;
        let Answer { mut parts, body } = self;
        // reqwest keeps a response's URL in an extension only its own builder sets;
        // without one it would parse a placeholder URL for every answer.
        if let Ok((with_url, ())) = http::Response::builder()
            .url(url)
            .body(())
            .map(http::Response::into_parts)
        {
            parts.extensions.extend(with_url.extensions);
        }
        reqwest::Response::from(http::Response::from_parts(parts, body))
    }
}

/// Where each attempt's request comes from.
pub(crate) trait Attempts {
    /// The next attempt's request, and whether a retry may follow it (`more`: whether
    /// the policy allows another attempt at all).
    fn next(&mut self, more: bool) -> (reqwest::Request, bool);
}

/// A request built elsewhere (the generated client's), cloned for each attempt that
/// may be followed by another. Bodies here are buffered JSON, so cloning succeeds; were
/// it ever a stream, the request would be sent once, without retries.
struct Cloned(Option<reqwest::Request>);

impl Attempts for Cloned {
    fn next(&mut self, more: bool) -> (reqwest::Request, bool) {
        let copy = if more {
            self.0.as_ref().and_then(reqwest::Request::try_clone)
        } else {
            None
        };
        match copy {
            Some(copy) => (copy, true),
            None => (self.0.take().expect("no attempt after the last"), false),
        }
    }
}

/// Requests built afresh for each attempt (the [`Client`](crate::Client)'s own calls):
/// nothing is copied for a retry that never happens.
pub(crate) struct Built<F>(pub(crate) F);

impl<F: FnMut() -> reqwest::Request> Attempts for Built<F> {
    fn next(&mut self, more: bool) -> (reqwest::Request, bool) {
        ((self.0)(), more)
    }
}

impl ClientHooks<Transport> for crate::generated::Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let settings = &self.inner().0;
        let headers = request.headers_mut();
        // progenitor adds `api-version: <spec version>`; Klarna does not use it.
        headers.remove("api-version");
        headers.insert(AUTHORIZATION, settings.authorization.clone());
        headers.insert(USER_AGENT, settings.user_agent.clone());
        // Applies even to a caller-supplied reqwest::Client: no attempt waits forever.
        *request.timeout_mut() = Some(settings.timeout);
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let url = request.url().clone();
        let attempts = Cloned(Some(request));
        let mut record = CallRecord::default();
        let span = call_span(info.operation_id);
        let answer = send(
            &self.inner().0,
            self.client(),
            attempts,
            info.operation_id,
            &mut record,
            span.clone(),
        )
        .instrument(span)
        .await
        // The URL holds the session id or the authorization token: not in the error.
        .map_err(reqwest::Error::without_url)?;
        Ok(answer.into_response(url))
    }
}

impl Transport {
    pub(crate) fn settings(&self) -> &Settings {
        &self.0
    }
}

/// The span every call runs in: operation, attempt, status, correlation id and
/// duration; never headers or bodies.
pub(crate) fn call_span(operation: &'static str) -> tracing::Span {
    tracing::info_span!(
        "klarna_payments.call",
        operation,
        attempt = field::Empty,
        status = field::Empty,
        correlation_id = field::Empty,
        duration_ms = field::Empty,
    )
}

/// Sends one operation: attempts under the retry policy, each bounded by the attempt
/// timeout and the size limit, recording what it saw in `record` and in `span` (the
/// [`call_span`] it runs in).
pub(crate) async fn send(
    settings: &Settings,
    client: &reqwest::Client,
    mut attempts: impl Attempts,
    operation: &str,
    record: &mut CallRecord,
    span: tracing::Span,
) -> reqwest::Result<Answer> {
    // Nothing to record into a span that is none (no subscriber wants it, and no `log`
    // forwarding): skip building the values. A disabled span that still has its
    // metadata forwards them to `log` when tracing's `log` feature is on, so it records.
    let traced = !span.is_none();
    let replay = Replay::for_operation(operation);
    record.replay_safe = replay == Replay::Safe;
    let policy = &settings.retry;
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        record.attempts = attempt;
        if traced {
            span.record("attempt", attempt);
        }
        // Nothing an earlier attempt saw may describe this one.
        record.status = None;
        record.correlation_id = None;
        record.retry_after = None;
        record.too_large = false;
        let (request, may_retry) = attempts.next(attempt < policy.attempts());
        let answer = client.execute(request);
        let outcome = exchange(answer, settings.max_response_bytes).await;
        let (retryable, retry_after) = match &outcome {
            Ok((answer, oversized)) => {
                let status = answer.parts.status;
                let headers = &answer.parts.headers;
                let id = headers.get(CORRELATION);
                // Only a failure's `Retry-After` is used (for the retry's delay and the
                // error): a success's is not looked up.
                let retry_after = if status.is_success() {
                    None
                } else {
                    headers
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(parse_retry_after)
                };
                if traced {
                    span.record("status", status.as_u16());
                    if let Some(id) = id.and_then(|id| id.to_str().ok()) {
                        span.record("correlation_id", id);
                    }
                }
                record.status = Some(status);
                record.correlation_id = id.cloned();
                record.retry_after = retry_after;
                record.too_large = *oversized && !transient(status);
                (replay.retries_status(status), retry_after)
            }
            Err(error) => (replay.retries_error(error), None),
        };
        let elapsed = started.elapsed();
        if retryable && may_retry {
            let delay = policy.delay(attempt, retry_after);
            if policy.allows(attempt, elapsed, delay) {
                tracing::debug!(attempt, delay_ms = delay.as_millis() as u64, "retrying");
                // Boxed: a timer entry is large, and only a retry needs one.
                Box::pin(tokio::time::sleep(delay)).await;
                continue;
            }
        }
        if traced {
            span.record("duration_ms", elapsed.as_millis() as u64);
        }
        return outcome.map(|(answer, _)| answer);
    }
}

/// A status whose answer says what happened whatever its body: a failure that may pass
/// (408, 429, 5xx). An oversized body does not hide it.
fn transient(status: StatusCode) -> bool {
    status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
}

/// One attempt: awaits the answer to the request sent and reads its body, at most `limit` bytes
/// of it, so that no answer can make the client buffer without bound. Also says whether
/// the body went past the limit (and was cut there).
async fn exchange(
    answer: impl Future<Output = reqwest::Result<reqwest::Response>>,
    limit: usize,
) -> reqwest::Result<(Answer, bool)> {
    use http_body_util::BodyExt;
    let response: http::Response<reqwest::Body> = answer.await?.into();
    // The parts keep reqwest's own extensions.
    let (parts, mut stream) = response.into_parts();
    // An answer usually arrives in one frame: it is kept as it is, not copied.
    let mut first: Option<Bytes> = None;
    let mut joined: Vec<u8> = Vec::new();
    let mut length = 0usize;
    let mut oversized = false;
    while let Some(frame) = stream.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        }; // trailers carry no body
        if length.saturating_add(data.len()) > limit {
            oversized = true;
            break;
        }
        length += data.len();
        if first.is_none() && joined.is_empty() {
            first = Some(data);
            continue;
        }
        if let Some(head) = first.take() {
            joined.reserve(head.len() + data.len());
            joined.extend_from_slice(&head);
        }
        joined.extend_from_slice(&data);
    }
    let body = first.unwrap_or_else(|| Bytes::from(joined));
    Ok((Answer { parts, body }, oversized))
}

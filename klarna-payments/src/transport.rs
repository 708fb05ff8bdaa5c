//! What happens to every request the generated client sends: headers, timeouts,
//! retries, a bound on the answer's size, and a `tracing` span. Implemented as the
//! progenitor `ClientHooks` of [`generated::Client`](crate::generated::Client).

use std::cell::RefCell;
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

/// What one call saw, for errors the generated code reports without it.
#[derive(Clone, Debug, Default)]
pub(crate) struct CallRecord {
    pub(crate) attempts: u32,
    pub(crate) status: Option<StatusCode>,
    pub(crate) correlation_id: Option<String>,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) too_large: bool,
    /// Whether the operation may be sent twice (false for a create).
    pub(crate) replay_safe: bool,
}

tokio::task_local! {
    static CALL: RefCell<CallRecord>;
}

/// Runs `call`, returning its output and what the transport recorded about it.
pub(crate) async fn recorded<F: Future>(call: F) -> (F::Output, CallRecord) {
    CALL.scope(RefCell::new(CallRecord::default()), async move {
        let output = call.await;
        let record = CALL.with(|record| record.take());
        (output, record)
    })
    .await
}

fn record(update: impl FnOnce(&mut CallRecord)) {
    // Outside `recorded` (the generated client used directly) there is nothing to record.
    let _ = CALL.try_with(|record| update(&mut record.borrow_mut()));
}

/// The correlation id header of an answer, if present and readable.
pub(crate) fn correlation_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(CORRELATION_HEADER)?
        .to_str()
        .ok()
        .map(str::to_owned)
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
        let span = tracing::info_span!(
            "klarna_payments.call",
            operation = info.operation_id,
            attempt = field::Empty,
            status = field::Empty,
            correlation_id = field::Empty,
            duration_ms = field::Empty,
        );
        send(&self.inner().0, self.client(), request, info.operation_id)
            .instrument(span)
            .await
    }
}

async fn send(
    settings: &Settings,
    client: &reqwest::Client,
    request: reqwest::Request,
    operation: &str,
) -> reqwest::Result<reqwest::Response> {
    let span = tracing::Span::current();
    let replay = Replay::for_operation(operation);
    record(|r| r.replay_safe = replay == Replay::Safe);
    let policy = &settings.retry;
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        record(|r| r.attempts = attempt);
        span.record("attempt", attempt);
        // Bodies here are buffered JSON, so cloning succeeds; were it ever a stream,
        // the request would be sent once, without retries.
        let Some(this_try) = request.try_clone() else {
            return exchange(client, request, settings.max_response_bytes).await;
        };
        let outcome = exchange(client, this_try, settings.max_response_bytes).await;
        let (retryable, retry_after) = match &outcome {
            Ok(response) => {
                let status = response.status();
                let id = correlation_id(response.headers());
                let retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_retry_after);
                span.record("status", status.as_u16());
                if let Some(id) = &id {
                    span.record("correlation_id", id.as_str());
                }
                record(|r| {
                    r.status = Some(status);
                    r.correlation_id = id;
                    r.retry_after = retry_after;
                });
                (replay.retries_status(status), retry_after)
            }
            Err(error) => (replay.retries_error(error), None),
        };
        let delay = policy.delay(attempt, retry_after);
        if !(retryable && policy.allows(attempt, started.elapsed(), delay)) {
            span.record("duration_ms", started.elapsed().as_millis() as u64);
            return outcome;
        }
        tracing::debug!(attempt, delay_ms = delay.as_millis() as u64, "retrying");
        tokio::time::sleep(delay).await;
    }
}

/// One attempt: sends the request and reads the answer's body, at most `limit` bytes
/// of it, so that no answer can make the client buffer without bound.
async fn exchange(
    client: &reqwest::Client,
    request: reqwest::Request,
    limit: usize,
) -> reqwest::Result<reqwest::Response> {
    use http_body_util::BodyExt;
    let response: http::Response<reqwest::Body> = client.execute(request).await?.into();
    // The parts keep reqwest's own extensions (the URL among them).
    let (parts, mut stream) = response.into_parts();
    let mut body: Vec<u8> = Vec::new();
    while let Some(frame) = stream.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        }; // trailers carry no body
        if body.len().saturating_add(data.len()) > limit {
            record(|r| r.too_large = true);
            break;
        }
        body.extend_from_slice(&data);
    }
    Ok(reqwest::Response::from(http::Response::from_parts(
        parts, body,
    )))
}

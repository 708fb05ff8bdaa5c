//! The client: three calls, each checked before sending and mapped to one error type.

use std::fmt;

use reqwest::StatusCode;

use crate::config::ClientBuilder;
use crate::error::{
    ApiError, ConfigError, DecodeError, Error, ErrorCode, InvalidRequest, TransportError,
    redact_quoted, snippet,
};
use crate::transport::{CallRecord, correlation_id, recorded};
use crate::types::{ErrorResponse, MerchantSession, SessionCreate, SessionRead, SessionUpdate};
use crate::validation::{Checks, SessionRequest, Violation, ViolationKind, validate};

/// How much of an undecodable body an error keeps.
const SNIPPET_CHARS: usize = 512;

/// A Klarna Payments Sessions client. Cheap to clone; clones share connections.
///
/// Build one with [`Client::builder`] or [`Client::from_env`].
#[derive(Clone)]
pub struct Client {
    api: crate::generated::Client,
    checks: Checks,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url())
            .field("checks", &self.checks)
            .field("transport", progenitor_client::ClientInfo::inner(&self.api))
            .finish()
    }
}

/// A successful answer: the decoded body and what Klarna said about the exchange.
#[derive(Clone, Debug, PartialEq)]
pub struct Response<T> {
    value: T,
    status: StatusCode,
    correlation_id: Option<String>,
    attempts: u32,
}

impl<T> Response<T> {
    /// A `200 OK` answer holding `value`, for faking the client in your own tests;
    /// adjust it with the `with_*` methods.
    ///
    /// ```
    /// use klarna_payments::Response;
    /// use klarna_payments::types::MerchantSession;
    ///
    /// let session: MerchantSession = serde_json::from_str(r#"{"session_id":"s-1"}"#).unwrap();
    /// let faked = Response::new(session).with_correlation_id("corr-1");
    /// assert_eq!(faked.session_id, "s-1");
    /// assert_eq!(faked.http_status().as_u16(), 200);
    /// assert_eq!(faked.correlation_id(), Some("corr-1"));
    /// ```
    pub fn new(value: T) -> Self {
        Self {
            value,
            status: StatusCode::OK,
            correlation_id: None,
            attempts: 1,
        }
    }

    /// With another HTTP status (`204 No Content` for an update or cancel).
    pub fn with_http_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// With a correlation id.
    pub fn with_correlation_id(mut self, id: impl Into<String>) -> Self {
        self.correlation_id = Some(id.into());
        self
    }

    /// With a number of attempts.
    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }

    /// The decoded body.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The decoded body, owned.
    pub fn into_value(self) -> T {
        self.value
    }

    /// The HTTP status of the answer. (A session's own status is the body's `status`
    /// field: `response.status`, through `Deref`.)
    pub fn http_status(&self) -> StatusCode {
        self.status
    }

    /// Klarna's correlation id (`Klarna-Correlation-Id`), for support cases.
    pub fn correlation_id(&self) -> Option<&str> {
        self.correlation_id.as_deref()
    }

    /// Attempts made, the first included.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

impl<T> std::ops::Deref for Response<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl Client {
    /// A builder for Europe's playground; set credentials and anything else there.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client configured from `KLARNA_*` environment variables
    /// (see [`ClientBuilder::from_env`]).
    pub fn from_env() -> Result<Self, ConfigError> {
        ClientBuilder::from_env()?.build()
    }

    pub(crate) fn from_parts(api: crate::generated::Client, checks: Checks) -> Self {
        Self { api, checks }
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        progenitor_client::ClientInfo::baseurl(&self.api)
    }

    /// The generated client underneath, for anything this type does not cover. Its
    /// calls still get auth, timeouts, retries and the size limit, but not the
    /// pre-send checks or this crate's error type.
    pub fn generated(&self) -> &crate::generated::Client {
        &self.api
    }

    /// Opens a session (`createCreditSession`). Accepts a [`SessionCreate`] or its
    /// builder. Not retried once it may have reached Klarna (see [`RetryPolicy`](crate::RetryPolicy)).
    pub async fn create_session<B>(&self, body: B) -> Result<Response<MerchantSession>, Error>
    where
        B: TryInto<SessionCreate>,
        B::Error: fmt::Display + 'static,
    {
        let body = self.checked(body)?;
        let (result, record) = recorded(self.api.create_credit_session().body(body).send()).await;
        self.finish(result, record).await
    }

    /// Reads a session (`readCreditSession`).
    pub async fn read_session(&self, session_id: &str) -> Result<Response<SessionRead>, Error> {
        check_session_id(session_id)?;
        let (result, record) =
            recorded(self.api.read_credit_session().session_id(session_id).send()).await;
        self.finish(result, record).await
    }

    /// Replaces fields of a session (`updateCreditSession`). Accepts a
    /// [`SessionUpdate`] or its builder.
    pub async fn update_session<B>(&self, session_id: &str, body: B) -> Result<Response<()>, Error>
    where
        B: TryInto<SessionUpdate>,
        B::Error: fmt::Display + 'static,
    {
        check_session_id(session_id)?;
        let body = self.checked(body)?;
        let (result, record) = recorded(
            self.api
                .update_credit_session()
                .session_id(session_id)
                .body(body)
                .send(),
        )
        .await;
        self.finish(result, record).await
    }

    /// Cancels an open session (`cancelCreditSession`), for example when the shopper
    /// leaves an in-store purchase; it can then no longer be paid or updated.
    ///
    /// Retried like a read: cancelling twice has the effect of cancelling once. A
    /// `404` from a call that needed more than one attempt
    /// ([`ApiError::attempts`](crate::ApiError)) may mean an earlier attempt already
    /// cancelled the session.
    pub async fn cancel_session(&self, session_id: &str) -> Result<Response<()>, Error> {
        check_session_id(session_id)?;
        let (result, record) = recorded(
            self.api
                .cancel_credit_session()
                .session_id(session_id)
                .send(),
        )
        .await;
        self.finish(result, record).await
    }

    fn checked<T, B>(&self, body: B) -> Result<T, Error>
    where
        T: SessionRequest,
        B: TryInto<T>,
        B::Error: fmt::Display + 'static,
    {
        let body = body.try_into().map_err(builder_error)?;
        let violations = validate(&body, self.checks);
        if violations.is_empty() {
            Ok(body)
        } else {
            Err(InvalidRequest { violations }.into())
        }
    }

    async fn finish<T>(
        &self,
        result: Result<
            progenitor_client::ResponseValue<T>,
            progenitor_client::Error<ErrorResponse>,
        >,
        record: CallRecord,
    ) -> Result<Response<T>, Error> {
        if record.too_large {
            return Err(Error::ResponseTooLarge {
                status: record.status.unwrap_or(StatusCode::OK),
                limit: progenitor_client::ClientInfo::inner(&self.api).max_response_bytes(),
                correlation_id: record.correlation_id,
            });
        }
        match result {
            Ok(value) => Ok(Response {
                status: value.status(),
                correlation_id: correlation_id(value.headers()),
                attempts: record.attempts,
                value: value.into_inner(),
            }),
            Err(error) => Err(self.map_error(error, record).await),
        }
    }

    async fn map_error(
        &self,
        error: progenitor_client::Error<ErrorResponse>,
        record: CallRecord,
    ) -> Error {
        use progenitor_client::Error as Generated;
        let attempts = record.attempts;
        match error {
            Generated::ErrorResponse(value) => {
                let status = value.status();
                let header_id = correlation_id(value.headers());
                self.api_error(status, header_id, &record, Some(value.into_inner()), None)
            }
            Generated::UnexpectedResponse(response) => {
                // A status the spec does not list for this call. The transport already
                // buffered the (bounded) body, so reading it here does not wait.
                let status = response.status();
                let header_id = correlation_id(response.headers());
                if status.is_redirection() {
                    let location = response.headers().get(reqwest::header::LOCATION).map(|v| {
                        String::from_utf8_lossy(v.as_bytes())
                            .chars()
                            .take(200)
                            .collect()
                    });
                    return Error::Redirect {
                        status,
                        location,
                        correlation_id: header_id,
                    };
                }
                let bytes = response.bytes().await.unwrap_or_default();
                if status.is_client_error() || status.is_server_error() {
                    match serde_json::from_slice::<ErrorResponse>(&bytes) {
                        Ok(body) => self.api_error(status, header_id, &record, Some(body), None),
                        Err(_) => self.api_error(
                            status,
                            header_id,
                            &record,
                            None,
                            Some(snippet(&bytes, SNIPPET_CHARS)),
                        ),
                    }
                } else {
                    Error::Decode(Box::new(DecodeError {
                        status,
                        correlation_id: header_id,
                        reason: format!(
                            "status {status} is not one the spec documents for this call"
                        ),
                        snippet: snippet(&bytes, SNIPPET_CHARS),
                    }))
                }
            }
            Generated::InvalidResponsePayload(bytes, reason) => {
                let status = record.status.unwrap_or(StatusCode::OK);
                if status.is_client_error() || status.is_server_error() {
                    let body = if bytes.is_empty() {
                        None
                    } else {
                        Some(snippet(&bytes, SNIPPET_CHARS))
                    };
                    self.api_error(status, record.correlation_id.clone(), &record, None, body)
                } else {
                    Error::Decode(Box::new(DecodeError {
                        status,
                        correlation_id: record.correlation_id,
                        reason: redact_quoted(&reason.to_string()),
                        snippet: snippet(&bytes, SNIPPET_CHARS),
                    }))
                }
            }
            Generated::CommunicationError(source) | Generated::ResponseBodyError(source) => {
                let timeout = source.is_timeout();
                let context = if timeout {
                    "no answer from Klarna in time"
                } else if source.is_connect() {
                    "could not connect to Klarna"
                } else {
                    "the exchange with Klarna broke off"
                };
                let outcome_unknown = !record.replay_safe && !source.is_connect();
                let error = TransportError {
                    context,
                    attempts,
                    source: Some(source),
                    message: None,
                    outcome_unknown,
                };
                if timeout {
                    Error::Timeout(error)
                } else {
                    Error::Transport(error)
                }
            }
            Generated::InvalidRequest(message) => Error::InvalidRequest(InvalidRequest {
                violations: vec![Violation {
                    field: String::new(),
                    kind: ViolationKind::Schema(klarna_schema::Rule::Type),
                    message,
                }],
            }),
            Generated::InvalidUpgrade(source) => Error::Transport(TransportError {
                context: "unexpected protocol upgrade",
                attempts,
                source: Some(source),
                message: None,
                outcome_unknown: !record.replay_safe,
            }),
            Generated::Custom(message) => Error::Transport(TransportError {
                context: "request hook failed",
                attempts,
                source: None,
                message: Some(message),
                outcome_unknown: false,
            }),
        }
    }

    fn api_error(
        &self,
        status: StatusCode,
        header_id: Option<String>,
        record: &CallRecord,
        body: Option<ErrorResponse>,
        body_snippet: Option<String>,
    ) -> Error {
        let body = body.unwrap_or_default();
        let mut messages = body.error_messages.unwrap_or_default();
        if let Some(single) = body.error_message
            && !messages.contains(&single)
        {
            messages.push(single);
        }
        Error::Api(Box::new(ApiError {
            status,
            code: body.error_code.as_deref().map(ErrorCode::parse),
            messages,
            correlation_id: body.correlation_id.or(header_id),
            service_version: body.service_version,
            retry_after: record.retry_after,
            base_url: self.base_url().to_string(),
            body_snippet: body_snippet.filter(|s| !s.is_empty()),
            attempts: record.attempts,
            replay_safe: record.replay_safe,
        }))
    }
}

impl From<crate::validation::Violation> for InvalidRequest {
    fn from(violation: crate::validation::Violation) -> Self {
        InvalidRequest {
            violations: vec![violation],
        }
    }
}

/// A body that could not be built: the violations of a [`request`](crate::request)
/// builder as they are, or the message of a generated builder with the field it names
/// (`error converting supplied value for locale: …` names `locale`).
fn builder_error<E: fmt::Display + 'static>(error: E) -> Error {
    if let Some(invalid) = (&error as &dyn std::any::Any).downcast_ref::<InvalidRequest>() {
        return Error::InvalidRequest(invalid.clone());
    }
    let message = error.to_string();
    let field = [
        "error converting supplied value for ",
        "no value supplied for ",
    ]
    .iter()
    .find_map(|prefix| message.strip_prefix(prefix))
    .map(|rest| rest.split(':').next().unwrap_or(rest).trim().to_string())
    .unwrap_or_default();
    let rule = if message.starts_with("no value supplied") {
        klarna_schema::Rule::Required
    } else {
        klarna_schema::Rule::Type
    };
    Error::InvalidRequest(InvalidRequest {
        violations: vec![Violation {
            field,
            kind: ViolationKind::Schema(rule),
            message,
        }],
    })
}

/// The longest session id sent. Klarna's ids are 36-character UUIDs; anything past this
/// is certainly not one, and is refused before it reaches a URL.
const MAX_SESSION_ID_LEN: usize = 255;

/// Refuses a session id that cannot be Klarna's before it becomes part of a URL: an
/// empty or blank id would address the collection (`/payments/v1/sessions/`), and `.`
/// or `..` would be normalised away into another path, and a `\` read as `/`. Any other id is
/// percent-encoded into one path segment by the generated code.
fn check_session_id(session_id: &str) -> Result<(), Error> {
    let (rule, problem) = if session_id.trim().is_empty() {
        (
            klarna_schema::Rule::MinLength,
            "session_id is empty; pass the id Klarna returned when the session was opened",
        )
    } else if session_id == "." || session_id == ".." {
        // A dot segment: URL normalisation would send the request to another path.
        (
            klarna_schema::Rule::Pattern,
            "session_id is a dot path segment, not a Klarna session id",
        )
    } else if session_id.contains('\\') {
        // URL parsers read `\` as `/` in http(s) paths, and it is not escaped for us.
        (
            klarna_schema::Rule::Pattern,
            "session_id holds a backslash, which no Klarna session id does",
        )
    } else if session_id.len() > MAX_SESSION_ID_LEN {
        (
            klarna_schema::Rule::MaxLength,
            "session_id is longer than any Klarna session id (255 bytes at most)",
        )
    } else {
        return Ok(());
    };
    Err(InvalidRequest {
        violations: vec![Violation {
            field: "session_id".into(),
            kind: ViolationKind::Schema(rule),
            message: problem.into(),
        }],
    }
    .into())
}

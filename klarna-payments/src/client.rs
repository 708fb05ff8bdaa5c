//! The client: three calls, each checked before sending and mapped to one error type.
//!
//! The calls build their requests themselves rather than through the generated
//! client's methods: the base URL is parsed once (a URL parse, host and all, costs more
//! than the rest of building a request), the body is checked and written as JSON in one
//! pass over it, once per call, and the answer is decoded from the bytes the transport
//! read, without being copied into a response again. Headers, timeout, retries, size
//! limit and span are those of the generated client's hooks (`transport.rs`), and every
//! outcome maps to the same [`Error`] as the generated code's would.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::operations::{
    CANCEL_AUTHORIZATION, CANCEL_SESSION, CREATE_CUSTOMER_TOKEN, CREATE_ORDER, CREATE_SESSION,
    Collection, Operation, READ_SESSION, UPDATE_SESSION,
};

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, USER_AGENT};
use serde::Serialize;
use tracing::Instrument;
use url::Url;

use crate::config::ClientBuilder;
use crate::error::{
    ApiError, ConfigError, DecodeError, Error, ErrorCode, InvalidRequest, TransportError,
    redact_quoted, snippet,
};
use crate::transport::{Answer, Built, Bytes, CallRecord, call_span, correlation_id, send};
use crate::types::{
    CustomerToken, CustomerTokenCreate, ErrorResponse, MerchantSession, Order, OrderCreate,
    SessionCreate, SessionRead, SessionUpdate,
};
use crate::validation::{Checks, RequestBody, Violation, ViolationKind, validate_and_encode};

/// How much of an undecodable body an error keeps.
const SNIPPET_CHARS: usize = 512;

/// A Klarna Payments Sessions client. Cheap to clone; clones share connections.
///
/// Build one with [`Client::builder`] or [`Client::from_env`].
#[derive(Clone)]
pub struct Client {
    api: crate::generated::Client,
    checks: Checks,
    /// `{base}/payments/v1/sessions` and `{base}/payments/v1/authorizations`, each
    /// parsed once (reqwest's own parse, with its checks); `None` when it does not
    /// parse, and every call then fails as the generated code's would.
    collections: Arc<[Option<Url>; 2]>,
}

/// How each attempt's URL is made (it is made again for a retry rather than kept).
enum Target<'a> {
    /// A collection's URL itself.
    Collection(&'a Url),
    /// A collection's URL with one more path segment, this id (a session id or an
    /// authorization token), which the URL encodes as the generated code would (the
    /// same set of characters), and perhaps a last fixed segment (`order`).
    Item(&'a Url, String, Option<&'static str>),
    /// A URL parsed in full (when the shortcut above would not give exactly it).
    Parsed(Url),
}

impl Target<'_> {
    fn url(&self) -> Url {
        match self {
            Target::Collection(collection) => (*collection).clone(),
            Target::Item(collection, id, suffix) => {
                let mut url = (*collection).clone();
                // Appends to the path without parsing it again.
                if let Ok(mut segments) = url.path_segments_mut() {
                    segments.push(id);
                    if let Some(suffix) = suffix {
                        segments.push(suffix);
                    }
                }
                url
            }
            Target::Parsed(url) => url.clone(),
        }
    }
}

/// A call ready to send: how to make its URL, the first attempt's URL, and its body.
struct Prepared<'a> {
    target: Target<'a>,
    url: Url,
    json: Option<Bytes>,
}

/// A buffer for a body's JSON, sized by the previous body of the same operation.
fn json_buffer(hint: Option<&AtomicUsize>) -> Vec<u8> {
    let capacity = hint.map_or(0, |h| h.load(Ordering::Relaxed));
    Vec::with_capacity(capacity.clamp(128, 64 * 1024))
}

/// Remembers the size of a body's JSON for the next buffer when it no longer fits the
/// hint (larger, or less than half).
fn remember_size(hint: Option<&AtomicUsize>, json: &[u8]) {
    if let Some(hint) = hint {
        let capacity = hint.load(Ordering::Relaxed);
        if json.len() > capacity || json.len() < capacity / 2 {
            hint.store(json.len() + json.len() / 8, Ordering::Relaxed);
        }
    }
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
    /// Boxed: a session's model is about 1.5 KB, and a call's answer passes through
    /// several futures on its way out; each would copy it.
    value: Box<T>,
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
            value: Box::new(value),
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
        *self.value
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
        use progenitor_client::ClientInfo;
        // The URL the generated code would build, parsed by reqwest as it would be.
        let parse = |collection: Collection| {
            api.client()
                .post(format!("{}{}", api.baseurl(), collection.path()))
                .build()
                .ok()
                .map(|request| request.url().clone())
        };
        let collections = Arc::new([
            parse(Collection::Sessions),
            parse(Collection::Authorizations),
        ]);
        Self {
            api,
            checks,
            collections,
        }
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

    /// Opens a session (`createCreditSession`). Accepts a [`SessionCreate`] or a
    /// [`request::SessionCreateBuilder`](crate::request::SessionCreateBuilder). Not retried once it
    /// may have reached Klarna (see [`RetryPolicy`](crate::RetryPolicy)).
    ///
    /// The body is checked and written as JSON when this is called, and dropped then:
    /// the returned future holds only the bytes to send (its type still names `B`, so a
    /// borrowed body type ties the future to that borrow).
    pub fn create_session<B>(
        &self,
        body: B,
    ) -> impl Future<Output = Result<Response<MerchantSession>, Error>> + Send + use<'_, B>
    where
        B: TryInto<SessionCreate>,
        B::Error: fmt::Display + 'static,
    {
        let prepared = self.checked::<SessionCreate, _>(&CREATE_SESSION, None, body);
        async move { self.call(&CREATE_SESSION, prepared?, decode_json).await }
    }

    /// Reads a session (`readCreditSession`). Once the shopper was approved, the
    /// answer's `authorization_token` is what [`create_order`](Self::create_order)
    /// takes.
    pub async fn read_session(&self, session_id: &str) -> Result<Response<SessionRead>, Error> {
        check_path_id(Collection::Sessions, session_id)?;
        let prepared = self.prepare(&READ_SESSION, Some(session_id), None::<(&(), _)>);
        self.call(&READ_SESSION, prepared, decode_json).await
    }

    /// Replaces fields of a session (`updateCreditSession`). Accepts a
    /// [`SessionUpdate`] or a [`request::SessionUpdateBuilder`](crate::request::SessionUpdateBuilder).
    ///
    /// The body is checked and written as JSON when this is called, and dropped then,
    /// as for [`create_session`](Self::create_session).
    pub fn update_session<B>(
        &self,
        session_id: &str,
        body: B,
    ) -> impl Future<Output = Result<Response<()>, Error>> + Send + use<'_, B>
    where
        B: TryInto<SessionUpdate>,
        B::Error: fmt::Display + 'static,
    {
        let prepared = check_path_id(Collection::Sessions, session_id).and_then(|()| {
            self.checked::<SessionUpdate, _>(&UPDATE_SESSION, Some(session_id), body)
        });
        async move { self.call(&UPDATE_SESSION, prepared?, decode_nothing).await }
    }

    /// Cancels an open session (`cancelCreditSession`), for example when the shopper
    /// leaves an in-store purchase; it can then no longer be paid or updated.
    ///
    /// A cancelled session is gone: reading, updating or cancelling it again answers
    /// `404` ([`ErrorCode::NotFound`](crate::ErrorCode)). A session that already
    /// became an order cannot be cancelled: `404`
    /// [`ErrorCode::SessionCompleted`](crate::ErrorCode) (see
    /// [`Error::is_session_completed`]).
    ///
    /// Retried like a read: cancelling twice has the effect of cancelling once. A
    /// `404` from a call that needed more than one attempt
    /// ([`ApiError::attempts`](crate::ApiError)) may mean an earlier attempt already
    /// cancelled the session.
    pub async fn cancel_session(&self, session_id: &str) -> Result<Response<()>, Error> {
        check_path_id(Collection::Sessions, session_id)?;
        let prepared = self.prepare(&CANCEL_SESSION, Some(session_id), None::<(&(), _)>);
        self.call(&CANCEL_SESSION, prepared, decode_nothing).await
    }

    /// Places the order of an approved authorization (`createOrder`): the shopper is
    /// charged and the session closes (`status: complete`). Accepts an
    /// [`OrderCreate`] or a [`request::OrderCreateBuilder`](crate::request::OrderCreateBuilder),
    /// checked like a session's body (spec and order arithmetic) before sending; it
    /// must match what the shopper approved (`409` otherwise).
    ///
    /// `authorization_token` comes from the browser widget's `authorize` callback, from
    /// Klarna's authorization callback, or from a read session
    /// (`session.authorization_token`); it is valid for 60 minutes (`404`
    /// [`ErrorCode::NotFound`](crate::ErrorCode) after that, or once used). It is a
    /// path segment of the request: no error, span or log of this crate shows it.
    ///
    /// Not idempotent: never retried once the request may have reached Klarna (a `429`
    /// is retried: Klarna did not process it). When
    /// [`Error::outcome_unknown`] is true, read the session before trying again: a
    /// `complete` session has its order.
    ///
    /// ```no_run
    /// # async fn run(client: klarna_payments::Client, session_id: &str) -> Result<(), klarna_payments::Error> {
    /// use klarna_payments::request::{OrderCreateBuilder, OrderLineBuilder};
    ///
    /// let session = client.read_session(session_id).await?;
    /// if let Some(token) = &session.authorization_token {
    ///     let order = client
    ///         .create_order(
    ///             token,
    ///             OrderCreateBuilder::from(session.value())
    ///                 .merchant_reference1("ORDER-42"),
    ///         )
    ///         .await?;
    ///     println!("order {} ({:?})", order.order_id, order.fraud_status);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn create_order<B>(
        &self,
        authorization_token: &str,
        body: B,
    ) -> impl Future<Output = Result<Response<Order>, Error>> + Send + use<'_, B>
    where
        B: TryInto<OrderCreate>,
        B::Error: fmt::Display + 'static,
    {
        let prepared =
            check_path_id(Collection::Authorizations, authorization_token).and_then(|()| {
                self.checked::<OrderCreate, _>(&CREATE_ORDER, Some(authorization_token), body)
            });
        async move { self.call(&CREATE_ORDER, prepared?, decode_json).await }
    }

    /// Releases an approved authorization that will not become an order
    /// (`cancelAuthorization`); the token is dead afterwards.
    ///
    /// Retried like a read: releasing twice has the effect of releasing once, and a
    /// `404` after more than one attempt may mean an earlier attempt released it.
    pub async fn cancel_authorization(
        &self,
        authorization_token: &str,
    ) -> Result<Response<()>, Error> {
        check_path_id(Collection::Authorizations, authorization_token)?;
        let prepared = self.prepare(
            &CANCEL_AUTHORIZATION,
            Some(authorization_token),
            None::<(&(), _)>,
        );
        self.call(&CANCEL_AUTHORIZATION, prepared, decode_nothing)
            .await
    }

    /// Saves the approved shopper's payment method as a customer token, for later
    /// purchases without the shopper (`purchaseToken`; sessions with `intent`
    /// `tokenize` or `buy_and_tokenize`). Accepts a [`CustomerTokenCreate`] or a
    /// [`request::CustomerTokenCreateBuilder`](crate::request::CustomerTokenCreateBuilder). The
    /// answer's `token_id` is a credential, [`Sensitive`](crate::Sensitive) like the
    /// authorization token.
    ///
    /// Not idempotent, like [`create_order`](Self::create_order).
    pub fn create_customer_token<B>(
        &self,
        authorization_token: &str,
        body: B,
    ) -> impl Future<Output = Result<Response<CustomerToken>, Error>> + Send + use<'_, B>
    where
        B: TryInto<CustomerTokenCreate>,
        B::Error: fmt::Display + 'static,
    {
        let prepared =
            check_path_id(Collection::Authorizations, authorization_token).and_then(|()| {
                self.checked::<CustomerTokenCreate, _>(
                    &CREATE_CUSTOMER_TOKEN,
                    Some(authorization_token),
                    body,
                )
            });
        async move {
            self.call(&CREATE_CUSTOMER_TOKEN, prepared?, decode_json)
                .await
        }
    }

    /// What the generated method does before sending: the URL, then the JSON
    /// body; its failures are reqwest's builder errors, as there. `json` is the body's
    /// JSON, written beforehand (an error when the body has none).
    fn prepare<B: Serialize>(
        &self,
        operation: &Operation,
        id: Option<&str>,
        body: Option<(&B, serde_json::Result<Vec<u8>>)>,
    ) -> Result<Prepared<'_>, reqwest::Error> {
        let (target, url) = self.target(operation, id)?;
        let json = match body {
            Some((body, json)) => Some(Bytes::from(match json {
                Ok(json) => json,
                Err(_) => self.json_via_reqwest(operation, url.as_str(), body)?,
            })),
            None => None,
        };
        Ok(Prepared { target, url, json })
    }

    /// Sends a prepared `operation` as the generated method would (same URL,
    /// headers, JSON body, the hooks' timeout and transport), decodes the answer as it
    /// would, and maps the outcome to [`Error`].
    async fn call<T>(
        &self,
        operation: &'static Operation,
        prepared: Result<Prepared<'_>, reqwest::Error>,
        decode: fn(&[u8]) -> serde_json::Result<Box<T>>,
    ) -> Result<Response<T>, Error> {
        let prepared = match prepared {
            Ok(prepared) => prepared,
            // Where the generated code fails before sending (`build()?`).
            Err(error) => return Err(self.fail(Failure::Transport(error), CallRecord::default())),
        };
        let mut record = CallRecord::default();
        let sent = self.send_prepared(operation, prepared, &mut record).await;
        let settings = progenitor_client::ClientInfo::inner(&self.api).settings();
        if record.too_large {
            return Err(Error::ResponseTooLarge {
                status: record.status.unwrap_or(StatusCode::OK),
                limit: settings.max_response_bytes,
                correlation_id: record.correlation_id(),
            });
        }
        let outcome = match sent {
            Ok(answer) => interpret(operation, answer, decode),
            Err(error) => Err(Failure::Transport(error)),
        };
        match outcome {
            Ok((status, value)) => Ok(Response {
                value,
                status,
                correlation_id: record.correlation_id(),
                attempts: record.attempts,
            }),
            Err(failure) => Err(self.fail(failure, record)),
        }
    }

    /// The sending half of [`call`](Self::call): attempts under the retry policy, what
    /// they saw in `record`. Not generic over the answer's type, so that one copy of the
    /// send path's code serves every operation.
    async fn send_prepared(
        &self,
        operation: &'static Operation,
        prepared: Prepared<'_>,
        record: &mut CallRecord,
    ) -> reqwest::Result<Answer> {
        let Prepared { target, url, json } = prepared;
        let settings = progenitor_client::ClientInfo::inner(&self.api).settings();
        let mut first_url = Some(url);
        let build = || {
            // A retry makes the URL again; the body is shared.
            let url = first_url.take().unwrap_or_else(|| target.url());
            let mut request = reqwest::Request::new(operation.method.clone(), url);
            let headers = request.headers_mut();
            headers.reserve(4);
            headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
            if json.is_some() {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
            headers.insert(AUTHORIZATION, settings.authorization.clone());
            headers.insert(USER_AGENT, settings.user_agent.clone());
            if let Some(json) = &json {
                *request.body_mut() = Some(json.clone().into());
            }
            // No timeout here: the reqwest client underneath was built by `ClientBuilder`,
            // with the attempt timeout as its own (`config.rs`).
            request
        };
        let span = call_span(operation.id);
        Box::pin(
            send(
                settings,
                progenitor_client::ClientInfo::client(&self.api),
                Built(build),
                operation.id,
                record,
                span.clone(),
            )
            .instrument(span),
        )
        .await
    }

    /// How to make `operation`'s URL, and the URL for its first attempt: exactly the URL
    /// the generated code would parse from `{base}{collection}[/{id}][/{suffix}]` (the
    /// id percent-encoded as it does), without parsing the base again.
    fn target(
        &self,
        operation: &Operation,
        id: Option<&str>,
    ) -> Result<(Target<'_>, Url), reqwest::Error> {
        let encoded = id.map(encode_id);
        let collection = &self.collections[operation.collection as usize];
        if let Some(collection) = collection {
            let (Some(id), Some(encoded)) = (id, &encoded) else {
                return Ok((Target::Collection(collection), collection.clone()));
            };
            if collection.query().is_none() && collection.fragment().is_none() {
                let target = Target::Item(collection, id.to_owned(), operation.suffix);
                let url = target.url();
                // The segments are as the generated code's encoding and the full parse
                // would leave them: same URL.
                let suffix_len = operation.suffix.map_or(0, |s| s.len() + 1);
                let (head, tail) = (collection.as_str(), url.as_str());
                let item_end = tail.len().saturating_sub(suffix_len);
                if tail.len() == head.len() + 1 + encoded.len() + suffix_len
                    && tail.starts_with(head)
                    && tail.as_bytes()[head.len()] == b'/'
                    && tail.get(head.len() + 1..item_end) == Some(&**encoded)
                    && operation.suffix.is_none_or(|s| {
                        tail.get(item_end..).and_then(|t| t.strip_prefix('/')) == Some(s)
                    })
                {
                    return Ok((target, url));
                }
            }
        }
        let mut text = format!("{}{}", self.base_url(), operation.collection.path());
        if let Some(encoded) = &encoded {
            text.push('/');
            text.push_str(encoded);
        }
        if let Some(suffix) = operation.suffix {
            text.push('/');
            text.push_str(suffix);
        }
        let client = progenitor_client::ClientInfo::client(&self.api);
        let request = client.request(operation.method.clone(), text).build()?;
        let url = request.url().clone();
        Ok((Target::Parsed(url.clone()), url))
    }

    /// The body as reqwest's builder serializes it, or the error it gives for a body
    /// that does not serialize (the one the generated code would report).
    fn json_via_reqwest<B: Serialize>(
        &self,
        operation: &Operation,
        url: &str,
        body: &B,
    ) -> Result<Vec<u8>, reqwest::Error> {
        let client = progenitor_client::ClientInfo::client(&self.api);
        let request = client
            .request(operation.method.clone(), url)
            .json(body)
            .build()?;
        let json = request.body().and_then(reqwest::Body::as_bytes);
        Ok(json.map(<[u8]>::to_vec).unwrap_or_default())
    }

    /// The body converted, checked and written as JSON ([`validate_and_encode`]), then
    /// the call prepared; or why the body cannot be sent.
    fn checked<T, B>(
        &self,
        operation: &Operation,
        id: Option<&str>,
        body: B,
    ) -> Result<Result<Prepared<'_>, reqwest::Error>, Error>
    where
        T: RequestBody,
        B: TryInto<T>,
        B::Error: fmt::Display + 'static,
    {
        let body: T = body.try_into().map_err(builder_error)?;
        let buffer = json_buffer(operation.body_hint);
        let (json, violations) = validate_and_encode(&body, self.checks, buffer);
        if !violations.is_empty() {
            return Err(InvalidRequest { violations }.into());
        }
        if let Ok(json) = &json {
            remember_size(operation.body_hint, json);
        }
        Ok(self.prepare(operation, id, Some((&body, json))))
    }

    /// The [`Error`] for a failed call: what the generated code's error for the same
    /// outcome mapped to.
    fn fail(&self, failure: Failure, record: CallRecord) -> Error {
        let attempts = record.attempts;
        match failure {
            Failure::Api {
                status,
                headers,
                body,
            } => {
                let header_id = correlation_id(&headers);
                self.api_error(status, header_id, &record, Some(*body), None)
            }
            Failure::Unexpected(answer) => {
                // A status the spec does not list for this call (its body already read).
                let status = answer.parts.status;
                let headers = &answer.parts.headers;
                let header_id = correlation_id(headers);
                if status.is_redirection() {
                    let location = headers.get(reqwest::header::LOCATION).map(|v| {
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
                let bytes = &answer.body;
                if status.is_client_error() || status.is_server_error() {
                    match serde_json::from_slice::<ErrorResponse>(bytes) {
                        Ok(body) => self.api_error(status, header_id, &record, Some(body), None),
                        Err(_) => self.api_error(
                            status,
                            header_id,
                            &record,
                            None,
                            Some(snippet(bytes, SNIPPET_CHARS)),
                        ),
                    }
                } else {
                    Error::Decode(Box::new(DecodeError {
                        status,
                        correlation_id: header_id,
                        reason: format!(
                            "status {status} is not one the spec documents for this call"
                        ),
                        snippet: snippet(bytes, SNIPPET_CHARS),
                    }))
                }
            }
            Failure::Payload(bytes, reason) => {
                let status = record.status.unwrap_or(StatusCode::OK);
                if status.is_client_error() || status.is_server_error() {
                    let body = if bytes.is_empty() {
                        None
                    } else {
                        Some(snippet(&bytes, SNIPPET_CHARS))
                    };
                    self.api_error(status, record.correlation_id(), &record, None, body)
                } else {
                    Error::Decode(Box::new(DecodeError {
                        status,
                        correlation_id: record.correlation_id(),
                        reason: redact_quoted(&reason.to_string()),
                        snippet: snippet(&bytes, SNIPPET_CHARS),
                    }))
                }
            }
            Failure::Transport(source) => {
                // reqwest's error names the request's URL, which holds the session id or
                // the authorization token (a credential): never kept.
                let source = source.without_url();
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

/// The answer's JSON decoded straight into its box, which the [`Response`] keeps.
fn decode_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> serde_json::Result<Box<T>> {
    serde_json::from_slice(body)
}

/// For answers without content (`204`): the body is not looked at.
fn decode_nothing(_: &[u8]) -> serde_json::Result<Box<()>> {
    Ok(Box::new(()))
}

/// How a call failed, before it becomes an [`Error`]: the outcomes the generated code
/// tells apart (`CommunicationError`, `ErrorResponse`, `InvalidResponsePayload`,
/// `UnexpectedResponse`), which are all a call can meet.
enum Failure {
    Transport(reqwest::Error),
    Api {
        status: StatusCode,
        headers: reqwest::header::HeaderMap,
        body: Box<ErrorResponse>,
    },
    Payload(Bytes, serde_json::Error),
    Unexpected(Box<Answer>),
}

/// What the generated code makes of an answer: the documented success decoded (an
/// undecodable one is `InvalidResponsePayload`), an error status decoded as
/// [`ErrorResponse`] (or `InvalidResponsePayload`), anything else
/// `UnexpectedResponse`. (The generated code calls an error status the spec does not
/// list `UnexpectedResponse`; [`Client::fail`] makes the same [`Error`] of both.)
fn interpret<T>(
    operation: &Operation,
    answer: Answer,
    decode: fn(&[u8]) -> serde_json::Result<Box<T>>,
) -> Result<(StatusCode, Box<T>), Failure> {
    let status = answer.parts.status;
    if status == operation.success {
        return match decode(&answer.body) {
            Ok(value) => Ok((status, value)),
            Err(error) => Err(Failure::Payload(answer.body, error)),
        };
    }
    if status.is_client_error() || status.is_server_error() {
        return Err(
            match serde_json::from_slice::<ErrorResponse>(&answer.body) {
                Ok(body) => Failure::Api {
                    status,
                    headers: answer.parts.headers,
                    body: Box::new(body),
                },
                Err(error) => Failure::Payload(answer.body, error),
            },
        );
    }
    Err(Failure::Unexpected(Box::new(answer)))
}

impl From<crate::validation::Violation> for InvalidRequest {
    fn from(violation: crate::validation::Violation) -> Self {
        InvalidRequest {
            violations: vec![violation],
        }
    }
}

/// A body that could not be built: the violations of a [`request`](crate::request)
/// builder as they are, or the message of any other conversion into the model.
fn builder_error<E: fmt::Display + 'static>(error: E) -> Error {
    if let Some(invalid) = (&error as &dyn std::any::Any).downcast_ref::<InvalidRequest>() {
        return Error::InvalidRequest(invalid.clone());
    }
    Error::InvalidRequest(InvalidRequest {
        violations: vec![Violation {
            field: String::new(),
            kind: ViolationKind::Schema(klarna_schema::Rule::Type),
            message: error.to_string(),
        }],
    })
}

/// `id` percent-encoded as the generated code encodes a path parameter
/// (`progenitor_client::encode_path`). An id of ASCII letters, digits and `-._~` (every
/// Klarna id) has nothing to encode there and is taken as it is.
fn encode_id(id: &str) -> std::borrow::Cow<'_, str> {
    let plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    if id.bytes().all(plain) {
        std::borrow::Cow::Borrowed(id)
    } else {
        std::borrow::Cow::Owned(progenitor_client::encode_path(id))
    }
}

/// The longest id sent in a path. Klarna's session ids are 36-character UUIDs and its
/// authorization tokens about as long; anything past this is certainly not one, and is
/// refused before it reaches a URL.
const MAX_PATH_ID_LEN: usize = 255;

/// Refuses a session id or authorization token that cannot be Klarna's before it
/// becomes part of a URL: an empty or blank one would address the collection
/// (`/payments/v1/sessions/`), and `.` or `..` would be normalised away into another
/// path, and a `\` read as `/`. Any other id is percent-encoded into one path segment
/// as the generated code does. The messages never quote the value (a token is a
/// credential).
fn check_path_id(collection: Collection, id: &str) -> Result<(), Error> {
    let name = collection.item();
    let (rule, problem) = if id.trim().is_empty() {
        let what = match collection {
            Collection::Sessions => "the id Klarna returned when the session was opened",
            Collection::Authorizations => {
                "the token of the approved authorization (the widget's authorize callback or a read session)"
            }
        };
        (
            klarna_schema::Rule::MinLength,
            format!("{name} is empty; pass {what}"),
        )
    } else if id == "." || id == ".." {
        // A dot segment: URL normalisation would send the request to another path.
        (
            klarna_schema::Rule::Pattern,
            format!("{name} is a dot path segment, which no Klarna {name} is"),
        )
    } else if id.contains('\\') {
        // URL parsers read `\` as `/` in http(s) paths, and it is not escaped for us.
        (
            klarna_schema::Rule::Pattern,
            format!("{name} holds a backslash, which no Klarna {name} does"),
        )
    } else if id.len() > MAX_PATH_ID_LEN {
        (
            klarna_schema::Rule::MaxLength,
            format!("{name} is longer than any Klarna {name} ({MAX_PATH_ID_LEN} bytes at most)"),
        )
    } else {
        return Ok(());
    };
    Err(InvalidRequest {
        violations: vec![Violation {
            field: name.into(),
            kind: ViolationKind::Schema(rule),
            message: problem,
        }],
    }
    .into())
}

#[cfg(test)]
mod tests {
    use super::encode_id;

    #[test]
    fn ids_are_encoded_as_the_generated_code_encodes_them() {
        let mut ids: Vec<String> = (0u8..128).map(|b| format!("a{}b", b as char)).collect();
        ids.extend(
            [
                "0b1d9815-165e-42e2-8867-35bc03789e00",
                "",
                "ö",
                "a/b",
                "%41",
                "a b",
                "~._-",
            ]
            .map(String::from),
        );
        for id in &ids {
            assert_eq!(encode_id(id), progenitor_client::encode_path(id), "{id:?}");
        }
        let uuid = "0b1d9815-165e-42e2-8867-35bc03789e00";
        assert!(matches!(encode_id(uuid), std::borrow::Cow::Borrowed(_)));
    }
}

//! The one error type every call returns.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;

use crate::validation::Violation;

/// Everything that can go wrong, as one type to match on.
///
/// Every variant that concerns an answer from Klarna carries its correlation id (the
/// id Klarna support asks for); [`Error::correlation_id`] finds it, and
/// [`Error::is_retryable`] says whether sending the same request again may help.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client could not be configured.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The request was not sent: it breaks the spec or Klarna's order arithmetic.
    #[error(transparent)]
    InvalidRequest(#[from] InvalidRequest),
    /// Klarna (or something in front of it) answered with an error status.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// A success answer whose body could not be decoded.
    #[error(transparent)]
    Decode(Box<DecodeError>),
    /// The answer was larger than the configured limit and was not read further. (An
    /// answer with status 408, 429 or 5xx is that status instead, [`Error::Api`], retried
    /// as such, whatever its size.)
    #[error("the answer from Klarna was larger than the {limit}-byte limit and was not read (status {status}{})", correlation_suffix(.correlation_id.as_deref()))]
    ResponseTooLarge {
        /// HTTP status of the answer.
        status: StatusCode,
        /// The configured limit in bytes.
        limit: usize,
        /// Klarna's correlation id, from the header.
        correlation_id: Option<String>,
    },
    /// Something answered with a redirect (`3xx`). Klarna's API never redirects, so
    /// the client follows none: nothing was sent to the `Location`, and the call is not
    /// retried. Usually a wrong base URL or a proxy in the way.
    #[error("the answer was a {status} redirect{}, which a payments client does not follow; check the base URL and any proxy{}", location.as_deref().map(|l| format!(" to \"{}\"", escaped(l, 200))).unwrap_or_default(), correlation_suffix(.correlation_id.as_deref()))]
    Redirect {
        /// The `3xx` status.
        status: StatusCode,
        /// The `Location` header, if there was one (cut to 200 characters).
        location: Option<String>,
        /// Klarna's correlation id, from the header.
        correlation_id: Option<String>,
    },
    /// No answer came in time.
    #[error("{0}")]
    Timeout(TransportError),
    /// The connection failed, or broke while the answer was read.
    #[error("{0}")]
    Transport(TransportError),
}

impl From<ApiError> for Error {
    fn from(error: ApiError) -> Self {
        Error::Api(Box::new(error))
    }
}

fn correlation_suffix(id: Option<&str>) -> String {
    id.map(|id| format!(", correlation id {}", escaped(id, MAX_SHOWN_ID_CHARS)))
        .unwrap_or_default()
}

/// The most characters of a correlation id (or an error code) a message quotes: Klarna's
/// are UUIDs; a longer one is cut, with `…`.
const MAX_SHOWN_ID_CHARS: usize = 128;
/// The most characters of one of Klarna's error messages a message quotes.
const MAX_SHOWN_MESSAGE_CHARS: usize = 1000;
/// The most of Klarna's error messages a message quotes (then how many more there are).
const MAX_SHOWN_MESSAGES: usize = 20;

/// Text that came from the network, as this crate's messages print it: at most `max`
/// characters (then `…`), with every character that could end, hide or recolour a log
/// line escaped as `\n`, `\r`, `\t` or `\u{…}`: control characters (C0, DEL, C1),
/// the Unicode line and paragraph separators, and the invisible direction and
/// formatting marks (an override could make a line read backwards).
pub(crate) fn escaped(text: &str, max: usize) -> Escaped<'_> {
    Escaped { text, max }
}

/// See [`escaped`].
pub(crate) struct Escaped<'a> {
    text: &'a str,
    max: usize,
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        for (i, c) in self.text.chars().enumerate() {
            if i == self.max {
                return f.write_char('…');
            }
            match c {
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c if forges(c) => write!(f, "\\u{{{:x}}}", u32::from(c))?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// Whether `c` may not appear in a log line as it is (see [`escaped`]).
fn forges(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

impl Error {
    /// Whether sending the same request again later is safe and may succeed, under the
    /// same rule the client's own retries follow: reads, updates and cancels after
    /// connection failures, timeouts, 408, 429 and 5xx answers; a create only when it
    /// cannot have reached Klarna (the connection failed, or a 429 refused it). The
    /// client has already retried as its [`RetryPolicy`](crate::RetryPolicy) allows.
    ///
    /// For a create whose outcome is unknown see [`outcome_unknown`](Self::outcome_unknown).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(api) => api.is_retryable(),
            Error::Timeout(transport) | Error::Transport(transport) => !transport.outcome_unknown,
            Error::Config(_)
            | Error::InvalidRequest(_)
            | Error::Decode(_)
            | Error::Redirect { .. }
            | Error::ResponseTooLarge { .. } => false,
        }
    }

    /// Whether a create may have opened a session although it failed: it timed out or
    /// broke off after the request was sent, or Klarna answered 408 or 5xx. Klarna has no
    /// idempotency key for sessions and no lookup by your reference, so the client never
    /// replays such a create.
    ///
    /// What to do: treat the possible session as lost and open a new one (create again,
    /// and use only the id that answer returns). A session nobody loads in the widget
    /// costs nothing and expires after 48 hours. Never reuse an id you did not receive.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            Error::Api(api) => {
                !api.replay_safe
                    && (api.status == StatusCode::REQUEST_TIMEOUT || api.status.is_server_error())
            }
            Error::Timeout(transport) | Error::Transport(transport) => transport.outcome_unknown,
            _ => false,
        }
    }

    /// Klarna's correlation id for the exchange, when there was an answer carrying one.
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            Error::Api(api) => api.correlation_id.as_deref(),
            Error::Decode(decode) => decode.correlation_id.as_deref(),
            Error::ResponseTooLarge { correlation_id, .. } => correlation_id.as_deref(),
            Error::Redirect { correlation_id, .. } => correlation_id.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(api) => Some(api.status),
            Error::Decode(decode) => Some(decode.status),
            Error::ResponseTooLarge { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The API error, if Klarna answered with an error status.
    pub fn as_api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(api) => Some(api),
            _ => None,
        }
    }

    /// Klarna's `error_code`, if Klarna answered with an error that carried one.
    ///
    /// ```
    /// use klarna_payments::{ApiError, Error, ErrorCode, StatusCode};
    ///
    /// let error = Error::from(ApiError::new(StatusCode::NOT_FOUND).with_code(ErrorCode::NotFound));
    /// assert_eq!(error.code(), Some(&ErrorCode::NotFound));
    /// assert!(error.is_not_found() && !error.is_session_completed());
    /// ```
    pub fn code(&self) -> Option<&ErrorCode> {
        self.as_api().and_then(|api| api.code.as_ref())
    }

    /// Whether Klarna answered `404` for something that does not exist (any more): an
    /// unknown or expired session id, or an authorization token that is unknown, older
    /// than 60 minutes, already used for an order, or released. Not a completed session
    /// (see [`is_session_completed`](Self::is_session_completed)).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND) && !self.is_session_completed()
    }

    /// Whether Klarna answered `SESSION_COMPLETED`: the session already became an
    /// order, so it can no longer be updated or cancelled.
    pub fn is_session_completed(&self) -> bool {
        self.code() == Some(&ErrorCode::SessionCompleted)
    }

    /// Whether Klarna answered `409`: the data sent does not match the session (for an
    /// order: what the shopper approved); [`ApiError::messages`] name the fields.
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(StatusCode::CONFLICT)
    }

    /// Whether Klarna refused the credentials (`401`): most often a key of the other
    /// environment or region.
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(StatusCode::UNAUTHORIZED)
    }
}

/// A machine-readable Klarna `error_code`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `BAD_REQUEST`: the request could not be read (e.g. malformed JSON).
    BadRequest,
    /// `BAD_VALUE`: a field breaks a rule; the messages name it.
    BadValue,
    /// `UNAUTHORIZED`: missing or wrong credentials.
    Unauthorized,
    /// `INVALID_OPERATION`: not allowed for this merchant or session.
    InvalidOperation,
    /// `MERCHANT_INACTIVE`: the merchant account is not active.
    MerchantInactive,
    /// `REJECTED`: refused by Klarna.
    Rejected,
    /// `NOT_FOUND`: no such session (unknown or expired id).
    NotFound,
    /// `SESSION_COMPLETED`: the session already became an order.
    SessionCompleted,
    /// `INTERNAL_SERVER_ERROR`: Klarna failed.
    InternalServerError,
    /// A code this version does not know, kept as sent.
    Other(String),
}

impl ErrorCode {
    /// Reads Klarna's string.
    pub fn parse(code: &str) -> Self {
        match code {
            "BAD_REQUEST" => Self::BadRequest,
            "BAD_VALUE" => Self::BadValue,
            "UNAUTHORIZED" => Self::Unauthorized,
            "INVALID_OPERATION" => Self::InvalidOperation,
            "MERCHANT_INACTIVE" => Self::MerchantInactive,
            "REJECTED" => Self::Rejected,
            "NOT_FOUND" => Self::NotFound,
            "SESSION_COMPLETED" => Self::SessionCompleted,
            "INTERNAL_SERVER_ERROR" => Self::InternalServerError,
            other => Self::Other(other.to_string()),
        }
    }

    /// Klarna's string for the code.
    pub fn as_str(&self) -> &str {
        match self {
            Self::BadRequest => "BAD_REQUEST",
            Self::BadValue => "BAD_VALUE",
            Self::Unauthorized => "UNAUTHORIZED",
            Self::InvalidOperation => "INVALID_OPERATION",
            Self::MerchantInactive => "MERCHANT_INACTIVE",
            Self::Rejected => "REJECTED",
            Self::NotFound => "NOT_FOUND",
            Self::SessionCompleted => "SESSION_COMPLETED",
            Self::InternalServerError => "INTERNAL_SERVER_ERROR",
            Self::Other(code) => code,
        }
    }
}

impl fmt::Display for ErrorCode {
    /// Klarna's string, with control characters escaped and cut at 128 characters (a
    /// code this version does not know is printed as Klarna sent it otherwise).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        escaped(self.as_str(), MAX_SHOWN_ID_CHARS).fmt(f)
    }
}

/// An error answer: the status and everything Klarna said about it.
///
/// The fields hold Klarna's text as it was sent. `Display` (and so [`Error`]'s) prints
/// it escaped, so that it cannot forge or hide a log line (control characters, line
/// separators and direction marks as `\n`, `\u{1b}`, …), and bounded: a correlation
/// id or code at most 128 characters, a message at most 1,000, at most 20 messages.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Klarna's `error_code`, when the body carried one.
    pub code: Option<ErrorCode>,
    /// Klarna's `error_messages` (or its single `error_message`).
    pub messages: Vec<String>,
    /// Klarna's correlation id, from the body or the `Klarna-Correlation-Id` header.
    pub correlation_id: Option<String>,
    /// The version of the Klarna service that answered, when given.
    pub service_version: Option<String>,
    /// The `Retry-After` Klarna asked for, when given (in seconds).
    pub retry_after: Option<Duration>,
    /// The base URL the request went to (to spot a region or environment mix-up).
    pub base_url: String,
    /// The start of the body when it was not a Klarna error object (an HTML page from
    /// a proxy, say); at most 512 characters.
    pub body_snippet: Option<String>,
    /// Attempts made, the first included.
    pub attempts: u32,
    /// Whether the operation may be sent twice (false for a create).
    pub(crate) replay_safe: bool,
}

impl ApiError {
    /// An error answer with `status` and nothing else, for faking the client in your
    /// own tests; add details with the `with_*` methods.
    ///
    /// ```
    /// use klarna_payments::{ApiError, Error, ErrorCode, StatusCode};
    ///
    /// let error: Error = ApiError::new(StatusCode::BAD_REQUEST)
    ///     .with_code(ErrorCode::BadValue)
    ///     .with_messages(["Bad value: order_amount"])
    ///     .with_correlation_id("corr-1")
    ///     .into();
    /// assert_eq!(error.correlation_id(), Some("corr-1"));
    /// assert_eq!(error.as_api().unwrap().bad_fields(), ["order_amount"]);
    /// ```
    pub fn new(status: StatusCode) -> Self {
        Self {
            status,
            code: None,
            messages: Vec::new(),
            correlation_id: None,
            service_version: None,
            retry_after: None,
            base_url: String::new(),
            body_snippet: None,
            attempts: 1,
            replay_safe: true,
        }
    }

    /// With Klarna's `error_code`.
    pub fn with_code(mut self, code: ErrorCode) -> Self {
        self.code = Some(code);
        self
    }

    /// With Klarna's messages.
    pub fn with_messages<I, S>(mut self, messages: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.messages = messages.into_iter().map(Into::into).collect();
        self
    }

    /// With a correlation id.
    pub fn with_correlation_id(mut self, id: impl Into<String>) -> Self {
        self.correlation_id = Some(id.into());
        self
    }

    /// With a `Retry-After`.
    pub fn with_retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// As the answer to a create (which the client never replays once it may have
    /// reached Klarna).
    pub fn for_create(mut self) -> Self {
        self.replay_safe = false;
        self
    }

    /// Whether the same request may succeed later and is safe to send again: 408, 429
    /// and 5xx, except that a create is safe again only after a 429 (see
    /// [`Error::outcome_unknown`]).
    pub fn is_retryable(&self) -> bool {
        let transient = self.status == StatusCode::REQUEST_TIMEOUT
            || self.status == StatusCode::TOO_MANY_REQUESTS
            || self.status.is_server_error();
        transient && (self.replay_safe || self.status == StatusCode::TOO_MANY_REQUESTS)
    }

    /// The field paths of `Bad value: <field>` messages, e.g. `order_lines[0].total_tax_amount`.
    pub fn bad_fields(&self) -> Vec<&str> {
        self.messages
            .iter()
            .filter_map(|m| m.strip_prefix("Bad value: "))
            .collect()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every text from the answer is printed escaped and bounded (see `escaped`).
        write!(f, "Klarna answered {}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        for (i, message) in self.messages.iter().take(MAX_SHOWN_MESSAGES).enumerate() {
            f.write_str(if i == 0 { ": " } else { "; " })?;
            escaped(message, MAX_SHOWN_MESSAGE_CHARS).fmt(f)?;
        }
        if let Some(more) = self.messages.len().checked_sub(MAX_SHOWN_MESSAGES)
            && more > 0
        {
            write!(f, "; and {more} more")?;
        }
        if let Some(id) = &self.correlation_id {
            write!(f, " (correlation id {})", escaped(id, MAX_SHOWN_ID_CHARS))?;
        }
        if self.status == StatusCode::UNAUTHORIZED {
            write!(
                f,
                ". The credentials were refused by {}. Klarna credentials work in one region and \
                 one environment only: a playground key sent to production, or a key for another \
                 region, fails this way",
                self.base_url
            )?;
        }
        if let Some(snippet) = &self.body_snippet {
            write!(f, ". The body was not a Klarna error object: {snippet:?}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// A success answer whose body is not what the spec describes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the {status} answer from Klarna could not be decoded: {}{}. Body starts: {snippet:?}", escaped(.reason, MAX_SHOWN_MESSAGE_CHARS), correlation_suffix(.correlation_id.as_deref()))]
#[non_exhaustive]
pub struct DecodeError {
    /// HTTP status.
    pub status: StatusCode,
    /// Klarna's correlation id, from the header.
    pub correlation_id: Option<String>,
    /// Why decoding failed.
    pub reason: String,
    /// The start of the body, at most 512 characters.
    pub snippet: String,
}

/// A failure below HTTP: connecting, sending, or reading the answer.
#[derive(Debug)]
pub struct TransportError {
    /// What was happening.
    pub(crate) context: &'static str,
    /// Attempts made.
    pub(crate) attempts: u32,
    pub(crate) source: Option<reqwest::Error>,
    pub(crate) message: Option<String>,
    /// A create that may have reached Klarna.
    pub(crate) outcome_unknown: bool,
}

impl TransportError {
    /// Attempts made, the first included.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The underlying `reqwest` error, when there is one.
    pub fn reqwest(&self) -> Option<&reqwest::Error> {
        self.source.as_ref()
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (after {} attempt(s))", self.context, self.attempts)?;
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        if let Some(source) = &self.source {
            // reqwest's message names the URL; credentials travel in a header, never in it.
            write!(f, ": {source}")?;
            let mut cause = std::error::Error::source(source);
            while let Some(inner) = cause {
                write!(f, ": {inner}")?;
                cause = inner.source();
            }
        }
        Ok(())
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e as _)
    }
}

/// The request was refused before sending, with every reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidRequest {
    /// Each broken rule, with its field path.
    pub violations: Vec<Violation>,
}

impl fmt::Display for InvalidRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the request body breaks {} rule(s) of the spec or of Klarna's arithmetic: ",
            self.violations.len()
        )?;
        let listed: Vec<String> = self.violations.iter().map(ToString::to_string).collect();
        f.write_str(&listed.join("; "))
    }
}

impl std::error::Error for InvalidRequest {}

/// The client could not be configured.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Neither credentials nor `KLARNA_USERNAME`/`KLARNA_PASSWORD`.
    #[error("no credentials: call `.credentials(..)` on the builder")]
    MissingCredentials,
    /// The credentials contain characters an HTTP header cannot carry.
    #[error("the credentials contain characters an HTTP header cannot carry")]
    UnusableCredentials,
    /// An environment variable needed by `from_env` is not set.
    #[error("environment variable {0} is not set")]
    MissingVariable(&'static str),
    /// An environment variable has a value that cannot be used.
    #[error("environment variable {name} is {value:?}; expected {expected}")]
    InvalidVariable {
        /// The variable.
        name: &'static str,
        /// Its value (never a secret's).
        value: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// The base URL does not parse, or cannot be one: not `https` (nor `http`), or it
    /// holds a user name or password, a query or a fragment.
    #[error("base URL {url:?} is not a valid URL: {reason}")]
    InvalidBaseUrl {
        /// The URL given, as shown: never with its user name and password (`…@`), nor
        /// its query's or fragment's value (`?…`, `#…`); at most 200 characters.
        url: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// The base URL is plain `http://` to a host that is not loopback (shown as
    /// [`InvalidBaseUrl`](Self::InvalidBaseUrl) shows it).
    #[error(
        "base URL {0:?} is not HTTPS: plain http:// is allowed only for loopback hosts (127.0.0.1, ::1, localhost)"
    )]
    InsecureBaseUrl(String),
    /// The application name or version cannot go in a `User-Agent` header.
    #[error("application name/version {0:?} cannot go in a User-Agent header")]
    InvalidUserAgent(String),
    /// The base URL (shown as [`InvalidBaseUrl`](Self::InvalidBaseUrl) shows it) is
    /// `https://` but this build has no TLS backend: enable one of the features
    /// `rustls-ring` (the default), `rustls-aws-lc` or `native-tls`.
    #[error(
        "base URL {0:?} needs TLS, and klarna-payments was built without a TLS feature: \
         enable `rustls-ring` (the default), `rustls-aws-lc` or `native-tls`"
    )]
    NoTlsBackend(String),
    /// The HTTP client could not be built (TLS set-up).
    #[error("the HTTP client could not be built: {0}")]
    HttpClient(String),
}

/// How much of a body [`snippet`] looks at: enough for any snippet's characters, even
/// past long hidden strings, and a bound on the work for a large body.
const SNIPPET_SCAN_BYTES: usize = 64 * 1024;

/// Up to `limit` characters of `bytes` as text, for an error message, never with the
/// content of a JSON string value, which may hold a token or a shopper's personal data,
/// wherever the JSON starts and whatever comes before it (a byte order mark, blanks,
/// `)]}'`, any other bytes): `{"client_token":"…","order_amount":100}`.
///
/// From its first `{` or `[` on, a body that reads as JSON tokens (perhaps cut short)
/// keeps its structure, numbers and object keys (those that look like Klarna's field
/// names: lower-case letters, digits and `_`); every other string shows as `"…"`. A
/// body that does not read as JSON (an HTML page from a proxy, say) is shown with the
/// content of every double-quoted part hidden, keys included; text outside quotes is
/// shown as it is.
pub(crate) fn snippet(bytes: &[u8], limit: usize) -> String {
    let scanned = &bytes[..bytes.len().min(SNIPPET_SCAN_BYTES)];
    let text = String::from_utf8_lossy(scanned);
    let tokens = json_tokens(&text);
    let keys = json_keys(&tokens);
    let mut shown = String::new();
    for (i, token) in tokens.iter().enumerate() {
        if shown.len() > limit.saturating_mul(4) {
            break;
        }
        match token {
            Token::Str(content, _) => {
                let is_key = keys.as_ref().is_some_and(|keys| keys[i]);
                if is_key && plain_key(content) {
                    shown.push('"');
                    shown.push_str(content);
                    shown.push('"');
                } else {
                    shown.push_str("\"…\"");
                }
            }
            Token::Other(text) => shown.push_str(text),
        }
    }
    let mut out: String = shown.chars().take(limit).collect();
    if shown.chars().nth(limit).is_some() || scanned.len() < bytes.len() {
        out.push('…');
    }
    out
}

/// A piece of a body's text, as [`snippet`] reads it.
#[derive(Debug, PartialEq)]
enum Token<'a> {
    /// A double-quoted string's content, escapes as written, and whether its closing
    /// quote came.
    Str(&'a str, bool),
    /// Any other run of text: one punctuation mark, blank, word or other character.
    Other(&'a str),
}

/// `text` cut into [`Token`]s: every double-quoted string, wherever it starts, as one
/// (to the end of the text if it is not closed); everything else as runs of word
/// characters or single characters.
fn json_tokens(text: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let len = if c == '"' {
            let mut escaped = false;
            let mut end = None;
            for (i, c) in rest.char_indices().skip(1) {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    end = Some(i);
                    break;
                }
            }
            match end {
                Some(end) => {
                    tokens.push(Token::Str(&rest[1..end], true));
                    end + 1
                }
                None => {
                    tokens.push(Token::Str(&rest[1..], false));
                    rest.len()
                }
            }
        } else {
            let word = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '+' | '.');
            let len = if word(c) {
                rest.find(|c| !word(c)).unwrap_or(rest.len())
            } else {
                c.len_utf8()
            };
            tokens.push(Token::Other(&rest[..len]));
            len
        };
        rest = &rest[len..];
    }
    tokens
}

/// For each token, whether it is an object key, if the tokens from the first `{` or `[`
/// on read as JSON (values, perhaps cut short at the end); `None` if they do not. A
/// string is a key only in an object, after `{` or `,`, and followed by `:`.
fn json_keys(tokens: &[Token<'_>]) -> Option<Vec<bool>> {
    let mut keys = vec![false; tokens.len()];
    let start = tokens
        .iter()
        .position(|t| matches!(t, Token::Other("{") | Token::Other("[")))?;
    let mut open: Vec<bool> = Vec::new(); // true: an object
    let mut expect_key = false;
    let mut after_key = false;
    for (i, token) in tokens.iter().enumerate().skip(start) {
        let text = match token {
            Token::Other(text) if matches!(*text, " " | "\t" | "\n" | "\r") => continue,
            Token::Other(text) => *text,
            Token::Str(..) => "\"",
        };
        let was_key = std::mem::take(&mut after_key);
        if was_key != (text == ":") {
            // A key is followed by `:`, and only a key is.
            return None;
        }
        match text {
            "\"" => {
                if expect_key {
                    keys[i] = true;
                    after_key = true;
                }
                expect_key = false;
            }
            "{" => {
                open.push(true);
                expect_key = true;
            }
            "[" => {
                open.push(false);
                expect_key = false;
            }
            "}" | "]" => {
                if open.pop()? != (text == "}") {
                    return None;
                }
                expect_key = false;
            }
            "," => expect_key = *open.last()?,
            ":" => expect_key = false,
            word if json_word(word, i + 1 == tokens.len()) => expect_key = false,
            _ => return None,
        }
    }
    Some(keys)
}

/// A number, `true`, `false` or `null` (or, at the end of the text, the start of one).
fn json_word(word: &str, last: bool) -> bool {
    let number = word.starts_with(|c: char| c == '-' || c.is_ascii_digit())
        && word
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'));
    let literal = ["true", "false", "null"]
        .iter()
        .any(|l| *l == word || (last && l.starts_with(word)));
    number || literal
}

/// Whether an object key is shown: one like Klarna's field names (`order_lines`), short,
/// of lower-case ASCII letters, digits and `_`. Any other key may be data (a map keyed
/// by e-mail address, say) and is hidden like a value.
fn plain_key(key: &str) -> bool {
    (1..=64).contains(&key.len())
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// `text` with the content of every double-quoted part replaced by `…`: decoder
/// messages quote the offending value (`invalid type: string "…", expected i64`), with
/// its own quotes escaped (`\"`), which do not end the part. The name after `unknown
/// variant` (quoted in backticks, unescaped) is hidden too, up to `, expected`.
pub(crate) fn redact_quoted(text: &str) -> String {
    let variant;
    let text = match text.split_once("variant `") {
        Some((head, tail)) => {
            let rest = tail.rfind("`, expected").map_or("`", |i| &tail[i..]);
            variant = format!("{head}variant `…{rest}");
            variant.as_str()
        }
        None => text,
    };
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    let mut escaped = false;
    for c in text.chars() {
        if inside {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                out.push(c);
                inside = false;
            }
            continue;
        }
        out.push(c);
        if c == '"' {
            out.push('…');
            inside = true;
        }
    }
    if inside {
        out.push('"');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_snippets_keep_keys_and_numbers_but_no_string_values() {
        let body = br#"{"client_token":"tok-123","customer":{"date_of_birth":"1978-12-31"},"n":5,"list":["a\"b"]}"#;
        let shown = snippet(body, 500);
        assert_eq!(
            shown,
            r#"{"client_token":"…","customer":{"date_of_birth":"…"},"n":5,"list":["…"]}"#
        );
        // Truncated JSON too.
        let cut = snippet(br#"{"email":"jane@exam"#, 500);
        assert!(!cut.contains("jane"), "{cut}");
        // Not JSON: shown as it is.
        assert_eq!(
            snippet(b"<html>Bad gateway</html>", 500),
            "<html>Bad gateway</html>"
        );
    }

    #[test]
    fn snippets_hide_string_values_whatever_comes_first() {
        let json = r#"{"client_token":"tok-9","customer":{"email":"j@x.se"},"n":-1.5e3,"ok":true}"#;
        let redacted = r#"{"client_token":"…","customer":{"email":"…"},"n":-1.5e3,"ok":true}"#;
        for prefix in [
            "\u{feff}",
            " \n\t",
            ")]}'\n",
            "garbage ",
            "\"tok-9\" ",
            "\0",
        ] {
            let shown = snippet(format!("{prefix}{json}").as_bytes(), 500);
            assert!(
                !shown.contains("tok-9") && !shown.contains("j@x"),
                "{shown}"
            );
            assert!(shown.ends_with(redacted), "{prefix:?}: {shown}");
        }
        // Bytes that are not UTF-8 before the JSON.
        let mut body = b"\xff\xfe".to_vec();
        body.extend_from_slice(json.as_bytes());
        assert!(snippet(&body, 500).ends_with(redacted));
        // Not JSON after its first brace: no string content at all, keys included.
        for body in [
            r#"{"client_token":"tok-9"}}"email":"j@x.se""#,
            r#"{"client_token" "tok-9","email":"j@x.se"}"#,
            r#"{"a":1:"j@x.se"}"#,
            r#"{client_token: "tok-9", 'email': "j@x.se"}"#,
            r#"["tok-9":"j@x.se"]"#,
        ] {
            let shown = snippet(body.as_bytes(), 500);
            assert!(
                !shown.contains("tok-9") && !shown.contains("j@x"),
                "{shown}"
            );
            assert!(!shown.contains("client_token\""), "{shown}");
        }
        // Keys that are not field names (a map keyed by e-mail address) are hidden too.
        let shown = snippet(br#"{"j@x.se":1,"Tok9":2,"plain_key_1":3}"#, 500);
        assert_eq!(shown, r#"{"…":1,"…":2,"plain_key_1":3}"#);
        // A value after a colon is never a key, even when another colon follows.
        let shown = snippet(br#"{"a":"tok_nine":1}"#, 500);
        assert!(!shown.contains("tok_nine"), "{shown}");
    }

    #[test]
    fn snippets_are_cut_at_the_limit() {
        let body = format!(r#"{{"n":[{}]}}"#, "1,".repeat(1000));
        let shown = snippet(body.as_bytes(), 20);
        assert_eq!(shown.chars().count(), 21);
        assert!(shown.ends_with('…'));
        // Past what is scanned, a long hidden string still ends in `…`.
        let long = format!(
            r#"{{"client_token":"{}"}}"#,
            "t".repeat(2 * SNIPPET_SCAN_BYTES)
        );
        assert_eq!(snippet(long.as_bytes(), 500), r#"{"client_token":"…"…"#);
    }

    #[test]
    fn quoted_values_leave_decoder_messages() {
        assert_eq!(
            redact_quoted(r#"invalid type: string "1978-12-31", expected i64 at line 1 column 9"#),
            r#"invalid type: string "…", expected i64 at line 1 column 9"#
        );
        // An escaped quote does not end the value.
        assert_eq!(
            redact_quoted(r#"invalid type: string "a\"j@x.se\"b", expected i64 at line 1"#),
            r#"invalid type: string "…", expected i64 at line 1"#
        );
        assert_eq!(
            redact_quoted("unknown variant `j@x.se`, expected one of `a`, `b`"),
            "unknown variant `…`, expected one of `a`, `b`"
        );
        assert_eq!(
            redact_quoted("expected `,` or `}` at line 1 column 5"),
            "expected `,` or `}` at line 1 column 5"
        );
    }
}

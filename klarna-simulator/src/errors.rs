//! Klarna-shaped error answers.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answer: status, Klarna `error_code` and messages. The correlation id is
/// added by the server's middleware, to the body and the `Klarna-Correlation-Id` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KlarnaError {
    /// HTTP status.
    pub status: StatusCode,
    /// Klarna's `error_code`.
    pub code: &'static str,
    /// Klarna's `error_messages`.
    pub messages: Vec<String>,
    /// Seconds for a `Retry-After` header, on 429.
    pub retry_after: Option<u64>,
}

impl KlarnaError {
    /// Any error.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            messages: vec![message.into()],
            retry_after: None,
        }
    }

    /// 400 `BAD_VALUE` with one `Bad value: <field>` message per field.
    pub fn bad_values<'a>(fields: impl IntoIterator<Item = &'a str>) -> Self {
        let mut messages: Vec<String> = Vec::new();
        for field in fields {
            let message = format!("Bad value: {field}");
            if !messages.contains(&message) {
                messages.push(message);
            }
        }
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "BAD_VALUE",
            messages,
            retry_after: None,
        }
    }

    /// 404 `NOT_FOUND` for an unknown or expired session.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", "Invalid session id")
    }

    /// 404 `SESSION_COMPLETED` for a session that already became an order.
    pub fn session_completed() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "SESSION_COMPLETED",
            "Session is completed",
        )
    }

    /// 404 `NOT_FOUND` for an authorization token that is unknown, used, released or
    /// older than 60 minutes.
    pub fn authorization_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "Invalid authorization token",
        )
    }

    /// The answer, with `correlation_id` in the body.
    pub fn into_response_with(self, correlation_id: &str) -> Response {
        let body = json!({
            "error_code": self.code,
            "error_messages": self.messages,
            "correlation_id": correlation_id,
        });
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// `404 NOT_FOUND: Invalid session id`: the status, the code and the messages.
impl std::fmt::Display for KlarnaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.code)?;
        if !self.messages.is_empty() {
            write!(f, ": {}", self.messages.join("; "))?;
        }
        Ok(())
    }
}

impl std::error::Error for KlarnaError {}

impl IntoResponse for KlarnaError {
    /// An answer the server's middleware completes with the request's correlation id.
    fn into_response(self) -> Response {
        let mut response = Response::new(axum::body::Body::empty());
        response.extensions_mut().insert(PendingError(self));
        response
    }
}

/// Marks an error answer still to be rendered with the correlation id.
#[derive(Clone, Debug)]
pub(crate) struct PendingError(pub(crate) KlarnaError);

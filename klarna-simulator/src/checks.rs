//! What every Klarna operation with a body does to it first: JSON only, at most
//! [`MAX_BODY_BYTES`], the spec's constraints, the market's and Klarna's order
//! arithmetic; and the ids the simulator hands out.

use axum::body::{Body, Bytes};
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::{HeaderMap, StatusCode, header};
use klarna_payments::arithmetic::{OrderView, check_order};
use klarna_payments::types::OrderLine;
use serde::Deserialize;
use serde_json::Value;

use crate::errors::KlarnaError;
use crate::market;
use crate::prune;
use crate::server::MAX_BODY_BYTES;

/// Klarna takes JSON only. Its answer to another `Content-Type` is not among the facts
/// the project works from; the simulator answers `415 UNSUPPORTED_MEDIA_TYPE`, as a
/// strict JSON API would. A body without a `Content-Type` is not JSON either. A request
/// with no body and no `Content-Type` passes here: it lacks its body, which the JSON
/// parser then answers with `400 BAD_REQUEST`.
pub(crate) fn require_json(headers: &HeaderMap, body: &Body) -> Result<(), KlarnaError> {
    if !headers.contains_key(header::CONTENT_TYPE)
        && axum::body::HttpBody::size_hint(body).exact() == Some(0)
    {
        return Ok(());
    }
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let json = essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"));
    if json {
        Ok(())
    } else {
        Err(KlarnaError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "Content-Type must be application/json",
        ))
    }
}

pub(crate) async fn read_json(body: Body) -> Result<Value, KlarnaError> {
    let bytes: Bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            KlarnaError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                "Request body exceeds 1 MB",
            )
        })?;
    serde_json::from_slice(&bytes).map_err(|error| {
        KlarnaError::new(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            format!("Malformed JSON: {error}"),
        )
    })
}

/// Checks `value` against spec schema `schema`: the constraints come from the spec the
/// simulator was built with, not from this code.
pub(crate) fn check_schema(schema: &str, value: &Value) -> Result<(), KlarnaError> {
    if !value.is_object() {
        return Err(KlarnaError::new(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "The request body must be a JSON object",
        ));
    }
    let violations = klarna_payments::spec::document().validate(schema, value);
    if violations.is_empty() {
        return Ok(());
    }
    let fields: Vec<String> = violations.iter().map(|v| v.path.to_string()).collect();
    Err(KlarnaError::bad_values(fields.iter().map(String::as_str)))
}

/// The purchase fields of any body that carries a cart (a session, an order), for
/// the market and arithmetic rules.
#[derive(Deserialize)]
pub(crate) struct Purchase {
    pub(crate) purchase_country: String,
    pub(crate) purchase_currency: String,
    pub(crate) order_amount: i64,
    pub(crate) order_tax_amount: Option<i64>,
    pub(crate) order_lines: Vec<OrderLine>,
}

/// Klarna's market and arithmetic rules on a complete body with a cart (a session as
/// created or merged with an update, an order): its purchase fields.
pub(crate) fn check_order_rules(body: &Value) -> Result<Purchase, KlarnaError> {
    // Deserialize from the borrowed value: no copy of the body.
    let typed = Purchase::deserialize(body).map_err(|e| {
        KlarnaError::new(
            StatusCode::BAD_REQUEST,
            "BAD_VALUE",
            format!("Bad value: {e}"),
        )
    })?;
    check_market(&typed.purchase_country, &typed.purchase_currency)?;
    let violations = check_order(&OrderView {
        purchase_country: Some(&typed.purchase_country),
        order_amount: Some(typed.order_amount),
        order_tax_amount: typed.order_tax_amount,
        order_lines: Some(&typed.order_lines),
    });
    if violations.is_empty() {
        Ok(typed)
    } else {
        Err(KlarnaError::bad_values(
            violations.iter().map(|v| v.field.as_str()),
        ))
    }
}

/// A purchase country the simulator knows, with its currency.
pub(crate) fn check_market(country: &str, currency: &str) -> Result<(), KlarnaError> {
    match market::currency_of(country) {
        None => Err(KlarnaError::bad_values(["purchase_country"])),
        Some(expected) if !expected.eq_ignore_ascii_case(currency) => {
            Err(KlarnaError::bad_values(["purchase_currency"]))
        }
        Some(_) => Ok(()),
    }
}

/// The id in a request's path, or `404` when the path does not hold one.
pub(crate) fn path_id(path: Result<Path<String>, PathRejection>) -> Result<String, KlarnaError> {
    path.map(|Path(id)| id)
        .map_err(|_| KlarnaError::not_found())
}

/// A random (version 4) UUID. Drawn from `fastrand`, not the operating system: the
/// simulator's ids and tokens guard nothing, and a system call for each costs a
/// request more than the rest of its id handling.
pub(crate) fn random_uuid() -> uuid::Uuid {
    uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes()).into_uuid()
}

/// Drops the fields schema `schema` does not declare (see `prune.rs` for why).
pub(crate) fn drop_undeclared(schema: &str, value: &mut Value) {
    let document = klarna_payments::spec::document();
    if let Some(schema) = document.schema(schema) {
        prune::drop_undeclared(document, schema, value);
    }
}

//! The Authorizations resource: the shopper's approval (`authorize`, the one place
//! an authorization is given, for the control endpoint and the browser widget alike),
//! and what the merchant does with it: `POST
//! /payments/v1/authorizations/{authorization_token}/order`, `POST
//! …/customer-token` and `DELETE /payments/v1/authorizations/{authorization_token}`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::checks::{
    Purchase, check_market, check_order_rules, check_schema, random_uuid, read_json, require_json,
};
use crate::errors::KlarnaError;
use crate::server::AppState;
use crate::store::{Authorization, AuthorizationState, JsonText, PlacedOrder, StoredSession};

/// How long an approval can be turned into an order: Klarna guarantees 60 minutes.
pub const AUTHORIZATION_LIFETIME: chrono::Duration = chrono::Duration::minutes(60);

/// The fraud decisions the simulator can be asked to give an order.
const FRAUD_STATUSES: [&str; 2] = ["ACCEPTED", "PENDING"];

/// The shopper's answer in Klarna's dialog, as a test (or the widget) gives it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// Whether the shopper is approved (default `true`).
    pub approved: Option<bool>,
    /// The category the shopper chose (default: the first one offered).
    pub payment_method_category: Option<String>,
    /// The fraud decision the order will carry (`ACCEPTED`, the default, or `PENDING`).
    pub fraud_status: Option<String>,
}

/// What an approval ([`SimulatorHandle::authorize`](crate::SimulatorHandle::authorize), the control endpoint, the widget) answers, in the shape of the widget's `authorize` callback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Authorized {
    /// Approved: the token to place the order with.
    Approved {
        /// The authorization token.
        authorization_token: String,
    },
    /// Declined for good: the widget hides the category (`show_form: false`).
    Declined,
}

impl Authorized {
    /// The callback's JSON: `{approved, show_form, authorization_token?}`.
    pub fn to_json(&self) -> Value {
        match self {
            Authorized::Approved {
                authorization_token,
            } => json!({
                "approved": true,
                "show_form": true,
                "authorization_token": authorization_token,
            }),
            Authorized::Declined => json!({"approved": false, "show_form": false}),
        }
    }
}

/// Gives (or refuses) the shopper's approval for session `session_id` at `now`, as
/// Klarna's dialog does: an approval replaces any earlier one and its token is valid
/// for [`AUTHORIZATION_LIFETIME`]; a decline leaves the session as it was. The version
/// of the store's change, for persisting it, comes with an approval.
pub(crate) fn authorize(
    state: &Arc<AppState>,
    session_id: &str,
    approval: &Approval,
    now: DateTime<Utc>,
) -> Result<(Authorized, Option<u64>), KlarnaError> {
    let fraud_status = approval.fraud_status.as_deref().unwrap_or("ACCEPTED");
    if !FRAUD_STATUSES.contains(&fraud_status) {
        return Err(KlarnaError::bad_values(["fraud_status"]));
    }
    let approved = approval.approved.unwrap_or(true);
    let changed = state.store.modify(session_id, now, |session| {
        if session.completed {
            return Err(KlarnaError::session_completed());
        }
        let category = offered_category(session, approval.payment_method_category.as_deref())?;
        if !approved {
            session.finalize_pending = None;
            return Ok((Authorized::Declined, None));
        }
        let callback = session
            .data
            .to_value()
            .pointer("/merchant_urls/authorization")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let token = random_uuid().to_string();
        session.finalize_pending = None;
        session.authorization = Some(Box::new(Authorization {
            token: token.clone(),
            payment_method_category: category,
            fraud_status: fraud_status.to_owned(),
            expires_at: now + AUTHORIZATION_LIFETIME,
            state: AuthorizationState::Open,
        }));
        Ok((
            Authorized::Approved {
                authorization_token: token,
            },
            callback,
        ))
    });
    let ((answer, callback), version) = changed.ok_or_else(KlarnaError::not_found)??;
    // A decline changes nothing worth saving.
    let version = matches!(answer, Authorized::Approved { .. }).then_some(version);
    if let (
        Authorized::Approved {
            authorization_token,
        },
        Some(target),
    ) = (&answer, callback)
    {
        crate::callback::send(state, &target, session_id, authorization_token);
    }
    Ok((answer, version))
}

/// The category the shopper is approved for: the one asked for, which the session
/// must offer, or the first one offered.
fn offered_category(session: &StoredSession, asked: Option<&str>) -> Result<String, KlarnaError> {
    let offered = session.categories.to_value();
    let identifiers: Vec<&str> = offered
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("identifier").and_then(Value::as_str))
        .collect();
    match asked {
        Some(asked) if identifiers.contains(&asked) => Ok(asked.to_owned()),
        Some(_) => Err(KlarnaError::bad_values(["payment_method_category"])),
        None => identifiers
            .first()
            .map(|first| (*first).to_owned())
            .ok_or_else(|| KlarnaError::bad_values(["payment_method_category"])),
    }
}

/// The authorization token in a request's path, or Klarna's `404`.
fn token_of(path: Result<Path<String>, PathRejection>) -> Result<String, KlarnaError> {
    path.map(|Path(token)| token)
        .map_err(|_| KlarnaError::authorization_not_found())
}

/// The token in the path and the JSON body, checked against spec schema `schema`.
async fn token_and_body(
    path: Result<Path<String>, PathRejection>,
    headers: &HeaderMap,
    body: Body,
    schema: &str,
) -> Result<(String, Value), KlarnaError> {
    let token = token_of(path)?;
    require_json(headers, &body)?;
    let value = read_json(body).await?;
    check_schema(schema, &value)?;
    Ok((token, value))
}

/// The answer of a change made with [`Store::modify`](crate::store::Store::modify) to
/// an authorized session: persisted, then sent as JSON.
async fn stored(
    state: &Arc<AppState>,
    changed: Option<Result<(Value, u64), KlarnaError>>,
) -> Result<Response, KlarnaError> {
    let (answer, version) = changed.ok_or_else(KlarnaError::authorization_not_found)??;
    state.persist(version).await?;
    Ok(axum::Json(answer).into_response())
}

/// The session holding a usable authorization with `token`, or Klarna's `404`.
fn authorized_session(
    state: &AppState,
    token: &str,
    now: DateTime<Utc>,
) -> Result<String, KlarnaError> {
    state
        .store
        .session_of_token(token, now)
        .ok_or_else(KlarnaError::authorization_not_found)
}

/// The authorization of `session` if `token` can still be used with it.
fn usable<'a>(
    session: &'a StoredSession,
    token: &str,
    now: DateTime<Utc>,
) -> Result<&'a Authorization, KlarnaError> {
    session
        .authorization
        .as_deref()
        .filter(|a| a.token == token && a.usable(now))
        .ok_or_else(KlarnaError::authorization_not_found)
}

/// `409 BAD_VALUE` naming the fields of an order that differ from the session that
/// was authorized, as Klarna words it.
fn not_matching(fields: &[&str]) -> KlarnaError {
    KlarnaError::new(
        StatusCode::CONFLICT,
        "BAD_VALUE",
        format!("Not matching fields: [{}]", fields.join(", ")),
    )
}

/// The market fields (`purchase_country`, `purchase_currency`) sent that differ from
/// the session's.
fn market_differences(session: &Value, country: &str, currency: &str) -> Vec<&'static str> {
    let text = |field: &str| session.get(field).and_then(Value::as_str).unwrap_or("");
    let mut fields = Vec::new();
    if !text("purchase_country").eq_ignore_ascii_case(country) {
        fields.push("purchase_country");
    }
    if !text("purchase_currency").eq_ignore_ascii_case(currency) {
        fields.push("purchase_currency");
    }
    fields
}

/// The fields of `purchase` that differ from what the shopper approved in `session`.
fn differences(session: &Value, purchase: &Purchase) -> Vec<&'static str> {
    let mut fields = market_differences(
        session,
        &purchase.purchase_country,
        &purchase.purchase_currency,
    );
    if session.get("order_amount").and_then(Value::as_i64) != Some(purchase.order_amount) {
        fields.push("order_amount");
    }
    fields
}

/// What the shopper was approved for, as Klarna names the payment method.
fn payment_method(category: &str) -> Value {
    match category {
        "pay_over_time" => json!({"type": "fixed_amount", "number_of_installments": 3}),
        "pay_now" => json!({"type": "direct_debit"}),
        _ => json!({"type": "invoice", "number_of_days": 30}),
    }
}

/// Where the shopper goes afterwards: the merchant's confirmation page with the ids
/// filled in (Klarna's own redirect page would end there), when there is one. A
/// customer token has no order id (and its token id is a credential: never in a URL).
fn redirect_url(
    session: &Value,
    body: &Value,
    session_id: &str,
    order_id: Option<&str>,
) -> Option<String> {
    let confirmation = |v: &Value| {
        v.pointer("/merchant_urls/confirmation")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let url = confirmation(body).or_else(|| confirmation(session))?;
    let url = url.replace("{session.id}", session_id);
    Some(match order_id {
        Some(order_id) => url.replace("{order.id}", order_id),
        None => url,
    })
}

/// `POST /payments/v1/authorizations/{authorization_token}/order`: checks the body
/// like a session's (spec, market, arithmetic), then against the session that was
/// authorized; places the order, which closes the session and uses up the token.
pub(crate) async fn create_order(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, KlarnaError> {
    let (token, value) = token_and_body(path, &headers, body, "order_create").await?;
    let purchase = check_order_rules(&value)?;
    let now = state.clock.now();
    let session_id = authorized_session(&state, &token, now)?;
    let changed = state.store.modify(&session_id, now, |session| {
        let authorization = usable(session, &token, now)?;
        let data = session.data.to_value();
        let differing = differences(&data, &purchase);
        if !differing.is_empty() {
            return Err(not_matching(&differing));
        }
        let order_id = random_uuid().to_string();
        let mut answer = json!({
            "order_id": order_id,
            "fraud_status": authorization.fraud_status,
            "authorized_payment_method": payment_method(&authorization.payment_method_category),
        });
        if let Some(url) = redirect_url(&data, &value, &session_id, Some(&order_id)) {
            answer["redirect_url"] = Value::String(url);
        }
        if let Some(authorization) = session.authorization.as_mut() {
            authorization.state = AuthorizationState::Used;
        }
        session.completed = true;
        session.order = Some(Box::new(PlacedOrder {
            order_id,
            answer: JsonText::new(&answer),
        }));
        Ok(answer)
    });
    stored(&state, changed).await
}

/// `DELETE /payments/v1/authorizations/{authorization_token}`: releases a usable
/// authorization; the token is dead afterwards.
pub(crate) async fn cancel(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, KlarnaError> {
    let token = token_of(path)?;
    let now = state.clock.now();
    let session_id = authorized_session(&state, &token, now)?;
    let changed = state.store.modify(&session_id, now, |session| {
        usable(session, &token, now)?;
        if let Some(authorization) = session.authorization.as_mut() {
            authorization.state = AuthorizationState::Cancelled;
        }
        Ok::<(), KlarnaError>(())
    });
    let ((), version) = changed.ok_or_else(KlarnaError::authorization_not_found)??;
    state.persist(version).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The intents whose sessions may save a customer token.
const TOKENIZING_INTENTS: [&str; 3] = ["tokenize", "buy_and_tokenize", "buy_and_default_tokenize"];

/// `POST /payments/v1/authorizations/{authorization_token}/customer-token`: saves a
/// customer token for a session opened to tokenize. For `tokenize` the token takes
/// the order's place and uses the authorization up; for `buy_and_*` the same
/// authorization still places the order. One customer token per authorization.
pub(crate) async fn create_customer_token(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, KlarnaError> {
    let (token, value) = token_and_body(path, &headers, body, "customer_token_create").await?;
    let text = |field: &str| value.get(field).and_then(Value::as_str).unwrap_or("");
    let (country, currency) = (text("purchase_country"), text("purchase_currency"));
    check_market(country, currency)?;
    let now = state.clock.now();
    let session_id = authorized_session(&state, &token, now)?;
    let changed = state.store.modify(&session_id, now, |session| {
        usable(session, &token, now)?;
        let data = session.data.to_value();
        let intent = data.get("intent").and_then(Value::as_str).unwrap_or("buy");
        if !TOKENIZING_INTENTS
            .iter()
            .any(|i| i.eq_ignore_ascii_case(intent))
        {
            return Err(KlarnaError::new(
                StatusCode::FORBIDDEN,
                "INVALID_OPERATION",
                "The session was not opened to save a customer token (intent)",
            ));
        }
        if session.customer_token.is_some() {
            return Err(KlarnaError::new(
                StatusCode::FORBIDDEN,
                "INVALID_OPERATION",
                "A customer token was already saved with this authorization",
            ));
        }
        let differing = market_differences(&data, country, currency);
        if !differing.is_empty() {
            return Err(not_matching(&differing));
        }
        let token_id = random_uuid().to_string();
        let mut answer = json!({
            "token_id": token_id,
            "payment_method_reference": random_uuid().to_string(),
        });
        if let Some(address) = value
            .get("billing_address")
            .or_else(|| data.get("billing_address"))
        {
            answer["billing_address"] = address.clone();
        }
        if let Some(customer) = value.get("customer").or_else(|| data.get("customer")) {
            let mut shown = serde_json::Map::new();
            for field in ["date_of_birth", "gender"] {
                if let Some(v) = customer.get(field) {
                    shown.insert(field.into(), v.clone());
                }
            }
            answer["customer"] = Value::Object(shown);
        }
        if let Some(url) = redirect_url(&data, &Value::Null, &session_id, None) {
            answer["redirect_url"] = Value::String(url);
        }
        if intent.eq_ignore_ascii_case("tokenize") {
            if let Some(authorization) = session.authorization.as_mut() {
                authorization.state = AuthorizationState::Used;
            }
            session.completed = true;
        }
        session.customer_token = Some(token_id);
        Ok(answer)
    });
    stored(&state, changed).await
}

//! The Sessions resource: `POST /payments/v1/sessions`, and `GET`, `POST`, `DELETE`
//! `/payments/v1/sessions/{session_id}`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::SecondsFormat;
use klarna_payments::types::AcquiringChannel;
use serde_json::{Value, json};

use crate::checks::{
    check_order_rules, check_schema, drop_undeclared, path_id, random_uuid, read_json, require_json,
};
use crate::errors::KlarnaError;
use crate::market;
use crate::server::AppState;
use crate::store::{JsonText, Lookup, Removal, StoredSession};

pub(crate) async fn create(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, KlarnaError> {
    require_json(&headers, &body)?;
    let mut value = read_json(body).await?;
    check_schema("session_create", &value)?;
    let typed = check_order_rules(&value)?;
    drop_undeclared("session_create", &mut value);
    let session_id = random_uuid().to_string();
    let categories = market::categories(typed.purchase_country.as_str());
    let now = state.clock.now();
    let mut answer = json!({
        "session_id": session_id,
        "payment_method_categories": categories.json(),
    });
    // In-store sessions reach the shopper through a QR code or link, not the widget:
    // Klarna answers with `distribution.result_url` and no client token.
    let in_store = value
        .get("acquiring_channel")
        .and_then(Value::as_str)
        .is_some_and(|c| AcquiringChannel::from(c) == AcquiringChannel::InStore)
        && value.get("distribution").is_some_and(Value::is_object);
    let client_token = if in_store {
        answer["distribution"] = json!({
            // `.invalid` is reserved: the simulator has no shopper-facing page.
            "result_url": format!("https://in-store.simulator.invalid/{session_id}"),
        });
        None
    } else {
        let token = state
            .signer
            .issue(&session_id, &categories.identifiers(), now.timestamp());
        answer["client_token"] = json!(token);
        Some(token)
    };
    let version = state.store.insert(
        session_id,
        StoredSession {
            data: JsonText::new(&value),
            client_token,
            categories: categories.text(),
            expires_at: now + state.session_lifetime,
            completed: false,
            authorization: None,
            order: None,
            customer_token: None,
            finalize_pending: None,
        },
        now,
    );
    state.persist(version).await?;
    Ok(axum::Json(answer).into_response())
}

pub(crate) async fn read(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, KlarnaError> {
    let id = path_id(path)?;
    let now = state.clock.now();
    let Lookup::Found(session) = state.store.get(&id, now) else {
        return Err(KlarnaError::not_found());
    };
    let mut out = session.data.to_value();
    if let Some(object) = out.as_object_mut() {
        // The distribution settings are instructions, not session data.
        object.remove("distribution");
        if let Some(token) = session.client_token {
            object.insert("client_token".into(), Value::String(token));
        }
        // The latest approval's token, while an order can still be placed with it.
        if let Some(authorization) = session.authorization.filter(|a| a.usable(now)) {
            object.insert(
                "authorization_token".into(),
                Value::String(authorization.token),
            );
        }
        object.insert(
            "payment_method_categories".into(),
            session.categories.to_value(),
        );
        object.insert(
            "status".into(),
            json!(if session.completed {
                "complete"
            } else {
                "incomplete"
            }),
        );
        object.insert(
            "expires_at".into(),
            json!(
                session
                    .expires_at
                    .to_rfc3339_opts(SecondsFormat::Secs, true)
            ),
        );
    }
    Ok(axum::Json(out).into_response())
}

pub(crate) async fn update(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, KlarnaError> {
    let id = path_id(path)?;
    require_json(&headers, &body)?;
    let changes = read_json(body).await?;
    let now = state.clock.now();
    let Lookup::Found(session) = state.store.get(&id, now) else {
        return Err(KlarnaError::not_found());
    };
    if session.completed {
        return Err(KlarnaError::session_completed());
    }
    apply_update(&state, &id, changes).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Applies `changes` to session `id` as an update does (spec, undeclared fields
/// dropped, merged and checked under the store's lock), and persists it: for the update
/// call and for the data the browser library passes along.
pub(crate) async fn apply_update(
    state: &Arc<AppState>,
    id: &str,
    mut changes: Value,
) -> Result<(), KlarnaError> {
    check_schema("session_update", &changes)?;
    drop_undeclared("session_update", &mut changes);
    // Merged and checked under the store's lock, so that two updates at once both
    // land (each merges into what the other wrote) or one is refused.
    let Some(changed) = state.store.modify(id, state.clock.now(), |session| {
        merge_update(session, changes)
    }) else {
        return Err(KlarnaError::not_found());
    };
    let ((), version) = changed?;
    state.persist(version).await?;
    Ok(())
}

/// Merges an update's `changes` into `session`, as Klarna applies it: the purchase
/// country and currency cannot change (`409`), and the merged session must pass the
/// market and arithmetic rules.
fn merge_update(session: &mut StoredSession, changes: Value) -> Result<(), KlarnaError> {
    if session.completed {
        return Err(KlarnaError::session_completed());
    }
    let mut merged = session.data.to_value();
    for field in ["purchase_country", "purchase_currency"] {
        let (sent, stored) = (
            changes.get(field).and_then(Value::as_str),
            merged.get(field).and_then(Value::as_str),
        );
        if let (Some(sent), Some(stored)) = (sent, stored)
            && !sent.eq_ignore_ascii_case(stored)
        {
            let mut error = KlarnaError::bad_values([field]);
            error.status = StatusCode::CONFLICT;
            return Err(error);
        }
    }
    if let (Some(target), Value::Object(source)) = (merged.as_object_mut(), changes) {
        for (key, value) in source {
            target.insert(key, value);
        }
    }
    check_order_rules(&merged)?;
    session.data = JsonText::new(&merged);
    Ok(())
}

/// Cancels an open session: it is gone afterwards (reads, updates and a second cancel
/// answer 404). A session that became an order cannot be cancelled.
pub(crate) async fn cancel(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, KlarnaError> {
    let id = path_id(path)?;
    match state
        .store
        .remove_if(&id, state.clock.now(), |s| !s.completed)
    {
        (Removal::Removed, version) => {
            state.persist(version).await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        (Removal::Refused, _) => Err(KlarnaError::session_completed()),
        (Removal::Missing, _) => Err(KlarnaError::not_found()),
    }
}

//! The browser side of a checkout: the drop-in for Klarna's JavaScript SDK at
//! `GET /kp/lib/v1/api.js` (plain JavaScript in `api.js` and `widget.js`, embedded), and
//! the endpoints it calls under `/kp/payments/v1/`. Those take the session's client token
//! as a bearer token, never the merchant's credentials; answer CORS for any page's
//! origin; and show the browser only what the widget needs (no personal data, no other
//! session). The shopper's decision goes through the same approval function as the
//! control endpoint (`authorizations::authorize`).

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::authorizations::{Approval, authorize as approve};
use crate::checks::read_json;
use crate::client_token;
use crate::errors::KlarnaError;
use crate::server::AppState;
use crate::sessions::apply_update;
use crate::store::{Lookup, StoredSession};

/// The library: the widget's code, then the SDK surface, in one scope.
const LIBRARY: &str = concat!(
    "/* Klarna simulator: a stand-in for Klarna's JavaScript SDK. Not Klarna's code. */\n",
    "(function () {\n\"use strict\";\n",
    include_str!("widget.js"),
    "\n",
    include_str!("api.js"),
    "\n})();\n"
);

/// The library's route and the endpoints it calls, with CORS.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/kp/lib/v1/api.js", get(library))
        .route("/kp/payments/v1/session", get(session))
        .route("/kp/payments/v1/load", post(load))
        .route("/kp/payments/v1/authorize", post(authorize))
        .route("/kp/payments/v1/finalize", post(finalize))
        .layer(middleware::from_fn(cors))
}

/// `GET /kp/lib/v1/api.js`.
async fn library() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        LIBRARY,
    )
        .into_response()
}

/// Lets any page's origin call the endpoints with a bearer token (no cookies are
/// involved, so no credentials mode), and answers preflights.
async fn cors(request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    let mut response = if request.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        origin.unwrap_or(HeaderValue::from_static("*")),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("authorization, content-type"),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("klarna-correlation-id"),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    response
}

/// The session whose client token the request bears, or `401`.
fn bearer(state: &AppState, headers: &HeaderMap) -> Result<(String, StoredSession), KlarnaError> {
    let refused = || {
        KlarnaError::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "A valid client token is required",
        )
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(refused)?;
    let session_id = client_token::session_of(token).ok_or_else(refused)?;
    let Lookup::Found(session) = state.store.get(&session_id, state.clock.now()) else {
        return Err(KlarnaError::not_found());
    };
    if session.client_token.as_deref() != Some(token) {
        return Err(refused());
    }
    Ok((session_id, session))
}

/// What the widget shows of a session: no personal data, nothing the merchant API would
/// not show the merchant.
fn view(session_id: &str, session: &StoredSession) -> Value {
    let data = session.data.to_value();
    let mut view = json!({
        "session_id": session_id,
        "status": if session.completed { "complete" } else { "incomplete" },
        "payment_method_categories": session.categories.to_value(),
    });
    for field in [
        "purchase_country",
        "purchase_currency",
        "locale",
        "order_amount",
    ] {
        if let Some(value) = data.get(field) {
            view[field] = value.clone();
        }
    }
    view
}

/// `GET /kp/payments/v1/session`: the session as the widget shows it.
async fn session(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, KlarnaError> {
    let (id, session) = bearer(&state, &headers)?;
    Ok(axum::Json(view(&id, &session)).into_response())
}

/// What the library sends with `load`, `authorize` and `finalize`.
#[derive(Debug, Default, Deserialize)]
struct WidgetCall {
    payment_method_category: Option<String>,
    /// Session data the page passes along; it updates the session as Klarna does.
    data: Option<Value>,
    /// `authorize`: whether the shopper approved in the dialog.
    approved: Option<bool>,
    /// `authorize`: `false` asks for a separate `finalize`.
    auto_finalize: Option<bool>,
}

async fn widget_call(body: Body) -> Result<WidgetCall, KlarnaError> {
    let value = read_json(body).await?;
    serde_json::from_value(value).map_err(|error| {
        KlarnaError::new(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            format!("Malformed call: {error}"),
        )
    })
}

/// Applies the page's `data` to the session as an update; the fields Klarna would
/// name as invalid, if any (the callback's `error.invalid_fields`).
async fn apply_data(
    state: &Arc<AppState>,
    session_id: &str,
    data: Option<Value>,
) -> Result<Vec<String>, KlarnaError> {
    let Some(data) = data.filter(|d| !d.is_null()) else {
        return Ok(Vec::new());
    };
    match apply_update(state, session_id, data).await {
        Ok(()) => Ok(Vec::new()),
        Err(error) if error.status == StatusCode::BAD_REQUEST => Ok(error
            .messages
            .iter()
            .map(|m| m.strip_prefix("Bad value: ").unwrap_or(m).to_owned())
            .collect()),
        Err(error) => Err(error),
    }
}

fn invalid(fields: Vec<String>, mut answer: Value) -> Value {
    answer["error"] = json!({"invalid_fields": fields});
    answer
}

/// `POST /kp/payments/v1/load`: the page's data applied; the session to render and the
/// callback's answer.
async fn load(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, KlarnaError> {
    let (id, _) = bearer(&state, &headers)?;
    let call = widget_call(body).await?;
    let invalid_fields = apply_data(&state, &id, call.data).await?;
    let (_, session) = bearer(&state, &headers)?;
    let offered = call
        .payment_method_category
        .as_deref()
        .is_some_and(|c| offers(&session, c));
    let mut result = json!({"show_form": offered && !session.completed});
    if !invalid_fields.is_empty() {
        result = invalid(invalid_fields, result);
    }
    Ok(axum::Json(json!({"session": view(&id, &session), "result": result})).into_response())
}

fn offers(session: &StoredSession, category: &str) -> bool {
    session
        .categories
        .to_value()
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c.get("identifier").and_then(Value::as_str) == Some(category))
}

/// A call that decides (`authorize`, `finalize`): its session (as it was before the
/// call) and the call, once the page's data is applied; or, when the data broke a
/// rule, the callback's answer naming the fields.
enum Decision {
    Go(String, Box<StoredSession>, WidgetCall),
    Invalid(Response),
}

async fn decision(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Decision, KlarnaError> {
    let (id, session) = bearer(state, headers)?;
    let mut call = widget_call(body).await?;
    let invalid_fields = apply_data(state, &id, call.data.take()).await?;
    if !invalid_fields.is_empty() {
        let answer = json!({"approved": false, "show_form": true});
        return Ok(Decision::Invalid(
            axum::Json(invalid(invalid_fields, answer)).into_response(),
        ));
    }
    Ok(Decision::Go(id, Box::new(session), call))
}

/// `POST /kp/payments/v1/authorize`: the shopper's decision in the dialog. Approved
/// with `auto_finalize: false`, the session waits for `finalize`; otherwise the same
/// approval as the control endpoint's, and the callback's answer.
async fn authorize(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, KlarnaError> {
    let (id, call) = match decision(&state, &headers, body).await? {
        Decision::Go(id, _, call) => (id, call),
        Decision::Invalid(answer) => return Ok(answer),
    };
    let approved = call.approved.unwrap_or(false);
    let category = call.payment_method_category;
    if approved && call.auto_finalize == Some(false) {
        let now = state.clock.now();
        let pending = category.clone();
        let changed = state.store.modify(&id, now, |session| {
            if session.completed {
                return Err(KlarnaError::session_completed());
            }
            session.finalize_pending = pending.or_else(|| Some(String::new()));
            Ok(())
        });
        let ((), version) = changed.ok_or_else(KlarnaError::not_found)??;
        state.persist(version).await?;
        return Ok(axum::Json(json!({
            "approved": true,
            "show_form": true,
            "finalize_required": true,
        }))
        .into_response());
    }
    decide(&state, &id, approved, category).await
}

/// `POST /kp/payments/v1/finalize`: completes an approval given with
/// `auto_finalize: false`; without one, nothing to finalize (`approved: false`).
async fn finalize(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, KlarnaError> {
    let (id, session, call) = match decision(&state, &headers, body).await? {
        Decision::Go(id, session, call) => (id, session, call),
        Decision::Invalid(answer) => return Ok(answer),
    };
    let Some(pending) = session.finalize_pending else {
        return Ok(axum::Json(json!({"approved": false, "show_form": true})).into_response());
    };
    let category = Some(pending).filter(|c| !c.is_empty());
    decide(&state, &id, true, category.or(call.payment_method_category)).await
}

/// The approval, as the control endpoint gives it, answered in the callback's shape.
async fn decide(
    state: &Arc<AppState>,
    session_id: &str,
    approved: bool,
    category: Option<String>,
) -> Result<Response, KlarnaError> {
    let approval = Approval {
        approved: Some(approved),
        payment_method_category: category,
        fraud_status: None,
    };
    let (answer, version) = approve(state, session_id, &approval, state.clock.now())?;
    if let Some(version) = version {
        state.persist(version).await?;
    }
    Ok(axum::Json(answer.to_json()).into_response())
}

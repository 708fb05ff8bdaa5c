//! The control endpoints under `/simulator/v1/` (described by
//! `openapi/simulator-control.yaml`): faults and the request log. Same credentials as
//! the Klarna endpoints; never faulted, rate limited or logged themselves.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::authorizations::{Approval, authorize};
use crate::checks::path_id;
use crate::errors::KlarnaError;
use crate::faults::Fault;
use crate::server::AppState;

/// `POST /simulator/v1/sessions/{session_id}/complete`: marks a live session as if an
/// order had been placed.
pub(crate) async fn complete(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, KlarnaError> {
    let id = path_id(path)?;
    let Some(version) = state
        .store
        .update(&id, state.clock.now(), |s| s.completed = true)
    else {
        return Err(KlarnaError::not_found());
    };
    state.persist(version).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The largest approval body accepted.
const MAX_APPROVAL_BYTES: usize = 4 * 1024;

/// `POST /simulator/v1/sessions/{session_id}/authorize`: the shopper's step in Klarna's
/// dialog. Approves (by default with the first category offered) or declines; answers
/// in the shape of the widget's `authorize` callback.
pub(crate) async fn authorize_session(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    body: Body,
) -> Result<Response, KlarnaError> {
    let id = path_id(path)?;
    let bytes = axum::body::to_bytes(body, MAX_APPROVAL_BYTES)
        .await
        .map_err(|_| {
            KlarnaError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                "An approval is described in at most 4 KiB",
            )
        })?;
    let approval: Approval = if bytes.iter().all(u8::is_ascii_whitespace) {
        Approval::default()
    } else {
        serde_json::from_slice(&bytes).map_err(|error| {
            KlarnaError::new(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                format!("Malformed approval: {error}"),
            )
        })?
    };
    let (answer, version) = authorize(&state, &id, &approval, state.clock.now())?;
    if let Some(version) = version {
        state.persist(version).await?;
    }
    Ok(axum::Json(answer.to_json()).into_response())
}

/// The largest fault description accepted.
const MAX_FAULT_BYTES: usize = 64 * 1024;

/// `POST /simulator/v1/faults`: adds a fault (JSON form of [`Fault`]); 201 with the
/// fault as held (id, fired, remaining).
pub(crate) async fn add_fault(
    State(state): State<Arc<AppState>>,
    body: Body,
) -> Result<Response, KlarnaError> {
    let bytes = axum::body::to_bytes(body, MAX_FAULT_BYTES)
        .await
        .map_err(|_| {
            KlarnaError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                "A fault is described in at most 64 KiB",
            )
        })?;
    let fault: Fault = serde_json::from_slice(&bytes).map_err(|error| {
        KlarnaError::new(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            format!("Malformed fault: {error}"),
        )
    })?;
    let added = state.faults.add(fault).map_err(|invalid| KlarnaError {
        status: StatusCode::BAD_REQUEST,
        code: "BAD_VALUE",
        messages: vec![
            format!("Bad value: {}", invalid.field()),
            invalid.to_string(),
        ],
        retry_after: None,
    })?;
    Ok((StatusCode::CREATED, axum::Json(added)).into_response())
}

/// `GET /simulator/v1/faults`: every fault held, oldest first, with its counts.
pub(crate) async fn list_faults(State(state): State<Arc<AppState>>) -> Response {
    axum::Json(json!({ "faults": state.faults.list() })).into_response()
}

/// `DELETE /simulator/v1/faults`: removes every fault.
pub(crate) async fn clear_faults(State(state): State<Arc<AppState>>) -> StatusCode {
    state.faults.clear();
    StatusCode::NO_CONTENT
}

/// `DELETE /simulator/v1/faults/{fault_id}`: removes one fault.
pub(crate) async fn remove_fault(
    State(state): State<Arc<AppState>>,
    id: Result<Path<u64>, PathRejection>,
) -> Result<StatusCode, KlarnaError> {
    match id {
        Ok(Path(id)) if state.faults.remove(id) => Ok(StatusCode::NO_CONTENT),
        _ => Err(KlarnaError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "No such fault",
        )),
    }
}

/// `GET /simulator/v1/requests[?since=SEQ]`: the request log, oldest first.
pub(crate) async fn list_requests(
    State(state): State<Arc<AppState>>,
    uri: Uri,
) -> Result<Response, KlarnaError> {
    let mut since = 0;
    for pair in uri.query().unwrap_or_default().split('&') {
        if let Some(value) = pair.strip_prefix("since=") {
            since = value
                .parse()
                .map_err(|_| KlarnaError::bad_values(["since"]))?;
        }
    }
    Ok(axum::Json(json!({
        "capacity": state.requests.capacity(),
        "requests": state.requests.list(since),
    }))
    .into_response())
}

/// `DELETE /simulator/v1/requests`: empties the request log.
pub(crate) async fn clear_requests(State(state): State<Arc<AppState>>) -> StatusCode {
    state.requests.clear();
    StatusCode::NO_CONTENT
}

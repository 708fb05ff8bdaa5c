//! The one table of the API's operations: how each is sent (method, path, success
//! status) and whether it may be sent twice. [`Client`](crate::Client)'s calls, the
//! retry rule and the generated client's hooks all read it; `tests/operations.rs` pins
//! every row to the spec. Adding an operation adds a row here and a method in
//! `client.rs` that names it.

use std::sync::atomic::AtomicUsize;

use reqwest::{Method, StatusCode};

/// Whether a call may be repeated at all, by operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Replay {
    /// Safe to repeat (read, update with the same body, cancel).
    Safe,
    /// Not idempotent (a create: session, order, customer token): repeat only when the
    /// request never reached Klarna, or Klarna refused it unprocessed (`429`).
    OnlyIfUnprocessed,
}

/// The collection an operation's path starts from, under `{base}/payments/v1/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Collection {
    /// `/payments/v1/sessions`
    Sessions,
    /// `/payments/v1/authorizations`
    Authorizations,
}

impl Collection {
    /// The path of the collection, from the base URL.
    pub(crate) const fn path(self) -> &'static str {
        match self {
            Collection::Sessions => "/payments/v1/sessions",
            Collection::Authorizations => "/payments/v1/authorizations",
        }
    }

    /// What the path parameter after the collection is called (in the spec and in
    /// errors about it).
    pub(crate) const fn item(self) -> &'static str {
        match self {
            Collection::Sessions => "session_id",
            Collection::Authorizations => "authorization_token",
        }
    }
}

/// One operation of the API, as the generated code sends it.
pub(crate) struct Operation {
    /// progenitor's name for the spec's `operationId` (spans, the replay rule).
    pub(crate) id: &'static str,
    /// The spec's `operationId`.
    pub(crate) operation_id: &'static str,
    pub(crate) method: Method,
    pub(crate) collection: Collection,
    /// Whether the path names one item of the collection (`/{id}`).
    pub(crate) item: bool,
    /// A last path segment after the item (`order`, `customer-token`).
    pub(crate) suffix: Option<&'static str>,
    /// The one success status the spec documents for it.
    pub(crate) success: StatusCode,
    pub(crate) replay: Replay,
    /// The size of the last body sent, a capacity hint for the next one.
    pub(crate) body_hint: Option<&'static AtomicUsize>,
}

impl Operation {
    /// The path template as the spec writes it, e.g.
    /// `/payments/v1/authorizations/{authorization_token}/order`.
    pub(crate) fn path_template(&self) -> String {
        let mut path = self.collection.path().to_owned();
        if self.item {
            path.push_str(&format!("/{{{}}}", self.collection.item()));
        }
        if let Some(suffix) = self.suffix {
            path.push('/');
            path.push_str(suffix);
        }
        path
    }
}

static CREATE_SESSION_BODY: AtomicUsize = AtomicUsize::new(0);
static UPDATE_SESSION_BODY: AtomicUsize = AtomicUsize::new(0);
static CREATE_ORDER_BODY: AtomicUsize = AtomicUsize::new(0);
static CUSTOMER_TOKEN_BODY: AtomicUsize = AtomicUsize::new(0);

pub(crate) const CREATE_SESSION: Operation = Operation {
    id: "create_credit_session",
    operation_id: "createCreditSession",
    method: Method::POST,
    collection: Collection::Sessions,
    item: false,
    suffix: None,
    success: StatusCode::OK,
    replay: Replay::OnlyIfUnprocessed,
    body_hint: Some(&CREATE_SESSION_BODY),
};
pub(crate) const READ_SESSION: Operation = Operation {
    id: "read_credit_session",
    operation_id: "readCreditSession",
    method: Method::GET,
    collection: Collection::Sessions,
    item: true,
    suffix: None,
    success: StatusCode::OK,
    replay: Replay::Safe,
    body_hint: None,
};
pub(crate) const UPDATE_SESSION: Operation = Operation {
    id: "update_credit_session",
    operation_id: "updateCreditSession",
    method: Method::POST,
    collection: Collection::Sessions,
    item: true,
    suffix: None,
    success: StatusCode::NO_CONTENT,
    replay: Replay::Safe,
    body_hint: Some(&UPDATE_SESSION_BODY),
};
pub(crate) const CANCEL_SESSION: Operation = Operation {
    id: "cancel_credit_session",
    operation_id: "cancelCreditSession",
    method: Method::DELETE,
    collection: Collection::Sessions,
    item: true,
    suffix: None,
    success: StatusCode::NO_CONTENT,
    replay: Replay::Safe,
    body_hint: None,
};
pub(crate) const CREATE_ORDER: Operation = Operation {
    id: "create_order",
    operation_id: "createOrder",
    method: Method::POST,
    collection: Collection::Authorizations,
    item: true,
    suffix: Some("order"),
    success: StatusCode::OK,
    replay: Replay::OnlyIfUnprocessed,
    body_hint: Some(&CREATE_ORDER_BODY),
};
pub(crate) const CANCEL_AUTHORIZATION: Operation = Operation {
    id: "cancel_authorization",
    operation_id: "cancelAuthorization",
    method: Method::DELETE,
    collection: Collection::Authorizations,
    item: true,
    suffix: None,
    success: StatusCode::NO_CONTENT,
    replay: Replay::Safe,
    body_hint: None,
};
pub(crate) const CREATE_CUSTOMER_TOKEN: Operation = Operation {
    id: "purchase_token",
    operation_id: "purchaseToken",
    method: Method::POST,
    collection: Collection::Authorizations,
    item: true,
    suffix: Some("customer-token"),
    success: StatusCode::OK,
    replay: Replay::OnlyIfUnprocessed,
    body_hint: Some(&CUSTOMER_TOKEN_BODY),
};

/// Every operation, for lookups by name.
pub(crate) const ALL: [&Operation; 7] = [
    &CREATE_SESSION,
    &READ_SESSION,
    &UPDATE_SESSION,
    &CANCEL_SESSION,
    &CREATE_ORDER,
    &CANCEL_AUTHORIZATION,
    &CREATE_CUSTOMER_TOKEN,
];

/// What the table says of an operation (method, path template, success status, and
/// whether it is replayed after it may have reached Klarna), for tests that hold it
/// against the spec: `(operationId, method, path, success, replay_safe)`.
#[doc(hidden)]
pub fn table() -> Vec<(&'static str, &'static str, String, u16, bool)> {
    ALL.iter()
        .map(|o| {
            (
                o.operation_id,
                o.method.as_str(),
                o.path_template(),
                o.success.as_u16(),
                o.replay == Replay::Safe,
            )
        })
        .collect()
}

impl Replay {
    /// The rule for the operation progenitor calls `id` (every call through
    /// [`Client`](crate::Client) or the generated client names one of the table's);
    /// an operation not in the table is treated as not idempotent.
    pub(crate) fn for_operation(id: &str) -> Self {
        ALL.iter()
            .find(|o| o.id == id)
            .map_or(Replay::OnlyIfUnprocessed, |o| o.replay)
    }
}

#![doc = include_str!("../README.md")]
//!
//! ## A whole flow
//!
//! Bodies are built with [`request`] builders: setters take plain values, and every
//! amount Klarna checks (line totals and tax, order amount and tax, the US sales-tax
//! line) is derived.
//!
//! ```no_run
//! use klarna_payments::request::{
//!     OrderCreateBuilder, OrderLineBuilder, SessionCreateBuilder, SessionUpdateBuilder,
//! };
//! use klarna_payments::{Client, Credentials, Environment, Error, Region};
//!
//! # async fn run(token_from_the_page: String) -> Result<(), Error> {
//! let client = Client::builder()
//!     .region(Region::Europe)
//!     .environment(Environment::Playground)
//!     .credentials(Credentials::new("PK12345_abc", "shared-secret"))
//!     .build()?;
//!
//! let shoe = OrderLineBuilder::new().name("Running shoe").quantity(2).unit_price(2500).tax_rate(2500);
//! let created = client
//!     .create_session(
//!         SessionCreateBuilder::new()
//!             .purchase_country("SE")
//!             .purchase_currency("SEK")
//!             .merchant_reference1("ORDER-42")
//!             .order_lines([shoe.clone()]),
//!     )
//!     .await?;
//! println!("session {} (correlation id {:?})", created.session_id, created.correlation_id());
//!
//! // Read, change the cart, send it back: the totals follow the new lines.
//! let session = client.read_session(&created.session_id).await?;
//! let express = OrderLineBuilder::new().type_("shipping_fee").name("Express").quantity(1).unit_price(900);
//! // A discount is a line of its own, with a negative price (tax included).
//! let welcome = OrderLineBuilder::new().type_("discount").name("Welcome").quantity(1).unit_price(-500).tax_rate(2500);
//! let change = SessionUpdateBuilder::from(session.value()).order_lines([shoe, express, welcome]);
//! client.update_session(&created.session_id, change).await?;
//!
//! // The page loads Klarna's widget with `created.client_token`; once the shopper is
//! // approved it hands the backend an authorization token (Klarna's authorization
//! // callback can too). Place the order within 60 minutes: the session as approved.
//! let session = client.read_session(&created.session_id).await?;
//! let order = OrderCreateBuilder::from(session.value()).merchant_reference1("ORDER-42");
//! match client.create_order(&token_from_the_page, order).await {
//!     Ok(order) => println!("order {}, fraud status {:?}", order.order_id, order.fraud_status),
//!     // Older than 60 minutes, or used: ask the shopper to approve again.
//!     Err(e) if e.is_not_found() => {}
//!     // It may have been placed: read the session (`complete`?) before trying again.
//!     Err(e) if e.outcome_unknown() => {}
//!     Err(e) => return Err(e),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! A shopper who walks away leaves an open session; `cancel_session` closes it (and
//! answers [`Error::is_session_completed`] once it became an order), and
//! `cancel_authorization` releases an approval that will not become an order.
//!
//! The builders' [`build`](request::SessionCreateBuilder::build) gives the generated model
//! ([`types::SessionCreate`], …), which the client also accepts as it is: a model made or
//! changed by hand is checked against the spec and Klarna's arithmetic before it is sent.
//! The generated models have no builders of their own; [`request`] is the one way to
//! build a body from plain values.
//!
//! ## Privacy
//!
//! Tokens (`client_token`, `authorization_token`) and the shopper's personal data
//! (addresses, e-mail, phone, date of birth, identity numbers), in answers and in
//! request bodies alike, are [`Sensitive`] values: `Debug` prints `<redacted>`, and
//! [`Sensitive::expose`] reads them. The [`request`] builders' `Debug` redacts the same
//! fields. Errors quote no string value of a body, and the `tracing` span of a call
//! carries the operation, attempt, status, correlation id and duration, never headers or
//! bodies. The credentials are never printed either.
//!
//! ## Redirects
//!
//! Klarna's API never redirects, so no client of this crate follows a redirect, also
//! when you hand it your own `reqwest::ClientBuilder`: a `3xx` answer is
//! [`Error::Redirect`], and nothing is sent to the `Location`.
//!
//! Errors are one type, [`Error`]; match on it, or ask it
//! [`is_retryable`](Error::is_retryable) and [`correlation_id`](Error::correlation_id).
#![warn(missing_docs)]

pub mod arithmetic;
mod client;
mod config;
mod credentials;
mod error;
pub mod extensible;
pub mod generated;
#[doc(hidden)]
pub mod operations;
pub mod request;
mod retry;
mod sensitive;
pub mod spec;
mod tls;
pub mod transport;
pub mod validation;

pub use client::{Client, Response};
pub use config::{
    ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT,
    Environment, Region, http_client_builder,
};
pub use credentials::Credentials;
pub use error::{
    ApiError, ConfigError, DecodeError, Error, ErrorCode, InvalidRequest, TransportError,
};
/// The HTTP status of answers and errors ([`ApiError::status`],
/// [`Response::http_status`]), re-exported so that matching on it needs no `http`
/// dependency.
pub use http::StatusCode;
pub use retry::RetryPolicy;
pub use sensitive::Sensitive;
pub use validation::Checks;

/// Every model of the spec: the generated request and response types (built with the
/// [`request`] builders), and the [extensible enums](crate::extensible)
/// that stand in for Klarna's open value lists.
pub mod types {
    pub use crate::extensible::*;
    pub use crate::generated::types::*;
}

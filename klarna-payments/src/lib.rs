#![doc = include_str!("../README.md")]
//!
//! ## A whole flow
//!
//! ```no_run
//! use klarna_payments::types::{OrderLine, OrderLineType, SessionCreate, SessionUpdate};
//! use klarna_payments::{Client, Credentials, Environment, Error, Region, arithmetic};
//!
//! # async fn run() -> Result<(), Error> {
//! let client = Client::builder()
//!     .region(Region::Europe)
//!     .environment(Environment::Playground)
//!     .credentials(Credentials::new("PK12345_abc", "shared-secret"))
//!     .build()?;
//!
//! // Let the helper do the arithmetic Klarna checks.
//! let amounts = arithmetic::line_amounts(2500, 2, 0, 2500).expect("no overflow");
//! let line: OrderLine = OrderLine::builder()
//!     .type_(OrderLineType::Physical)
//!     .name("Running shoe")
//!     .quantity(2)
//!     .unit_price(2500)
//!     .tax_rate(2500)
//!     .total_amount(amounts.total_amount)
//!     .total_tax_amount(amounts.total_tax_amount)
//!     .try_into()
//!     .expect("valid line");
//!
//! let created = client
//!     .create_session(
//!         SessionCreate::builder()
//!             .purchase_country("SE")
//!             .purchase_currency("SEK")
//!             .order_amount(amounts.total_amount)
//!             .order_tax_amount(amounts.total_tax_amount)
//!             .order_lines(vec![line.clone()]),
//!     )
//!     .await?;
//! println!("session {} (correlation id {:?})", created.session_id, created.correlation_id());
//!
//! let session = client.read_session(&created.session_id).await?;
//! println!("status: {:?}", session.status.as_ref().map(ToString::to_string));
//!
//! client
//!     .update_session(
//!         &created.session_id,
//!         SessionUpdate::builder().merchant_reference1(klarna_payments::Text("ORDER-42")),
//!     )
//!     .await?;
//! # Ok(())
//! # }
//! ```
//!
//! ## Privacy
//!
//! Tokens (`client_token`, `authorization_token`) and the shopper's personal data in
//! answers (addresses, e-mail, phone, date of birth, identity numbers) are
//! [`Sensitive`] values: `Debug` prints `<redacted>`, and [`Sensitive::expose`] reads
//! them. Errors quote no string value of an answer, and the `tracing` span of a call
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
pub mod request;
mod retry;
mod sensitive;
pub mod spec;
mod text;
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
pub use retry::RetryPolicy;
pub use sensitive::Sensitive;
pub use text::Text;

/// Every model of the spec: the generated request and response types, their builders,
/// and the [extensible enums](crate::extensible) that stand in for Klarna's open value
/// lists.
pub mod types {
    pub use crate::extensible::*;
    pub use crate::generated::types::*;
}

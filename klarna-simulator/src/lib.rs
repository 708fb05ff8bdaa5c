//! A stateful local stand-in for Klarna's Payments Sessions API: create, read and
//! update sessions over HTTP on loopback, with Klarna's authentication, validation
//! (driven by the project's OpenAPI spec), order arithmetic, error bodies, correlation
//! ids, 48-hour expiry (on an injectable clock), size and rate limits.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let simulator = klarna_simulator::Simulator::start().await?;
//! println!("{} accepts {}:{}", simulator.base_url(), simulator.username(), simulator.password());
//! simulator.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Beyond Klarna's API it offers control endpoints for tests in any language, under
//! `/simulator/v1/` with the same credentials (described by
//! `openapi/simulator-control.yaml`, kept apart from Klarna's spec):
//!
//! - `POST /simulator/v1/sessions/{session_id}/complete` marks a session as completed
//!   (an order was placed), as [`SimulatorHandle::complete_session`] does in Rust;
//! - `POST`, `GET`, `DELETE /simulator/v1/faults` and `DELETE /simulator/v1/faults/{id}`
//!   set, list and remove [`Fault`]s: chosen requests answer with an error status, late,
//!   with `Retry-After`, or over a connection cut before or after the headers;
//! - `GET`, `DELETE /simulator/v1/requests`: the request log ([`RequestRecord`]), to
//!   count attempts and see which fault fired.
//!
//! With a state file ([`SimulatorBuilder::state_file`], `--state-file`), sessions
//! survive a restart, even `kill -9`: every change is on disk before it is acknowledged.
#![warn(missing_docs)]

mod authorizations;
mod browser;
mod callback;
mod checks;
mod client_token;
mod clock;
mod connection;
mod control;
mod errors;
mod faults;
mod market;
mod persist;
mod prune;
mod rate_limit;
mod requests;
mod server;
mod sessions;
mod store;

pub use authorizations::{AUTHORIZATION_LIFETIME, Approval, Authorized};
pub use clock::{Clock, ManualClock, SystemClock};
pub use connection::{DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS};
pub use errors::KlarnaError;
pub use faults::{Close, Fault, FaultRecord, InvalidFault, MAX_DELAY, MAX_FAULTS, Operation};
pub use rate_limit::RateLimit;
pub use requests::{DEFAULT_REQUEST_LOG, Outcome, RequestRecord};
pub use server::{
    DEFAULT_MAX_SESSIONS, DEFAULT_PASSWORD, DEFAULT_USERNAME, MAX_BODY_BYTES, Simulator,
    SimulatorBuilder, SimulatorHandle,
};

/// The README's examples, compiled and run as doctests so the registry page stays true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

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
//! Beyond Klarna's API it offers one control endpoint for tests in any language:
//! `POST /simulator/v1/sessions/{session_id}/complete` marks a session as completed
//! (an order was placed), as [`SimulatorHandle::complete_session`] does in Rust.
#![warn(missing_docs)]

mod clock;
mod errors;
mod market;
mod rate_limit;
mod server;
mod store;

pub use clock::{Clock, ManualClock, SystemClock};
pub use errors::KlarnaError;
pub use rate_limit::RateLimit;
pub use server::{
    DEFAULT_MAX_SESSIONS, DEFAULT_PASSWORD, DEFAULT_USERNAME, MAX_BODY_BYTES, Simulator,
    SimulatorBuilder, SimulatorHandle,
};

/// The README's examples, compiled and run as doctests so the registry page stays true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

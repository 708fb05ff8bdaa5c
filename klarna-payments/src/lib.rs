//! Rust client for the Klarna Payments Sessions API.
pub mod arithmetic;
pub mod generated;
mod open_enums;
pub mod spec;
pub mod transport;
pub mod validation;
pub use generated::types;
pub use open_enums::Text;

//! Validation of JSON values against the schemas of an OpenAPI 3.0 document.
//!
//! The klarna-payments workspace keeps one hand-maintained spec. This crate reads the
//! constraints straight from it (types, `required`, `enum`, `pattern`, lengths, ranges,
//! item counts, `oneOf`/`anyOf`/`allOf`/`not`) and reports every violation with the field
//! path in Klarna's notation (`order_lines[2].total_tax_amount`), so that the client's
//! pre-send checks, the simulator and `cargo xtask validate` all enforce exactly what the
//! spec says, and a change to the spec changes all three.
//!
//! ```
//! use klarna_schema::SchemaDocument;
//! use serde_json::json;
//!
//! let doc = SchemaDocument::from_json(json!({
//!     "components": {"schemas": {"line": {
//!         "type": "object",
//!         "required": ["name"],
//!         "properties": {"name": {"type": "string", "maxLength": 3}}
//!     }}}
//! }))
//! .unwrap();
//! let violations = doc.validate("line", &json!({"name": "too long"}));
//! assert_eq!(violations[0].path.to_string(), "name");
//! assert_eq!(violations[0].to_string(), "name: is longer than 3 characters");
//! ```
//!
//! [`SchemaDocument::validate_serialize`] checks a typed value the same way while it is
//! serialized, without building a [`serde_json::Value`]: how `klarna-payments` checks
//! request bodies before sending them.
#![warn(missing_docs)]

mod accept;
mod compile;
mod document;
mod fields;
mod path;
mod pattern;
mod serialize;
mod validate;

pub use accept::quick;
pub use document::{LoadError, SchemaDocument};
pub use fields::{FieldChecker, Property};
pub use path::{FieldPath, PathSegment};
pub use validate::{At, Rule, Violation};

/// The README's examples, compiled and run as doctests so the registry page stays true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

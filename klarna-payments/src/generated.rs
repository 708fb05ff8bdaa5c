//! The client and models progenitor generates from `openapi/klarna-payments.yaml` at
//! build time. Nothing here is written by hand: `build.rs` derives the macro call (see
//! `codegen.rs`), and `cargo xtask regen` renders the same code to
//! `openapi/generated/` for review.
//!
//! Strings whose values Klarna extends (`x-extensible-enum` in the spec) are replaced by
//! the types of [`crate::extensible`]. The builders and `types` are documented from the
//! spec's descriptions; the few items progenitor emits without one are exempt from
//! `missing_docs`.
#![allow(missing_docs)]

/// What the generated code imports as `progenitor::progenitor_client`. Naming the
/// runtime crate here, rather than depending on the `progenitor` crate, keeps
/// `progenitor-impl`, `typify-impl` and `syn` out of the normal (non-macro) build.
mod progenitor {
    pub use progenitor_client;
}

include!(concat!(env!("OUT_DIR"), "/generate_api.rs"));

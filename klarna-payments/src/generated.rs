//! The client and models progenitor generates from `openapi/klarna-payments.yaml` at
//! build time. Nothing here is written by hand; `cargo xtask regen` renders the same
//! code to `openapi/generated/` for review. Keep these settings in step with
//! `xtask/src/generate.rs`.
//!
//! The builders and `types` are documented from the spec's descriptions; the few
//! items progenitor emits without one are exempt from `missing_docs`.
#![allow(missing_docs)]

progenitor::generate_api!(
    spec = "../openapi/klarna-payments.yaml",
    interface = Builder,
    tags = Merged,
    hooks = Expected,
    inner_type = crate::transport::Transport,
    derives = [schemars::JsonSchema, PartialEq],
);

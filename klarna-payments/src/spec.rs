//! The spec the client was generated from, embedded for request validation.

use std::sync::LazyLock;

use klarna_schema::SchemaDocument;

/// The OpenAPI document this crate was built from, as JSON.
pub const SPEC_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/klarna-payments.json"));

static DOCUMENT: LazyLock<SchemaDocument> = LazyLock::new(|| {
    let value = serde_json::from_str(SPEC_JSON).expect("build.rs wrote valid JSON");
    // `cargo xtask validate` refuses specs whose patterns do not compile, and the
    // generated client would not have compiled either.
    SchemaDocument::from_json(value).expect("the spec's patterns compile")
});

/// The spec, ready to validate JSON values against its schemas.
pub fn document() -> &'static SchemaDocument {
    &DOCUMENT
}

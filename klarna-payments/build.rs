//! Derives from the spec, into `OUT_DIR`:
//! - `klarna-payments.json`: the spec as JSON, embedded for request validation;
//! - `generate_api.rs`: the `progenitor` macro call, one `replace` per extensible enum
//!   and one `convert` per redacted string schema;
//! - `extensible.rs`: the Rust types of those enums (see `codegen.rs`);
//! - `request_builders.rs`: a builder per request object (see `codegen_requests.rs`);
//! - `field_walks.rs`: the pre-send check of each request model, field by field (see
//!   `codegen_checks.rs`).

use std::path::Path;

#[path = "codegen.rs"]
mod codegen;
#[path = "codegen_checks.rs"]
mod codegen_checks;
#[path = "codegen_requests.rs"]
mod codegen_requests;

fn main() {
    let spec_path = codegen::SPEC_PATH;
    println!("cargo:rerun-if-changed={spec_path}");
    println!("cargo:rerun-if-changed=codegen.rs");
    println!("cargo:rerun-if-changed=codegen_requests.rs");
    println!("cargo:rerun-if-changed=codegen_checks.rs");
    let yaml = std::fs::read_to_string(spec_path)
        .unwrap_or_else(|e| panic!("cannot read {spec_path}: {e}"));
    let value: serde_json::Value = serde_yaml::from_str(&yaml).unwrap_or_else(|e| {
        panic!("{spec_path} is not valid YAML ({e}); run `cargo xtask validate`")
    });
    let enums = codegen::extensible_enums(&value)
        .unwrap_or_else(|e| panic!("{spec_path}: {e}; run `cargo xtask validate`"));

    let redacted = codegen::redacted_strings(&value)
        .unwrap_or_else(|e| panic!("{spec_path}: {e}; run `cargo xtask validate`"));

    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let out = Path::new(&out);
    let json = serde_json::to_string(&value).expect("a parsed YAML value serialises to JSON");
    write(&out.join("klarna-payments.json"), &json);
    write(
        &out.join("generate_api.rs"),
        &codegen::generate_api_invocation(&enums, &redacted),
    );
    write(
        &out.join("extensible.rs"),
        &codegen::extensible_source(&enums),
    );
    let builders = codegen_requests::request_builders(&value)
        .unwrap_or_else(|e| panic!("{spec_path}: {e}; run `cargo xtask validate`"));
    write(&out.join("request_builders.rs"), &builders);
    let walks = codegen_checks::field_walks(&value)
        .unwrap_or_else(|e| panic!("{spec_path}: {e}; run `cargo xtask validate`"));
    write(&out.join("field_walks.rs"), &walks);
}

/// Writes only when the content changed, so an unchanged spec rebuilds nothing.
fn write(path: &Path, content: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(content) {
        std::fs::write(path, content).expect("OUT_DIR is writable");
    }
}

//! Embeds the hand-maintained spec as JSON so the crate can validate requests against
//! exactly the constraints the generated client was built from.

use std::path::Path;

const SPEC: &str = "../openapi/klarna-payments.yaml";

fn main() {
    println!("cargo:rerun-if-changed={SPEC}");
    let yaml = std::fs::read_to_string(SPEC).unwrap_or_else(|e| panic!("cannot read {SPEC}: {e}"));
    let value: serde_json::Value = serde_yaml::from_str(&yaml)
        .unwrap_or_else(|e| panic!("{SPEC} is not valid YAML ({e}); run `cargo xtask validate`"));
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let json = serde_json::to_string(&value).expect("a parsed YAML value serialises to JSON");
    std::fs::write(Path::new(&out).join("klarna-payments.json"), json)
        .expect("OUT_DIR is writable");
}

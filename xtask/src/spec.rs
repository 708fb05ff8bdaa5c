//! Reading the spec and walking it by JSON pointer.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Where the hand-maintained spec lives.
pub fn default_path(root: &Path) -> PathBuf {
    root.join("openapi").join("klarna-payments.yaml")
}

/// The spec file parsed into a JSON value, or a sentence saying why it could not be.
pub fn load(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_yaml::from_str(&text).map_err(|e| format!("{} is not valid YAML: {e}", path.display()))
}

/// One step appended to a JSON pointer, escaped as RFC 6901 requires.
pub fn push(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", token.replace('~', "~0").replace('/', "~1"))
}

/// The pointer a local `$ref` names (`#/components/schemas/x` → `/components/schemas/x`).
pub fn ref_pointer(reference: &str) -> Option<&str> {
    reference.strip_prefix('#')
}

/// The HTTP methods an OpenAPI path item may hold.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Every operation: (pointer, path, method, operation object).
pub fn operations(spec: &Value) -> Vec<(String, &str, &str, &Value)> {
    let mut found = Vec::new();
    if let Some(paths) = spec.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in METHODS {
                if let Some(operation) = item.get(method) {
                    let pointer = push(&push("/paths", path), method);
                    found.push((pointer, path.as_str(), method, operation));
                }
            }
        }
    }
    found
}

/// Follows `$ref`s from `(pointer, value)` to the object they finally name.
pub fn deref<'a>(
    spec: &'a Value,
    pointer: String,
    value: &'a Value,
) -> Option<(String, &'a Value)> {
    let mut current = (pointer, value);
    for _ in 0..32 {
        match current.1.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let target = ref_pointer(reference)?;
                current = (target.to_string(), spec.pointer(target)?);
            }
            None => return Some(current),
        }
    }
    None
}

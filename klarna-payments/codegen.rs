//! What `build.rs` derives from the spec, shared with `xtask` (which includes this file)
//! so that `cargo xtask regen` renders exactly what the crate compiles:
//!
//! - the `progenitor::generate_api!` invocation, with one `replace` entry per schema that
//!   lists its values in `x-extensible-enum`;
//! - the Rust types those entries point at (`extensible_enum!` calls, one per schema).
//!
//! No value list is written by hand anywhere: both come from the spec.

use serde_json::Value;

/// The spec, relative to the crate's manifest (`generate_api!` resolves it from there).
pub const SPEC_PATH: &str = "openapi/klarna-payments.yaml";
/// The progenitor `inner_type` (the hooks' per-client settings).
pub const INNER_TYPE: &str = "crate::transport::Transport";
/// The progenitor `interface`: `Positional` makes each operation one documented
/// `Client` method taking its parameters and body, and keeps typify's struct builders
/// (undocumented setters) out of the models; request bodies are built with the
/// documented `klarna_payments::request` builders instead.
pub const INTERFACE: &str = "Positional";
/// Extra derives on every generated type.
pub const DERIVES: &[&str] = &["PartialEq"];
/// The vendor extension that lists the known values of an extensible string.
pub const EXTENSION: &str = "x-extensible-enum";
/// String formats that mark values never to be printed, and the Rust type every string
/// of that format becomes: tokens (`secret`) and shoppers' personal data
/// (`personal-data`). Other generators read them as plain strings.
pub const REDACTED_FORMATS: &[&str] = &["secret", "personal-data"];
/// The keywords a redacted string may carry besides `type` and `format`: its limits,
/// which the conversion must name exactly (progenitor matches a schema whole, apart
/// from its description, title, example and the like).
pub const REDACTED_LIMITS: &[&str] = &["minLength", "maxLength", "pattern"];
/// Keywords that do not take part in progenitor's match.
const METADATA: &[&str] = &[
    "description",
    "title",
    "example",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
];
/// The type of strings in [`REDACTED_FORMATS`], as seen from the generated code.
pub const REDACTED_TYPE: &str = "crate::sensitive::Sensitive";
/// Where the hand-written extensible types live, as seen from the generated code.
pub const EXTENSIBLE_MODULE: &str = "crate::extensible";

/// A string schema whose known values are listed in `x-extensible-enum`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtensibleEnum {
    /// The schema's name in `components.schemas`.
    pub schema: String,
    /// The Rust type name (what typify calls the schema).
    pub rust_name: String,
    /// The schema's description.
    pub description: String,
    /// `(Rust variant, value on the wire)` for each known value, in spec order.
    pub values: Vec<(String, String)>,
}

/// Every extensible enum of the spec, in schema-name order, or why the spec's list
/// cannot become a Rust type.
pub fn extensible_enums(spec: &Value) -> Result<Vec<ExtensibleEnum>, String> {
    let Some(schemas) = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return Ok(Vec::new());
    };
    let mut found = Vec::new();
    for (schema, body) in schemas {
        let Some(list) = body.get(EXTENSION) else {
            continue;
        };
        let values = list
            .as_array()
            .ok_or_else(|| format!("{schema}: `{EXTENSION}` must be a list"))?;
        let mut pairs: Vec<(String, String)> = Vec::new();
        for value in values {
            let text = value
                .as_str()
                .ok_or_else(|| format!("{schema}: `{EXTENSION}` holds a non-string {value}"))?;
            let variant = pascal_case(text);
            if variant.is_empty() || variant.starts_with(|c: char| c.is_ascii_digit()) {
                return Err(format!(
                    "{schema}: `{text}` does not make a Rust variant name"
                ));
            }
            if variant == "Unknown" {
                return Err(format!(
                    "{schema}: `{text}` clashes with the `Unknown` variant"
                ));
            }
            if let Some((_, other)) = pairs.iter().find(|(v, _)| *v == variant) {
                return Err(format!(
                    "{schema}: `{text}` and `{other}` make the same Rust variant `{variant}`"
                ));
            }
            pairs.push((variant, text.to_string()));
        }
        found.push(ExtensibleEnum {
            schema: schema.clone(),
            rust_name: pascal_case(schema),
            description: body
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            values: pairs,
        });
    }
    Ok(found)
}

/// Every distinct string schema of the spec with a redacted format, as the schema a
/// progenitor `convert` entry must name to turn it into [`REDACTED_TYPE`] (`type`,
/// `format` and the limits of [`REDACTED_LIMITS`]), in a stable order; or which string
/// carries a keyword that would keep it from matching (and so from being redacted).
pub fn redacted_strings(spec: &Value) -> Result<Vec<Value>, String> {
    fn walk(pointer: &str, node: &Value, found: &mut Vec<Value>) -> Result<(), String> {
        match node {
            Value::Object(map) => {
                let format = map.get("format").and_then(Value::as_str);
                if map.get("type").and_then(Value::as_str) == Some("string")
                    && format.is_some_and(|f| REDACTED_FORMATS.contains(&f))
                {
                    let mut schema = serde_json::Map::new();
                    for (key, value) in map {
                        if key == "type"
                            || key == "format"
                            || REDACTED_LIMITS.contains(&key.as_str())
                        {
                            schema.insert(key.clone(), value.clone());
                        } else if !METADATA.contains(&key.as_str()) {
                            return Err(format!(
                                "{pointer}: a `format: {}` string cannot carry `{key}` (it would not be redacted)",
                                format.unwrap_or_default()
                            ));
                        }
                    }
                    let schema = Value::Object(schema);
                    if !found.contains(&schema) {
                        found.push(schema);
                    }
                }
                for (key, child) in map {
                    walk(&format!("{pointer}/{key}"), child, found)?;
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(&format!("{pointer}/{i}"), child, found)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
    let mut found = Vec::new();
    walk("", spec, &mut found)?;
    found.sort_by_key(|schema| schema.to_string());
    Ok(found)
}

/// `buy_and_tokenize` → `BuyAndTokenize`, `IN_STORE` → `InStore`.
pub fn pascal_case(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| {
            let lower = word.to_ascii_lowercase();
            let mut chars = lower.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// The `generate_api!` invocation the crate compiles (`progenitor` names the local
/// module that re-exports `progenitor_client`, see `src/generated.rs`).
/// `redacted` is what [`redacted_strings`] found.
pub fn generate_api_invocation(enums: &[ExtensibleEnum], redacted: &[Value]) -> String {
    let replace: String = enums
        .iter()
        .map(|e| format!("        {0} = {EXTENSIBLE_MODULE}::{0},\n", e.rust_name))
        .collect();
    let convert: String = redacted
        .iter()
        .map(|schema| {
            let keys: Vec<String> = schema
                .as_object()
                .into_iter()
                .flatten()
                .map(|(key, value)| match value {
                    Value::String(text) => format!("{key} = {text:?}"),
                    other => format!("{key} = {other}"),
                })
                .collect();
            format!("        {{ {} }} = {REDACTED_TYPE},\n", keys.join(", "))
        })
        .collect();
    format!(
        "progenitor_macro::generate_api!(\n    spec = \"{SPEC_PATH}\",\n    interface = {INTERFACE},\n    \
         tags = Merged,\n    hooks = Expected,\n    inner_type = {INNER_TYPE},\n    derives = [{}],\n    \
         replace = {{\n{replace}    }},\n    convert = {{\n{convert}    }},\n);\n",
        DERIVES.join(", ")
    )
}

/// The Rust source of the extensible types: one `extensible_enum!` call each.
pub fn extensible_source(enums: &[ExtensibleEnum]) -> String {
    let mut out = String::new();
    for e in enums {
        out.push_str("extensible_enum! {\n");
        for line in e.description.lines() {
            out.push_str(&format!("    #[doc = {:?}]\n", line));
        }
        out.push_str(&format!("    {} {{\n", e.rust_name));
        for (variant, text) in &e.values {
            out.push_str(&format!("        #[doc = {:?}]\n", format!("`{text}`")));
            out.push_str(&format!("        {variant} = {text:?},\n"));
        }
        out.push_str("    }\n}\n");
        // `types` re-exports both the generated models and these types by glob: were
        // progenitor to generate this name too, the name would be ambiguous and this
        // line would not compile.
        out.push_str(&format!(
            "const _: Option<crate::types::{}> = None;\n",
            e.rust_name
        ));
    }
    out
}

//! Derives, for `build.rs`, a builder for every object schema a request body can hold
//! (`session_create`, `order_line`, `address`, …): setters that take what people have
//! (`&str`, `String`, numbers, enum values, other builders), each documented with the
//! property's description from the spec. The builders live in `crate::request`.

use serde_json::Value;

use crate::codegen::pascal_case;

/// The Rust source of the `request_builder!` calls for every request object schema.
pub fn request_builders(spec: &Value) -> Result<String, String> {
    each_request_schema(spec, |schemas, name, schema, pending| {
        let mut out = String::new();
        let rust = pascal_case(name);
        let description = schema
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("");
        out.push_str("request_builder! {\n");
        for line in description.lines() {
            out.push_str(&format!("    #[doc = {line:?}]\n"));
        }
        out.push_str(&format!("    {rust}Builder for {rust}, {name:?} {{\n"));
        let properties = schema.get("properties").and_then(Value::as_object);
        for (property, body) in properties.into_iter().flatten() {
            let (kind, target) = classify(schemas, body)?;
            if let Some(nested) = &target
                && kind != "enum"
            {
                pending.push(nested.clone());
            }
            let doc = property_doc(schemas, body);
            for line in doc.lines() {
                out.push_str(&format!("        #[doc = {line:?}]\n"));
            }
            let setter = rust_ident(property);
            // Nested objects take their builders; enums their extensible type.
            let target = match target {
                Some(t) if kind == "enum" => pascal_case(&t),
                Some(t) => format!("{}Builder", pascal_case(&t)),
                None => String::new(),
            };
            out.push_str(&format!(
                "        {kind} {setter} {property:?} {{ {target} }},\n"
            ));
        }
        out.push_str("    }\n}\n");
        Ok(out)
    })
}

/// The source `visit` writes for every request object schema, each once, starting from
/// the request bodies' schemas; `visit` gets the spec's schemas, the schema's name and
/// body, and pushes the names of the schemas it refers to onto its last argument.
pub fn each_request_schema(
    spec: &Value,
    mut visit: impl FnMut(
        &serde_json::Map<String, Value>,
        &str,
        &Value,
        &mut Vec<String>,
    ) -> Result<String, String>,
) -> Result<String, String> {
    let schemas = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .ok_or("the spec has no components.schemas")?;
    let mut pending: Vec<String> = request_roots(spec);
    let mut done: Vec<String> = Vec::new();
    let mut out = String::new();
    while let Some(name) = pending.pop() {
        if done.contains(&name) {
            continue;
        }
        done.push(name.clone());
        let schema = schemas
            .get(&name)
            .ok_or_else(|| format!("request schema {name} is missing"))?;
        out.push_str(&visit(schemas, &name, schema, &mut pending)?);
    }
    Ok(out)
}

/// The schemas of request bodies, by name.
pub fn request_roots(spec: &Value) -> Vec<String> {
    let mut roots = Vec::new();
    for path in spec
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for operation in path.1.as_object().into_iter().flatten() {
            let reference = operation
                .1
                .pointer("/requestBody/content/application~1json/schema/$ref")
                .and_then(Value::as_str);
            if let Some(name) = reference.and_then(|r| r.strip_prefix("#/components/schemas/")) {
                roots.push(name.to_string());
            }
        }
    }
    roots.sort();
    roots.dedup();
    roots.reverse();
    roots
}

/// The setter kind for a property, and the schema it refers to (object or enum).
fn classify(
    schemas: &serde_json::Map<String, Value>,
    body: &Value,
) -> Result<(&'static str, Option<String>), String> {
    let referenced = |v: &Value| {
        v.get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .map(str::to_string)
    };
    if let Some(name) = referenced(body) {
        let target = schemas
            .get(&name)
            .ok_or_else(|| format!("dangling $ref to {name}"))?;
        if target.get(crate::codegen::EXTENSION).is_some() {
            return Ok(("enum", Some(name)));
        }
        return Ok(match target.get("type").and_then(Value::as_str) {
            Some("object") => ("object", Some(name)),
            Some("string") => ("text", None),
            Some("integer") => ("integer", None),
            _ => ("value", None),
        });
    }
    Ok(match body.get("type").and_then(Value::as_str) {
        Some("string") => ("text", None),
        Some("integer") => ("integer", None),
        Some("boolean") => ("boolean", None),
        Some("array") => {
            let items = body.get("items").unwrap_or(&Value::Null);
            match referenced(items) {
                Some(name)
                    if schemas
                        .get(&name)
                        .and_then(|s| s.get("type"))
                        .and_then(Value::as_str)
                        == Some("object") =>
                {
                    ("objects", Some(name))
                }
                _ if items.get("type").and_then(Value::as_str) == Some("string") => ("texts", None),
                _ => ("value", None),
            }
        }
        _ => ("value", None),
    })
}

/// The property's description, or that of the schema it refers to.
fn property_doc(schemas: &serde_json::Map<String, Value>, body: &Value) -> String {
    let own = body.get("description").and_then(Value::as_str);
    let referenced = body
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        .and_then(|name| schemas.get(name))
        .and_then(|s| s.get("description"))
        .and_then(Value::as_str);
    own.or(referenced)
        .unwrap_or("A field of the request; see Klarna's API reference.")
        .to_string()
}

/// A property name as a Rust method name (`type` → `type_`, as typify does).
pub fn rust_ident(property: &str) -> String {
    let snake: String = property
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    match snake.as_str() {
        "type" | "match" | "ref" | "self" | "move" | "use" | "loop" | "impl" | "fn" | "mod" => {
            format!("{snake}_")
        }
        _ => snake,
    }
}

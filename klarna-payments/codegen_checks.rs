//! Derives, for `build.rs`, the pre-send schema check of every request model as plain
//! code: one `walk_fields` method per model that tests a field whose rules are only
//! bounds against them inline (constants from `klarna_schema::Property::accepts_source`,
//! read from the spec with `klarna-schema` itself), hands every other field, and any
//! value those bounds do not settle, to `klarna_schema::FieldChecker` with its property
//! (looked up once, on first need), goes into nested models directly, and checks array
//! counts before items, in the order of the properties' names. The answer is the one a
//! serde walk of the whole body gives (`tests/validation_agrees.rs` compares them),
//! without its per-field lookups.
//!
//! A model walks its fields itself only when its schema has nothing but `type`,
//! `properties`, `required` and annotations: then every other rule of the object (type,
//! required fields, no unknown fields) holds for the typed struct by construction.
//! Anything else is checked whole, by the serde walk.

use serde_json::Value;

use crate::codegen::pascal_case;

/// Keywords of an object schema whose rules a typed struct meets by construction.
const STRUCTURAL: &[&str] = &[
    "type",
    "properties",
    "required",
    "description",
    "title",
    "example",
];

/// The Rust source of the `walk_fields` methods of every request model.
pub fn field_walks(spec: &Value) -> Result<String, String> {
    let document = klarna_schema::SchemaDocument::from_json(spec.clone())
        .map_err(|e| format!("the spec does not load as a schema document: {e}"))?;
    crate::codegen_requests::each_request_schema(spec, |schemas, name, schema, pending| {
        walk(&document, schemas, name, schema, pending)
    })
}

/// The component schema a `$ref` names, when it is an object this file walks field by
/// field.
fn walked<'s>(schemas: &'s serde_json::Map<String, Value>, body: &Value) -> Option<&'s str> {
    let name = body
        .get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")?;
    let (name, schema) = schemas.get_key_value(name)?;
    let plain = schema.get("type").and_then(Value::as_str) == Some("object")
        && schema
            .as_object()?
            .keys()
            .all(|key| STRUCTURAL.contains(&key.as_str()));
    plain.then_some(name.as_str())
}

/// The `walk_fields` method of schema `name`. A field whose rules are only bounds is
/// tested against them inline, as constants ([`klarna_schema::Property::accepts_source`]):
/// a valid value then costs a comparison or two, and only a value they do not settle
/// reaches `FieldChecker::value` (and the properties, looked up on first need).
fn walk(
    document: &klarna_schema::SchemaDocument,
    schemas: &serde_json::Map<String, Value>,
    name: &str,
    schema: &Value,
    pending: &mut Vec<String>,
) -> Result<String, String> {
    let rust = pascal_case(name);
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut properties: Vec<(&String, &Value)> = schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .collect();
    properties.sort_by(|a, b| a.0.cmp(b.0));
    let lookups: Vec<String> = properties
        .iter()
        .map(|(property, _)| format!("d.property({name:?}, {property:?})"))
        .collect();
    let mut body = String::new();
    for (i, (property, schema)) in properties.iter().enumerate() {
        let field = crate::codegen_requests::rust_ident(property);
        let is_required = required.contains(&property.as_str());
        let here = format!("klarna_schema::At::Key(at, {property:?})");
        let found = document.property(name, property);
        let quick = |value: &str| found.and_then(|p| p.accepts_source(value));
        let is_array = schema.get("type").and_then(Value::as_str) == Some("array");
        let line = if let Some(model) = walked(schemas, schema) {
            pending.push(model.to_string());
            if is_required {
                format!("self.{field}.walk_fields(c, &{here})?;")
            } else {
                format!("if let Some(v) = &self.{field} {{ v.walk_fields(c, &{here})?; }}")
            }
        } else if is_array && let Some(model) = schema.get("items").and_then(|i| walked(schemas, i))
        {
            pending.push(model.to_string());
            let count_unsettled = found
                .and_then(|p| document.count_source(p, "items.len()"))
                .map_or_else(String::new, |fits| format!("!{fits} && "));
            // An optional array is left out of the JSON when empty.
            let guard = if is_required {
                ""
            } else {
                "if !items.is_empty() "
            };
            format!(
                "let items = &self.{field}; {guard}{{ let here = {here}; \
                 if {count_unsettled}let Some(p) = &p()[{i}] {{ c.count(p, items.len(), &here); }} \
                 for (i, v) in items.iter().enumerate() {{ v.walk_fields(c, &klarna_schema::At::Index(&here, i))?; }} }}"
            )
        } else if is_required {
            let unsettled = quick(&format!("&self.{field}"))
                .map_or_else(String::new, |accepts| format!("!{accepts} && "));
            format!(
                "if {unsettled}let Some(p) = &p()[{i}] {{ c.value(p, &self.{field}, &{here})?; }}"
            )
        } else if is_array {
            format!(
                "if !self.{field}.is_empty() && let Some(p) = &p()[{i}] {{ c.value(p, &self.{field}, &{here})?; }}"
            )
        } else {
            let unsettled =
                quick("v").map_or_else(String::new, |accepts| format!("&& !{accepts} "));
            format!(
                "if let Some(v) = &self.{field} {unsettled}&& let Some(p) = &p()[{i}] {{ c.value(p, v, &{here})?; }}"
            )
        };
        body.push_str("        ");
        body.push_str(&line);
        body.push('\n');
    }
    let count = properties.len();
    // `allow`: a model without properties would leave `c`, `at` and `p` unused.
    Ok(format!(
        "impl crate::types::{rust} {{\n    \
         /// Checks this model's fields against schema `{name}` of the spec, field by field.\n    \
         #[allow(unused_variables)]\n    \
         pub(crate) fn walk_fields(&self, c: &mut klarna_schema::FieldChecker<'_>, at: &klarna_schema::At<'_>) -> serde_json::Result<()> {{\n        \
         static PROPERTIES: std::sync::OnceLock<[Option<klarna_schema::Property>; {count}]> = std::sync::OnceLock::new();\n        \
         let p = || PROPERTIES.get_or_init(|| {{ let d = crate::spec::document(); [{}] }});\n\
         {body}        Ok(())\n    }}\n}}\n",
        lookups.join(", ")
    ))
}

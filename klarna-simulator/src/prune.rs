//! Drops request fields the spec does not declare, so that a read never echoes back a
//! field Klarna would not have stored.
//!
//! The choice between refusing and ignoring unknown fields is the simulator's: Klarna's
//! behaviour is not documented in the facts the project works from. Ignoring them keeps
//! a client that sends a newer field working (forward compatible), and dropping them
//! keeps a test from relying on a field that Klarna would not give back.

use klarna_schema::SchemaDocument;
use serde_json::Value;

/// Nesting beyond this is left alone (the spec is far shallower; serde_json stops at 128).
const MAX_DEPTH: usize = 64;
/// `$ref` chains longer than this are not followed.
const MAX_REF_HOPS: usize = 16;

/// Removes from `value` every object member that `schema` (a schema of `document`,
/// `$ref`s followed) does not declare in `properties`. Objects whose schema declares no
/// `properties`, or allows `additionalProperties`, are kept whole.
pub(crate) fn drop_undeclared(document: &SchemaDocument, schema: &Value, value: &mut Value) {
    walk(document, schema, value, 0);
}

fn resolve<'a>(document: &'a SchemaDocument, mut schema: &'a Value) -> Option<&'a Value> {
    for _ in 0..MAX_REF_HOPS {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => schema = document.resolve(reference)?,
            None => return Some(schema),
        }
    }
    None
}

/// The schemas whose `properties` describe an object: the schema and its
/// `allOf`/`anyOf`/`oneOf` branches (one level).
fn object_schemas<'a>(document: &'a SchemaDocument, schema: &'a Value) -> Vec<&'a Value> {
    let mut found = vec![schema];
    for key in ["allOf", "anyOf", "oneOf"] {
        for branch in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(branch) = resolve(document, branch) {
                found.push(branch);
            }
        }
    }
    found
}

fn walk(document: &SchemaDocument, schema: &Value, value: &mut Value, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let Some(schema) = resolve(document, schema) else {
        return;
    };
    match value {
        Value::Object(members) => {
            let schemas = object_schemas(document, schema);
            let open = schemas.iter().any(|s| {
                s.get("additionalProperties")
                    .is_some_and(|extra| extra != &Value::Bool(false))
            });
            let declared: Vec<&serde_json::Map<String, Value>> = schemas
                .iter()
                .filter_map(|s| s.get("properties").and_then(Value::as_object))
                .collect();
            if declared.is_empty() || open {
                return;
            }
            members.retain(|name, _| declared.iter().any(|p| p.contains_key(name)));
            for (name, member) in members.iter_mut() {
                if let Some(member_schema) = declared.iter().find_map(|p| p.get(name)) {
                    walk(document, member_schema, member, depth + 1);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for item in items {
                    walk(document, item_schema, item, depth + 1);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn undeclared_fields_go_at_every_level_and_declared_ones_stay() {
        let document = klarna_payments::spec::document();
        let schema = document.schema("session_create").unwrap();
        let mut value = json!({
            "purchase_country": "SE",
            "future_field": {"x": 1},
            "order_lines": [{"name": "a", "future_line_field": true, "product_identifiers": {"brand": "b", "future": 1}}],
            "billing_address": {"city": "Stockholm", "future_address_field": "x"},
            "merchant_data": "{\"kept\": true}",
        });
        drop_undeclared(document, schema, &mut value);
        assert_eq!(
            value,
            json!({
                "purchase_country": "SE",
                "order_lines": [{"name": "a", "product_identifiers": {"brand": "b"}}],
                "billing_address": {"city": "Stockholm"},
                "merchant_data": "{\"kept\": true}",
            })
        );
    }

    #[test]
    fn free_form_objects_and_loops_are_left_alone() {
        let document = SchemaDocument::from_json(json!({
            "openapi": "3.0.3",
            "components": {"schemas": {
                "free": {"type": "object"},
                "open": {"type": "object", "properties": {"a": {}}, "additionalProperties": true},
                "loop": {"$ref": "#/components/schemas/loop"},
            }}
        }))
        .unwrap();
        for name in ["free", "open", "loop"] {
            let mut value = json!({"a": 1, "b": 2});
            drop_undeclared(&document, document.schema(name).unwrap(), &mut value);
            assert_eq!(value, json!({"a": 1, "b": 2}), "{name}");
        }
    }
}

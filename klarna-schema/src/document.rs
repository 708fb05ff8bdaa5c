//! Loading a spec and resolving references inside it.

use std::collections::HashMap;

use serde_json::Value;

use crate::compile::Compiled;
use crate::path::FieldPath;
use crate::validate::{At, Rule, Validator, Violation};

/// A problem that makes a document unusable for validation.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A `pattern` is not a valid ECMA 262 regular expression.
    #[error("{pointer}: pattern {pattern:?} is not a valid ECMA 262 regular expression: {reason}")]
    Pattern {
        /// JSON pointer of the `pattern` keyword.
        pointer: String,
        /// The pattern as written.
        pattern: String,
        /// Why the regex engine refused it.
        reason: String,
    },
}

/// An OpenAPI 3.0 document ready to validate JSON values against its schemas.
///
/// Every schema under `components/schemas` is compiled once, when the document is
/// loaded: references resolved, keywords extracted, patterns compiled.
#[derive(Debug)]
pub struct SchemaDocument {
    document: Value,
    patterns: HashMap<String, regress::Regex>,
    pub(crate) compiled: Compiled,
    pub(crate) named: HashMap<String, usize>,
}

impl SchemaDocument {
    /// Prepares a parsed document (YAML or JSON turned into a [`serde_json::Value`]).
    pub fn from_json(document: Value) -> Result<Self, LoadError> {
        let mut patterns = HashMap::new();
        collect_patterns(&document, &mut String::new(), &mut patterns)?;
        let mut compiled = Compiled::default();
        let mut named = HashMap::new();
        let names: Vec<String> = document
            .get("components")
            .and_then(|c| c.get("schemas"))
            .and_then(Value::as_object)
            .map(|schemas| schemas.keys().cloned().collect())
            .unwrap_or_default();
        for name in names {
            let pointer = format!(
                "/components/schemas/{}",
                name.replace('~', "~0").replace('/', "~1")
            );
            if let Some(id) = compiled.at_pointer(&document, &pointer, &patterns) {
                named.insert(name, id);
            }
        }
        compiled.seal();
        Ok(Self {
            document,
            patterns,
            compiled,
            named,
        })
    }

    /// Every distinct `pattern` of the document (each compiled once, when it was loaded),
    /// in no particular order.
    pub fn patterns(&self) -> impl Iterator<Item = &str> {
        self.patterns.keys().map(String::as_str)
    }

    /// The whole document.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// The schema named `name` under `components/schemas`.
    pub fn schema(&self, name: &str) -> Option<&Value> {
        self.document.get("components")?.get("schemas")?.get(name)
    }

    /// What a local reference such as `#/components/schemas/order_line` points at.
    pub fn resolve(&self, reference: &str) -> Option<&Value> {
        // `Value::pointer` allocates two strings per segment to unescape it; segments
        // without a `~` (every name in the spec) are looked up as they are.
        let pointer = reference.strip_prefix('#')?;
        if pointer.is_empty() {
            return Some(&self.document);
        }
        let mut target = &self.document;
        for segment in pointer.strip_prefix('/')?.split('/') {
            let unescaped;
            let key = if segment.contains('~') {
                unescaped = segment.replace("~1", "/").replace("~0", "~");
                unescaped.as_str()
            } else {
                segment
            };
            target = match target {
                Value::Object(members) => members.get(key)?,
                Value::Array(items) => items.get(array_index(key)?)?,
                _ => return None,
            };
        }
        Some(target)
    }

    /// Every way `instance` breaks the schema named `name` (empty when it conforms).
    pub fn validate(&self, name: &str, instance: &Value) -> Vec<Violation> {
        match self.named.get(name) {
            Some(&id) => {
                let mut validator = Validator::new(&self.compiled);
                validator.check(id, instance, &At::Root, 0);
                validator.into_violations()
            }
            None => vec![Violation {
                path: FieldPath::root(),
                rule: Rule::UnresolvedRef,
                message: format!("the spec has no schema named {name:?}"),
            }],
        }
    }

    /// Every way the JSON that `value` serializes to breaks the schema named `name`,
    /// found while `value` is serialized, without building a [`Value`]: the same
    /// violations, paths and messages, in the same order, as
    /// [`validate`](Self::validate) of `serde_json::to_value(value)`. A valid value
    /// costs one pass and no allocation (subtrees under `allOf`/`anyOf`/`oneOf`/`not`,
    /// `uniqueItems` or an `enum` of arrays or objects excepted: those are built as a
    /// `Value` and checked as one).
    ///
    /// ```
    /// use klarna_schema::SchemaDocument;
    /// use serde_json::json;
    ///
    /// #[derive(serde::Serialize)]
    /// struct Line<'a> {
    ///     name: &'a str,
    /// }
    ///
    /// let doc = SchemaDocument::from_json(json!({
    ///     "components": {"schemas": {"line": {
    ///         "type": "object",
    ///         "properties": {"name": {"type": "string", "maxLength": 3}}
    ///     }}}
    /// }))
    /// .unwrap();
    /// let violations = doc.validate_serialize("line", &Line { name: "too long" }).unwrap();
    /// assert_eq!(violations[0].to_string(), "name: is longer than 3 characters");
    /// ```
    ///
    /// # Errors
    ///
    /// The error `serde_json::to_value(value)` gives when `value` has no JSON form (a
    /// map key that is not a string or number, an integer beyond 64 bits, a failing
    /// `Serialize` implementation).
    pub fn validate_serialize<T: serde::Serialize + ?Sized>(
        &self,
        name: &str,
        value: &T,
    ) -> Result<Vec<Violation>, serde_json::Error> {
        match self.named.get(name) {
            Some(&id) => crate::serialize::validate(&self.compiled, id, value),
            None => {
                crate::serialize::serializable(value)?;
                Ok(self.validate(name, &Value::Null))
            }
        }
    }

    /// Every way `instance` breaks `schema`, a schema object of this document (or one
    /// whose `$ref`s point into it).
    ///
    /// The schema is compiled for this one call; prefer [`validate`](Self::validate) for
    /// named schemas, which are compiled once.
    pub fn validate_against(&self, schema: &Value, instance: &Value) -> Vec<Violation> {
        let mut compiled = Compiled::default();
        let id = compiled.compile(&self.document, schema, None, &self.patterns);
        compiled.seal();
        let mut validator = Validator::new(&compiled);
        validator.check(id, instance, &At::Root, 0);
        validator.into_violations()
    }
}

/// A JSON Pointer array index: digits without a leading zero (RFC 6901).
fn array_index(segment: &str) -> Option<usize> {
    if segment.starts_with('+') || (segment.starts_with('0') && segment.len() > 1) {
        return None;
    }
    segment.parse().ok()
}

fn collect_patterns(
    value: &Value,
    pointer: &mut String,
    patterns: &mut HashMap<String, regress::Regex>,
) -> Result<(), LoadError> {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                if let (true, Value::String(pattern)) = (key == "pattern", child) {
                    if !patterns.contains_key(pattern) {
                        let regex =
                            regress::Regex::new(pattern).map_err(|error| LoadError::Pattern {
                                pointer: pointer.clone(),
                                pattern: pattern.clone(),
                                reason: error.to_string(),
                            })?;
                        patterns.insert(pattern.clone(), regex);
                    }
                } else {
                    collect_patterns(child, pointer, patterns)?;
                }
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                collect_patterns(child, pointer, patterns)?;
                pointer.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resolve_agrees_with_json_pointer() {
        let document = SchemaDocument::from_json(json!({
            "openapi": "3.0.3",
            "components": {"schemas": {
                "plain": {"type": "string"},
                "a/b": {"type": "integer"},
                "c~d": {"type": "boolean"},
                "list": {"allOf": [{"type": "object"}, {"minProperties": 1}]},
                "": {"type": "null"},
            }},
            "0": "zero",
            "items": ["first", "second"],
        }))
        .unwrap();
        let pointers = [
            "#",
            "#/",
            "#/components/schemas/plain",
            "#/components/schemas/a~1b",
            "#/components/schemas/c~0d",
            "#/components/schemas/c~01",
            "#/components/schemas/",
            "#/components/schemas/list/allOf/1",
            "#/components/schemas/list/allOf/01",
            "#/components/schemas/list/allOf/+1",
            "#/components/schemas/list/allOf/2",
            "#/components/schemas/list/allOf/x",
            "#/items/0/more",
            "#/0",
            "#/missing",
            "#components",
            "no-hash",
            "#/components/schemas/plain/type",
        ];
        for reference in pointers {
            let expected = reference
                .strip_prefix('#')
                .and_then(|p| document.document().pointer(p));
            assert_eq!(document.resolve(reference), expected, "{reference}");
        }
        assert_eq!(
            document.resolve("#/components/schemas/a~1b"),
            Some(&json!({"type": "integer"}))
        );
    }
}

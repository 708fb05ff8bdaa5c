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
    compiled: Compiled,
    named: HashMap<String, usize>,
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
        Ok(Self {
            document,
            patterns,
            compiled,
            named,
        })
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
        self.document.pointer(reference.strip_prefix('#')?)
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

    /// Every way `instance` breaks `schema`, a schema object of this document (or one
    /// whose `$ref`s point into it).
    ///
    /// The schema is compiled for this one call; prefer [`validate`](Self::validate) for
    /// named schemas, which are compiled once.
    pub fn validate_against(&self, schema: &Value, instance: &Value) -> Vec<Violation> {
        let mut compiled = Compiled::default();
        let id = compiled.compile(&self.document, schema, None, &self.patterns);
        let mut validator = Validator::new(&compiled);
        validator.check(id, instance, &At::Root, 0);
        validator.into_violations()
    }
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

//! The validation walk.

use std::fmt;

use serde_json::Value;

use crate::document::SchemaDocument;
use crate::path::FieldPath;

/// How deep `$ref`s may nest before the walk gives up (guards against cycles).
const MAX_DEPTH: usize = 64;

/// The schema keyword a value broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// `type` (or a `null` where `nullable` is not set).
    Type,
    /// `required`: the field is missing.
    Required,
    /// `enum`: not one of the listed values.
    Enum,
    /// `pattern`: the text does not match.
    Pattern,
    /// `minLength`.
    MinLength,
    /// `maxLength`.
    MaxLength,
    /// `minimum` / `exclusiveMinimum`.
    Minimum,
    /// `maximum` / `exclusiveMaximum`.
    Maximum,
    /// `minItems`.
    MinItems,
    /// `maxItems`.
    MaxItems,
    /// `uniqueItems`.
    UniqueItems,
    /// `additionalProperties: false` or a schema the extra field breaks.
    AdditionalProperties,
    /// `oneOf`: matched no branch, or more than one.
    OneOf,
    /// `anyOf`: matched no branch.
    AnyOf,
    /// `not`: matched the excluded schema.
    Not,
    /// A `$ref` that points nowhere, or nesting too deep to follow.
    UnresolvedRef,
}

/// One way a value breaks its schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Where the offending value is (or, for [`Rule::Required`], the missing field).
    pub path: FieldPath,
    /// Which keyword it broke.
    pub rule: Rule,
    /// What is wrong, in words, without the path.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_root() {
            write!(f, "request body: {}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

pub(crate) struct Validator<'a> {
    document: &'a SchemaDocument,
    violations: Vec<Violation>,
}

impl<'a> Validator<'a> {
    pub(crate) fn new(document: &'a SchemaDocument) -> Self {
        Self {
            document,
            violations: Vec::new(),
        }
    }

    pub(crate) fn into_violations(self) -> Vec<Violation> {
        self.violations
    }

    fn report(&mut self, path: &FieldPath, rule: Rule, message: String) {
        self.violations.push(Violation {
            path: path.clone(),
            rule,
            message,
        });
    }

    fn conforms(&self, schema: &Value, instance: &Value, path: &FieldPath, depth: usize) -> bool {
        let mut probe = Validator::new(self.document);
        probe.check(schema, instance, path, depth);
        probe.violations.is_empty()
    }

    pub(crate) fn check(
        &mut self,
        schema: &Value,
        instance: &Value,
        path: &FieldPath,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            self.report(path, Rule::UnresolvedRef, "schema nests too deeply".into());
            return;
        }
        let Some(schema) = schema.as_object() else {
            return; // `true`/`{}`-like schemas accept anything.
        };
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            match self.document.resolve(reference) {
                Some(target) => self.check(target, instance, path, depth + 1),
                None => self.report(
                    path,
                    Rule::UnresolvedRef,
                    format!("$ref {reference} points nowhere"),
                ),
            }
            return; // OpenAPI 3.0 ignores siblings of $ref.
        }
        if instance.is_null() {
            let nullable = schema.get("nullable").and_then(Value::as_bool) == Some(true);
            if !nullable && schema.contains_key("type") {
                self.report(path, Rule::Type, "must not be null".into());
            }
            return;
        }
        if let Some(expected) = schema.get("type").and_then(Value::as_str)
            && !has_type(instance, expected)
        {
            let article = if expected.starts_with(['a', 'e', 'i', 'o']) {
                "an"
            } else {
                "a"
            };
            self.report(path, Rule::Type, format!("must be {article} {expected}"));
            return;
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(instance)
        {
            let listed: Vec<String> = allowed.iter().map(render).collect();
            self.report(
                path,
                Rule::Enum,
                format!("must be one of {}", listed.join(", ")),
            );
        }
        self.check_composition(schema, instance, path, depth);
        match instance {
            Value::String(text) => self.check_string(schema, text, path),
            Value::Number(_) => self.check_number(schema, instance, path),
            Value::Array(items) => self.check_array(schema, items, path, depth),
            Value::Object(fields) => self.check_object(schema, fields, path, depth),
            _ => {}
        }
    }

    fn check_composition(
        &mut self,
        schema: &serde_json::Map<String, Value>,
        instance: &Value,
        path: &FieldPath,
        depth: usize,
    ) {
        if let Some(branches) = schema.get("allOf").and_then(Value::as_array) {
            for branch in branches {
                self.check(branch, instance, path, depth + 1);
            }
        }
        if let Some(branches) = schema.get("anyOf").and_then(Value::as_array)
            && !branches
                .iter()
                .any(|b| self.conforms(b, instance, path, depth + 1))
        {
            self.report(
                path,
                Rule::AnyOf,
                "matches none of the allowed forms".into(),
            );
        }
        if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
            let matched = branches
                .iter()
                .filter(|b| self.conforms(b, instance, path, depth + 1))
                .count();
            match matched {
                1 => {}
                0 => self.report(
                    path,
                    Rule::OneOf,
                    "matches none of the allowed forms".into(),
                ),
                n => self.report(
                    path,
                    Rule::OneOf,
                    format!("matches {n} of the allowed forms where exactly one is expected"),
                ),
            }
        }
        if let Some(excluded) = schema.get("not")
            && self.conforms(excluded, instance, path, depth + 1)
        {
            self.report(path, Rule::Not, format!("must not be {}", render(instance)));
        }
    }

    fn check_string(
        &mut self,
        schema: &serde_json::Map<String, Value>,
        text: &str,
        path: &FieldPath,
    ) {
        let length = text.chars().count() as u64;
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
            && length < min
        {
            self.report(
                path,
                Rule::MinLength,
                format!("is shorter than {min} characters"),
            );
        }
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
            && length > max
        {
            self.report(
                path,
                Rule::MaxLength,
                format!("is longer than {max} characters"),
            );
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
            // Patterns are compiled at load time; one missing here was never loaded.
            let matches = self
                .document
                .pattern(pattern)
                .is_some_and(|regex| regex.find(text).is_some());
            if !matches {
                self.report(
                    path,
                    Rule::Pattern,
                    format!("does not match the pattern {pattern}"),
                );
            }
        }
    }

    fn check_number(
        &mut self,
        schema: &serde_json::Map<String, Value>,
        value: &Value,
        path: &FieldPath,
    ) {
        let Some(number) = value.as_f64() else { return };
        let exclusive = |key: &str| schema.get(key).and_then(Value::as_bool) == Some(true);
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
            let below = if exclusive("exclusiveMinimum") {
                number <= min
            } else {
                number < min
            };
            if below {
                let relation = if exclusive("exclusiveMinimum") {
                    "more than"
                } else {
                    "at least"
                };
                self.report(
                    path,
                    Rule::Minimum,
                    format!("must be {relation} {}", render_number(min)),
                );
            }
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
            let above = if exclusive("exclusiveMaximum") {
                number >= max
            } else {
                number > max
            };
            if above {
                let relation = if exclusive("exclusiveMaximum") {
                    "less than"
                } else {
                    "at most"
                };
                self.report(
                    path,
                    Rule::Maximum,
                    format!("must be {relation} {}", render_number(max)),
                );
            }
        }
    }

    fn check_array(
        &mut self,
        schema: &serde_json::Map<String, Value>,
        items: &[Value],
        path: &FieldPath,
        depth: usize,
    ) {
        let count = items.len() as u64;
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
            && count < min
        {
            self.report(
                path,
                Rule::MinItems,
                format!("must have at least {min} item(s), has {count}"),
            );
        }
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
            && count > max
        {
            self.report(
                path,
                Rule::MaxItems,
                format!("must have at most {max} items, has {count}"),
            );
        }
        if schema.get("uniqueItems").and_then(Value::as_bool) == Some(true) {
            let duplicate = items
                .iter()
                .enumerate()
                .any(|(i, item)| items[..i].contains(item));
            if duplicate {
                self.report(path, Rule::UniqueItems, "must not repeat an item".into());
            }
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                self.check(item_schema, item, &path.index(i), depth + 1);
            }
        }
    }

    fn check_object(
        &mut self,
        schema: &serde_json::Map<String, Value>,
        fields: &serde_json::Map<String, Value>,
        path: &FieldPath,
        depth: usize,
    ) {
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for name in required.iter().filter_map(Value::as_str) {
                if !fields.contains_key(name) {
                    self.report(&path.key(name), Rule::Required, "is required".into());
                }
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        for (name, value) in fields {
            match properties.and_then(|p| p.get(name)) {
                Some(property) => self.check(property, value, &path.key(name), depth + 1),
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => self.report(
                        &path.key(name),
                        Rule::AdditionalProperties,
                        "is not a known field".into(),
                    ),
                    Some(extra @ Value::Object(_)) => {
                        self.check(extra, value, &path.key(name), depth + 1)
                    }
                    _ => {}
                },
            }
        }
    }
}

fn has_type(instance: &Value, expected: &str) -> bool {
    match expected {
        "string" => instance.is_string(),
        "integer" => instance.is_i64() || instance.is_u64(),
        "number" => instance.is_number(),
        "boolean" => instance.is_boolean(),
        "array" => instance.is_array(),
        "object" => instance.is_object(),
        _ => true,
    }
}

fn render(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn render_number(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() < 1e15 {
        format!("{}", number as i64)
    } else {
        number.to_string()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Rule;
    use crate::SchemaDocument;

    fn doc() -> SchemaDocument {
        SchemaDocument::from_json(json!({"components": {"schemas": {
            "session": {
                "type": "object",
                "required": ["country", "lines"],
                "properties": {
                    "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
                    "amount": {"type": "integer", "minimum": 0, "maximum": 100},
                    "lines": {"type": "array", "minItems": 1, "maxItems": 2,
                              "items": {"$ref": "#/components/schemas/line"}},
                    "status": {"oneOf": [
                        {"type": "string", "enum": ["a", "b"]},
                        {"type": "string", "not": {"enum": ["a", "b"]}}
                    ]}
                }
            },
            "line": {"type": "object", "required": ["name"],
                     "properties": {"name": {"type": "string", "minLength": 1}}}
        }}}))
        .unwrap()
    }

    fn rules(instance: serde_json::Value) -> Vec<(String, Rule)> {
        doc()
            .validate("session", &instance)
            .into_iter()
            .map(|v| (v.path.to_string(), v.rule))
            .collect()
    }

    #[test]
    fn a_conforming_value_has_no_violations() {
        assert!(
            rules(json!({"country": "SE", "amount": 5, "lines": [{"name": "x"}], "status": "zz"}))
                .is_empty()
        );
    }

    #[test]
    fn reports_every_violation_with_its_path() {
        let found = rules(
            json!({"country": "Sweden", "amount": 101, "lines": [{"name": ""}, {}, {"name": "y"}]}),
        );
        assert_eq!(
            found,
            vec![
                ("amount".to_string(), Rule::Maximum),
                ("country".to_string(), Rule::Pattern),
                ("lines".to_string(), Rule::MaxItems),
                ("lines[0].name".to_string(), Rule::MinLength),
                ("lines[1].name".to_string(), Rule::Required),
            ]
        );
    }

    #[test]
    fn type_mismatches_and_nulls_are_reported() {
        let found = rules(json!({"country": 12, "amount": 1.5, "lines": null}));
        assert_eq!(
            found,
            vec![
                ("amount".to_string(), Rule::Type),
                ("country".to_string(), Rule::Type),
                ("lines".to_string(), Rule::Type),
            ]
        );
    }

    #[test]
    fn open_enum_branches_are_exclusive() {
        assert!(
            rules(json!({"country": "SE", "lines": [{"name": "x"}], "status": "a"})).is_empty()
        );
        assert_eq!(
            rules(json!({"country": "SE", "lines": [{"name": "x"}], "status": 3})),
            vec![("status".to_string(), Rule::OneOf)]
        );
    }

    #[test]
    fn missing_schema_and_bad_pattern_are_errors_not_panics() {
        assert_eq!(
            doc().validate("nope", &json!({}))[0].rule,
            Rule::UnresolvedRef
        );
        let err = SchemaDocument::from_json(json!({"a": {"pattern": "(["}})).unwrap_err();
        assert!(err.to_string().starts_with("/a/pattern: pattern"), "{err}");
    }

    #[test]
    fn a_reference_cycle_ends_in_a_violation() {
        let doc = SchemaDocument::from_json(json!({"components": {"schemas": {
            "loop": {"$ref": "#/components/schemas/loop"}
        }}}))
        .unwrap();
        assert_eq!(doc.validate("loop", &json!(1))[0].rule, Rule::UnresolvedRef);
    }
}

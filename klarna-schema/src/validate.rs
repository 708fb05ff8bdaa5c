//! The validation walk over compiled nodes.

use std::fmt;

use serde_json::Value;

use crate::compile::{Additional, Compiled, NodeId, Type};
use crate::path::FieldPath;

/// How deep the walk may go before it gives up (guards against `$ref` cycles).
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

/// Where the walk is: a stack-linked path, turned into a [`FieldPath`] only when a
/// violation is reported, so that walking a valid value allocates nothing for paths.
#[derive(Clone, Copy)]
pub(crate) enum At<'p> {
    Root,
    Key(&'p At<'p>, &'p str),
    Index(&'p At<'p>, usize),
}

impl At<'_> {
    fn to_path(self) -> FieldPath {
        match self {
            At::Root => FieldPath::root(),
            At::Key(parent, key) => parent.to_path().key(key),
            At::Index(parent, index) => parent.to_path().index(index),
        }
    }
}

pub(crate) struct Validator<'a> {
    compiled: &'a Compiled,
    violations: Vec<Violation>,
}

impl<'a> Validator<'a> {
    pub(crate) fn new(compiled: &'a Compiled) -> Self {
        Self {
            compiled,
            violations: Vec::new(),
        }
    }

    pub(crate) fn into_violations(self) -> Vec<Violation> {
        self.violations
    }

    fn report(&mut self, path: &At<'_>, rule: Rule, message: String) {
        self.violations.push(Violation {
            path: path.to_path(),
            rule,
            message,
        });
    }

    fn conforms(&self, node: NodeId, instance: &Value, path: &At<'_>, depth: usize) -> bool {
        let mut probe = Validator::new(self.compiled);
        probe.check(node, instance, path, depth);
        probe.violations.is_empty()
    }

    pub(crate) fn check(&mut self, id: NodeId, instance: &Value, path: &At<'_>, depth: usize) {
        if depth > MAX_DEPTH {
            self.report(path, Rule::UnresolvedRef, "schema nests too deeply".into());
            return;
        }
        let node = &self.compiled.nodes[id];
        if node.open {
            return; // `true`-like schemas accept anything.
        }
        match &node.reference {
            Some(Ok(target)) => return self.check(*target, instance, path, depth + 1),
            Some(Err(reference)) => {
                return self.report(
                    path,
                    Rule::UnresolvedRef,
                    format!("$ref {reference} points nowhere"),
                );
            }
            None => {}
        }
        if instance.is_null() {
            if !node.nullable && node.ty.is_some() {
                self.report(path, Rule::Type, "must not be null".into());
            }
            return;
        }
        if let Some(expected) = node.ty
            && !has_type(instance, expected)
        {
            let article = if matches!(expected, Type::Integer | Type::Array | Type::Object) {
                "an"
            } else {
                "a"
            };
            self.report(
                path,
                Rule::Type,
                format!("must be {article} {}", expected.name()),
            );
            return;
        }
        if let Some(allowed) = &node.enumeration
            && !allowed.contains(instance)
        {
            let listed: Vec<String> = allowed.iter().map(render).collect();
            self.report(
                path,
                Rule::Enum,
                format!("must be one of {}", listed.join(", ")),
            );
        }
        self.check_composition(id, instance, path, depth);
        match instance {
            Value::String(text) => self.check_string(id, text, path),
            Value::Number(_) => self.check_number(id, instance, path),
            Value::Array(items) => self.check_array(id, items, path, depth),
            Value::Object(fields) => self.check_object(id, fields, path, depth),
            _ => {}
        }
    }

    fn check_composition(&mut self, id: NodeId, instance: &Value, path: &At<'_>, depth: usize) {
        let node = &self.compiled.nodes[id];
        for &branch in &node.all_of {
            self.check(branch, instance, path, depth + 1);
        }
        let node = &self.compiled.nodes[id];
        if !node.any_of.is_empty()
            && !node
                .any_of
                .iter()
                .any(|&b| self.conforms(b, instance, path, depth + 1))
        {
            self.report(
                path,
                Rule::AnyOf,
                "matches none of the allowed forms".into(),
            );
        }
        let node = &self.compiled.nodes[id];
        if !node.one_of.is_empty() {
            let matched = node
                .one_of
                .iter()
                .filter(|&&b| self.conforms(b, instance, path, depth + 1))
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
        if let Some(excluded) = self.compiled.nodes[id].not
            && self.conforms(excluded, instance, path, depth + 1)
        {
            self.report(path, Rule::Not, format!("must not be {}", render(instance)));
        }
    }

    fn check_string(&mut self, id: NodeId, text: &str, path: &At<'_>) {
        let node = &self.compiled.nodes[id];
        if node.min_length.is_some() || node.max_length.is_some() {
            let length = text.chars().count() as u64;
            if let Some(min) = node.min_length
                && length < min
            {
                self.report(
                    path,
                    Rule::MinLength,
                    format!("is shorter than {min} characters"),
                );
            }
            let node = &self.compiled.nodes[id];
            if let Some(max) = node.max_length
                && length > max
            {
                self.report(
                    path,
                    Rule::MaxLength,
                    format!("is longer than {max} characters"),
                );
            }
        }
        let node = &self.compiled.nodes[id];
        if let Some((pattern, regex)) = &node.pattern {
            // Patterns are compiled at load time; one missing here never compiled.
            let matches = regex
                .as_ref()
                .is_some_and(|regex| regex.find(text).is_some());
            if !matches {
                let message = format!("does not match the pattern {pattern}");
                self.report(path, Rule::Pattern, message);
            }
        }
    }

    fn check_number(&mut self, id: NodeId, value: &Value, path: &At<'_>) {
        let Some(number) = value.as_f64() else { return };
        let node = &self.compiled.nodes[id];
        let (minimum, maximum) = (node.minimum, node.maximum);
        if let Some((min, exclusive)) = minimum {
            let below = if exclusive {
                number <= min
            } else {
                number < min
            };
            if below {
                let relation = if exclusive { "more than" } else { "at least" };
                self.report(
                    path,
                    Rule::Minimum,
                    format!("must be {relation} {}", render_number(min)),
                );
            }
        }
        if let Some((max, exclusive)) = maximum {
            let above = if exclusive {
                number >= max
            } else {
                number > max
            };
            if above {
                let relation = if exclusive { "less than" } else { "at most" };
                self.report(
                    path,
                    Rule::Maximum,
                    format!("must be {relation} {}", render_number(max)),
                );
            }
        }
    }

    fn check_array(&mut self, id: NodeId, items: &[Value], path: &At<'_>, depth: usize) {
        let node = &self.compiled.nodes[id];
        let count = items.len() as u64;
        let (min, max, unique, item_node) = (
            node.min_items,
            node.max_items,
            node.unique_items,
            node.items,
        );
        if let Some(min) = min
            && count < min
        {
            self.report(
                path,
                Rule::MinItems,
                format!("must have at least {min} item(s), has {count}"),
            );
        }
        if let Some(max) = max
            && count > max
        {
            self.report(
                path,
                Rule::MaxItems,
                format!("must have at most {max} items, has {count}"),
            );
        }
        if unique
            && items
                .iter()
                .enumerate()
                .any(|(i, item)| items[..i].contains(item))
        {
            self.report(path, Rule::UniqueItems, "must not repeat an item".into());
        }
        if let Some(item_node) = item_node {
            for (i, item) in items.iter().enumerate() {
                self.check(item_node, item, &At::Index(path, i), depth + 1);
            }
        }
    }

    fn check_object(
        &mut self,
        id: NodeId,
        fields: &serde_json::Map<String, Value>,
        path: &At<'_>,
        depth: usize,
    ) {
        let compiled = self.compiled;
        let node = &compiled.nodes[id];
        for name in &node.required {
            if !fields.contains_key(name) {
                self.report(&At::Key(path, name), Rule::Required, "is required".into());
            }
        }
        for (name, value) in fields {
            match node.properties.get(name) {
                Some(&property) => self.check(property, value, &At::Key(path, name), depth + 1),
                None => match node.additional {
                    Additional::Forbidden => self.report(
                        &At::Key(path, name),
                        Rule::AdditionalProperties,
                        "is not a known field".into(),
                    ),
                    Additional::Schema(extra) => {
                        self.check(extra, value, &At::Key(path, name), depth + 1)
                    }
                    Additional::Any => {}
                },
            }
        }
    }
}

fn has_type(instance: &Value, expected: Type) -> bool {
    match expected {
        Type::String => instance.is_string(),
        Type::Integer => instance.is_i64() || instance.is_u64(),
        Type::Number => instance.is_number(),
        Type::Boolean => instance.is_boolean(),
        Type::Array => instance.is_array(),
        Type::Object => instance.is_object(),
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

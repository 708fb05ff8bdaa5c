//! The validation walk over compiled nodes.

use std::fmt;

use serde_json::Value;

use crate::compile::{Additional, Compiled, End, Hot, NodeId, Type};
use crate::path::FieldPath;

/// How deep the walk may go before it gives up (guards against `$ref` cycles).
pub(crate) const MAX_DEPTH: usize = 64;

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

/// Where a walk is: a stack-linked path, turned into a [`FieldPath`] only when a
/// violation is reported, so that walking a valid value allocates nothing for paths.
#[derive(Clone, Copy, Debug)]
pub enum At<'p> {
    /// The value checked.
    Root,
    /// A property of the object at the parent path.
    Key(&'p At<'p>, &'p str),
    /// An element of the array at the parent path.
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
    pub(crate) compiled: &'a Compiled,
    pub(crate) violations: Vec<Violation>,
}

/// What kind of JSON value sits at a place, with the scalar itself: all the walk needs
/// to check `type`, `nullable` and a scalar `enum`, whether the value is a
/// [`Value`] or is being serialized.
pub(crate) enum Kind<'v> {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(&'v str),
    Array,
    Object,
}

impl<'v> Kind<'v> {
    fn of(instance: &'v Value) -> Self {
        match instance {
            Value::Null => Kind::Null,
            Value::Bool(b) => Kind::Bool(*b),
            Value::Number(n) => Kind::Number(n.clone()),
            Value::String(s) => Kind::String(s),
            Value::Array(_) => Kind::Array,
            Value::Object(_) => Kind::Object,
        }
    }

    fn has_type(&self, expected: Type) -> bool {
        match (expected, self) {
            (Type::String, Kind::String(_)) => true,
            (Type::Integer, Kind::Number(n)) => n.is_i64() || n.is_u64(),
            (Type::Number, Kind::Number(_)) => true,
            (Type::Boolean, Kind::Bool(_)) => true,
            (Type::Array, Kind::Array) => true,
            (Type::Object, Kind::Object) => true,
            _ => false,
        }
    }

    /// Whether `allowed` lists this value. `whole` is the value itself when at hand;
    /// without it an array or object matches nothing (nodes whose `enum` lists arrays or
    /// objects are checked with the whole value, see `Node::needs_value`).
    fn listed_in(&self, allowed: &[Value], whole: Option<&Value>) -> bool {
        if let Some(whole) = whole {
            return allowed.contains(whole);
        }
        allowed.iter().any(|a| match (self, a) {
            (Kind::Null, Value::Null) => true,
            (Kind::Bool(x), Value::Bool(y)) => x == y,
            (Kind::Number(x), Value::Number(y)) => x == y,
            (Kind::String(x), Value::String(y)) => *x == y.as_str(),
            _ => false,
        })
    }
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

    #[cold]
    #[inline(never)]
    pub(crate) fn report(&mut self, path: &At<'_>, rule: Rule, message: String) {
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

    /// Follows `$ref`s from `id`: the node that constrains the value and its depth, or
    /// `None` when nothing is checked below this point (an open schema, a dangling
    /// reference or nesting too deep, the last two reported).
    #[inline]
    pub(crate) fn resolve(
        &mut self,
        id: NodeId,
        path: &At<'_>,
        depth: usize,
    ) -> Option<(NodeId, usize)> {
        let hot = self.compiled.hot[id];
        self.resolve_hot(id, hot, path, depth)
    }

    /// [`resolve`](Self::resolve) with `hot`, node `id`'s [`Hot`], at hand.
    #[inline]
    pub(crate) fn resolve_hot(
        &mut self,
        id: NodeId,
        hot: Hot,
        path: &At<'_>,
        depth: usize,
    ) -> Option<(NodeId, usize)> {
        let depth_there = depth.saturating_add(hot.hops as usize);
        match hot.end {
            End::Node if depth_there <= MAX_DEPTH => Some((hot.target, depth_there)),
            End::Open if depth_there <= MAX_DEPTH => None,
            _ => self.resolve_reporting(id, path, depth),
        }
    }

    /// [`resolve`](Self::resolve) step by step, where something is to be reported.
    #[cold]
    #[inline(never)]
    fn resolve_reporting(
        &mut self,
        mut id: NodeId,
        path: &At<'_>,
        mut depth: usize,
    ) -> Option<(NodeId, usize)> {
        loop {
            if depth > MAX_DEPTH {
                self.report(path, Rule::UnresolvedRef, "schema nests too deeply".into());
                return None;
            }
            let node = &self.compiled.nodes[id];
            if node.open {
                return None; // `true`-like schemas accept anything.
            }
            match &node.reference {
                Some(Ok(target)) => {
                    id = *target;
                    depth += 1;
                }
                Some(Err(reference)) => {
                    let message = format!("$ref {reference} points nowhere");
                    self.report(path, Rule::UnresolvedRef, message);
                    return None;
                }
                None => return Some((id, depth)),
            }
        }
    }

    /// `nullable`, `type` and `enum` of a resolved node: whether the value's own checks
    /// (composition, then those of its type) run at all.
    #[inline]
    pub(crate) fn begin(
        &mut self,
        id: NodeId,
        kind: &Kind<'_>,
        whole: Option<&Value>,
        path: &At<'_>,
    ) -> bool {
        let hot = self.compiled.hot[id];
        if let Kind::Null = kind {
            if hot.flags & Hot::NULLABLE == 0 && hot.ty.is_some() {
                self.report(path, Rule::Type, "must not be null".into());
            }
            return false;
        }
        if let Some(expected) = hot.ty
            && !kind.has_type(expected)
        {
            self.report_type(path, expected);
            return false;
        }
        if hot.flags & Hot::ENUM != 0 {
            self.check_enum(id, kind, whole, path);
        }
        true
    }

    /// The checks of a string value against resolved node `id`, if it has any.
    #[inline]
    pub(crate) fn check_text(&mut self, id: NodeId, text: &str, path: &At<'_>) {
        if self.compiled.hot[id].flags & Hot::STRING != 0 {
            self.check_string(id, text, path);
        }
    }

    /// The checks of a number against resolved node `id`, if it has any.
    #[inline]
    pub(crate) fn check_numeric(&mut self, id: NodeId, number: &serde_json::Number, path: &At<'_>) {
        if self.compiled.hot[id].flags & Hot::NUMBER != 0
            && let Some(number) = number.as_f64()
        {
            self.check_number(id, number, path);
        }
    }

    #[cold]
    #[inline(never)]
    fn report_type(&mut self, path: &At<'_>, expected: Type) {
        let article = if matches!(expected, Type::Integer | Type::Array | Type::Object) {
            "an"
        } else {
            "a"
        };
        let message = format!("must be {article} {}", expected.name());
        self.report(path, Rule::Type, message);
    }

    #[inline(never)]
    fn check_enum(&mut self, id: NodeId, kind: &Kind<'_>, whole: Option<&Value>, path: &At<'_>) {
        if let Some(allowed) = &self.compiled.nodes[id].enumeration
            && !kind.listed_in(allowed, whole)
        {
            let listed: Vec<String> = allowed.iter().map(render).collect();
            self.report(
                path,
                Rule::Enum,
                format!("must be one of {}", listed.join(", ")),
            );
        }
    }

    pub(crate) fn check(&mut self, id: NodeId, instance: &Value, path: &At<'_>, depth: usize) {
        let Some((id, depth)) = self.resolve(id, path, depth) else {
            return;
        };
        if !self.begin(id, &Kind::of(instance), Some(instance), path) {
            return;
        }
        self.check_composition(id, instance, path, depth);
        match instance {
            Value::String(text) => self.check_text(id, text, path),
            Value::Number(number) => self.check_numeric(id, number, path),
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

    #[inline]
    pub(crate) fn check_string(&mut self, id: NodeId, text: &str, path: &At<'_>) {
        let node = &self.compiled.nodes[id];
        // A UTF-8 text of n bytes has between n/4 and n characters: counting them is
        // needed only when those bounds do not settle both limits.
        let (at_least, at_most) = (text.len().div_ceil(4) as u64, text.len() as u64);
        let settled = node.min_length.is_none_or(|min| at_least >= min)
            && node.max_length.is_none_or(|max| at_most <= max);
        if !settled {
            self.check_length(id, text, path);
        }
        let node = &self.compiled.nodes[id];
        if let Some((_, pattern)) = &node.pattern
            // Patterns are compiled at load time; one missing here never compiled.
            && !pattern.as_ref().is_some_and(|pattern| pattern.is_match(text))
        {
            self.report_pattern(id, path);
        }
    }

    #[inline(never)]
    fn check_length(&mut self, id: NodeId, text: &str, path: &At<'_>) {
        let node = &self.compiled.nodes[id];
        let (min_length, max_length) = (node.min_length, node.max_length);
        let length = text.chars().count() as u64;
        if let Some(min) = min_length
            && length < min
        {
            self.report(
                path,
                Rule::MinLength,
                format!("is shorter than {min} characters"),
            );
        }
        if let Some(max) = max_length
            && length > max
        {
            self.report(
                path,
                Rule::MaxLength,
                format!("is longer than {max} characters"),
            );
        }
    }

    #[cold]
    #[inline(never)]
    fn report_pattern(&mut self, id: NodeId, path: &At<'_>) {
        if let Some((pattern, _)) = &self.compiled.nodes[id].pattern {
            let message = format!("does not match the pattern {pattern}");
            self.report(path, Rule::Pattern, message);
        }
    }

    #[inline]
    pub(crate) fn check_number(&mut self, id: NodeId, number: f64, path: &At<'_>) {
        let node = &self.compiled.nodes[id];
        let below = node.minimum.is_some_and(|min| below_minimum(number, min));
        let above = node.maximum.is_some_and(|max| above_maximum(number, max));
        if below || above {
            self.report_range(id, number, path);
        }
    }

    #[cold]
    #[inline(never)]
    fn report_range(&mut self, id: NodeId, number: f64, path: &At<'_>) {
        let node = &self.compiled.nodes[id];
        let (minimum, maximum) = (node.minimum, node.maximum);
        if let Some((min, exclusive)) = minimum
            && below_minimum(number, (min, exclusive))
        {
            let relation = if exclusive { "more than" } else { "at least" };
            self.report(
                path,
                Rule::Minimum,
                format!("must be {relation} {}", render_number(min)),
            );
        }
        if let Some((max, exclusive)) = maximum
            && above_maximum(number, (max, exclusive))
        {
            let relation = if exclusive { "less than" } else { "at most" };
            self.report(
                path,
                Rule::Maximum,
                format!("must be {relation} {}", render_number(max)),
            );
        }
    }

    /// `minItems` and `maxItems` of an array of `count` items.
    pub(crate) fn check_count(&mut self, id: NodeId, count: u64, path: &At<'_>) {
        let node = &self.compiled.nodes[id];
        let (min, max) = (node.min_items, node.max_items);
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
    }

    fn check_array(&mut self, id: NodeId, items: &[Value], path: &At<'_>, depth: usize) {
        self.check_count(id, items.len() as u64, path);
        let node = &self.compiled.nodes[id];
        let (unique, item_node) = (node.unique_items, node.items);
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
                self.report_missing(path, name);
            }
        }
        for (name, value) in fields {
            let at = At::Key(path, name);
            let checked_by = match node.properties.get(name) {
                Some(&property) => Some(property),
                None => self.unlisted_field(id, &at),
            };
            if let Some(field_node) = checked_by {
                self.check(field_node, value, &at, depth + 1);
            }
        }
    }

    /// A `required` field `name` missing from the object at `path`.
    pub(crate) fn report_missing(&mut self, path: &At<'_>, name: &str) {
        self.report(&At::Key(path, name), Rule::Required, "is required".into());
    }

    /// What checks a field of object node `id` that is not among its `properties`: the
    /// `additionalProperties` schema, or nothing (a forbidden field is reported here).
    pub(crate) fn unlisted_field(&mut self, id: NodeId, at: &At<'_>) -> Option<NodeId> {
        match self.compiled.nodes[id].additional {
            Additional::Forbidden => {
                let message = "is not a known field".into();
                self.report(at, Rule::AdditionalProperties, message);
                None
            }
            Additional::Schema(extra) => Some(extra),
            Additional::Any => None,
        }
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

/// Whether `number` falls short of `minimum` (the bound, and whether it is exclusive).
pub(crate) fn below_minimum(number: f64, (min, exclusive): (f64, bool)) -> bool {
    if exclusive {
        number <= min
    } else {
        number < min
    }
}

/// Whether `number` goes past `maximum` (the bound, and whether it is exclusive).
pub(crate) fn above_maximum(number: f64, (max, exclusive): (f64, bool)) -> bool {
    if exclusive {
        number >= max
    } else {
        number > max
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

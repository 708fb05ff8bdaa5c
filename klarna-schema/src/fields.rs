//! Checks of typed values whose walk is written out per type, by code generated from the
//! spec (`klarna-payments` derives one such walk per request model at build time): the
//! caller visits the fields of its own structs and hands each value to
//! [`FieldChecker::value`] with the [`Property`] it belongs to, looked up once. Visited in
//! the order of the properties' names, with array counts before their items, the answer
//! is the one [`SchemaDocument::validate_serialize`] gives, without the per-field lookups
//! of a serde walk.

use serde::Serialize;

use crate::accept::{Quick, shape_matching, shape_of};
use crate::compile::NodeId;
use crate::document::SchemaDocument;
use crate::pattern::Pattern;
use crate::validate::{At, Validator, Violation};

/// A property of an object schema, or the items of an array property, as
/// [`SchemaDocument::property`] and [`SchemaDocument::items`] found it.
#[derive(Clone, Copy, Debug)]
pub struct Property {
    node: NodeId,
    /// Its rules when they are only bounds: kept beside the property (looked up once
    /// per process, next to its model's other properties), so that a value inside them
    /// passes without reading the compiled schema.
    quick: Quick,
}

impl Property {
    /// For code generated from the spec: the Rust source of an expression that is `true`
    /// when `value` (the source of an expression of type `&T`, `T: Serialize`) certainly
    /// passes this property's rules without [`FieldChecker::value`], with the bounds as
    /// constants; `None` when only that check can tell. (`false` means only "check it".)
    ///
    /// ```
    /// use klarna_schema::SchemaDocument;
    /// use serde_json::json;
    ///
    /// let document = SchemaDocument::from_json(json!({"components": {"schemas": {"line": {
    ///     "type": "object",
    ///     "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 255}},
    /// }}}})).unwrap();
    /// let name = document.property("line", "name").unwrap();
    /// assert_eq!(
    ///     name.accepts_source("&line.name").unwrap(),
    ///     "klarna_schema::quick::text(&line.name, 1, 255)",
    /// );
    /// assert!(klarna_schema::quick::text("Tomato", 1, 255));
    /// assert!(!klarna_schema::quick::text("", 1, 255));
    /// ```
    pub fn accepts_source(&self, value: &str) -> Option<String> {
        crate::accept::accepts_source(self.quick, value)
    }
}

impl SchemaDocument {
    /// Property `name` of the schema named `schema` under `components/schemas` (its
    /// `$ref`s followed), or `None` when there is none.
    pub fn property(&self, schema: &str, name: &str) -> Option<Property> {
        let id = self.target(*self.named.get(schema)?)?;
        let field = self.compiled.nodes[id]
            .fields
            .iter()
            .find(|field| &*field.name == name)?;
        Some(self.property_at(field.node))
    }

    /// For code generated from the spec: the Rust source of an expression that is `true`
    /// when `count` (the source of a `usize` expression) items certainly meet the item
    /// counts of array `property` without [`FieldChecker::count`]; `None` when only that
    /// check can tell.
    ///
    /// ```
    /// use klarna_schema::SchemaDocument;
    /// use serde_json::json;
    ///
    /// let document = SchemaDocument::from_json(json!({"components": {"schemas": {"order": {
    ///     "type": "object",
    ///     "properties": {"lines": {"type": "array", "minItems": 1, "maxItems": 1000}},
    /// }}}})).unwrap();
    /// let lines = document.property("order", "lines").unwrap();
    /// assert_eq!(
    ///     document.count_source(lines, "n").unwrap(),
    ///     "klarna_schema::quick::count(n, 1, 1000)",
    /// );
    /// assert!(klarna_schema::quick::count(3, 1, 1000));
    /// assert!(!klarna_schema::quick::count(0, 1, 1000));
    /// ```
    pub fn count_source(&self, property: Property, count: &str) -> Option<String> {
        let node = &self.compiled.nodes[self.compiled.quick_target(property.node)?];
        Some(format!(
            "klarna_schema::quick::count({count}, {}, {})",
            node.min_items.unwrap_or(0),
            node.max_items.unwrap_or(u64::MAX)
        ))
    }

    /// The items of an array `property`, or `None` when its schema has no `items`.
    pub fn items(&self, property: Property) -> Option<Property> {
        let node = self.compiled.nodes[self.target(property.node)?].items?;
        Some(self.property_at(node))
    }

    /// A checker collecting the violations of one value.
    pub fn field_checker(&self) -> FieldChecker<'_> {
        FieldChecker {
            validator: Validator::new(&self.compiled),
        }
    }

    fn property_at(&self, node: NodeId) -> Property {
        let quick = match self.compiled.quick_target(node) {
            Some(target) => Quick::of(&self.compiled.nodes[target]),
            None => Quick::None,
        };
        Property { node, quick }
    }

    /// Where node `id`'s `$ref`s lead, when they lead to a node.
    fn target(&self, id: NodeId) -> Option<NodeId> {
        self.compiled.target(id)
    }
}

/// Collects the violations of one typed value, field by field (see the module docs).
pub struct FieldChecker<'d> {
    validator: Validator<'d>,
}

impl FieldChecker<'_> {
    /// Checks `value`, found at `at`, against `property`'s schema, all the way down.
    ///
    /// # Errors
    ///
    /// The error `serde_json::to_value(value)` gives when `value` has no JSON form.
    //
    // Out of line, one copy per value type, and the property by reference: each field
    // of a generated walk is then a call, and the walks' code halves (`OrderLine`'s
    // 4.0 KB -> 2.2 KB): at one request at a time, code is mostly fetched from beyond
    // the first-level cache.
    #[inline(never)]
    pub fn value<T: Serialize + ?Sized>(
        &mut self,
        property: &Property,
        value: &T,
        at: &At<'_>,
    ) -> Result<(), serde_json::Error> {
        let shape = match property.quick {
            // (Tested first: it spares the other fields the serialisation.)
            Quick::None => return self.full(*property, value, at),
            Quick::Pattern { .. } => match self.pattern(property) {
                Some(pattern) => shape_matching(value, pattern),
                None => return self.full(*property, value, at),
            },
            _ => shape_of(value),
        };
        if property.quick.accepts(shape) {
            return Ok(());
        }
        self.full(*property, value, at)
    }

    /// The compiled pattern of `property`'s schema (where its `$ref`s lead).
    fn pattern(&self, property: &Property) -> Option<&Pattern> {
        let compiled = self.validator.compiled;
        compiled.nodes[compiled.target(property.node)?]
            .pattern
            .as_ref()?
            .1
            .as_ref()
    }

    /// [`value`](Self::value) by the compiled schema (kept out of line, so that the
    /// walks' code stays small).
    #[inline(never)]
    fn full<T: Serialize + ?Sized>(
        &mut self,
        property: Property,
        value: &T,
        at: &At<'_>,
    ) -> Result<(), serde_json::Error> {
        let hot = self.validator.compiled.hot[property.node];
        crate::serialize::check_hot(&mut self.validator, property.node, hot, value, at, 0)
    }

    /// Checks the item count of the array at `at` against `property`'s schema (its
    /// items are checked apart, after this).
    pub fn count(&mut self, property: &Property, count: usize, at: &At<'_>) {
        let hot = self.validator.compiled.hot[property.node];
        if let Some((id, _)) = self.validator.resolve_hot(property.node, hot, at, 0) {
            self.validator.check_count(id, count as u64, at);
        }
    }

    /// Every violation found, in the order found.
    pub fn into_violations(self) -> Vec<Violation> {
        self.validator.into_violations()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::MAX_DEPTH;
    use serde_json::{Value, json};

    /// Violations of `value` as property `a` of a model whose schema `a` is `schema`:
    /// through `FieldChecker::value` (quick answers included), through its full check
    /// alone, and through the whole-document walk of the model.
    fn all_three(extra: Value, schema: Value, value: &impl Serialize) -> [usize; 3] {
        let mut schemas = extra;
        schemas["m"] = json!({"type": "object", "properties": {"a": schema}});
        let document =
            SchemaDocument::from_json(json!({"components": {"schemas": schemas}})).unwrap();
        let property = document.property("m", "a").unwrap();
        let mut quick = document.field_checker();
        quick.value(&property, value, &At::Root).unwrap();
        let mut full = document.field_checker();
        full.full(property, value, &At::Root).unwrap();
        let whole = document
            .validate_serialize("m", &std::collections::BTreeMap::from([("a", value)]))
            .unwrap();
        [
            quick.into_violations().len(),
            full.into_violations().len(),
            whole.len(),
        ]
    }

    #[test]
    fn a_reference_chain_deeper_than_the_walk_gets_no_quick_answer() {
        let text = json!({"type": "string", "maxLength": 10});
        let mut reported = Vec::new();
        for hops in [1, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, MAX_DEPTH + 5] {
            let mut extra = json!({"r0": text});
            for i in 1..hops {
                extra[format!("r{i}")] =
                    json!({"$ref": format!("#/components/schemas/r{}", i - 1)});
            }
            let top = json!({"$ref": format!("#/components/schemas/r{}", hops - 1)});
            let [quick, full, _] = all_three(extra, top, &"abc");
            assert_eq!(quick, full, "{hops} hops");
            reported.push(full);
        }
        // Deep enough, the full check reports the chain: the quick path must not hide it.
        assert_eq!(reported, [0, 0, 0, 1, 1]);
    }

    #[test]
    fn quick_answers_agree_with_the_full_check() {
        let schemas = [
            json!({"type": "string", "minLength": 2, "maxLength": 3}),
            json!({"type": "string", "maxLength": 3, "nullable": true}),
            json!({"type": "integer", "minimum": 1, "maximum": 10, "exclusiveMaximum": true}),
            json!({"type": "number", "minimum": 0}),
            json!({"type": "string", "pattern": "^a+$"}),
            json!({"type": "string", "pattern": "^[A-Za-z]{2,2}$", "maxLength": 2}),
            json!({"type": "string", "pattern": "^a+$", "minLength": 2, "maxLength": 3}),
            json!({"type": "string", "pattern": "a(?=b)"}),
            json!({"type": "integer", "pattern": "^1$"}),
            json!({"type": "string", "pattern": "^a+$", "enum": ["a", "aa"]}),
        ];
        let texts = [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "aa",
            "aaa",
            "aaaa",
            "SE",
            "sE",
            "S\u{e9}",
            "\u{e9}\u{e9}",
            "\u{1F600}",
        ];
        for schema in &schemas {
            for text in texts {
                let [quick, full, whole] = all_three(json!({}), schema.clone(), &text);
                assert!(quick == full && full == whole, "{text:?} against {schema}");
            }
            for number in [-1.0, 0.0, 1.0, 9.0, 9.5, 10.0, f64::NAN] {
                let [quick, full, whole] = all_three(json!({}), schema.clone(), &number);
                assert!(quick == full && full == whole, "{number} against {schema}");
            }
            for number in [0_i64, 1, 9, 10, i64::MAX] {
                let [quick, full, whole] = all_three(json!({}), schema.clone(), &number);
                assert!(quick == full && full == whole, "{number} against {schema}");
            }
            let [quick, full, whole] = all_three(json!({}), schema.clone(), &None::<String>);
            assert!(quick == full && full == whole, "null against {schema}");
        }
    }

    #[test]
    fn a_compiled_pattern_on_a_text_gets_a_quick_answer_and_nothing_else_does() {
        let quick_of = |schema: Value| {
            let document = SchemaDocument::from_json(json!({"components": {"schemas": {
                "m": {"type": "object", "properties": {"a": schema}}
            }}}))
            .unwrap();
            document.property("m", "a").unwrap().quick
        };
        let country = json!({"type": "string", "pattern": "^[A-Za-z]{2,2}$", "maxLength": 2});
        assert!(matches!(
            quick_of(country),
            Quick::Pattern { max_length: 2, .. }
        ));
        let with_enum = json!({"type": "string", "pattern": "^a+$", "enum": ["a"]});
        assert!(matches!(quick_of(with_enum), Quick::None));
        let number = json!({"type": "integer", "pattern": "^1$"});
        assert!(matches!(quick_of(number), Quick::None));
    }
}

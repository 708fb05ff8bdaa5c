//! Checks of typed values whose walk is written out per type, by code generated from the
//! spec (`klarna-payments` derives one such walk per request model at build time): the
//! caller visits the fields of its own structs and hands each value to
//! [`FieldChecker::value`] with the [`Property`] it belongs to, looked up once. Visited in
//! the order of the properties' names, with array counts before their items, the answer
//! is the one [`SchemaDocument::validate_serialize`] gives, without the per-field lookups
//! of a serde walk.

use serde::Serialize;

use crate::accept::{Quick, shape_of};
use crate::compile::{End, NodeId};
use crate::document::SchemaDocument;
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
        let quick = self.target(node).map_or(Quick::None, |target| {
            Quick::of(&self.compiled.nodes[target])
        });
        Property { node, quick }
    }

    /// Where node `id`'s `$ref`s lead, when they lead to a node.
    fn target(&self, id: NodeId) -> Option<NodeId> {
        let hot = self.compiled.hot[id];
        matches!(hot.end, End::Node).then_some(hot.target)
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
    #[inline]
    pub fn value<T: Serialize + ?Sized>(
        &mut self,
        property: Property,
        value: &T,
        at: &At<'_>,
    ) -> Result<(), serde_json::Error> {
        if !matches!(property.quick, Quick::None) && property.quick.accepts(shape_of(value)) {
            return Ok(());
        }
        self.full(property, value, at)
    }

    /// [`value`](Self::value) by the compiled schema.
    #[cold]
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
    pub fn count(&mut self, property: Property, count: usize, at: &At<'_>) {
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

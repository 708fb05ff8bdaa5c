//! Schemas compiled once into an arena of nodes: `$ref`s resolved to node ids,
//! keywords pre-extracted, patterns compiled. Validation then never looks anything up
//! by name in the schema.

use std::collections::HashMap;

use serde_json::Value;

pub(crate) type NodeId = usize;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Type {
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Object,
}

impl Type {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "string" => Type::String,
            "integer" => Type::Integer,
            "number" => Type::Number,
            "boolean" => Type::Boolean,
            "array" => Type::Array,
            "object" => Type::Object,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Type::String => "string",
            Type::Integer => "integer",
            Type::Number => "number",
            Type::Boolean => "boolean",
            Type::Array => "array",
            Type::Object => "object",
        }
    }
}

#[derive(Debug, Default)]
pub(crate) enum Additional {
    #[default]
    Any,
    Forbidden,
    Schema(NodeId),
}

/// One compiled schema object.
#[derive(Debug, Default)]
pub(crate) struct Node {
    /// `$ref` target (siblings are ignored, as OpenAPI 3.0 says).
    pub(crate) reference: Option<Result<NodeId, String>>,
    pub(crate) ty: Option<Type>,
    pub(crate) nullable: bool,
    pub(crate) enumeration: Option<Vec<Value>>,
    pub(crate) pattern: Option<(String, Option<regress::Regex>)>,
    pub(crate) min_length: Option<u64>,
    pub(crate) max_length: Option<u64>,
    pub(crate) minimum: Option<(f64, bool)>,
    pub(crate) maximum: Option<(f64, bool)>,
    pub(crate) min_items: Option<u64>,
    pub(crate) max_items: Option<u64>,
    pub(crate) unique_items: bool,
    pub(crate) items: Option<NodeId>,
    pub(crate) required: Vec<String>,
    pub(crate) properties: HashMap<String, NodeId>,
    pub(crate) additional: Additional,
    pub(crate) all_of: Vec<NodeId>,
    pub(crate) any_of: Vec<NodeId>,
    pub(crate) one_of: Vec<NodeId>,
    pub(crate) not: Option<NodeId>,
    /// Whether the schema constrains anything at all (`true`/non-object schemas do not).
    pub(crate) open: bool,
}

/// An arena of compiled nodes for one document.
#[derive(Debug, Default)]
pub(crate) struct Compiled {
    pub(crate) nodes: Vec<Node>,
    by_pointer: HashMap<String, NodeId>,
}

impl Compiled {
    /// Compiles the schema at `pointer` in `document` (memoised by pointer).
    pub(crate) fn at_pointer(
        &mut self,
        document: &Value,
        pointer: &str,
        patterns: &HashMap<String, regress::Regex>,
    ) -> Option<NodeId> {
        if let Some(id) = self.by_pointer.get(pointer) {
            return Some(*id);
        }
        let schema = document.pointer(pointer)?;
        Some(self.compile(document, schema, Some(pointer.to_string()), patterns))
    }

    /// Compiles `schema` (found at `pointer` in `document`, if known there).
    pub(crate) fn compile(
        &mut self,
        document: &Value,
        schema: &Value,
        pointer: Option<String>,
        patterns: &HashMap<String, regress::Regex>,
    ) -> NodeId {
        let id = self.nodes.len();
        self.nodes.push(Node::default());
        if let Some(pointer) = &pointer {
            self.by_pointer.insert(pointer.clone(), id);
        }
        let Some(map) = schema.as_object() else {
            self.nodes[id].open = true;
            return id;
        };
        let child = |this: &mut Self, tokens: &[&str], value: &Value| {
            let child_pointer = pointer.as_ref().map(|p| {
                let mut out = p.clone();
                for token in tokens {
                    out.push('/');
                    out.push_str(&token.replace('~', "~0").replace('/', "~1"));
                }
                out
            });
            match child_pointer.as_ref().and_then(|p| this.by_pointer.get(p)) {
                Some(existing) => *existing,
                None => this.compile(document, value, child_pointer, patterns),
            }
        };
        let mut node = Node::default();
        if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
            let target = reference
                .strip_prefix('#')
                .and_then(|p| self.at_pointer(document, p, patterns))
                .ok_or_else(|| reference.to_string());
            node.reference = Some(target);
            self.nodes[id] = node;
            return id;
        }
        node.ty = map
            .get("type")
            .and_then(Value::as_str)
            .and_then(Type::parse);
        node.nullable = map.get("nullable").and_then(Value::as_bool) == Some(true);
        node.enumeration = map.get("enum").and_then(Value::as_array).cloned();
        node.pattern = map
            .get("pattern")
            .and_then(Value::as_str)
            .map(|p| (p.to_string(), patterns.get(p).cloned()));
        node.min_length = map.get("minLength").and_then(Value::as_u64);
        node.max_length = map.get("maxLength").and_then(Value::as_u64);
        let flag = |key: &str| map.get(key).and_then(Value::as_bool) == Some(true);
        node.minimum = map
            .get("minimum")
            .and_then(Value::as_f64)
            .map(|m| (m, flag("exclusiveMinimum")));
        node.maximum = map
            .get("maximum")
            .and_then(Value::as_f64)
            .map(|m| (m, flag("exclusiveMaximum")));
        node.min_items = map.get("minItems").and_then(Value::as_u64);
        node.max_items = map.get("maxItems").and_then(Value::as_u64);
        node.unique_items = flag("uniqueItems");
        node.required = map
            .get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        if let Some(items) = map.get("items") {
            node.items = Some(child(self, &["items"], items));
        }
        if let Some(properties) = map.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                node.properties
                    .insert(name.clone(), child(self, &["properties", name], property));
            }
        }
        node.additional = match map.get("additionalProperties") {
            Some(Value::Bool(false)) => Additional::Forbidden,
            Some(extra @ Value::Object(_)) => {
                Additional::Schema(child(self, &["additionalProperties"], extra))
            }
            _ => Additional::Any,
        };
        for (key, target) in [("allOf", 0), ("anyOf", 1), ("oneOf", 2)] {
            if let Some(branches) = map.get(key).and_then(Value::as_array) {
                let ids: Vec<NodeId> = branches
                    .iter()
                    .enumerate()
                    .map(|(i, b)| child(self, &[key, &i.to_string()], b))
                    .collect();
                match target {
                    0 => node.all_of = ids,
                    1 => node.any_of = ids,
                    _ => node.one_of = ids,
                }
            }
        }
        if let Some(excluded) = map.get("not") {
            node.not = Some(child(self, &["not"], excluded));
        }
        self.nodes[id] = node;
        id
    }
}

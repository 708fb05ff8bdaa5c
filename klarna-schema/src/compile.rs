//! Schemas compiled once into an arena of nodes: `$ref`s resolved to node ids,
//! keywords pre-extracted, patterns compiled. Validation then never looks anything up
//! by name in the schema.

use std::collections::HashMap;

use serde_json::Value;

use crate::pattern::Pattern;

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

/// One entry of [`Node::fields`]: a property, and where its name sits in `required`.
#[derive(Debug)]
pub(crate) struct Field {
    pub(crate) name: Box<str>,
    pub(crate) node: NodeId,
    pub(crate) required: Option<usize>,
    /// The property node's [`Hot`] (set by [`Compiled::seal`]).
    pub(crate) hot: Hot,
}

/// One compiled schema object.
#[derive(Debug, Default)]
pub(crate) struct Node {
    /// `$ref` target (siblings are ignored, as OpenAPI 3.0 says).
    pub(crate) reference: Option<Result<NodeId, String>>,
    pub(crate) ty: Option<Type>,
    pub(crate) nullable: bool,
    pub(crate) enumeration: Option<Vec<Value>>,
    pub(crate) pattern: Option<(String, Option<Pattern>)>,
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
    /// `properties` sorted by name (the order of a JSON object's keys here), each with
    /// its index in `required`: what the validating serializer looks fields up in.
    pub(crate) fields: Vec<Field>,
    /// Whether checking a value needs the whole value at hand (`allOf`/`anyOf`/`oneOf`/
    /// `not` probe it against several schemas, `uniqueItems` compares items, an `enum`
    /// listing arrays or objects compares them): the validating serializer then builds
    /// the value of this one subtree and checks it as [`Validator::check`] does.
    ///
    /// [`Validator::check`]: crate::validate::Validator::check
    pub(crate) needs_value: bool,
    /// One bit per distinct `required` name (its first index), when there are at most
    /// 64 of them: an object that showed all of these misses none.
    pub(crate) required_mask: u64,
}

/// How following a node's `$ref`s ends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum End {
    /// At a node with constraints (`Hot::target`).
    #[default]
    Node,
    /// At a schema that accepts anything.
    Open,
    /// At a `$ref` that points nowhere.
    Dangling,
    /// Never: the references form a cycle.
    Cycle,
}

/// What the walk needs of a node on every value, packed small and kept apart from the
/// (large) nodes, so that the common case reads one cache line: where its `$ref`s
/// lead, and the type, `nullable` and which kinds of checks the node there has.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Hot {
    pub(crate) target: NodeId,
    /// `$ref`s followed to reach `target` (`u32::MAX` for a cycle).
    pub(crate) hops: u32,
    pub(crate) end: End,
    pub(crate) ty: Option<Type>,
    pub(crate) flags: u8,
}

impl Hot {
    pub(crate) const NULLABLE: u8 = 1;
    pub(crate) const ENUM: u8 = 2;
    /// `minLength`, `maxLength` or `pattern`.
    pub(crate) const STRING: u8 = 4;
    /// `minimum` or `maximum`.
    pub(crate) const NUMBER: u8 = 8;
    /// [`Node::needs_value`].
    pub(crate) const NEEDS_VALUE: u8 = 16;
}

/// An arena of compiled nodes for one document.
#[derive(Debug, Default)]
pub(crate) struct Compiled {
    pub(crate) nodes: Vec<Node>,
    /// One per node, filled by [`seal`](Self::seal) once all are compiled.
    pub(crate) hot: Vec<Hot>,
    by_pointer: HashMap<String, NodeId>,
}

impl Compiled {
    /// Where node `id`'s `$ref`s lead, when they lead to a node.
    pub(crate) fn target(&self, id: NodeId) -> Option<NodeId> {
        let hot = self.hot[id];
        matches!(hot.end, End::Node).then_some(hot.target)
    }

    /// [`target`](Self::target), when a check that starts at depth 0 (see
    /// `FieldChecker::full`) gets there: a longer chain of `$ref`s is reported by that
    /// check, so no quick answer may pass over it.
    pub(crate) fn quick_target(&self, id: NodeId) -> Option<NodeId> {
        (self.hot[id].hops as usize <= crate::validate::MAX_DEPTH)
            .then(|| self.target(id))
            .flatten()
    }

    /// Computes [`Hot`] for every node; call after the last `compile`.
    pub(crate) fn seal(&mut self) {
        self.hot = (0..self.nodes.len()).map(|id| self.hot_of(id)).collect();
        for node in &mut self.nodes {
            for field in &mut node.fields {
                field.hot = self.hot[field.node];
            }
        }
    }

    fn hot_of(&self, mut id: NodeId) -> Hot {
        let mut hops = 0u32;
        loop {
            let node = &self.nodes[id];
            let end = if node.open {
                End::Open
            } else {
                match &node.reference {
                    Some(Ok(target)) => {
                        id = *target;
                        hops += 1;
                        if hops as usize > self.nodes.len() {
                            return Hot {
                                target: id,
                                hops: u32::MAX,
                                end: End::Cycle,
                                ..Hot::default()
                            };
                        }
                        continue;
                    }
                    Some(Err(_)) => End::Dangling,
                    None => End::Node,
                }
            };
            let mut flags = 0;
            for (set, flag) in [
                (node.nullable, Hot::NULLABLE),
                (node.enumeration.is_some(), Hot::ENUM),
                (
                    node.min_length.is_some()
                        || node.max_length.is_some()
                        || node.pattern.is_some(),
                    Hot::STRING,
                ),
                (
                    node.minimum.is_some() || node.maximum.is_some(),
                    Hot::NUMBER,
                ),
                (node.needs_value, Hot::NEEDS_VALUE),
            ] {
                if set {
                    flags |= flag;
                }
            }
            return Hot {
                target: id,
                hops,
                end,
                ty: node.ty,
                flags,
            };
        }
    }

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
        node.pattern = map.get("pattern").and_then(Value::as_str).map(|p| {
            let compiled = patterns.get(p).map(|regex| Pattern::new(p, regex.clone()));
            (p.to_string(), compiled)
        });
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
        node.fields = node
            .properties
            .iter()
            .map(|(name, &property)| Field {
                name: name.as_str().into(),
                node: property,
                required: node.required.iter().position(|r| r == name),
                hot: Hot::default(),
            })
            .collect();
        node.fields.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        node.required_mask = node
            .required
            .iter()
            .enumerate()
            .filter(|&(i, name)| i < 64 && node.required[..i].iter().all(|r| r != name))
            .fold(0, |mask, (i, _)| mask | 1 << i);
        node.needs_value = !node.all_of.is_empty()
            || !node.any_of.is_empty()
            || !node.one_of.is_empty()
            || node.not.is_some()
            || node.unique_items
            || node
                .enumeration
                .as_ref()
                .is_some_and(|allowed| allowed.iter().any(|v| v.is_array() || v.is_object()));
        self.nodes[id] = node;
        id
    }
}

//! Validation while a value is serialized: the walk of `validate.rs` driven by serde
//! instead of by a [`serde_json::Value`], so that checking a typed request body is one
//! pass over it that allocates nothing unless it finds a violation.
//!
//! The answer is the one `serde_json::to_value` followed by the `Value` walk would give:
//! the same violations, paths and messages, in the same order (a JSON object's keys
//! are visited in sorted order there, so the violations of an object's fields are put
//! in that order here when there are any), and `to_value`'s error when the value has
//! no JSON form. Two kinds of schema need the whole value of their subtree (see
//! `Node::needs_value`): `allOf`/`anyOf`/`oneOf`/`not`, which probe it against several
//! schemas, and `uniqueItems` or an `enum` listing arrays or objects, which compare it.
//! For those subtrees alone the value is built with `to_value` and handed to the
//! `Value` walk; the spec's request schemas have none.

use serde::Serialize;
use serde::ser::{self, SerializeMap as _, SerializeSeq as _};
use serde_json::{Error, Map, Number, Value};

use crate::compile::{Compiled, Field, Hot, NodeId, Type};
use crate::validate::{At, Kind, Validator, Violation};

type Result<T = ()> = std::result::Result<T, Error>;

/// Every violation of `value` against node `id`, or `to_value`'s error.
pub(crate) fn validate<T: Serialize + ?Sized>(
    compiled: &Compiled,
    id: NodeId,
    value: &T,
) -> Result<Vec<Violation>> {
    let mut validator = Validator::new(compiled);
    check(&mut validator, id, value, &At::Root, 0)?;
    Ok(validator.into_violations())
}

/// Surfaces the error `to_value(value)` would give, checking nothing.
pub(crate) fn serializable<T: Serialize + ?Sized>(value: &T) -> Result {
    value.serialize(Ignore)
}

/// What `Validator::check` does to the JSON of `value`.
fn check<T: Serialize + ?Sized>(
    v: &mut Validator<'_>,
    id: NodeId,
    value: &T,
    path: &At<'_>,
    depth: usize,
) -> Result {
    let hot = v.compiled.hot[id];
    check_hot(v, id, hot, value, path, depth)
}

/// [`check`] with `hot`, node `id`'s [`Hot`], at hand. (A node's `Hot` describes the
/// node its references lead to, which is what the value is checked against.)
#[inline]
pub(crate) fn check_hot<T: Serialize + ?Sized>(
    v: &mut Validator<'_>,
    id: NodeId,
    hot: Hot,
    value: &T,
    path: &At<'_>,
    depth: usize,
) -> Result {
    match v.resolve_hot(id, hot, path, depth) {
        None => value.serialize(Ignore),
        Some((id, depth)) if hot.flags & Hot::NEEDS_VALUE != 0 => {
            let whole = serde_json::to_value(value)?;
            v.check(id, &whole, path, depth);
            Ok(())
        }
        Some((id, depth)) => value.serialize(Check {
            v,
            id,
            hot,
            path,
            depth,
        }),
    }
}

/// A `u128`/`i128` as `to_value` takes it: a JSON number when it fits 64 bits, else its
/// error.
fn wide<T: TryInto<u64> + TryInto<i64> + Serialize + Copy>(value: T) -> Result<Number> {
    if let Ok(n) = TryInto::<u64>::try_into(value) {
        Ok(n.into())
    } else if let Ok(n) = TryInto::<i64>::try_into(value) {
        Ok(n.into())
    } else {
        serde_json::to_value(value).and_then(|v| match v {
            Value::Number(n) => Ok(n),
            _ => Err(ser::Error::custom("number out of range")),
        })
    }
}

/// A map key as `to_value` turns it into an object key (strings as they are; numbers,
/// booleans and chars as text; anything else refused), by letting serde_json do it.
fn map_key<K: Serialize + ?Sized>(key: &K) -> Result<String> {
    struct OneEntry<'k, K: ?Sized>(&'k K);
    impl<K: Serialize + ?Sized> Serialize for OneEntry<'_, K> {
        fn serialize<S: ser::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            let mut map = s.serialize_map(Some(1))?;
            map.serialize_entry(self.0, &())?;
            map.end()
        }
    }
    match serde_json::to_value(OneEntry(key))? {
        Value::Object(map) => Ok(map.into_iter().next().map(|(k, _)| k).unwrap_or_default()),
        _ => Err(ser::Error::custom("key must be a string")),
    }
}

/// Checks one value against a resolved node that does not need the whole value.
struct Check<'a, 'c> {
    v: &'a mut Validator<'c>,
    id: NodeId,
    /// Node `id`'s [`Hot`].
    hot: Hot,
    path: &'a At<'a>,
    depth: usize,
}

impl Check<'_, '_> {
    fn scalar(self, kind: Kind<'_>) -> Result {
        if self.v.begin(self.id, &kind, None, self.path) {
            match kind {
                Kind::String(text) => self.v.check_text(self.id, text, self.path),
                Kind::Number(number) => self.v.check_numeric(self.id, &number, self.path),
                _ => {}
            }
        }
        Ok(())
    }

    /// A string where the node takes any string without an `enum`: its own checks only
    /// (what [`scalar`](Self::scalar) does, without the general type and enum checks).
    #[inline]
    fn text(self, value: &str) -> Result {
        let hot = self.hot;
        if hot.flags & Hot::ENUM == 0 && matches!(hot.ty, None | Some(Type::String)) {
            if hot.flags & Hot::STRING != 0 {
                self.v.check_string(self.id, value, self.path);
            }
            return Ok(());
        }
        self.scalar(Kind::String(value))
    }

    /// An integer, likewise.
    #[inline]
    fn integer(self, number: Number) -> Result {
        let hot = self.hot;
        if hot.flags & Hot::ENUM == 0 && matches!(hot.ty, None | Some(Type::Integer | Type::Number))
        {
            if hot.flags & Hot::NUMBER != 0
                && let Some(value) = number.as_f64()
            {
                self.v.check_number(self.id, value, self.path);
            }
            return Ok(());
        }
        self.scalar(Kind::Number(number))
    }

    fn float(self, value: f64) -> Result {
        match Number::from_f64(value) {
            Some(number) => self.scalar(Kind::Number(number)),
            None => self.scalar(Kind::Null), // to_value turns NaN and infinities into null
        }
    }
}

impl<'a, 'c> ser::Serializer for Check<'a, 'c> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Seq<'a, 'c>;
    type SerializeTuple = Seq<'a, 'c>;
    type SerializeTupleStruct = Seq<'a, 'c>;
    type SerializeTupleVariant = Variant<'a, 'c>;
    type SerializeMap = Obj<'a, 'c>;
    type SerializeStruct = Obj<'a, 'c>;
    type SerializeStructVariant = Variant<'a, 'c>;

    fn serialize_bool(self, value: bool) -> Result {
        self.scalar(Kind::Bool(value))
    }

    fn serialize_i8(self, value: i8) -> Result {
        self.serialize_i64(value.into())
    }

    fn serialize_i16(self, value: i16) -> Result {
        self.serialize_i64(value.into())
    }

    fn serialize_i32(self, value: i32) -> Result {
        self.serialize_i64(value.into())
    }

    fn serialize_i64(self, value: i64) -> Result {
        self.integer(value.into())
    }

    fn serialize_i128(self, value: i128) -> Result {
        let number = wide(value)?;
        self.scalar(Kind::Number(number))
    }

    fn serialize_u8(self, value: u8) -> Result {
        self.serialize_u64(value.into())
    }

    fn serialize_u16(self, value: u16) -> Result {
        self.serialize_u64(value.into())
    }

    fn serialize_u32(self, value: u32) -> Result {
        self.serialize_u64(value.into())
    }

    fn serialize_u64(self, value: u64) -> Result {
        self.integer(value.into())
    }

    fn serialize_u128(self, value: u128) -> Result {
        let number = wide(value)?;
        self.scalar(Kind::Number(number))
    }

    fn serialize_f32(self, value: f32) -> Result {
        self.float(value.into())
    }

    fn serialize_f64(self, value: f64) -> Result {
        self.float(value)
    }

    fn serialize_char(self, value: char) -> Result {
        self.scalar(Kind::String(value.encode_utf8(&mut [0; 4])))
    }

    fn serialize_str(self, value: &str) -> Result {
        self.text(value)
    }

    fn serialize_bytes(self, value: &[u8]) -> Result {
        // to_value makes an array of numbers.
        let mut seq = self.serialize_seq(Some(value.len()))?;
        for byte in value {
            seq.serialize_element(byte)?;
        }
        ser::SerializeSeq::end(seq)
    }

    fn serialize_none(self) -> Result {
        self.scalar(Kind::Null)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result {
        self.scalar(Kind::Null)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result {
        self.scalar(Kind::Null)
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result {
        self.scalar(Kind::String(variant))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result {
        // `{variant: value}`.
        let mut object = Obj::begin(self);
        object.field(variant, value)?;
        object.finish();
        Ok(())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Seq<'a, 'c>> {
        Ok(Seq::begin(self))
    }

    fn serialize_tuple(self, len: usize) -> Result<Seq<'a, 'c>> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Seq<'a, 'c>> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Variant<'a, 'c>> {
        Ok(Variant::new(self, variant, Value::Array(Vec::new())))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Obj<'a, 'c>> {
        Ok(Obj::begin(self))
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Obj<'a, 'c>> {
        Ok(Obj::begin(self))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Variant<'a, 'c>> {
        Ok(Variant::new(self, variant, Value::Object(Map::new())))
    }
}

/// An array being serialized.
struct Seq<'a, 'c> {
    v: &'a mut Validator<'c>,
    path: &'a At<'a>,
    depth: usize,
    /// The array's node when its checks run (not after a type mismatch).
    id: Option<NodeId>,
    items: Option<NodeId>,
    /// Where this array's item violations start.
    start: usize,
    count: usize,
}

impl<'a, 'c> Seq<'a, 'c> {
    fn begin(check: Check<'a, 'c>) -> Self {
        let Check {
            v, id, path, depth, ..
        } = check;
        let runs = v.begin(id, &Kind::Array, None, path);
        Seq {
            items: if runs {
                v.compiled.nodes[id].items
            } else {
                None
            },
            id: runs.then_some(id),
            start: v.violations.len(),
            v,
            path,
            depth,
            count: 0,
        }
    }
}

impl ser::SerializeSeq for Seq<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        match self.items {
            Some(items) => {
                let at = At::Index(self.path, self.count);
                check(self.v, items, value, &at, self.depth + 1)?;
            }
            None => value.serialize(Ignore)?,
        }
        self.count += 1;
        Ok(())
    }

    fn end(self) -> Result {
        if let Some(id) = self.id {
            let before = self.v.violations.len();
            self.v.check_count(id, self.count as u64, self.path);
            // The Value walk reports the item count before the items.
            let added = self.v.violations.len() - before;
            if added > 0 && before > self.start {
                self.v.violations[self.start..].rotate_right(added);
            }
        }
        Ok(())
    }
}

impl ser::SerializeTuple for Seq<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for Seq<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result {
        ser::SerializeSeq::end(self)
    }
}

/// Which `required` fields an object has shown so far, by index.
enum Seen {
    Few(u64),
    Many(Vec<bool>),
}

impl Seen {
    fn new(required: usize) -> Self {
        if required <= 64 {
            Seen::Few(0)
        } else {
            Seen::Many(vec![false; required])
        }
    }

    fn mark(&mut self, index: usize) {
        match self {
            Seen::Few(bits) => *bits |= 1 << index,
            Seen::Many(flags) => flags[index] = true,
        }
    }

    fn has(&self, index: usize) -> bool {
        match self {
            Seen::Few(bits) => bits & (1 << index) != 0,
            Seen::Many(flags) => flags[index],
        }
    }
}

/// The violations one field of an object produced: `violations[start..end]`.
struct Group {
    key: String,
    start: usize,
    end: usize,
}

/// An object (struct or map) being serialized.
struct Obj<'a, 'c> {
    v: &'a mut Validator<'c>,
    /// The node's properties (looked at only when its checks run).
    fields: &'c [Field],
    path: &'a At<'a>,
    depth: usize,
    /// The object's node when its checks run (not after a type mismatch).
    id: Option<NodeId>,
    /// Where this object's field violations start.
    start: usize,
    seen: Seen,
    /// Where the last field was found in the node's sorted `fields`.
    cursor: usize,
    /// Fields that produced violations, in the order they came.
    groups: Vec<Group>,
    /// A map's key, between `serialize_key` and `serialize_value`.
    key: Option<String>,
}

/// The property named `key`. Typed values serialize their fields in one fixed order,
/// usually the sorted one of `fields` (progenitor's), so the search goes on from the
/// last hit and falls back to a binary search.
fn find<'f>(fields: &'f [Field], cursor: &mut usize, key: &str) -> Option<&'f Field> {
    let mut i = *cursor;
    while let Some(field) = fields.get(i) {
        match (*field.name).cmp(key) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Equal => {
                *cursor = i + 1;
                return Some(field);
            }
            std::cmp::Ordering::Greater => break,
        }
    }
    let i = fields.binary_search_by(|f| (*f.name).cmp(key)).ok()?;
    *cursor = i + 1;
    Some(&fields[i])
}

impl<'a, 'c> Obj<'a, 'c> {
    fn begin(check: Check<'a, 'c>) -> Self {
        let Check {
            v, id, path, depth, ..
        } = check;
        let runs = v.begin(id, &Kind::Object, None, path);
        let compiled: &'c Compiled = v.compiled;
        Obj {
            fields: &compiled.nodes[id].fields,
            seen: Seen::new(compiled.nodes[id].required.len()),
            id: runs.then_some(id),
            start: v.violations.len(),
            v,
            path,
            depth,
            cursor: 0,
            groups: Vec::new(),
            key: None,
        }
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result {
        let Some(id) = self.id else {
            return value.serialize(Ignore);
        };
        let fields = self.fields;
        let at = At::Key(self.path, key);
        let before = self.v.violations.len();
        match find(fields, &mut self.cursor, key) {
            Some(field) => {
                if let Some(index) = field.required {
                    self.seen.mark(index);
                }
                check_hot(self.v, field.node, field.hot, value, &at, self.depth + 1)?;
            }
            None => {
                let node = &self.v.compiled.nodes[id];
                if let Some(index) = node.required.iter().position(|r| r == key) {
                    self.seen.mark(index);
                }
                match self.v.unlisted_field(id, &at) {
                    Some(extra) => check(self.v, extra, value, &at, self.depth + 1)?,
                    None => value.serialize(Ignore)?,
                }
            }
        }
        let end = self.v.violations.len();
        if end > before {
            self.groups.push(Group {
                key: key.to_owned(),
                start: before,
                end,
            });
        }
        Ok(())
    }

    fn finish(mut self) {
        let Some(id) = self.id else { return };
        let compiled = self.v.compiled;
        let node = &compiled.nodes[id];
        let fields_end = self.v.violations.len();
        let all_seen = match self.seen {
            Seen::Few(bits) => bits & node.required_mask == node.required_mask,
            Seen::Many(_) => false,
        };
        for (index, name) in node.required.iter().enumerate() {
            if all_seen {
                break;
            }
            if self.seen.has(index) {
                continue;
            }
            // A name listed twice is marked at its first place only.
            let first = node.required.iter().position(|r| r == name);
            if first.is_none_or(|first| first == index || !self.seen.has(first)) {
                self.v.report_missing(self.path, name);
            }
        }
        let missing = self.v.violations.len() - fields_end;
        if missing == 0 && self.groups.len() < 2 {
            return; // already in the Value walk's order
        }
        // The Value walk's order: missing required fields, then the fields by key.
        let mut tail: Vec<Option<Violation>> =
            self.v.violations.drain(self.start..).map(Some).collect();
        let from_fields = fields_end - self.start;
        let violations = &mut self.v.violations;
        violations.extend(tail[from_fields..].iter_mut().filter_map(Option::take));
        self.groups.sort_by(|a, b| a.key.cmp(&b.key));
        for group in &self.groups {
            let range = group.start - self.start..group.end - self.start;
            violations.extend(tail[range].iter_mut().filter_map(Option::take));
        }
    }
}

impl ser::SerializeMap for Obj<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result {
        self.key = Some(map_key(key)?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        let key = self
            .key
            .take()
            .expect("serialize_value called before serialize_key");
        self.field(&key, value)
    }

    fn end(self) -> Result {
        self.finish();
        Ok(())
    }
}

impl ser::SerializeStruct for Obj<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result {
        self.field(key, value)
    }

    fn end(self) -> Result {
        self.finish();
        Ok(())
    }
}

/// A tuple or struct enum variant, `{variant: [...]}` / `{variant: {...}}`: built as a
/// value (what to_value makes of it) and checked by the Value walk. Request bodies
/// have none.
struct Variant<'a, 'c> {
    v: &'a mut Validator<'c>,
    id: NodeId,
    path: &'a At<'a>,
    depth: usize,
    variant: &'static str,
    inner: Value,
}

impl<'a, 'c> Variant<'a, 'c> {
    fn new(check: Check<'a, 'c>, variant: &'static str, inner: Value) -> Self {
        let Check {
            v, id, path, depth, ..
        } = check;
        Variant {
            v,
            id,
            path,
            depth,
            variant,
            inner,
        }
    }

    fn push<T: Serialize + ?Sized>(&mut self, key: Option<&str>, value: &T) -> Result {
        let value = serde_json::to_value(value)?;
        match (&mut self.inner, key) {
            (Value::Array(items), None) => items.push(value),
            (Value::Object(fields), Some(key)) => {
                fields.insert(key.to_owned(), value);
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(self) -> Result {
        let mut whole = Map::new();
        whole.insert(self.variant.to_owned(), self.inner);
        self.v
            .check(self.id, &Value::Object(whole), self.path, self.depth);
        Ok(())
    }
}

impl ser::SerializeTupleVariant for Variant<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.push(None, value)
    }

    fn end(self) -> Result {
        self.finish()
    }
}

impl ser::SerializeStructVariant for Variant<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result {
        self.push(Some(key), value)
    }

    fn end(self) -> Result {
        self.finish()
    }
}

/// Serializes without checking anything, for the parts of a value no schema constrains:
/// it still fails exactly where `to_value` would.
struct Ignore;

impl ser::Serializer for Ignore {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Ignore;
    type SerializeTuple = Ignore;
    type SerializeTupleStruct = Ignore;
    type SerializeTupleVariant = Ignore;
    type SerializeMap = Ignore;
    type SerializeStruct = Ignore;
    type SerializeStructVariant = Ignore;

    fn serialize_bool(self, _: bool) -> Result {
        Ok(())
    }
    fn serialize_i8(self, _: i8) -> Result {
        Ok(())
    }
    fn serialize_i16(self, _: i16) -> Result {
        Ok(())
    }
    fn serialize_i32(self, _: i32) -> Result {
        Ok(())
    }
    fn serialize_i64(self, _: i64) -> Result {
        Ok(())
    }
    fn serialize_i128(self, value: i128) -> Result {
        wide(value).map(drop)
    }
    fn serialize_u8(self, _: u8) -> Result {
        Ok(())
    }
    fn serialize_u16(self, _: u16) -> Result {
        Ok(())
    }
    fn serialize_u32(self, _: u32) -> Result {
        Ok(())
    }
    fn serialize_u64(self, _: u64) -> Result {
        Ok(())
    }
    fn serialize_u128(self, value: u128) -> Result {
        wide(value).map(drop)
    }
    fn serialize_f32(self, _: f32) -> Result {
        Ok(())
    }
    fn serialize_f64(self, _: f64) -> Result {
        Ok(())
    }
    fn serialize_char(self, _: char) -> Result {
        Ok(())
    }
    fn serialize_str(self, _: &str) -> Result {
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result {
        Ok(())
    }
    fn serialize_none(self) -> Result {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        value: &T,
    ) -> Result {
        value.serialize(self)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Ignore> {
        Ok(Ignore)
    }
    fn serialize_tuple(self, _: usize) -> Result<Ignore> {
        Ok(Ignore)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Ignore> {
        Ok(Ignore)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Ignore> {
        Ok(Ignore)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Ignore> {
        Ok(Ignore)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Ignore> {
        Ok(Ignore)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Ignore> {
        Ok(Ignore)
    }
}

impl ser::SerializeSeq for Ignore {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        value.serialize(Ignore)
    }
    fn end(self) -> Result {
        Ok(())
    }
}

impl ser::SerializeTuple for Ignore {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        value.serialize(Ignore)
    }
    fn end(self) -> Result {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for Ignore {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        value.serialize(Ignore)
    }
    fn end(self) -> Result {
        Ok(())
    }
}

impl ser::SerializeTupleVariant for Ignore {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        value.serialize(Ignore)
    }
    fn end(self) -> Result {
        Ok(())
    }
}

impl ser::SerializeMap for Ignore {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result {
        map_key(key).map(drop)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        value.serialize(Ignore)
    }
    fn end(self) -> Result {
        Ok(())
    }
}

impl ser::SerializeStruct for Ignore {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, _: &'static str, value: &T) -> Result {
        value.serialize(Ignore)
    }
    fn end(self) -> Result {
        Ok(())
    }
}

impl ser::SerializeStructVariant for Ignore {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, _: &'static str, value: &T) -> Result {
        value.serialize(Ignore)
    }
    fn end(self) -> Result {
        Ok(())
    }
}

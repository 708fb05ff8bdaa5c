//! Quick acceptance of a leaf value by a property's bounds alone.
//!
//! [`FieldChecker::value`](crate::FieldChecker::value) keeps, beside each property whose
//! rules are only a length or a number range, those bounds. For a value that plainly
//! keeps them these functions answer `true` and the value passes without reading the
//! compiled schema; `false` means only "not settled here": the value then takes the
//! full check, which finds and words any violation. So `true` is only ever given where
//! the full check reports nothing.

use serde::Serialize;
use serde::ser::{self, Impossible};

use crate::compile::{Node, Type};
use crate::pattern::Pattern;
use crate::validate::{above_maximum, below_minimum};

/// A property's rules when they are only bounds, in a few words.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Quick {
    /// Rules settled only by the full check.
    None,
    /// `type: string` with at most a length range (in characters).
    Text { min_length: u32, max_length: u32 },
    /// The same with a `pattern` (compiled): a text that matches it and plainly keeps
    /// the length range passes.
    Pattern { min_length: u32, max_length: u32 },
    /// `type: integer` or `number` with at most a range (`-inf`/`inf` when open).
    Number {
        minimum: f64,
        maximum: f64,
        /// [`Quick::INTEGER`], [`Quick::MIN_EXCLUSIVE`], [`Quick::MAX_EXCLUSIVE`].
        flags: u8,
    },
}

impl Quick {
    const INTEGER: u8 = 1;
    const MIN_EXCLUSIVE: u8 = 2;
    const MAX_EXCLUSIVE: u8 = 4;

    /// The bounds of `node` (a node its `$ref`s lead to), if its rules are only those.
    pub(crate) fn of(node: &Node) -> Quick {
        let only_bounds = node.enumeration.is_none()
            && node.all_of.is_empty()
            && node.any_of.is_empty()
            && node.one_of.is_empty()
            && node.not.is_none()
            && !node.needs_value;
        if !only_bounds {
            return Quick::None;
        }
        // A pattern that did not compile is reported by the full check.
        let pattern = match &node.pattern {
            None => false,
            Some((_, Some(_))) => true,
            Some((_, None)) => return Quick::None,
        };
        match node.ty {
            // A minimum beyond `u32` is left to the full check; a maximum beyond it is
            // lowered, which only sends more values there.
            Some(Type::String) => match u32::try_from(node.min_length.unwrap_or(0)) {
                Ok(min_length) => {
                    let max_length = node
                        .max_length
                        .map_or(u32::MAX, |max| u32::try_from(max).unwrap_or(u32::MAX));
                    if pattern {
                        Quick::Pattern {
                            min_length,
                            max_length,
                        }
                    } else {
                        Quick::Text {
                            min_length,
                            max_length,
                        }
                    }
                }
                Err(_) => Quick::None,
            },
            _ if pattern => Quick::None,
            Some(ty @ (Type::Integer | Type::Number)) => {
                let mut flags = 0;
                if ty == Type::Integer {
                    flags |= Quick::INTEGER;
                }
                let (minimum, maximum) = (node.minimum, node.maximum);
                if minimum.is_some_and(|(_, exclusive)| exclusive) {
                    flags |= Quick::MIN_EXCLUSIVE;
                }
                if maximum.is_some_and(|(_, exclusive)| exclusive) {
                    flags |= Quick::MAX_EXCLUSIVE;
                }
                Quick::Number {
                    minimum: minimum.map_or(f64::NEG_INFINITY, |(min, _)| min),
                    maximum: maximum.map_or(f64::INFINITY, |(max, _)| max),
                    flags,
                }
            }
            _ => Quick::None,
        }
    }

    /// Whether a value of `shape` certainly passes (`false`: check it in full). One
    /// function for every property, so that the code of the field walks stays small.
    #[inline(never)]
    pub(crate) fn accepts(self, shape: Shape) -> bool {
        self.accepts_inline(shape)
    }

    /// [`accepts`](Self::accepts), inlined: with the bounds written into generated code
    /// as constants ([`text`], [`number`]), it folds into a comparison or two.
    #[inline(always)]
    fn accepts_inline(self, shape: Shape) -> bool {
        match (self, shape) {
            // A UTF-8 text of n bytes has between n/4 (rounded up) and n characters:
            // only a text near a bound needs counting, which the full check does.
            (
                Quick::Text {
                    min_length,
                    max_length,
                }
                | Quick::Pattern {
                    min_length,
                    max_length,
                },
                Shape::Text(bytes),
            ) => bytes <= max_length as usize && bytes.div_ceil(4) >= min_length as usize,
            (
                Quick::Number {
                    minimum,
                    maximum,
                    flags,
                },
                shape,
            ) => {
                // As the full check reads a number: through `serde_json::Number::as_f64`.
                let number = match shape {
                    Shape::Signed(n) => n as f64,
                    Shape::Unsigned(n) => n as f64,
                    Shape::Float(n) if flags & Quick::INTEGER == 0 && n.is_finite() => n,
                    _ => return false,
                };
                // The full check's own comparisons (an open bound is infinite).
                !below_minimum(number, (minimum, flags & Quick::MIN_EXCLUSIVE != 0))
                    && !above_maximum(number, (maximum, flags & Quick::MAX_EXCLUSIVE != 0))
            }
            _ => false,
        }
    }
}

/// The Rust source of an expression that is `true` when `value` (the source of an
/// expression of type `&T`, `T: Serialize`) certainly keeps `quick`'s bounds, or `None`
/// when only the full check can tell. The bounds are written as constants, so that the
/// generated check reads nothing but the value.
pub(crate) fn accepts_source(quick: Quick, value: &str) -> Option<String> {
    /// A bound as a literal, when it is one that every JSON parser reads exactly: an
    /// integer within 2^53, or open. (The document checked at run time is parsed again,
    /// perhaps without serde_json's exact float parsing: a fractional or larger bound
    /// could be read one unit in the last place apart, and then the constant and the
    /// full check would disagree about a value between the two.)
    fn float(value: f64) -> Option<String> {
        match value {
            f64::INFINITY => Some("f64::INFINITY".into()),
            f64::NEG_INFINITY => Some("f64::NEG_INFINITY".into()),
            // `Debug` of such a value reads back as the same value, and is a float literal.
            _ if value.fract() == 0.0 && value.abs() <= 9_007_199_254_740_992.0 => {
                Some(format!("{value:?}"))
            }
            _ => None,
        }
    }
    match quick {
        // A pattern needs its compiled form, which generated code does not hold.
        Quick::None | Quick::Pattern { .. } => None,
        Quick::Text {
            min_length,
            max_length,
        } => Some(format!(
            "klarna_schema::quick::text({value}, {min_length}, {max_length})"
        )),
        Quick::Number {
            minimum,
            maximum,
            flags,
        } => Some(format!(
            "klarna_schema::quick::number({value}, {}, {}, {flags})",
            float(minimum)?,
            float(maximum)?
        )),
    }
}

/// Quick acceptance with the bounds as constants, for code generated from a spec (see
/// [`Property::accepts_source`](crate::Property::accepts_source)); `false` means only
/// "check it in full".
pub mod quick {
    use super::{Quick, shape_of};
    use serde::Serialize;

    /// Whether `value` is certainly a text of `min_length` to `max_length` characters.
    #[inline(always)]
    pub fn text<T: Serialize + ?Sized>(value: &T, min_length: u32, max_length: u32) -> bool {
        Quick::Text {
            min_length,
            max_length,
        }
        .accepts_inline(shape_of(value))
    }

    /// Whether `count` items are at least `min_items` and at most `max_items`.
    #[inline(always)]
    pub fn count(count: usize, min_items: u64, max_items: u64) -> bool {
        (min_items..=max_items).contains(&(count as u64))
    }

    /// Whether `value` is certainly a number within `minimum` and `maximum` (`flags` as
    /// [`Property::accepts_source`](crate::Property::accepts_source) writes them: integer
    /// only, exclusive minimum, exclusive maximum).
    #[inline(always)]
    pub fn number<T: Serialize + ?Sized>(value: &T, minimum: f64, maximum: f64, flags: u8) -> bool {
        Quick::Number {
            minimum,
            maximum,
            flags,
        }
        .accepts_inline(shape_of(value))
    }
}

/// The [`Shape`] of `value`.
#[inline]
pub(crate) fn shape_of<T: Serialize + ?Sized>(value: &T) -> Shape {
    value.serialize(Leaf(AnyText)).unwrap_or(Shape::Other)
}

/// The [`Shape`] of `value`, where a text that does not match `pattern` is
/// [`Shape::Other`] (left to the full check, which reports it).
#[inline]
pub(crate) fn shape_matching<T: Serialize + ?Sized>(value: &T, pattern: &Pattern) -> Shape {
    value.serialize(Leaf(pattern)).unwrap_or(Shape::Other)
}

/// Which texts are [`Shape::Text`] to a [`Leaf`] (any other is [`Shape::Other`]). A type
/// parameter, not a value: without a pattern, the leaf's code is that of a plain shape.
trait Texts: Copy {
    fn admit(self, text: &str) -> bool;
}

/// Every text.
#[derive(Clone, Copy)]
struct AnyText;

impl Texts for AnyText {
    #[inline(always)]
    fn admit(self, _: &str) -> bool {
        true
    }
}

/// The texts matching a pattern.
impl Texts for &Pattern {
    fn admit(self, text: &str) -> bool {
        self.is_match(text)
    }
}

/// The JSON shape of a leaf value, as far as the bounds above need it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Shape {
    /// A string, by its length in bytes.
    Text(usize),
    Signed(i64),
    Unsigned(u64),
    Float(f64),
    /// Anything else (including what has no JSON form): left to the full check.
    Other,
}

/// Serializes a value only as far as telling its [`Shape`] (a text that `T` does not
/// admit is [`Shape::Other`]).
struct Leaf<T>(T);

macro_rules! other {
    ($($method:ident($($ty:ty),*)),* $(,)?) => {
        $(fn $method(self $(, _: $ty)*) -> Result<Shape, serde_json::Error> {
            Ok(Shape::Other)
        })*
    };
}

/// Numbers, widened losslessly into their [`Shape`].
macro_rules! numbers {
    ($($method:ident($ty:ty) -> $shape:ident),* $(,)?) => {
        $(fn $method(self, v: $ty) -> Result<Shape, serde_json::Error> {
            Ok(Shape::$shape(v.into()))
        })*
    };
}

/// Compound values are no leaves: the full check takes them.
macro_rules! not_a_leaf {
    ($($method:ident($($ty:ty),*) -> $compound:ident),* $(,)?) => {
        $(fn $method(self $(, _: $ty)*) -> Result<Self::$compound, serde_json::Error> {
            Err(ser::Error::custom("not a leaf"))
        })*
    };
}

impl<A: Texts> ser::Serializer for Leaf<A> {
    type Ok = Shape;
    type Error = serde_json::Error;
    type SerializeSeq = Impossible<Shape, serde_json::Error>;
    type SerializeTuple = Impossible<Shape, serde_json::Error>;
    type SerializeTupleStruct = Impossible<Shape, serde_json::Error>;
    type SerializeTupleVariant = Impossible<Shape, serde_json::Error>;
    type SerializeMap = Impossible<Shape, serde_json::Error>;
    type SerializeStruct = Impossible<Shape, serde_json::Error>;
    type SerializeStructVariant = Impossible<Shape, serde_json::Error>;

    fn serialize_str(self, v: &str) -> Result<Shape, serde_json::Error> {
        if !self.0.admit(v) {
            return Ok(Shape::Other);
        }
        Ok(Shape::Text(v.len()))
    }

    numbers!(
        serialize_i64(i64) -> Signed,
        serialize_i32(i32) -> Signed,
        serialize_i16(i16) -> Signed,
        serialize_i8(i8) -> Signed,
        serialize_u64(u64) -> Unsigned,
        serialize_u32(u32) -> Unsigned,
        serialize_u16(u16) -> Unsigned,
        serialize_u8(u8) -> Unsigned,
        serialize_f64(f64) -> Float,
        serialize_f32(f32) -> Float,
    );

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Shape, serde_json::Error> {
        value.serialize(self)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Shape, serde_json::Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Shape, serde_json::Error> {
        Ok(Shape::Other)
    }

    other!(
        serialize_bool(bool),
        serialize_i128(i128),
        serialize_u128(u128),
        serialize_char(char),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );

    not_a_leaf!(
        serialize_seq(Option<usize>) -> SerializeSeq,
        serialize_tuple(usize) -> SerializeTuple,
        serialize_tuple_struct(&'static str, usize) -> SerializeTupleStruct,
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> SerializeTupleVariant,
        serialize_map(Option<usize>) -> SerializeMap,
        serialize_struct(&'static str, usize) -> SerializeStruct,
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> SerializeStructVariant,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SchemaDocument;
    use serde_json::json;

    #[test]
    fn only_bounds_every_parser_reads_exactly_become_constants() {
        let number = |minimum: f64, maximum: f64| Quick::Number {
            minimum,
            maximum,
            flags: Quick::INTEGER,
        };
        assert_eq!(
            accepts_source(number(0.0, 10000.0), "v").unwrap(),
            "klarna_schema::quick::number(v, 0.0, 10000.0, 1)"
        );
        assert_eq!(
            accepts_source(number(f64::NEG_INFINITY, -5.0), "v").unwrap(),
            "klarna_schema::quick::number(v, f64::NEG_INFINITY, -5.0, 1)"
        );
        assert!(accepts_source(number(0.1, 1.0), "v").is_none());
        assert!(accepts_source(number(0.0, 1e300), "v").is_none());
    }

    fn text_fits<T: Serialize + ?Sized>(value: &T, min_length: u32, max_length: u32) -> bool {
        Quick::Text {
            min_length,
            max_length,
        }
        .accepts(shape_of(value))
    }

    fn number_within<T: Serialize + ?Sized>(
        value: &T,
        integer: bool,
        minimum: Option<(f64, bool)>,
        maximum: Option<(f64, bool)>,
    ) -> bool {
        let mut node = Node {
            ty: Some(if integer { Type::Integer } else { Type::Number }),
            ..Node::default()
        };
        (node.minimum, node.maximum) = (minimum, maximum);
        Quick::of(&node).accepts(shape_of(value))
    }

    /// What the full check says of `value` against `schema`.
    fn valid(schema: serde_json::Value, value: &impl Serialize) -> bool {
        let document = SchemaDocument::from_json(json!({
            "components": {"schemas": {"s": schema}}
        }))
        .unwrap();
        document.validate_serialize("s", value).unwrap().is_empty()
    }

    #[test]
    fn text_is_accepted_only_where_the_full_check_accepts_it() {
        let texts = [
            "", "a", "ab", "abc", "abcd", "é", "éé", "ééé", "😀", "😀😀", "a😀",
        ];
        for (min, max) in [
            (0, 0),
            (0, 1),
            (1, 2),
            (2, 3),
            (1, 4),
            (3, 8),
            (0, u32::MAX),
        ] {
            let schema = json!({"type": "string", "minLength": min, "maxLength": max});
            for text in texts {
                if text_fits(text, min, max) {
                    assert!(valid(schema.clone(), &text), "{text:?} in {min}..={max}");
                }
            }
        }
        // Plain cases are settled here, without the full check.
        assert!(text_fits("Stockholm", 0, 99) && text_fits(&String::from("x"), 1, 1));
        assert!(!text_fits("", 1, 99) && !text_fits("toolong", 0, 3));
        // Not a string: left to the full check.
        assert!(!text_fits(&3, 0, 99) && !text_fits(&None::<String>, 0, 99));
    }

    #[test]
    fn numbers_are_accepted_only_where_the_full_check_accepts_them() {
        let bounds = [
            (None, None),
            (Some((0.0, false)), None),
            (Some((0.0, true)), None),
            (None, Some((10000.0, false))),
            (Some((0.0, false)), Some((10000.0, true))),
        ];
        let ints: [i64; 6] = [-1, 0, 1, 9999, 10000, 10001];
        let floats = [-0.5, 0.0, 0.5, 9999.5, 10000.0, f64::NAN, f64::INFINITY];
        for (minimum, maximum) in bounds {
            for (integer, ty) in [(true, "integer"), (false, "number")] {
                let mut schema = json!({"type": ty});
                if let Some((min, exclusive)) = minimum {
                    schema["minimum"] = json!(min);
                    schema["exclusiveMinimum"] = json!(exclusive);
                }
                if let Some((max, exclusive)) = maximum {
                    schema["maximum"] = json!(max);
                    schema["exclusiveMaximum"] = json!(exclusive);
                }
                for n in ints {
                    let accepted = number_within(&n, integer, minimum, maximum);
                    assert_eq!(accepted, valid(schema.clone(), &n), "{n} {schema}");
                    let unsigned = u64::try_from(n).ok();
                    if let Some(u) = unsigned {
                        assert_eq!(accepted, number_within(&u, integer, minimum, maximum));
                    }
                }
                for x in floats {
                    if number_within(&x, integer, minimum, maximum) {
                        assert!(valid(schema.clone(), &x), "{x} {schema}");
                    }
                }
            }
        }
        assert!(number_within(&0.5, false, Some((0.0, false)), None));
        assert!(!number_within(&0.5, true, None, None));
        assert!(!number_within(&"1", false, None, None));
    }
}

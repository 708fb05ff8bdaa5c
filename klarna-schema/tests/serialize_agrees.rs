//! `validate_serialize` (the schema walked while a value serializes) answers exactly what
//! `validate` of `serde_json::to_value` answers: the same violations, paths, messages
//! and order, and the same error when there is no JSON form. Checked on bodies generated
//! from the spec's own schemas (mostly valid, with random breakage), on arbitrary JSON,
//! on a schema using every keyword, and on typed values that serialize in their own
//! field order or through every serde shape.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use klarna_schema::SchemaDocument;
use proptest::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value, json};

fn spec() -> &'static SchemaDocument {
    static SPEC: OnceLock<SchemaDocument> = OnceLock::new();
    SPEC.get_or_init(|| {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../openapi/klarna-payments.json"
        ))
        .expect("the derived JSON spec is checked in");
        SchemaDocument::from_json(serde_json::from_str(&text).unwrap()).unwrap()
    })
}

/// Both validators on `value`, which must agree.
fn assert_agree<T: Serialize + ?Sized>(doc: &SchemaDocument, schema: &str, value: &T) {
    let streamed = doc.validate_serialize(schema, value);
    match serde_json::to_value(value) {
        Ok(json) => {
            let expected = doc.validate(schema, &json);
            let streamed = streamed.unwrap_or_else(|e| panic!("{schema}: unexpected error {e}"));
            assert_eq!(
                streamed,
                expected,
                "{schema}: the validators disagree on {}",
                serde_json::to_string(&json).unwrap()
            );
        }
        Err(error) => {
            let streamed = streamed.expect_err("to_value failed, so must validate_serialize");
            assert_eq!(streamed.to_string(), error.to_string());
        }
    }
}

/// A small deterministic generator (xorshift), seeded by proptest, and how often (per
/// mille) a generated value is broken on purpose.
struct Rng(u64, u64);

impl Rng {
    fn new(seed: u64) -> Self {
        let mut rng = Rng(seed | 1, 0);
        rng.1 = *rng.pick(&[0, 0, 5, 20, 60]);
        rng
    }
    fn breaks(&mut self) -> bool {
        self.below(1000) < self.1
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const JUNK_TEXT: &[&str] = &[
    "",
    "SE",
    "se",
    "SEK",
    "sv-SE",
    "x",
    "Zürich ✓",
    "#00ff00",
    "1234",
    "person",
    "a much longer piece of text than most fields allow, repeated: lorem ipsum dolor",
];

fn junk(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth > 3 { 5 } else { 7 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.chance(50)),
        2 => json!(rng.below(3_000) as i64 - 1_000),
        3 => json!((rng.below(10_000) as f64) / 7.0 - 100.0),
        4 => Value::String(rng.pick(JUNK_TEXT).to_string()),
        5 => Value::Array((0..rng.below(3)).map(|_| junk(rng, depth + 1)).collect()),
        _ => {
            let mut map = Map::new();
            for _ in 0..rng.below(3) {
                map.insert(
                    rng.pick(&["name", "x", "type", "future_field"]).to_string(),
                    junk(rng, depth + 1),
                );
            }
            Value::Object(map)
        }
    }
}

/// A value shaped by `schema` (a node of the spec), mostly valid, sometimes broken.
fn shaped(doc: &Value, schema: &Value, rng: &mut Rng, depth: usize) -> Value {
    if depth > 8 {
        return junk(rng, depth);
    }
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        return match doc.pointer(reference.trim_start_matches('#')) {
            Some(target) => shaped(doc, target, rng, depth + 1),
            None => junk(rng, depth),
        };
    }
    if rng.breaks() {
        return junk(rng, depth);
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && rng.chance(70)
    {
        return rng.pick(allowed).clone();
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            return shaped(doc, rng.pick(branches), rng, depth + 1);
        }
    }
    let n = |key: &str| schema.get(key).and_then(Value::as_f64);
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => {
            let broken = rng.breaks();
            if let Some(example) = schema.get("example").filter(|_| !broken) {
                return example.clone();
            }
            let (min, max) = (
                n("minLength").unwrap_or(0.0),
                n("maxLength").unwrap_or(12.0),
            );
            let len = match (broken, rng.below(2)) {
                (true, 0) => max as u64 + 1,
                (true, _) => (min as u64).saturating_sub(1),
                _ => min as u64 + rng.below((max.min(12.0) - min).max(0.0) as u64 + 1),
            };
            let alphabet: Vec<char> = "abcXYZ09-é".chars().collect();
            Value::String((0..len).map(|_| *rng.pick(&alphabet)).collect())
        }
        Some("integer") => {
            let (min, max) = (
                n("minimum").unwrap_or(-50.0),
                n("maximum").unwrap_or(20_000.0),
            );
            match (rng.breaks(), rng.below(3)) {
                (true, 0) => json!(min as i64 - 1),
                (true, 1) => json!(max as i64 + 1),
                (true, _) => json!(min + 0.5),
                _ => json!(min as i64 + rng.below((max - min).min(1e6) as u64 + 1) as i64),
            }
        }
        Some("number") => json!(rng.below(1_000) as f64 / 3.0),
        Some("boolean") => Value::Bool(rng.chance(50)),
        Some("array") => {
            let (min, max) = (n("minItems").unwrap_or(0.0), n("maxItems").unwrap_or(4.0));
            let count = match (rng.breaks(), rng.below(2)) {
                (true, 0) if max < 2_000.0 => max as u64 + 1,
                (true, _) => (min as u64).saturating_sub(1),
                _ => min as u64 + rng.below(3),
            };
            let items = schema.get("items").cloned().unwrap_or(json!({}));
            Value::Array(
                (0..count)
                    .map(|_| shaped(doc, &items, rng, depth + 1))
                    .collect(),
            )
        }
        _ => {
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut map = Map::new();
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (name, property) in properties {
                    let keep = if required.contains(&name.as_str()) {
                        !rng.breaks()
                    } else {
                        rng.chance(50)
                    };
                    if keep {
                        map.insert(name.clone(), shaped(doc, property, rng, depth + 1));
                    }
                }
            }
            if rng.breaks() {
                map.insert("future_field".into(), junk(rng, depth + 1));
            }
            Value::Object(map)
        }
    }
}

const REQUEST_SCHEMAS: &[&str] = &[
    "session_create",
    "session_update",
    "order_line",
    "customer",
    "address",
    "options",
    "merchant_urls",
    "subscription",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(512)
    ))]

    #[test]
    fn spec_shaped_bodies(seed in any::<u64>()) {
        let doc = spec();
        let mut rng = Rng::new(seed);
        for &name in REQUEST_SCHEMAS {
            let schema = doc.schema(name).unwrap();
            let body = shaped(doc.document(), schema, &mut rng, 0);
            assert_agree(doc, name, &body);
        }
    }

    #[test]
    fn arbitrary_json_against_every_schema(seed in any::<u64>()) {
        let doc = spec();
        let mut rng = Rng::new(seed);
        let value = junk(&mut rng, 0);
        let names: Vec<String> = doc.document()["components"]["schemas"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        for name in &names {
            assert_agree(doc, name, &value);
        }
    }

    #[test]
    fn every_keyword(seed in any::<u64>()) {
        let doc = keywords();
        let mut rng = Rng::new(seed);
        let value = shaped(doc.document(), doc.schema("all").unwrap(), &mut rng, 0);
        assert_agree(doc, "all", &value);
        assert_agree(doc, "all", &junk(&mut rng, 0));
    }
}

/// A schema using every keyword the crate knows, composition included.
fn keywords() -> &'static SchemaDocument {
    static DOC: OnceLock<SchemaDocument> = OnceLock::new();
    DOC.get_or_init(|| {
        SchemaDocument::from_json(json!({"components": {"schemas": {
            "all": {
                "type": "object",
                "required": ["name", "kind", "name", "absent", "zzz"],
                "additionalProperties": false,
                "properties": {
                    "name": {"type": "string", "minLength": 2, "maxLength": 5, "pattern": "^[a-z]+$"},
                    "kind": {"type": "string", "enum": ["a", "b", 3, null]},
                    "count": {"type": "integer", "minimum": 0, "exclusiveMaximum": true, "maximum": 10},
                    "ratio": {"type": "number", "exclusiveMinimum": true, "minimum": 0.5},
                    "flag": {"type": "boolean", "nullable": true},
                    "tags": {"type": "array", "uniqueItems": true, "maxItems": 3,
                             "items": {"type": "string", "minLength": 1}},
                    "lines": {"type": "array", "minItems": 1, "maxItems": 2,
                              "items": {"$ref": "#/components/schemas/line"}},
                    "choice": {"oneOf": [
                        {"type": "string", "enum": ["x", "y"]},
                        {"type": "integer", "minimum": 5}
                    ]},
                    "either": {"anyOf": [{"type": "string"}, {"type": "boolean"}]},
                    "both": {"allOf": [
                        {"type": "object", "required": ["p"]},
                        {"properties": {"p": {"type": "integer", "maximum": 1}}}
                    ]},
                    "never": {"not": {"type": "string"}},
                    "shape": {"enum": [[1, 2], {"k": "v"}, "flat"]},
                    "extra": {"type": "object", "additionalProperties": {"type": "integer"}},
                    "untyped": {"properties": {"deep": {"type": "string", "maxLength": 1}},
                                "minLength": 1, "maximum": 3, "minItems": 1},
                    "dangling": {"$ref": "#/components/schemas/nowhere"},
                    "anything": {},
                    "zzz": {"type": "string"},
                    "loop": {"$ref": "#/components/schemas/loop"}
                }
            },
            "line": {"type": "object", "required": ["name"],
                     "properties": {"name": {"type": "string", "minLength": 1},
                                    "qty": {"type": "integer", "minimum": 1}}},
            "loop": {"$ref": "#/components/schemas/loop"},
            "tree": {"type": "object", "properties": {"child": {"$ref": "#/components/schemas/tree"}}}
        }}}))
        .unwrap()
    })
}

#[test]
fn the_keyword_schema_sees_violations_of_every_kind() {
    let doc = keywords();
    let value = json!({
        "name": "Ab1234", "kind": "c", "count": 10, "ratio": 0.5, "flag": null,
        "tags": ["a", "a", "", "b"], "lines": [{"qty": 0}, {"name": ""}, {}],
        "choice": true, "either": 1, "both": {"p": 2}, "never": "s", "shape": [1],
        "extra": {"a": 1, "b": "x"}, "untyped": {"deep": "xy"}, "dangling": 1,
        "anything": [null], "unknown": 1, "loop": 1
    });
    assert_agree(doc, "all", &value);
    assert!(doc.validate("all", &value).len() > 20);
    // Deeper than the walk follows.
    let mut deep = json!({});
    for _ in 0..80 {
        deep = json!({ "child": deep });
    }
    assert_agree(doc, "tree", &deep);
    assert_agree(doc, "nowhere", &value);
}

/// Fields in an order of their own (not sorted): the violations still come in the
/// Value walk's (sorted) order.
#[derive(Serialize)]
struct Unsorted {
    zzz: u8,
    lines: Vec<Line>,
    name: &'static str,
    count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    flag: Option<bool>,
    extra: BTreeMap<i32, f32>,
    unknown: (),
}

#[derive(Serialize)]
struct Line {
    qty: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<char>,
}

#[test]
fn typed_values_in_their_own_field_order() {
    let doc = keywords();
    let value = Unsorted {
        zzz: 1,
        lines: vec![
            Line { qty: 0, name: None },
            Line {
                qty: 2,
                name: Some('ü'),
            },
        ],
        name: "UPPER",
        count: -1,
        flag: Some(true),
        extra: BTreeMap::from([(1, 1.5), (-2, f32::NAN)]),
        unknown: (),
    };
    assert_agree(doc, "all", &value);
    let violations = doc.validate_serialize("all", &value).unwrap();
    let paths: Vec<String> = violations.iter().map(|v| v.path.to_string()).collect();
    assert_eq!(
        paths,
        [
            "kind",
            "absent",
            "count",
            "extra.-2",
            "extra.1",
            "lines[0].name",
            "lines[0].qty",
            "name",
            "unknown",
            "zzz"
        ]
    );
}

#[derive(Serialize)]
enum Shapes {
    Unit,
    Newtype(i64),
    Tuple(u8, &'static str),
    Struct { qty: i16 },
}

#[derive(Serialize)]
struct Unit;

#[derive(Serialize)]
struct Wrapped(#[serde(with = "serde_bytes_as_seq")] Vec<u8>);

mod serde_bytes_as_seq {
    pub fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(bytes)
    }
}

/// A map with float keys (which no std map orders).
struct Floats(Vec<(f64, i32)>);

impl FromIterator<(f64, i32)> for Floats {
    fn from_iter<I: IntoIterator<Item = (f64, i32)>>(entries: I) -> Self {
        Floats(entries.into_iter().collect())
    }
}

impl Serialize for Floats {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

struct Failing;

impl Serialize for Failing {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("this value refuses"))
    }
}

#[test]
fn every_serde_shape_and_every_error() {
    let doc = keywords();
    for name in ["all", "line", "tree", "loop"] {
        assert_agree(doc, name, &Shapes::Unit);
        assert_agree(doc, name, &Shapes::Newtype(-4));
        assert_agree(doc, name, &Shapes::Tuple(1, "x"));
        assert_agree(doc, name, &Shapes::Struct { qty: 0 });
        assert_agree(
            doc,
            name,
            &BTreeMap::from([("lines", vec![Shapes::Struct { qty: 0 }])]),
        );
        assert_agree(doc, name, &HashMap::from([("name", Unit)]));
        assert_agree(
            doc,
            name,
            &BTreeMap::from([("tags", Wrapped(vec![1, 2, 2]))]),
        );
        assert_agree(doc, name, &BTreeMap::from([("name", 'c')]));
        assert_agree(doc, name, &BTreeMap::from([("count", 5u128), ("zzz", 1)]));
        assert_agree(doc, name, &BTreeMap::from([("count", f64::INFINITY)]));
        assert_agree(
            doc,
            name,
            &vec![(1.5f64, 1), (-0.0, 2)].into_iter().collect::<Floats>(),
        );
        assert_agree(doc, name, &BTreeMap::from([(true, "x"), (false, "")]));
        assert_agree(doc, name, &BTreeMap::from([('k', Some(Unit))]));
        assert_agree(doc, name, &Some(Shapes::Tuple(2, "é\"\n")));
        assert_agree(doc, name, &(1, "two", [3.5]));
        // No JSON form: the same error as to_value.
        assert_agree(doc, name, &BTreeMap::from([("count", u128::MAX)]));
        assert_agree(doc, name, &BTreeMap::from([("count", i128::MIN)]));
        assert_agree(doc, name, &BTreeMap::from([((1, 2), 3)]));
        assert_agree(doc, name, &BTreeMap::from([(vec![1], 3)]));
        assert_agree(doc, name, &BTreeMap::from([("anything", Failing)]));
        assert_agree(doc, name, &BTreeMap::from([("unknown", [Failing])]));
    }
    assert_agree(doc, "nowhere", &Failing);
}

/// The generator is worth its salt: it makes valid bodies and broken ones, and breaks
/// them in many ways.
#[test]
fn generated_bodies_cover_valid_and_broken() {
    let doc = spec();
    let (mut valid, mut rules) = (0, std::collections::HashSet::new());
    for seed in 0..400u64 {
        let mut rng = Rng::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let body = shaped(
            doc.document(),
            doc.schema("session_create").unwrap(),
            &mut rng,
            0,
        );
        let violations = doc.validate_serialize("session_create", &body).unwrap();
        valid += usize::from(violations.is_empty());
        rules.extend(violations.iter().map(|v| v.rule));
    }
    assert!(valid >= 20, "only {valid} valid bodies");
    assert!(rules.len() >= 7, "rules seen: {rules:?}");
}

//! `pattern` answers what regress (the ECMA 262 engine the generated code uses) answers,
//! including for the patterns the crate matches with its own small matcher.

use klarna_schema::SchemaDocument;
use proptest::prelude::*;
use serde_json::json;

/// Patterns beside the spec's own: every other feature of the simple subset, anchored and
/// not, and some left to regress.
const OTHER_PATTERNS: &[&str] = &[
    "a[0-9]?b",
    "ab?c+d*\\.e{2,}f{1,3}?$",
    "^\\d+(\\.\\d{1,2})?$",
    "[\\w-]+@[a-z-]+\\.[a-z]{2,}",
    "^(a?){2}b",
    "^(?:ab|a)(?:bc|c)$",
    "(x|xy)+z",
    "^$",
    "a*",
    "[-a]b[c-]",
    // Left to regress.
    "^.+$",
    "[^a-z]{2}",
    "^\\s*x",
];

/// Every `pattern` of the spec (read from its derived JSON), sorted, then
/// [`OTHER_PATTERNS`].
fn patterns() -> Vec<String> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../openapi/klarna-payments.json"
    ))
    .expect("the derived JSON spec is checked in");
    let spec = SchemaDocument::from_json(serde_json::from_str(&text).unwrap()).unwrap();
    let mut found: Vec<String> = spec.patterns().map(str::to_string).collect();
    found.sort();
    assert!(found.len() >= 5, "the spec's patterns: {found:?}");
    found.extend(OTHER_PATTERNS.iter().map(|p| p.to_string()));
    found
}

/// [`patterns`], and a document with schema `p{i}` for the i-th, built once.
fn checked() -> &'static (Vec<String>, SchemaDocument) {
    static CHECKED: std::sync::OnceLock<(Vec<String>, SchemaDocument)> = std::sync::OnceLock::new();
    CHECKED.get_or_init(|| {
        let patterns = patterns();
        let schemas: serde_json::Map<String, serde_json::Value> = patterns
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("p{i}"), json!({"type": "string", "pattern": p})))
            .collect();
        let doc = SchemaDocument::from_json(json!({"components": {"schemas": schemas}})).unwrap();
        (patterns, doc)
    })
}

fn agree(text: &str) {
    let (patterns, doc) = checked();
    for (i, pattern) in patterns.iter().enumerate() {
        let expected = regress::Regex::new(pattern).unwrap().find(text).is_some();
        let found = doc.validate(&format!("p{i}"), &json!(text)).is_empty();
        assert_eq!(found, expected, "{pattern} on {text:?}");
        let streamed = doc
            .validate_serialize(&format!("p{i}"), text)
            .unwrap()
            .is_empty();
        assert_eq!(streamed, expected, "{pattern} on {text:?} (serialized)");
    }
}

#[test]
fn known_texts() {
    for text in [
        "",
        "SE",
        "se",
        "S",
        "SEK",
        "sv-SE",
        "sv-SE-xx",
        "sv-",
        "1234",
        "123456789",
        "12345",
        "#00ff00",
        "#00FF0",
        "person",
        "organization",
        "persons",
        "ab",
        "abccdd.eeef",
        "12.5",
        "12.",
        "a-b@x-y.se",
        "aab",
        "abc",
        "ac",
        "xyxz",
        "xz",
        "z",
        "é",
        "SÉ",
        "aé1b",
        "-bc",
        "-b-",
        "  x",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ] {
        agree(text);
    }
    // Longer than the small matcher takes: regress decides.
    agree(&"ab-".repeat(200));
    agree(&format!("sv{}", "-SE".repeat(100)));
}

proptest! {
    #[test]
    fn random_texts(text in "[a-fA-FxyzSEK0-9#.@ é-]{0,24}") {
        agree(&text);
    }
}

proptest! {
    #[test]
    fn texts_made_of_likely_pieces(pieces in prop::collection::vec(prop::sample::select(vec![
        "SE", "sv", "-", "-SE", "1234", "5", "12345", "#", "00ff00", "person", "organization",
        "a", "b", "c", "x", "y", "z", ".", "@", "é", " ", "ee", "f",
    ]), 0..7)) {
        agree(&pieces.concat());
    }
}

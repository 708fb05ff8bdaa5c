//! `pattern` answers what regress (the ECMA 262 engine the generated code uses) answers,
//! including for the patterns the crate matches with its own small matcher.

use klarna_schema::SchemaDocument;
use proptest::prelude::*;
use serde_json::json;

const PATTERNS: &[&str] = &[
    // The spec's.
    "^[A-Za-z]{2,2}$",
    "^[A-Za-z]{3,3}$",
    "^[A-Za-z]{2,2}(?:-[A-Za-z]{2,2})*$",
    "^([0-9]{4}|[0-9]{9})$",
    "^#[A-Fa-f0-9]{6}$",
    "^(person|organization)$",
    "^[0-9]{2,20}$",
    // Every other feature of the simple subset, anchored and not.
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

fn doc() -> SchemaDocument {
    let schemas: serde_json::Map<String, serde_json::Value> = PATTERNS
        .iter()
        .enumerate()
        .map(|(i, p)| (format!("p{i}"), json!({"type": "string", "pattern": p})))
        .collect();
    SchemaDocument::from_json(json!({"components": {"schemas": schemas}})).unwrap()
}

fn agree(doc: &SchemaDocument, text: &str) {
    for (i, pattern) in PATTERNS.iter().enumerate() {
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
    let doc = doc();
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
        agree(&doc, text);
    }
    // Longer than the small matcher takes: regress decides.
    agree(&doc, &"ab-".repeat(200));
    agree(&doc, &format!("sv{}", "-SE".repeat(100)));
}

proptest! {
    #[test]
    fn random_texts(text in "[a-fA-FxyzSEK0-9#.@ é-]{0,24}") {
        agree(&doc(), &text);
    }
}

proptest! {
    #[test]
    fn texts_made_of_likely_pieces(pieces in prop::collection::vec(prop::sample::select(vec![
        "SE", "sv", "-", "-SE", "1234", "5", "12345", "#", "00ff00", "person", "organization",
        "a", "b", "c", "x", "y", "z", ".", "@", "é", " ", "ee", "f",
    ]), 0..7)) {
        agree(&doc(), &pieces.concat());
    }
}

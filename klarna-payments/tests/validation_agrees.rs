//! The pre-send schema check walks the spec while the typed body serializes (no JSON
//! value in between). It must report exactly what checking `serde_json::to_value(body)`
//! against the spec reported before: same fields, rules, messages and order. Checked on
//! many typed create and update bodies, valid and broken in the ways the types allow
//! (item counts, integer ranges, the lengths of personal data, which is this crate's own
//! type, and whatever the generated types leave unchecked).

use klarna_payments::spec;
use klarna_payments::types::{SessionCreate, SessionUpdate};
use klarna_payments::validation::{Checks, RequestBody, Violation, validate};
use serde_json::{Value, json};

const SCHEMA_ONLY: Checks = Checks {
    schema: true,
    arithmetic: false,
};

/// What the check answered when it went through a `serde_json::Value`.
fn through_value<T: RequestBody>(body: &T) -> Vec<Violation> {
    let value = serde_json::to_value(body).unwrap();
    spec::document()
        .validate(T::SCHEMA, &value)
        .into_iter()
        .map(Violation::from)
        .collect()
}

fn int(rng: &mut fastrand::Rng) -> i64 {
    match rng.u8(0..10) {
        0 => -rng.i64(1..1_000),
        1 => rng.i64(10_001..20_000),
        _ => rng.i64(0..10_000),
    }
}

fn text(rng: &mut fastrand::Rng, max: usize) -> String {
    let len = match rng.u8(0..12) {
        0 => 0,
        1 => max + 1,
        _ => rng.usize(1..12.min(max + 1)),
    };
    (0..len).map(|_| rng.alphanumeric()).collect()
}

/// A text of two-byte characters, one short of, at or one past `max` characters: its
/// byte length alone does not settle `maxLength`.
fn wide_text(rng: &mut fastrand::Rng, max: usize) -> String {
    "ö".repeat(max - 1 + rng.usize(0..3))
}

fn line(rng: &mut fastrand::Rng) -> Value {
    let mut line = json!({
        "name": text(rng, 255), "quantity": int(rng), "unit_price": int(rng),
        "tax_rate": int(rng), "total_amount": int(rng), "total_tax_amount": int(rng),
    });
    let fields = line.as_object_mut().unwrap();
    if rng.bool() {
        fields.insert("total_discount_amount".into(), json!(int(rng)));
    }
    if rng.bool() {
        fields.insert(
            "type".into(),
            json!(["physical", "discount", "gift_card", "new_kind"][rng.usize(0..4)]),
        );
    }
    if rng.u8(0..4) == 0 {
        fields.insert("reference".into(), json!(text(rng, 256)));
        fields.insert("quantity_unit".into(), json!(text(rng, 8)));
        fields.insert(
            "product_identifiers".into(),
            json!({"brand": text(rng, 70), "size": text(rng, 64)}),
        );
    }
    if rng.u8(0..6) == 0 {
        fields.insert(
            "subscription".into(),
            json!({"name": text(rng, 255), "interval": "MONTH", "interval_count": int(rng)}),
        );
    }
    line
}

fn lines(rng: &mut fastrand::Rng) -> Vec<Value> {
    let count = match rng.u8(0..30) {
        0 => 0,
        1 => 1001,
        _ => rng.usize(1..5),
    };
    (0..count).map(|_| line(rng)).collect()
}

fn extras(rng: &mut fastrand::Rng, body: &mut Value) {
    let fields = body.as_object_mut().unwrap();
    if rng.bool() {
        fields.insert("order_tax_amount".into(), json!(int(rng)));
    }
    if rng.u8(0..3) == 0 {
        fields.insert(
            "merchant_urls".into(),
            json!({"confirmation": text(rng, 2000), "push": text(rng, 2000)}),
        );
    }
    if rng.u8(0..3) == 0 {
        fields.insert(
            "customer".into(),
            json!({"type": "person", "date_of_birth": "1970-01-01"}),
        );
    }
    if rng.u8(0..4) == 0 {
        fields.insert(
            "attachment".into(),
            json!({"content_type": "application/json", "body": "{}"}),
        );
    }
    if rng.u8(0..4) == 0 {
        fields.insert("merchant_reference1".into(), json!(text(rng, 255)));
    }
    if rng.u8(0..3) == 0 {
        fields.insert(
            "billing_address".into(),
            json!({
                "given_name": text(rng, 99), "postal_code": text(rng, 10),
                "title": text(rng, 20), "city": wide_text(rng, 99), "country": "SE",
            }),
        );
    }
}

#[test]
fn typed_bodies_get_the_answer_the_value_walk_gave() {
    let mut rng = fastrand::Rng::with_seed(12);
    let (mut creates, mut updates, mut broken) = (0, 0, 0);
    for _ in 0..3_000 {
        let mut create = json!({
            "purchase_country": "SE", "purchase_currency": "SEK", "locale": "sv-SE",
            "order_amount": int(&mut rng), "order_lines": lines(&mut rng),
        });
        extras(&mut rng, &mut create);
        // Bodies the generated types refuse never reach the check.
        if let Ok(body) = serde_json::from_value::<SessionCreate>(create) {
            let found = validate(&body, SCHEMA_ONLY);
            assert_eq!(found, through_value(&body));
            broken += usize::from(!found.is_empty());
            creates += 1;
        }
        let mut update = json!({});
        if rng.bool() {
            update["order_amount"] = json!(int(&mut rng));
            update["order_lines"] = json!(lines(&mut rng));
        }
        extras(&mut rng, &mut update);
        if let Ok(body) = serde_json::from_value::<SessionUpdate>(update) {
            let found = validate(&body, SCHEMA_ONLY);
            assert_eq!(found, through_value(&body));
            broken += usize::from(!found.is_empty());
            updates += 1;
        }
    }
    assert!(
        creates > 1_000 && updates > 1_000,
        "{creates} creates, {updates} updates"
    );
    assert!(
        broken > 500 && broken < creates + updates - 500,
        "{broken} broken"
    );
}

#[test]
fn the_default_checks_keep_paths_and_order() {
    let body: SessionCreate = serde_json::from_value(json!({
        "purchase_country": "SE", "purchase_currency": "SEK", "order_amount": -1,
        "order_lines": [
            {"name": "a", "quantity": -2, "unit_price": 100, "tax_rate": 20000,
             "total_amount": 100, "total_tax_amount": 0},
            {"name": "b", "quantity": 1, "unit_price": 100, "tax_rate": -1,
             "total_amount": 100, "total_tax_amount": 0}
        ]
    }))
    .unwrap();
    let found = validate(&body, Checks::default());
    let schema: Vec<&str> = found
        .iter()
        .take(through_value(&body).len())
        .map(|v| v.field.as_str())
        .collect();
    assert_eq!(
        schema,
        [
            "order_amount",
            "order_lines[0].quantity",
            "order_lines[0].tax_rate",
            "order_lines[1].tax_rate"
        ]
    );
    assert_eq!(&found[..schema.len()], &through_value(&body)[..]);
}

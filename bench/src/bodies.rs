//! The JSON every contender sends and receives, built once.

use serde_json::{Value, json};

fn line(i: usize) -> Value {
    json!({
        "type": "physical", "reference": format!("SKU-{i:05}"), "name": format!("Item number {i}"),
        "quantity": 1, "quantity_unit": "pcs", "unit_price": 10000, "tax_rate": 2500,
        "total_amount": 10000, "total_discount_amount": 0, "total_tax_amount": 2000,
        "image_url": "https://example.com/img.png", "product_url": "https://example.com/p"
    })
}

/// A create body with `lines` order lines (valid arithmetic).
pub fn create(lines: usize) -> Value {
    json!({
        "purchase_country": "SE", "purchase_currency": "SEK", "locale": "sv-SE",
        "order_amount": 10000 * lines, "order_tax_amount": 2000 * lines,
        "order_lines": (0..lines).map(line).collect::<Vec<_>>(),
        "merchant_reference1": "ORDER-4711", "intent": "buy"
    })
}

/// The authorization token an order call is made with (in a checkout, from the browser
/// widget's `authorize` callback): the shape of Klarna's, a UUID.
pub const AUTHORIZATION_TOKEN: &str = "b4bd3423-24e3-4a25-8d1b-42fcbd1c3a2f";

/// An order body for the purchase of [`create`]`(lines)`: the same cart, as the shopper
/// approved it (`order_create` has no `intent`).
pub fn order(lines: usize) -> Value {
    let mut body = create(lines);
    body.as_object_mut().unwrap().remove("intent");
    body
}

/// An update body replacing the cart with `lines` lines.
pub fn update(lines: usize) -> Value {
    json!({
        "merchant_reference1": "ORDER-4711-b",
        "order_amount": 10000 * lines, "order_tax_amount": 2000 * lines,
        "order_lines": (0..lines).map(line).collect::<Vec<_>>()
    })
}

/// What a read returns for a session with `lines` order lines.
pub fn read(lines: usize) -> Value {
    let mut body = create(lines);
    let object = body.as_object_mut().unwrap();
    object.insert("status".into(), json!("incomplete"));
    object.insert("expires_at".into(), json!("2026-11-26T12:00:00Z"));
    object.insert(
        "client_token".into(),
        json!("eyJhbGciOiJIUzI1NiJ9.eyJzZXNzaW9uX2lkIjoiMGIxZCJ9.c2lnbmF0dXJl"),
    );
    object.insert("acquiring_channel".into(), json!("ECOMMERCE"));
    object.insert(
        "payment_method_categories".into(),
        json!([{"identifier": "pay_later", "name": "Pay later.", "asset_urls": {"descriptive": "https://x/d.svg", "standard": "https://x/s.svg"}}]),
    );
    body
}

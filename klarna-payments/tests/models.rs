//! The generated models against Klarna-shaped JSON: responses parse leniently and
//! round-trip; request builders and the pre-send check refuse what Klarna refuses,
//! naming the field.

use klarna_payments::request;
use klarna_payments::types::{
    ErrorResponse, MerchantSession, OrderLine, SessionCreate, SessionRead, SessionStatus,
};
use klarna_payments::validation::{Checks, ViolationKind, validate};
use serde_json::{Value, json};

fn session_read_json() -> Value {
    json!({
        "acquiring_channel": "ECOMMERCE",
        "attachment": {"body": "{\"customer_account_info\":[]}", "content_type": "application/vnd.klarna.internal.emd-v2+json"},
        "authorization_token": "b4bd3423-24e3-4d4f-a9a8-2f7b2c8ea1a1",
        "billing_address": {
            "attention": "Attn", "city": "London", "country": "GB", "email": "jane@example.com",
            "family_name": "Doe", "given_name": "Jane", "organization_name": "Acme", "phone": "+44795465131",
            "postal_code": "W1G 0PW", "region": "LDN", "street_address": "33 Cavendish Square",
            "street_address2": "Floor 22", "title": "Ms"
        },
        "client_token": "eyJhbGciOiJIUzI1NiJ9.e30.c2ln",
        "custom_payment_method_ids": ["promo-0-percent"],
        "customer": {
            "date_of_birth": "1978-12-31", "gender": "female", "organization_entity_type": "LIMITED_COMPANY",
            "organization_registration_id": "556737-0431", "title": "Ms", "type": "organization", "vat_id": "GB123"
        },
        "design": "klarna-blue",
        "expires_at": "2038-01-19T03:14:07Z",
        "intent": "buy",
        "locale": "en-GB",
        "merchant_data": "{\"a\":1}",
        "merchant_reference1": "ON4711",
        "merchant_reference2": "hdt53h",
        "merchant_urls": {
            "authorization": "https://example.com/a", "confirmation": "https://example.com/c",
            "notification": "https://example.com/n", "push": "https://example.com/p"
        },
        "options": {
            "color_border": "#FF9900", "color_border_selected": "#FF9900", "color_details": "#FF9900",
            "color_text": "#FF9900", "radius_border": "5px"
        },
        "order_amount": 2500,
        "order_lines": [{
            "image_url": "https://example.com/i.png", "merchant_data": "x", "name": "Running shoe",
            "product_identifiers": {
                "brand": "Shoe", "category_path": "Shoes > Running", "color": "white",
                "global_trade_item_number": "4912345678904", "manufacturer_part_number": "AD6654412", "size": "small"
            },
            "product_url": "https://example.com/p", "quantity": 1, "quantity_unit": "pcs", "reference": "AD6654412",
            "subscription": {"interval": "MONTH", "interval_count": 1, "name": "Shoe club"},
            "tax_rate": 2500, "total_amount": 2500, "total_discount_amount": 0, "total_tax_amount": 500,
            "type": "physical", "unit_price": 2500
        }],
        "order_tax_amount": 500,
        "payment_method_categories": [{
            "asset_urls": {"descriptive": "https://x.klarnacdn.net/d.svg", "standard": "https://x.klarnacdn.net/s.svg"},
            "identifier": "pay_later", "name": "Pay later"
        }],
        "purchase_country": "GB",
        "purchase_currency": "GBP",
        "shipping_address": {"city": "London", "country": "GB"},
        "status": "incomplete"
    })
}

#[test]
fn a_full_session_read_round_trips() {
    let original = session_read_json();
    let parsed: SessionRead = serde_json::from_value(original.clone()).unwrap();
    assert_eq!(parsed.status, Some(SessionStatus::Incomplete));
    assert_eq!(serde_json::to_value(&parsed).unwrap(), original);
}

#[test]
fn merchant_session_and_error_round_trip() {
    let created = json!({
        "session_id": "0b1d9815-165e-42e2-8867-35bc03789e00",
        "client_token": "eyJhbGciOiJIUzI1NiJ9.e30.c2ln",
        "payment_method_categories": [{"identifier": "klarna", "name": "Pay with Klarna"}]
    });
    let parsed: MerchantSession = serde_json::from_value(created.clone()).unwrap();
    assert_eq!(serde_json::to_value(&parsed).unwrap(), created);

    let error = json!({
        "error_code": "BAD_VALUE",
        "error_messages": ["Bad value: order_lines[0].total_tax_amount"],
        "error_message": "Bad value",
        "correlation_id": "6a9b1cb1-73a3-4936-a030-481ba4bb203b",
        "service_version": "1.2.3",
        "fraud_status": "ACCEPTED",
        "reason": "because",
        "authorized_payment_method": {"type": "invoice", "number_of_days": 14, "number_of_installments": 3}
    });
    let parsed: ErrorResponse = serde_json::from_value(error.clone()).unwrap();
    assert_eq!(serde_json::to_value(&parsed).unwrap(), error);
}

#[test]
fn responses_accept_unknown_fields_values_and_over_long_strings() {
    let mut read = session_read_json();
    read["brand_new_field"] = json!({"nested": true});
    read["status"] = json!("expired_by_klarna");
    read["intent"] = json!("buy_and_default_tokenize");
    read["acquiring_channel"] = json!("KIOSK");
    read["customer"]["organization_entity_type"] = json!("COOPERATIVE");
    read["order_lines"][0]["type"] = json!("voucher");
    read["order_lines"][0]["subscription"]["interval"] = json!("FORTNIGHT");
    read["order_lines"][0]["reference"] = json!("r".repeat(300));
    read["order_lines"][0]["tax_rate"] = json!(250_000);
    read["order_lines"][0]["unknown"] = json!(1);
    read["payment_method_categories"][0]["identifier"] = json!("pay_in_3");
    read["purchase_country"] = json!("Sweden");
    read["options"]["color_text"] = json!("red");

    let parsed: SessionRead = serde_json::from_value(read).unwrap();
    assert_eq!(parsed.status.unwrap().to_string(), "expired_by_klarna");
    assert_eq!(
        parsed.intent.unwrap().to_string(),
        "buy_and_default_tokenize"
    );
    assert_eq!(parsed.acquiring_channel.unwrap().to_string(), "KIOSK");
    let line = &parsed.order_lines.as_ref().unwrap()[0];
    assert_eq!(line.type_.as_ref().unwrap().to_string(), "voucher");
    assert_eq!(line.reference.as_deref().map(str::len), Some(300));
    assert_eq!(
        line.subscription
            .as_ref()
            .unwrap()
            .interval
            .as_ref()
            .unwrap()
            .to_string(),
        "FORTNIGHT"
    );
    assert_eq!(
        parsed.payment_method_categories.as_ref().unwrap()[0]
            .identifier
            .as_ref()
            .unwrap()
            .to_string(),
        "pay_in_3"
    );
    assert_eq!(
        parsed
            .customer
            .unwrap()
            .organization_entity_type
            .unwrap()
            .to_string(),
        "COOPERATIVE"
    );
}

fn line(total: i64) -> OrderLine {
    request::OrderLineBuilder::new()
        .name("Shoe")
        .quantity(1)
        .unit_price(total)
        .total_amount(total)
        .build()
        .unwrap()
}

fn create_builder() -> request::SessionCreateBuilder {
    request::SessionCreateBuilder::new()
        .purchase_country("SE")
        .purchase_currency("SEK")
        .order_amount(1000)
        .order_lines([line(1000)])
}

/// The field paths a refused build names.
fn refused(built: Result<impl std::fmt::Debug, klarna_payments::InvalidRequest>) -> Vec<String> {
    built
        .unwrap_err()
        .violations
        .into_iter()
        .map(|v| v.field)
        .collect()
}

#[test]
fn builders_refuse_bad_country_currency_locale_and_long_fields() {
    assert!(create_builder().build().is_ok());
    assert_eq!(
        refused(create_builder().purchase_country("Sweden").build()),
        ["purchase_country"]
    );
    assert_eq!(
        refused(create_builder().purchase_currency("KRONA").build()),
        ["purchase_currency"]
    );
    assert_eq!(
        refused(create_builder().locale("swedish").build()),
        ["locale"]
    );
    let too_long = "x".repeat(256);
    assert_eq!(
        refused(create_builder().merchant_reference1(too_long).build()),
        ["merchant_reference1"]
    );

    assert_eq!(
        refused(
            request::OptionsBuilder::new()
                .color_border("orange")
                .build()
        ),
        ["color_border"]
    );
    let long_name = request::OrderLineBuilder::new()
        .name("n".repeat(256))
        .quantity(1)
        .unit_price(1)
        .total_amount(1);
    assert_eq!(refused(long_name.clone().build()), ["name"]);
    // Nested, the path says where.
    assert_eq!(
        refused(create_builder().order_lines([long_name]).build()),
        ["order_lines[0].name"]
    );
}

fn only_field(body: &SessionCreate) -> Vec<String> {
    validate(
        body,
        Checks {
            schema: true,
            arithmetic: false,
        },
    )
    .into_iter()
    .map(|v| v.field)
    .collect()
}

#[test]
fn pre_send_check_refuses_empty_and_oversized_order_lines() {
    // Built valid, then changed: `build()` itself refuses both counts.
    let mut empty: SessionCreate = create_builder().build().unwrap();
    empty.order_lines.clear();
    empty.order_amount = 0;
    empty.order_tax_amount = None;
    let violations = validate(&empty, Checks::default());
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].field, "order_lines");
    assert_eq!(
        violations[0].kind,
        ViolationKind::Schema(klarna_schema::Rule::MinItems)
    );

    let mut huge: SessionCreate = create_builder().build().unwrap();
    huge.order_lines = vec![line(1); 1001];
    huge.order_amount = 1001;
    huge.order_tax_amount = None;
    let violations = validate(&huge, Checks::default());
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].field, "order_lines");
    assert_eq!(
        violations[0].message,
        "order_lines: must have at most 1000 items, has 1001"
    );

    let thousand: SessionCreate = create_builder()
        .order_amount(1000)
        .order_lines(vec![line(1); 1000])
        .build()
        .unwrap();
    assert_eq!(validate(&thousand, Checks::default()), vec![]);
}

#[test]
fn pre_send_check_refuses_integer_ranges_the_types_cannot() {
    let mut body: SessionCreate = create_builder().build().unwrap();
    body.order_lines[0].tax_rate = Some(10_001);
    body.order_lines[0].quantity = -1;
    body.order_lines[0].total_discount_amount = Some(-5);
    body.order_amount = -1;
    assert_eq!(
        only_field(&body),
        vec![
            "order_amount",
            "order_lines[0].quantity",
            "order_lines[0].tax_rate",
            "order_lines[0].total_discount_amount",
        ]
    );
}

//! Tokens and shoppers' personal data never show in `Debug`, in error texts or in a
//! TRACE-level log: a fully populated session with a planted marker in every sensitive
//! field is decoded, made to fail in several ways, and everything printable is scanned.

use std::time::Duration;

use klarna_payments::request::{OrderLineBuilder, SessionCreateBuilder};
use klarna_payments::{Client, Credentials, RetryPolicy};
use serde_json::{Value, json};
use tests::capture::Capture;
use tests::scripted::{Reply, ScriptedServer};
use tracing_subscriber::fmt::format::FmtSpan;

/// Every planted value, one per sensitive field, each unique enough to find.
fn planted() -> Vec<(&'static str, &'static str)> {
    vec![
        ("client_token", "PLANT-client-token-9f1"),
        ("authorization_token", "PLANT-auth-token-4c2"),
        ("billing_address.given_name", "PLANT-Given-Jane"),
        ("billing_address.family_name", "PLANT-Family-Doe"),
        ("billing_address.email", "plant.jane@example.org"),
        ("billing_address.phone", "+46700PLANT01"),
        ("billing_address.street_address", "PLANT Street 1"),
        ("billing_address.street_address2", "PLANT Floor 3"),
        ("billing_address.postal_code", "PLANT-111"),
        ("billing_address.city", "PLANT-City"),
        ("billing_address.attention", "PLANT-Attn"),
        ("billing_address.organization_name", "PLANT-Org-AB"),
        ("billing_address.title", "PLANT-Title"),
        ("shipping_address.given_name", "PLANT-Ship-Given"),
        ("shipping_address.email", "plant.ship@example.org"),
        ("customer.date_of_birth", "1901-02-PLANT"),
        ("customer.national_identification_number", "19010203PLANT"),
        ("customer.last_four_ssn", "PL4N"),
        ("customer.gender", "PLANT-gender"),
        ("customer.vat_id", "SEPLANTVAT01"),
        ("customer.organization_registration_id", "PLANT-556737"),
    ]
}

/// A session holding every planted value at its field.
fn planted_session() -> Value {
    let mut session = json!({
        "status": "incomplete",
        "purchase_country": "SE",
        "purchase_currency": "SEK",
        "order_amount": 100,
        "order_lines": [{"name": "Shoe", "quantity": 1, "unit_price": 100, "total_amount": 100}],
    });
    for (path, value) in planted() {
        let mut node = &mut session;
        let parts: Vec<&str> = path.split('.').collect();
        for part in &parts[..parts.len() - 1] {
            node = node
                .as_object_mut()
                .unwrap()
                .entry(*part)
                .or_insert_with(|| json!({}));
        }
        node[parts[parts.len() - 1]] = json!(value);
    }
    session
}

fn assert_clean(label: &str, text: &str) {
    assert_unprinted(label, text, planted());
}

/// Fails when `text` shows any of the `(field, value)` pairs' values.
fn assert_unprinted<F: AsRef<str>, V: AsRef<str>>(
    label: &str,
    text: &str,
    planted: impl IntoIterator<Item = (F, V)>,
) {
    for (field, value) in planted {
        assert!(
            !text.contains(value.as_ref()),
            "{label}: the value of {} is printed: {text}",
            field.as_ref()
        );
    }
}

#[tokio::test]
async fn no_planted_token_or_personal_value_is_ever_printed() {
    let (capture, _guard) = Capture::start(FmtSpan::FULL);

    let session = planted_session();
    let session_text = session.to_string();
    let mut broken = session.clone();
    broken["order_amount"] = json!(session["customer"]["date_of_birth"].clone());
    let server = ScriptedServer::start().await;
    server.push([
        // A full session, read.
        Reply::json(200, &session_text),
        // The create answer.
        Reply::json(
            200,
            &json!({"session_id": "s-1", "client_token": "PLANT-client-token-9f1"}).to_string(),
        ),
        // A session whose amount is a (personal) string: a decode error.
        Reply::json(200, &broken.to_string()),
        // A session body cut short: a decode error on broken JSON.
        Reply::raw(200, &session_text.as_bytes()[..session_text.len() / 2]),
        // An error status with a session (not an error object) as its body.
        Reply::json(500, &session_text),
    ]);
    let client = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::new("u", "p"))
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();

    let read = client.read_session("s-1").await.unwrap();
    // The values are all there for the code that needs them...
    let customer = read.customer.as_ref().unwrap();
    assert_eq!(
        customer.national_identification_number.as_deref(),
        Some("19010203PLANT")
    );
    assert_eq!(
        read.client_token.as_ref().unwrap().expose(),
        "PLANT-client-token-9f1"
    );
    assert_eq!(
        read.billing_address.as_ref().unwrap().email.as_deref(),
        Some("plant.jane@example.org")
    );
    // ...and none is printed.
    assert_clean("Debug of the read answer", &format!("{read:?}"));
    assert_clean("pretty Debug of the read answer", &format!("{read:#?}"));
    assert_clean("Debug of the session", &format!("{:?}", read.value()));

    let body = SessionCreateBuilder::new()
        .purchase_country("SE")
        .purchase_currency("SEK")
        .order_lines([OrderLineBuilder::new()
            .name("Shoe")
            .quantity(1)
            .unit_price(100)])
        .build()
        .unwrap();
    let created = client
        .generated()
        .create_credit_session(&body)
        .await
        .unwrap();
    assert_clean("Debug of the create answer", &format!("{created:?}"));

    for label in [
        "decode error",
        "broken JSON",
        "error status with a session body",
    ] {
        let error = client.read_session("s-1").await.unwrap_err();
        assert_clean(&format!("{label} (Debug)"), &format!("{error:?}"));
        assert_clean(&format!("{label} (Display)"), &error.to_string());
    }

    drop(_guard);
    let log = capture.text();
    assert!(
        log.contains("klarna_payments"),
        "the capture saw the calls: {log}"
    );
    assert_clean("TRACE log", &log);
}

/// `schema` with its `$ref`s into the spec's components followed (also the `$ref`
/// branch of a nullable reference, `oneOf: [{$ref}, {enum: [null]}]`).
fn resolved(mut schema: &Value) -> &Value {
    if let Some(branch) = schema
        .get("oneOf")
        .and_then(Value::as_array)
        .and_then(|branches| branches.iter().find(|b| b.get("$ref").is_some()))
    {
        schema = branch;
    }
    while let Some(name) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        schema = klarna_payments::spec::document()
            .schema(name)
            .expect("every $ref of the spec resolves");
    }
    schema
}

/// Plants a unique marker in every string of `schema` (a spec schema, `$ref`s followed)
/// that the spec marks as a token or personal data, creating the objects on the way and
/// going into the elements of arrays already in `value`. Returns the markers planted.
fn plant_marked(
    schema: &Value,
    value: &mut Value,
    path: &str,
    planted: &mut Vec<(String, String)>,
) {
    let schema = resolved(schema);
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        if let (Some(items), Some(elements)) = (schema.get("items"), value.as_array_mut()) {
            for (i, element) in elements.iter_mut().enumerate() {
                plant_marked(items, element, &format!("{path}[{i}]"), planted);
            }
        }
        return;
    };
    for (key, property) in properties {
        let at = format!("{path}.{key}");
        let format = property.get("format").and_then(Value::as_str);
        if matches!(format, Some("secret" | "personal-data")) {
            // Short enough for every length limit, and found nowhere else.
            let marker = format!("QZ{:02}X", planted.len());
            value[key.as_str()] = json!(marker);
            planted.push((at, marker));
        } else if resolved(property).get("properties").is_some() {
            let before = planted.len();
            let mut object = value.get(key.as_str()).cloned().unwrap_or(json!({}));
            plant_marked(property, &mut object, &at, planted);
            if planted.len() > before {
                value[key.as_str()] = object;
            }
        } else if property.get("items").is_some()
            && let Some(elements) = value.get_mut(key.as_str())
        {
            plant_marked(property, elements, &at, planted);
        }
    }
}

/// [`plant_marked`] from the top of the spec schema named `schema`.
fn plant_in(schema: &str, value: &mut Value, planted: &mut Vec<(String, String)>) {
    let schema = klarna_payments::spec::document()
        .schema(schema)
        .expect("the schema is in the spec");
    plant_marked(schema, value, "", planted);
}

/// Request bodies: every string the spec marks, wherever a create body can hold it (found
/// by walking `session_create`, not listed by hand), never shows in the model's `Debug`,
/// in the request builder's `Debug`, or in the violations of a body that fails its checks.
#[test]
fn request_bodies_never_print_marked_strings() {
    use klarna_payments::types;
    let mut body = json!({
        "purchase_country": "SE",
        "purchase_currency": "SEK",
        "order_amount": 100,
        "order_lines": [{"name": "Shoe", "quantity": 1, "unit_price": 100, "total_amount": 100}],
        "attachment": {"content_type": "application/vnd.klarna.internal.emd-v2+json"},
    });
    let mut planted = Vec::new();
    plant_in("session_create", &mut body, &mut planted);
    assert!(
        planted.len() >= 19,
        "the spec marks the shopper's addresses, identity and account data: {planted:?}"
    );
    let clean = |label: &str, text: &str| assert_unprinted(label, text, planted.iter().cloned());

    let model: types::SessionCreate = serde_json::from_value(body.clone()).unwrap();
    // The values are there for the code that sends them...
    assert_eq!(
        serde_json::to_value(&model).unwrap()["customer"],
        body["customer"]
    );
    // ...and printed nowhere.
    clean("Debug of the model", &format!("{model:?}"));
    clean("pretty Debug of the model", &format!("{model:#?}"));
    let builder = SessionCreateBuilder::from(model.clone());
    let shown = format!("{builder:?}");
    clean("Debug of the request builder", &shown);
    assert!(
        shown.contains("<redacted>") && shown.contains("\"SE\""),
        "{shown}"
    );

    // The markers break some limits (`last_four_ssn` is digits): the refusal names the
    // fields, not their values.
    let refused = builder.build().unwrap_err();
    assert!(!refused.violations.is_empty());
    clean("violations (Display)", &refused.to_string());
    clean("violations (Debug)", &format!("{refused:?}"));
    let check = klarna_payments::validation::validate(&model, Default::default());
    assert!(!check.is_empty());
    clean("pre-send checks", &format!("{check:?}"));
}

/// Answers: every string the spec marks in a read session or a create answer (found by
/// walking `session_read` and `merchant_session`) never shows in the decoded model's
/// `Debug`.
#[test]
fn answers_never_print_marked_strings() {
    use klarna_payments::types;
    let mut read = json!({
        "order_lines": [{"name": "Shoe", "quantity": 1, "unit_price": 100, "total_amount": 100}],
        "attachment": {"content_type": "application/vnd.klarna.internal.emd-v2+json"},
    });
    let mut planted = Vec::new();
    plant_in("session_read", &mut read, &mut planted);
    let mut created = json!({"session_id": "s-1"});
    plant_in("merchant_session", &mut created, &mut planted);
    let mut order = json!({"order_id": "o-1"});
    plant_in("order", &mut order, &mut planted);
    let mut token = json!({});
    plant_in("customer_token", &mut token, &mut planted);
    assert!(
        planted.iter().any(|(field, _)| field == ".client_token")
            && planted
                .iter()
                .any(|(field, _)| field == ".authorization_token")
            && planted.iter().any(|(field, _)| field == ".customer.title")
            && planted.iter().any(|(field, _)| field == ".attachment.body")
            && planted.iter().any(|(field, _)| field == ".token_id")
            && planted
                .iter()
                .any(|(field, _)| field == ".customer.date_of_birth")
            && planted
                .iter()
                .any(|(field, _)| field == ".billing_address.email"),
        "{planted:?}"
    );
    let read: types::SessionRead = serde_json::from_value(read).unwrap();
    let created: types::MerchantSession = serde_json::from_value(created).unwrap();
    let order: types::Order = serde_json::from_value(order).unwrap();
    let token: types::CustomerToken = serde_json::from_value(token).unwrap();
    for (label, text) in [
        ("Debug of a read", format!("{read:?}")),
        ("pretty Debug of a read", format!("{read:#?}")),
        ("Debug of a create answer", format!("{created:?}")),
        ("Debug of an order", format!("{order:?}")),
        ("Debug of a customer token", format!("{token:#?}")),
    ] {
        assert_unprinted(label, &text, planted.iter().cloned());
    }
}

//! Tokens and shoppers' personal data never show in `Debug`, in error texts or in a
//! TRACE-level log: a fully populated session with a planted marker in every sensitive
//! field is decoded, made to fail in several ways, and everything printable is scanned.

use std::time::Duration;

use klarna_payments::request::{OrderLine, SessionCreate};
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
    for (field, value) in planted() {
        assert!(
            !text.contains(value),
            "{label}: the value of {field} is printed: {text}"
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

    let body = SessionCreate::new()
        .purchase_country("SE")
        .purchase_currency("SEK")
        .order_lines([OrderLine::new().name("Shoe").quantity(1).unit_price(100)])
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

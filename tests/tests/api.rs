//! The API a payments engineer writes against: plain-string setters, derived totals,
//! updates checked as Klarna merges them, read → change → update without remapping,
//! unambiguous statuses, and retry advice that matches what the client does.

use std::time::Duration;

use klarna_payments::request::{
    AddressBuilder, OrderLineBuilder, SessionCreateBuilder, SessionUpdateBuilder,
};
use klarna_payments::types;
use klarna_payments::validation::ViolationKind;
use klarna_payments::{Client, Credentials, Error, RetryPolicy};
use klarna_simulator::{Simulator, SimulatorHandle};
use tests::scripted::{Fault, Reply, ScriptedServer};

fn cart() -> SessionCreateBuilder {
    SessionCreateBuilder::new()
        .purchase_country("SE")
        .purchase_currency("SEK")
        .locale("sv-SE")
        .merchant_reference1(String::from("ORDER-1"))
        .billing_address(
            AddressBuilder::new()
                .given_name("Jane")
                .email("jane@example.com"),
        )
        .order_lines([
            OrderLineBuilder::new()
                .name("Trail shoe")
                .reference("SKU-1")
                .quantity(2)
                .unit_price(12_900)
                .tax_rate(2500),
            OrderLineBuilder::new()
                .type_("discount")
                .name("Welcome discount")
                .quantity(1)
                .unit_price(-2_000)
                .tax_rate(2500),
            OrderLineBuilder::new()
                .type_(types::OrderLineType::ShippingFee)
                .name("Express")
                .quantity(1)
                .unit_price(4_900)
                .tax_rate(2500),
        ])
}

async fn simulator_client() -> (SimulatorHandle, Client) {
    let simulator = Simulator::start().await.unwrap();
    let client = Client::builder()
        .base_url(simulator.base_url())
        .credentials(Credentials::new(simulator.username(), simulator.password()))
        .build()
        .unwrap();
    (simulator, client)
}

#[test]
fn setters_take_str_and_string_and_totals_are_derived() {
    let body = cart().build().unwrap();
    assert_eq!(body.order_lines[0].total_amount, 25_800);
    assert_eq!(body.order_lines[0].total_tax_amount, Some(5_160));
    assert_eq!(body.order_lines[1].total_amount, -2_000);
    assert_eq!(body.order_lines[1].total_tax_amount, Some(-400));
    assert_eq!(body.order_amount, 25_800 - 2_000 + 4_900);
    assert_eq!(body.order_tax_amount, Some(5_160 - 400 + 980));
    assert!(
        klarna_payments::validation::validate(&body, Default::default()).is_empty(),
        "the derived body passes every check"
    );
}

#[test]
fn the_us_sales_tax_line_carries_the_order_tax() {
    let body = SessionCreateBuilder::new()
        .purchase_country("US")
        .purchase_currency("USD")
        .order_lines([
            OrderLineBuilder::new()
                .name("Lamp")
                .quantity(2)
                .unit_price(5_000),
            OrderLineBuilder::sales_tax(825),
        ])
        .build()
        .unwrap();
    assert_eq!(body.order_amount, 10_825);
    assert_eq!(body.order_tax_amount, Some(825));
    assert!(klarna_payments::validation::validate(&body, Default::default()).is_empty());
}

#[test]
fn hand_set_amounts_are_kept_and_still_checked() {
    let body = SessionCreateBuilder::new()
        .purchase_country("SE")
        .purchase_currency("SEK")
        .order_amount(999)
        .order_lines([OrderLineBuilder::new()
            .name("Shoe")
            .quantity(1)
            .unit_price(1_000)
            .total_amount(1_000)
            .tax_rate(2500)])
        .build()
        .unwrap();
    assert_eq!(body.order_amount, 999);
    let violations = klarna_payments::validation::validate(&body, Default::default());
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].field, "order_amount");
}

#[test]
fn a_value_that_breaks_the_spec_names_its_klarna_path() {
    let refused = cart()
        .locale("swedish")
        .order_lines([
            OrderLineBuilder::new()
                .name("Ok")
                .quantity(1)
                .unit_price(100),
            OrderLineBuilder::new()
                .name("Too long a reference")
                .reference("x".repeat(300))
                .quantity(1)
                .unit_price(100),
        ])
        .build()
        .unwrap_err();
    let fields: Vec<&str> = refused
        .violations
        .iter()
        .map(|v| v.field.as_str())
        .collect();
    assert_eq!(fields, ["locale", "order_lines[1].reference"]);
}

#[tokio::test]
async fn builder_failures_handed_to_the_client_name_the_field_too() {
    let (_simulator, client) = simulator_client().await;
    let error = client
        .create_session(
            SessionCreateBuilder::new()
                .purchase_country("SE")
                .purchase_currency("SEK")
                .order_lines([OrderLineBuilder::new()
                    .name("Shoe")
                    .quantity(1)
                    .unit_price(100)])
                .locale("swedish"),
        )
        .await
        .unwrap_err();
    let Error::InvalidRequest(invalid) = error else {
        panic!("{error:?}")
    };
    assert_eq!(invalid.violations[0].field, "locale");
}

#[tokio::test]
async fn an_update_with_lines_but_no_totals_is_caught_before_sending() {
    let server = ScriptedServer::start().await;
    server.always(Reply::empty(204));
    let client = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::new("u", "p"))
        .build()
        .unwrap();
    let line: types::OrderLine = OrderLineBuilder::new()
        .name("Boot")
        .quantity(1)
        .unit_price(2_000)
        .tax_rate(2500)
        .build()
        .unwrap();
    // A model whose totals were left out (the request builder would derive them).
    let mut update: types::SessionUpdate = SessionUpdateBuilder::new()
        .order_lines([line.clone()])
        .build()
        .unwrap();
    update.order_amount = None;
    update.order_tax_amount = None;
    let error = client.update_session("s-1", update).await.unwrap_err();
    let Error::InvalidRequest(invalid) = &error else {
        panic!("{error:?}")
    };
    let fields: Vec<&str> = invalid
        .violations
        .iter()
        .map(|v| v.field.as_str())
        .collect();
    assert_eq!(fields, ["order_amount", "order_tax_amount"]);
    assert!(matches!(
        invalid.violations[0].kind,
        ViolationKind::Arithmetic {
            expected: 2_000,
            ..
        }
    ));
    assert!(server.received().is_empty(), "nothing was sent");
    // The request builder derives them, so the same change goes through.
    client
        .update_session("s-1", SessionUpdateBuilder::new().order_lines([line]))
        .await
        .unwrap();
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn read_change_update_round_trips_through_the_simulator() {
    let (_simulator, client) = simulator_client().await;
    let created = client.create_session(cart()).await.unwrap();
    let read = client.read_session(&created.session_id).await.unwrap();
    assert_eq!(read.status, Some(types::SessionStatus::Incomplete));
    assert_eq!(read.http_status().as_u16(), 200);

    // The shopper drops the discount and adds a second pair.
    let lines: Vec<OrderLineBuilder> = read
        .order_lines
        .iter()
        .flatten()
        .filter(|l| l.type_ != Some(types::OrderLineType::Discount))
        .map(|l| {
            let quantity = if l.name == "Trail shoe" {
                3
            } else {
                l.quantity
            };
            OrderLineBuilder::new()
                .name(l.name.as_str())
                .quantity(quantity)
                .unit_price(l.unit_price)
                .tax_rate(l.tax_rate.unwrap_or(0))
        })
        .collect();
    let update = SessionUpdateBuilder::from(read.value()).order_lines(lines);
    let updated = client
        .update_session(&created.session_id, update)
        .await
        .unwrap();
    assert_eq!(updated.http_status().as_u16(), 204);

    let again = client.read_session(&created.session_id).await.unwrap();
    assert_eq!(again.order_amount, Some(3 * 12_900 + 4_900));
    assert_eq!(again.merchant_reference1.as_deref(), Some("ORDER-1"));
    assert_eq!(again.order_lines.as_ref().map(Vec::len), Some(2));
}

#[tokio::test]
async fn retry_advice_matches_what_the_client_does() {
    let server = ScriptedServer::start().await;
    server.always(Reply::json(200, "{}").fault(Fault::Stall(Duration::from_secs(2))));
    let client = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::new("u", "p"))
        .timeout(Duration::from_millis(200))
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(2)
                .initial_backoff(Duration::from_millis(5)),
        )
        .build()
        .unwrap();
    let create = client.create_session(cart()).await.unwrap_err();
    assert!(matches!(create, Error::Timeout(_)), "{create:?}");
    assert_eq!(server.received().len(), 1, "a create is not replayed");
    assert!(!create.is_retryable());
    assert!(create.outcome_unknown());

    let read = client.read_session("s-1").await.unwrap_err();
    assert!(matches!(read, Error::Timeout(_)), "{read:?}");
    assert_eq!(server.received().len(), 3, "a read is retried");
    assert!(read.is_retryable());
    assert!(!read.outcome_unknown());
}

#[tokio::test]
async fn a_create_refused_by_a_rate_limit_is_retried_and_nothing_else_is() {
    let server = ScriptedServer::start().await;
    let client = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::new("u", "p"))
        .retry_policy(RetryPolicy::default().initial_backoff(Duration::from_millis(5)))
        .build()
        .unwrap();
    // Refused unprocessed, then opened: the policy sends it again.
    server.push([
        Reply::json(429, r#"{"error_code":"TOO_MANY_REQUESTS"}"#),
        Reply::json(200, r#"{"session_id":"s-1","client_token":"ct"}"#),
    ]);
    let created = client.create_session(cart()).await.unwrap();
    assert_eq!(
        (created.session_id.as_str(), created.attempts()),
        ("s-1", 2)
    );
    assert_eq!(server.received().len(), 2);

    // Refused every time: the error says the same request may be sent again.
    server.always(Reply::json(429, r#"{"error_code":"TOO_MANY_REQUESTS"}"#));
    let limited = client.create_session(cart()).await.unwrap_err();
    assert!(
        limited.is_retryable() && !limited.outcome_unknown(),
        "{limited:?}"
    );
    assert_eq!(limited.as_api().unwrap().attempts, 3);
    assert_eq!(server.received().len(), 5);

    // A 503 may have been processed: sent once, and the outcome is unknown.
    server.always(Reply::json(503, r#"{"error_code":"SERVICE_UNAVAILABLE"}"#));
    let unavailable = client.create_session(cart()).await.unwrap_err();
    assert!(
        !unavailable.is_retryable() && unavailable.outcome_unknown(),
        "{unavailable:?}"
    );
    assert_eq!(server.received().len(), 6);
}

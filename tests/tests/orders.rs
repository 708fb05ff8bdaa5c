//! After the session: the shopper's approval (the simulator's control endpoint), placing
//! the order, releasing the authorization and saving a customer token, against the
//! simulator and against the scripted server; the authorization token never printed.

use std::time::Duration;

use klarna_payments::request::{
    CustomerTokenCreateBuilder, OrderCreateBuilder, OrderLineBuilder, SessionCreateBuilder,
};
use klarna_payments::types::{FraudStatus, SessionStatus};
use klarna_payments::{Client, Credentials, Error, ErrorCode, RetryPolicy, StatusCode};
use klarna_simulator::{
    Approval, Authorized, Fault, ManualClock, Operation, Simulator, SimulatorHandle,
};
use serde_json::{Value, json};
use tests::scripted::{Reply, ScriptedServer};

fn cart(intent: &str) -> SessionCreateBuilder {
    SessionCreateBuilder::new()
        .purchase_country("SE")
        .purchase_currency("SEK")
        .locale("sv-SE")
        .intent(intent)
        .merchant_urls(
            klarna_payments::request::MerchantUrlsBuilder::new()
                .confirmation("https://shop.example/thanks?sid={session.id}&oid={order.id}"),
        )
        .order_lines([
            OrderLineBuilder::new()
                .name("Trail shoe")
                .quantity(2)
                .unit_price(12_900)
                .tax_rate(2500),
            OrderLineBuilder::new()
                .type_("discount")
                .name("Welcome discount")
                .quantity(1)
                .unit_price(-2_000)
                .tax_rate(2500),
        ])
}

/// Approves `session_id` through the control endpoint, as a test in any language would;
/// the answer's JSON.
async fn approve_over_http(simulator: &SimulatorHandle, session_id: &str, body: Value) -> Value {
    let answer = reqwest::Client::new()
        .post(format!(
            "{}/simulator/v1/sessions/{session_id}/authorize",
            simulator.base_url()
        ))
        .basic_auth(simulator.username(), Some(simulator.password()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    answer.json().await.unwrap()
}

fn approved(answer: Authorized) -> String {
    match answer {
        Authorized::Approved {
            authorization_token,
        } => authorization_token,
        Authorized::Declined => panic!("declined"),
    }
}

#[tokio::test]
async fn a_whole_checkout_places_the_order_and_closes_the_session() {
    let simulator = Simulator::start().await.unwrap();
    let client = simulator.client_builder().build().unwrap();
    let created = client.create_session(cart("buy")).await.unwrap();
    let before = client.read_session(&created.session_id).await.unwrap();
    assert!(before.authorization_token.is_none());

    let answer = approve_over_http(&simulator, &created.session_id, json!({})).await;
    assert_eq!(
        (&answer["approved"], &answer["show_form"]),
        (&json!(true), &json!(true))
    );
    let token = answer["authorization_token"].as_str().unwrap().to_owned();

    let session = client.read_session(&created.session_id).await.unwrap();
    assert_eq!(
        session.authorization_token.as_ref().map(|t| t.expose()),
        Some(token.as_str())
    );
    let order = client
        .create_order(&token, OrderCreateBuilder::from(session.value()))
        .await
        .unwrap();
    assert_eq!(order.http_status(), StatusCode::OK);
    assert_eq!(order.fraud_status, Some(FraudStatus::Accepted));
    let method = order.authorized_payment_method.as_ref().unwrap();
    // Approved by default for the first category offered in Sweden, pay now.
    assert_eq!(method.type_.as_str(), "direct_debit");
    assert_eq!(
        order.redirect_url.as_deref(),
        Some(
            format!(
                "https://shop.example/thanks?sid={}&oid={}",
                created.session_id, order.order_id
            )
            .as_str()
        )
    );

    let after = client.read_session(&created.session_id).await.unwrap();
    assert_eq!(after.status, Some(SessionStatus::Complete));
    assert!(after.authorization_token.is_none(), "the token is used up");

    // The token placed one order; the session takes no more changes.
    let again = client
        .create_order(&token, OrderCreateBuilder::from(session.value()))
        .await
        .unwrap_err();
    assert!(again.is_not_found(), "{again}");
    assert_eq!(again.code(), Some(&ErrorCode::NotFound));
    let cancel = client
        .cancel_session(&created.session_id)
        .await
        .unwrap_err();
    assert!(cancel.is_session_completed(), "{cancel}");
    let release = client.cancel_authorization(&token).await.unwrap_err();
    assert!(release.is_not_found(), "{release}");
}

#[tokio::test]
async fn an_order_must_match_what_the_shopper_approved() {
    let simulator = Simulator::start().await.unwrap();
    let client = simulator.client_builder().build().unwrap();
    let created = client.create_session(cart("buy")).await.unwrap();
    let token = approved(
        simulator
            .authorize(&created.session_id, Approval::default())
            .unwrap(),
    );
    let session = client.read_session(&created.session_id).await.unwrap();
    let bigger = OrderCreateBuilder::from(session.value()).order_lines([OrderLineBuilder::new()
        .name("Trail shoe")
        .quantity(3)
        .unit_price(12_900)
        .tax_rate(2500)]);
    let refused = client.create_order(&token, bigger).await.unwrap_err();
    assert!(refused.is_conflict(), "{refused}");
    let api = refused.as_api().unwrap();
    assert_eq!(api.code, Some(ErrorCode::BadValue));
    assert_eq!(api.messages, ["Not matching fields: [order_amount]"]);
    assert_eq!(api.attempts, 1);

    // Checked like a session before sending: a total that does not add up never leaves.
    let wrong = OrderCreateBuilder::from(session.value()).order_amount(1);
    let Error::InvalidRequest(invalid) = client.create_order(&token, wrong).await.unwrap_err()
    else {
        panic!("not checked before sending");
    };
    assert_eq!(invalid.violations[0].field, "order_amount");

    // The refusals used nothing up: the approved order goes through.
    let placed = client
        .create_order(&token, OrderCreateBuilder::from(session.value()))
        .await
        .unwrap();
    assert!(!placed.order_id.is_empty());
}

#[tokio::test]
async fn an_authorization_lasts_60_minutes_and_dies_when_released() {
    let clock = ManualClock::new();
    let simulator = Simulator::builder()
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    let client = simulator.client_builder().build().unwrap();
    let created = client.create_session(cart("buy")).await.unwrap();
    let session = client.read_session(&created.session_id).await.unwrap();
    let body = || OrderCreateBuilder::from(session.value());

    let token = approved(
        simulator
            .authorize(&created.session_id, Approval::default())
            .unwrap(),
    );
    clock.advance(chrono::Duration::minutes(61));
    let expired = client.create_order(&token, body()).await.unwrap_err();
    assert!(expired.is_not_found(), "{expired}");
    assert_eq!(
        expired.as_api().unwrap().messages,
        ["Invalid authorization token"]
    );

    // A new approval gives a new token; released, it is dead.
    let fresh = approved(
        simulator
            .authorize(&created.session_id, Approval::default())
            .unwrap(),
    );
    assert_ne!(fresh, token);
    let released = client.cancel_authorization(&fresh).await.unwrap();
    assert_eq!(released.http_status(), StatusCode::NO_CONTENT);
    let twice = client.cancel_authorization(&fresh).await.unwrap_err();
    assert!(twice.is_not_found(), "{twice}");
    let order = client.create_order(&fresh, body()).await.unwrap_err();
    assert!(order.is_not_found(), "{order}");
    let unknown = client
        .create_order("no-such-token", body())
        .await
        .unwrap_err();
    assert!(unknown.is_not_found(), "{unknown}");
    let read = client.read_session(&created.session_id).await.unwrap();
    assert_eq!(read.status, Some(SessionStatus::Incomplete));
    assert!(read.authorization_token.is_none());
}

#[tokio::test]
async fn the_shopper_may_be_declined_or_left_pending() {
    let simulator = Simulator::start().await.unwrap();
    let client = simulator.client_builder().build().unwrap();
    let created = client.create_session(cart("buy")).await.unwrap();

    let declined =
        approve_over_http(&simulator, &created.session_id, json!({"approved": false})).await;
    assert_eq!(declined, json!({"approved": false, "show_form": false}));
    let read = client.read_session(&created.session_id).await.unwrap();
    assert!(read.authorization_token.is_none());

    let unknown_category = simulator.authorize(
        &created.session_id,
        Approval {
            payment_method_category: Some("pay_by_cheque".into()),
            ..Approval::default()
        },
    );
    assert_eq!(
        unknown_category.unwrap_err().messages,
        ["Bad value: payment_method_category"]
    );

    let pending = approve_over_http(
        &simulator,
        &created.session_id,
        json!({"payment_method_category": "pay_over_time", "fraud_status": "PENDING"}),
    )
    .await;
    let token = pending["authorization_token"].as_str().unwrap();
    let order = client
        .create_order(token, OrderCreateBuilder::from(read.value()))
        .await
        .unwrap();
    assert_eq!(order.fraud_status, Some(FraudStatus::Pending));
    let method = order.authorized_payment_method.as_ref().unwrap();
    assert_eq!(
        (method.type_.as_str(), method.number_of_installments),
        ("fixed_amount", Some(3))
    );
    let missing = simulator.authorize("no-such-session", Approval::default());
    assert_eq!(missing.unwrap_err().status.as_u16(), 404);
}

/// A one-line order, for calls whose answer is scripted.
fn small_order() -> OrderCreateBuilder {
    OrderCreateBuilder::new()
        .purchase_country("SE")
        .purchase_currency("SEK")
        .order_lines([OrderLineBuilder::new()
            .name("Shoe")
            .quantity(1)
            .unit_price(100)])
}

fn token_body() -> CustomerTokenCreateBuilder {
    CustomerTokenCreateBuilder::new()
        .purchase_country("SE")
        .purchase_currency("SEK")
        .locale("sv-SE")
        .description("Monthly film delivery")
        .intended_use("SUBSCRIPTION")
}

#[tokio::test]
async fn customer_tokens_are_saved_for_sessions_opened_to_tokenize() {
    let simulator = Simulator::start().await.unwrap();
    let client = simulator.client_builder().build().unwrap();

    // `tokenize`: the token takes the order's place.
    let created = client.create_session(cart("tokenize")).await.unwrap();
    let token = approved(
        simulator
            .authorize(&created.session_id, Approval::default())
            .unwrap(),
    );
    let saved = client
        .create_customer_token(&token, token_body())
        .await
        .unwrap();
    assert!(!saved.token_id.expose().is_empty());
    assert!(!format!("{saved:?}").contains(saved.token_id.expose()));
    let read = client.read_session(&created.session_id).await.unwrap();
    assert_eq!(read.status, Some(SessionStatus::Complete));
    let again = client
        .create_customer_token(&token, token_body())
        .await
        .unwrap_err();
    assert!(again.is_not_found(), "{again}");

    // `buy_and_tokenize`: a customer token, then the order, with one authorization.
    let created = client
        .create_session(cart("buy_and_tokenize"))
        .await
        .unwrap();
    let session = client.read_session(&created.session_id).await.unwrap();
    let token = approved(
        simulator
            .authorize(&created.session_id, Approval::default())
            .unwrap(),
    );
    let other_market = client
        .create_customer_token(
            &token,
            token_body().purchase_country("NO").purchase_currency("NOK"),
        )
        .await
        .unwrap_err();
    assert!(other_market.is_conflict(), "{other_market}");
    assert_eq!(
        other_market.as_api().unwrap().messages,
        ["Not matching fields: [purchase_country, purchase_currency]"]
    );
    client
        .create_customer_token(&token, token_body())
        .await
        .unwrap();
    client
        .create_order(&token, OrderCreateBuilder::from(session.value()))
        .await
        .unwrap();

    // `buy`: not opened to tokenize.
    let created = client.create_session(cart("buy")).await.unwrap();
    let token = approved(
        simulator
            .authorize(&created.session_id, Approval::default())
            .unwrap(),
    );
    let refused = client
        .create_customer_token(&token, token_body())
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(StatusCode::FORBIDDEN));
    assert_eq!(refused.code(), Some(&ErrorCode::InvalidOperation));
}

#[tokio::test]
async fn orders_get_faults_and_the_request_log_never_holds_the_token() {
    let simulator = Simulator::start().await.unwrap();
    let client = simulator
        .client_builder()
        .retry_policy(RetryPolicy::default().initial_backoff(Duration::from_millis(5)))
        .build()
        .unwrap();
    let created = client.create_session(cart("buy")).await.unwrap();
    let session = client.read_session(&created.session_id).await.unwrap();
    let token = approved(
        simulator
            .authorize(&created.session_id, Approval::default())
            .unwrap(),
    );
    simulator
        .add_fault(
            Fault::new()
                .operation(Operation::CreateOrder)
                .session_id(&created.session_id)
                .status(503)
                .count(1),
        )
        .unwrap();
    simulator.clear_requests();
    let failed = client
        .create_order(&token, OrderCreateBuilder::from(session.value()))
        .await
        .unwrap_err();
    // Never replayed: the order may have been placed.
    assert!(
        failed.outcome_unknown() && !failed.is_retryable(),
        "{failed:?}"
    );
    assert_eq!(failed.as_api().unwrap().attempts, 1);
    // A rate limit refusal is replayed: Klarna did not process it.
    simulator
        .add_fault(
            Fault::new()
                .operation(Operation::CreateOrder)
                .status(429)
                .count(1),
        )
        .unwrap();
    let placed = client
        .create_order(&token, OrderCreateBuilder::from(session.value()))
        .await
        .unwrap();
    assert_eq!(placed.attempts(), 2);

    let log = simulator.requests();
    assert_eq!(log.len(), 3);
    for record in &log {
        assert_eq!(record.operation, Some(Operation::CreateOrder));
        assert_eq!(
            record.path,
            "/payments/v1/authorizations/{authorization_token}/order"
        );
        assert_eq!(
            record.session_id.as_deref(),
            Some(created.session_id.as_str())
        );
    }
    assert_eq!(
        log.iter().map(|r| r.status).collect::<Vec<_>>(),
        [Some(503), Some(429), Some(200)]
    );
    let shown = serde_json::to_string(&log).unwrap() + &format!("{log:?}");
    assert!(!shown.contains(&token), "{shown}");
}

#[tokio::test]
async fn a_token_that_cannot_be_one_is_refused_before_sending_and_never_quoted() {
    let server = ScriptedServer::start().await;
    let client = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::new("u", "p"))
        .build()
        .unwrap();
    let long = "x".repeat(300);
    for token in ["", "  ", ".", "..", "a\\b", long.as_str()] {
        let body = OrderCreateBuilder::new()
            .purchase_country("SE")
            .purchase_currency("SEK")
            .order_lines([OrderLineBuilder::new()
                .name("Shoe")
                .quantity(1)
                .unit_price(100)]);
        for error in [
            client.create_order(token, body).await.unwrap_err(),
            client.cancel_authorization(token).await.unwrap_err(),
            client
                .create_customer_token(token, token_body())
                .await
                .unwrap_err(),
        ] {
            let Error::InvalidRequest(invalid) = &error else {
                panic!("{token:?}: {error:?}");
            };
            assert_eq!(invalid.violations[0].field, "authorization_token");
            if token.len() > 2 {
                assert!(!format!("{error} {error:?}").contains(token), "{error}");
            }
        }
    }
    assert!(server.received().is_empty());
}

const TOKEN: &str = "auth-SECRET-7f3a/ü";

#[tokio::test]
async fn every_documented_answer_maps_to_the_error_and_no_text_shows_the_token() {
    let server = ScriptedServer::start().await;
    let client = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::new("u", "p"))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let error_body = |code: &str| {
        format!(r#"{{"error_code":"{code}","error_messages":["Refused"],"correlation_id":"c-1"}}"#)
    };
    let mut shown = String::new();
    for (status, code) in [
        (400, "BAD_VALUE"),
        (401, "UNAUTHORIZED"),
        (403, "REJECTED"),
        (404, "NOT_FOUND"),
        (409, "BAD_VALUE"),
        (413, "PAYLOAD_TOO_LARGE"),
        (415, "UNSUPPORTED_MEDIA_TYPE"),
        (429, "TOO_MANY_REQUESTS"),
        (500, "INTERNAL_SERVER_ERROR"),
        (503, "SERVICE_UNAVAILABLE"),
    ] {
        server.push([
            Reply::json(status, &error_body(code)),
            Reply::json(status, &error_body(code)),
            Reply::json(status, &error_body(code)),
        ]);
        let errors = [
            client.create_order(TOKEN, small_order()).await.unwrap_err(),
            client.cancel_authorization(TOKEN).await.unwrap_err(),
            client
                .create_customer_token(TOKEN, token_body())
                .await
                .unwrap_err(),
        ];
        for error in errors {
            assert_eq!(error.status().map(|s| s.as_u16()), Some(status), "{error}");
            assert_eq!(error.code().map(ErrorCode::as_str), Some(code));
            assert_eq!(error.correlation_id(), Some("c-1"));
            shown += &format!("{error}\n{error:?}\n");
        }
    }
    server.push([
        Reply::json(200, r#"{"order_id":"o-1","fraud_status":"UNDER_REVIEW"}"#),
        Reply::empty(204),
        Reply::json(200, &format!(r#"{{"token_id":"{TOKEN}"}}"#)),
    ]);
    let placed = client.create_order(TOKEN, small_order()).await.unwrap();
    assert_eq!(
        placed.fraud_status.as_ref().map(|s| s.as_str()),
        Some("UNDER_REVIEW")
    );
    client.cancel_authorization(TOKEN).await.unwrap();
    let saved = client
        .create_customer_token(TOKEN, token_body())
        .await
        .unwrap();
    assert_eq!(saved.token_id.expose(), TOKEN);
    shown += &format!("{placed:?}{saved:?}{client:?}");

    // Each went to its path, the token one percent-encoded segment.
    let encoded = "auth-SECRET-7f3a%2F%C3%BC";
    let paths: Vec<(String, String)> = server
        .received()
        .into_iter()
        .map(|r| (r.method, r.path))
        .collect();
    assert_eq!(
        &paths[paths.len() - 3..],
        [
            (
                "POST".into(),
                format!("/payments/v1/authorizations/{encoded}/order")
            ),
            (
                "DELETE".into(),
                format!("/payments/v1/authorizations/{encoded}")
            ),
            (
                "POST".into(),
                format!("/payments/v1/authorizations/{encoded}/customer-token")
            ),
        ]
    );
    assert!(!shown.contains("SECRET"), "the token shows in:\n{shown}");
}

/// A broken exchange (the connection cut before the answer, or nobody listening) is an
/// error that quotes neither the token nor the URL holding it; reqwest's own error would.
#[tokio::test]
async fn a_broken_exchange_never_shows_the_token() {
    use tests::scripted::Fault;
    let server = ScriptedServer::start().await;
    server.always(Reply::json(200, "{}").fault(Fault::CloseBeforeHead));
    let cut = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::new("u", "p"))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    // A port nothing listens on: bound, then released.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nobody = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let refused = Client::builder()
        .base_url(&nobody)
        .credentials(Credentials::new("u", "p"))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    for client in [&cut, &refused] {
        let errors = [
            client.create_order(TOKEN, small_order()).await.unwrap_err(),
            client.cancel_authorization(TOKEN).await.unwrap_err(),
            client
                .create_customer_token(TOKEN, token_body())
                .await
                .unwrap_err(),
        ];
        for error in errors {
            assert!(
                matches!(error, Error::Transport(_) | Error::Timeout(_)),
                "{error:?}"
            );
            let mut shown = format!("{error}\n{error:?}");
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                shown += &format!("\n{cause}\n{cause:?}");
                source = cause.source();
            }
            assert!(!shown.contains("SECRET"), "the token shows in:\n{shown}");
        }
    }
}

//! Every call produces a `tracing` span with operation, attempt, status, correlation id
//! and duration; at TRACE level across success and error paths, no captured line holds
//! the password (plain or base64-encoded) or a request body.

use std::time::Duration;

use klarna_payments::request::{OrderLineBuilder, SessionCreateBuilder, SessionUpdateBuilder};
use klarna_payments::{Client, Credentials, RetryPolicy};
use tests::capture::Capture;
use tests::scripted::{Fault, Reply, ScriptedServer};
use tracing_subscriber::fmt::format::FmtSpan;

const PASSWORD: &str = "s3cret-Passw0rd-for-logs";
const ENCODED: &str = "dTpzM2NyZXQtUGFzc3cwcmQtZm9yLWxvZ3M="; // base64("u:" + PASSWORD), the Basic auth value

#[tokio::test]
async fn spans_carry_call_facts_and_never_a_secret() {
    let (capture, _guard) = Capture::start(FmtSpan::CLOSE);

    let server = ScriptedServer::start().await;
    server.push([
        Reply::json(200, r#"{"session_id":"sid-1","client_token":"tok"}"#).header("Klarna-Correlation-Id", "corr-1"),
        Reply::json(503, r#"{"error_code":"X"}"#),
        Reply::json(200, r#"{"status":"incomplete","merchant_reference1":"PERSONAL-DATA"}"#).header("Klarna-Correlation-Id", "corr-2"),
        Reply::empty(204),
        Reply::empty(401),
        Reply::json(404, r#"{"error_code":"NOT_FOUND","error_messages":["Invalid session id"],"correlation_id":"corr-404"}"#),
        Reply::raw(200, b"not json"),
        Reply::json(200, "{}").fault(Fault::CloseBeforeHead),
    ]);
    let client = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::new("u", PASSWORD))
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(2)
                .initial_backoff(Duration::from_millis(5)),
        )
        .build()
        .unwrap();
    let line = OrderLineBuilder::new()
        .name("PERSONAL-DATA")
        .quantity(1)
        .unit_price(100)
        .total_amount(100);
    let create = SessionCreateBuilder::new()
        .purchase_country("SE")
        .purchase_currency("SEK")
        .order_amount(100)
        .order_lines([line]);

    client.create_session(create).await.unwrap();
    client.read_session("sid-1").await.unwrap(); // 503, then 200
    client
        .update_session(
            "sid-1",
            SessionUpdateBuilder::new().merchant_reference1("PERSONAL-DATA"),
        )
        .await
        .unwrap();
    let errors = [
        client.read_session("sid-1").await.unwrap_err(),
        client.read_session("sid-1").await.unwrap_err(),
        client.read_session("sid-1").await.unwrap_err(),
        client
            .create_session(
                SessionCreateBuilder::new()
                    .purchase_country("SE")
                    .purchase_currency("SEK")
                    .order_amount(5)
                    .order_lines(Vec::<OrderLineBuilder>::new()),
            )
            .await
            .unwrap_err(),
    ];
    let _ = client.read_session("sid-1").await; // connection closed before any byte
    drop(_guard);

    let logs = capture.text();
    assert!(logs.contains("klarna_payments.call"), "{logs}");
    assert!(
        logs.contains("operation=\"create_credit_session\""),
        "{logs}"
    );
    assert!(logs.contains("correlation_id=\"corr-1\""), "{logs}");
    assert!(logs.contains("status=200"), "{logs}");
    assert!(
        logs.contains("attempt=2"),
        "the retried read shows its second attempt: {logs}"
    );
    assert!(logs.contains("duration_ms="), "{logs}");
    for line in logs.lines() {
        assert!(
            !line.contains(PASSWORD) && !line.contains(ENCODED),
            "secret in log line: {line}"
        );
        assert!(
            !line.contains("PERSONAL-DATA"),
            "body content in log line: {line}"
        );
        assert!(
            !line.to_ascii_lowercase().contains("authorization: basic"),
            "auth header in log line: {line}"
        );
    }
    for error in &errors {
        let text = format!("{error} {error:?}");
        assert!(
            !text.contains(PASSWORD) && !text.contains(ENCODED),
            "secret in error: {text}"
        );
    }
}

/// The authorization token is a path segment of the order calls: no span or event
/// shows it, nor the URL that holds it.
#[tokio::test]
async fn order_calls_never_log_the_authorization_token() {
    use klarna_payments::request::{CustomerTokenCreateBuilder, OrderCreateBuilder};
    let (capture, _guard) = Capture::start(FmtSpan::CLOSE);
    let server = ScriptedServer::start().await;
    server.push([
        Reply::json(200, r#"{"order_id":"o-1"}"#).header("Klarna-Correlation-Id", "corr-o"),
        Reply::json(404, r#"{"error_code":"NOT_FOUND"}"#),
        Reply::empty(204),
        Reply::json(503, r#"{"error_code":"X"}"#),
        Reply::json(200, "{}").fault(Fault::CloseBeforeHead),
    ]);
    let client = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::new("u", PASSWORD))
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(2)
                .initial_backoff(Duration::from_millis(5)),
        )
        .build()
        .unwrap();
    let token = "authz-TOKEN-in-path";
    let order = || {
        OrderCreateBuilder::new()
            .purchase_country("SE")
            .purchase_currency("SEK")
            .order_lines([OrderLineBuilder::new()
                .name("Shoe")
                .quantity(1)
                .unit_price(100)])
    };
    client.create_order(token, order()).await.unwrap();
    client.create_order(token, order()).await.unwrap_err();
    client.cancel_authorization(token).await.unwrap();
    let body = CustomerTokenCreateBuilder::new()
        .purchase_country("SE")
        .purchase_currency("SEK")
        .locale("sv-SE")
        .description("Films")
        .intended_use("SUBSCRIPTION");
    client
        .create_customer_token(token, body.clone())
        .await
        .unwrap_err();
    client.create_customer_token(token, body).await.unwrap_err();
    let text = capture.text();
    for operation in ["create_order", "cancel_authorization", "purchase_token"] {
        assert!(
            text.contains(&format!("operation=\"{operation}\"")),
            "{text}"
        );
    }
    assert!(text.contains("corr-o"), "{text}");
    assert!(!text.contains("TOKEN"), "{text}");
    assert!(
        !text.contains(PASSWORD) && !text.contains(ENCODED),
        "{text}"
    );
}

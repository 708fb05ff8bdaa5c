//! The fault matrix: a loopback server misbehaves on cue; each row asserts the error
//! kind, how many attempts reached the server, and that the call ended within a bound.
//! RELIABILITY.md publishes the same table.

use std::time::{Duration, Instant};

use klarna_payments::types::SessionUpdate;
use klarna_payments::{Client, Credentials, Error, RetryPolicy, Text};
use tests::scripted::{Fault, Reply, ScriptedServer};

const TIMEOUT: Duration = Duration::from_millis(300);
const ATTEMPTS: u32 = 3;
const LIMIT: usize = 64 * 1024;

fn client(server: &ScriptedServer) -> Client {
    Client::builder()
        .base_url(server.url())
        .credentials(Credentials::new("u", "p"))
        .timeout(TIMEOUT)
        .max_response_bytes(LIMIT)
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(ATTEMPTS)
                .initial_backoff(Duration::from_millis(10))
                .max_backoff(Duration::from_millis(40))
                .max_retry_after(Duration::from_millis(500)),
        )
        .build()
        .unwrap()
}

#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Ok,
    Api(u16),
    Decode,
    TooLarge,
    Timeout,
    Transport,
}

fn kind<T>(result: &Result<T, Error>) -> Kind {
    match result {
        Ok(_) => Kind::Ok,
        Err(Error::Api(api)) => Kind::Api(api.status.as_u16()),
        Err(Error::Decode(_)) => Kind::Decode,
        Err(Error::ResponseTooLarge { .. }) => Kind::TooLarge,
        Err(Error::Timeout(_)) => Kind::Timeout,
        Err(Error::Transport(_)) => Kind::Transport,
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

/// Serves `reply` for every request, reads a session, and checks the outcome.
async fn row(
    reply: Reply,
    expected: Kind,
    attempts: usize,
    bound: Duration,
) -> Result<klarna_payments::Response<klarna_payments::types::SessionRead>, Error> {
    let server = ScriptedServer::start().await;
    server.always(reply.clone());
    let started = Instant::now();
    let result = client(&server).read_session("s1").await;
    let took = started.elapsed();
    assert_eq!(kind(&result), expected, "{:?} -> {result:?}", reply.fault);
    assert_eq!(
        server.received().len(),
        attempts,
        "attempts for {:?} {}",
        reply.fault,
        reply.status
    );
    assert!(
        took < bound,
        "{:?} took {took:?}, bound {bound:?}",
        reply.fault
    );
    result
}

const QUICK: Duration = Duration::from_secs(2);

#[tokio::test]
async fn slower_than_the_timeout() {
    let reply = Reply::json(200, "{}").fault(Fault::Stall(Duration::from_secs(30)));
    row(reply, Kind::Timeout, 3, TIMEOUT * ATTEMPTS + QUICK)
        .await
        .unwrap_err();
}

#[tokio::test]
async fn closed_before_any_byte() {
    row(
        Reply::json(200, "{}").fault(Fault::CloseBeforeHead),
        Kind::Transport,
        3,
        QUICK,
    )
    .await
    .unwrap_err();
}

#[tokio::test]
async fn closed_after_headers() {
    row(
        Reply::json(200, r#"{"status":"incomplete"}"#).fault(Fault::CloseAfterHead),
        Kind::Transport,
        3,
        QUICK,
    )
    .await
    .unwrap_err();
}

#[tokio::test]
async fn reset_mid_body() {
    let body = format!(r#"{{"merchant_data":"{}"}}"#, "x".repeat(4096));
    row(
        Reply::json(200, &body).fault(Fault::ResetMidBody),
        Kind::Transport,
        3,
        QUICK,
    )
    .await
    .unwrap_err();
}

#[tokio::test]
async fn gateway_errors_with_html_empty_and_truncated_bodies() {
    for status in [500u16, 502, 503, 504] {
        for body in [
            "<html><body>Bad gateway</body></html>",
            "",
            r#"{"error_code":"INTERNAL_SER"#,
        ] {
            let error = row(
                Reply::raw(status, body.as_bytes()),
                Kind::Api(status),
                3,
                QUICK,
            )
            .await
            .unwrap_err();
            let api = error.as_api().unwrap();
            assert_eq!(api.attempts, ATTEMPTS);
            assert!(error.is_retryable());
            // The body start is kept for diagnosis; JSON string values are not (they
            // may be tokens or personal data).
            let expected = if body.starts_with('{') {
                r#"{"error_code":"…""#
            } else {
                body
            };
            assert_eq!(api.body_snippet.as_deref().unwrap_or(""), expected);
        }
    }
}

#[tokio::test]
async fn too_many_requests_with_and_without_retry_after() {
    let error = row(Reply::empty(429), Kind::Api(429), 3, QUICK)
        .await
        .unwrap_err();
    assert_eq!(error.as_api().unwrap().retry_after, None);
    // Retry-After: 0 is honoured as "now".
    row(
        Reply::empty(429).header("Retry-After", "0"),
        Kind::Api(429),
        3,
        QUICK,
    )
    .await
    .unwrap_err();
    // An absurd Retry-After is capped (at 500 ms here), not obeyed.
    let error = row(
        Reply::empty(429).header("Retry-After", "999999999"),
        Kind::Api(429),
        3,
        QUICK,
    )
    .await
    .unwrap_err();
    assert_eq!(
        error.as_api().unwrap().retry_after,
        Some(Duration::from_secs(999_999_999))
    );
}

#[tokio::test]
async fn success_with_a_non_json_content_type() {
    // JSON labelled text/plain is still JSON: accepted, nothing lost.
    let ok = row(
        Reply::raw(200, br#"{"status":"complete"}"#).header("Content-Type", "text/plain"),
        Kind::Ok,
        1,
        QUICK,
    )
    .await
    .unwrap();
    assert_eq!(ok.status.as_ref().unwrap().to_string(), "complete");
    // An HTML page with 200 (a captive portal, a misrouted proxy) is a decode error with the body's start.
    let error = row(
        Reply::raw(200, b"<html>Login</html>").header("Content-Type", "text/html"),
        Kind::Decode,
        1,
        QUICK,
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("<html>Login</html>"), "{error}");
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn success_with_invalid_json() {
    let error = row(
        Reply::json(200, r#"{"status": "incomplete""#).header("Klarna-Correlation-Id", "c-1"),
        Kind::Decode,
        1,
        QUICK,
    )
    .await
    .unwrap_err();
    assert_eq!(error.correlation_id(), Some("c-1"));
    assert_eq!(error.status().map(|s| s.as_u16()), Some(200));
}

#[tokio::test]
async fn no_content_with_a_body() {
    let server = ScriptedServer::start().await;
    server
        .always(Reply::raw(204, b"unexpected").header("Content-Type", "application/octet-stream"));
    let result = client(&server)
        .update_session(
            "s1",
            SessionUpdate::builder().merchant_reference1(Text("r")),
        )
        .await;
    assert_eq!(kind(&result), Kind::Ok, "{result:?}");
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn a_body_larger_than_the_limit_is_not_buffered() {
    let huge = format!(r#"{{"merchant_data":"{}"}}"#, "x".repeat(8 * LIMIT));
    let error = row(Reply::json(200, &huge), Kind::TooLarge, 1, QUICK)
        .await
        .unwrap_err();
    assert!(error.to_string().contains(&LIMIT.to_string()), "{error}");
}

#[tokio::test]
async fn a_body_dripping_one_byte_at_a_time_times_out() {
    let reply = Reply::json(200, r#"{"status":"incomplete","merchant_data":"slow"}"#)
        .fault(Fault::Drip(Duration::from_millis(100)));
    row(reply, Kind::Timeout, 3, TIMEOUT * ATTEMPTS + QUICK)
        .await
        .unwrap_err();
}

#[tokio::test]
async fn a_create_is_not_replayed_after_the_connection_broke_mid_answer() {
    let server = ScriptedServer::start().await;
    server.always(Reply::json(200, "{}").fault(Fault::CloseAfterHead));
    let body = klarna_payments::types::SessionCreate::builder()
        .purchase_country("SE")
        .purchase_currency("SEK")
        .order_amount(100)
        .order_lines(vec![
            klarna_payments::types::OrderLine::builder()
                .name("a")
                .quantity(1)
                .unit_price(100)
                .total_amount(100)
                .try_into()
                .unwrap(),
        ]);
    let result = client(&server).create_session(body).await;
    assert_eq!(kind(&result), Kind::Transport);
    assert_eq!(
        server.received().len(),
        1,
        "the create may have reached Klarna: not replayed"
    );
}

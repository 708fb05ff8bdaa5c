//! The production client against a scripted loopback server: what goes on the wire,
//! how every Klarna status maps to the error type, retries, timeouts, redaction.

use std::time::{Duration, Instant};

use klarna_payments::request::SessionUpdateBuilder;
use klarna_payments::{Client, Credentials, Error, ErrorCode, RetryPolicy};
use tests::fixtures::create_body;
use tests::scripted::{Fault, Reply, ScriptedServer};

const PASSWORD: &str = "pa55-VERY-secret-w0rd";
const SESSION: &str =
    r#"{"session_id":"0b1d9815-165e-42e2-8867-35bc03789e00","client_token":"tok"}"#;

fn client(server: &ScriptedServer, retry: RetryPolicy) -> Client {
    Client::builder()
        .base_url(server.url())
        .credentials(Credentials::new("PK12345_merchant", PASSWORD))
        .retry_policy(
            retry
                .initial_backoff(Duration::from_millis(10))
                .max_backoff(Duration::from_millis(20)),
        )
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

#[tokio::test]
async fn sends_basic_auth_user_agent_and_no_api_version_header() {
    let server = ScriptedServer::start().await;
    server.push([Reply::json(200, SESSION).header("Klarna-Correlation-Id", "corr-create")]);
    let client = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::new("PK12345_merchant", PASSWORD))
        .application("my-shop", "2.1.0")
        .build()
        .unwrap();
    let created = client.create_session(create_body()).await.unwrap();
    assert_eq!(created.session_id, "0b1d9815-165e-42e2-8867-35bc03789e00");
    assert_eq!(created.correlation_id(), Some("corr-create"));
    assert_eq!(created.attempts(), 1);

    let request = &server.received()[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/payments/v1/sessions");
    // base64("PK12345_merchant:pa55-VERY-secret-w0rd")
    assert_eq!(
        request.header("authorization"),
        Some("Basic UEsxMjM0NV9tZXJjaGFudDpwYTU1LVZFUlktc2VjcmV0LXcwcmQ=")
    );
    let agent = request.header("user-agent").unwrap();
    assert_eq!(
        agent,
        format!(
            "klarna-payments-rust/{} my-shop/2.1.0",
            env!("CARGO_PKG_VERSION")
        )
    );
    assert_eq!(
        request.header("api-version"),
        None,
        "progenitor's api-version header must not reach Klarna"
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    let sent: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(sent["order_lines"][0]["total_tax_amount"], 2000);
}

#[tokio::test]
async fn an_api_key_is_sent_as_klarna_documents_it() {
    let server = ScriptedServer::start().await;
    server.push([Reply::json(200, SESSION)]);
    let client = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::api_key("klarna_test_api_abc123"))
        .build()
        .unwrap();
    client.read_session("abc").await.unwrap();
    assert_eq!(
        server.received()[0].header("authorization"),
        Some("Basic klarna_test_api_abc123")
    );
    assert_eq!(server.received()[0].path, "/payments/v1/sessions/abc");
}

async fn error_for(reply: Reply) -> Error {
    let server = ScriptedServer::start().await;
    server.push([reply]);
    client(&server, RetryPolicy::none())
        .read_session("s1")
        .await
        .unwrap_err()
}

fn api(error: &Error) -> &klarna_payments::ApiError {
    error
        .as_api()
        .unwrap_or_else(|| panic!("expected an API error, got {error:?}"))
}

#[tokio::test]
async fn every_klarna_status_maps_to_an_api_error_with_its_code_and_correlation_id() {
    let cases: [(u16, &str, ErrorCode); 11] = [
        (400, "BAD_VALUE", ErrorCode::BadValue),
        (400, "BAD_REQUEST", ErrorCode::BadRequest),
        (401, "UNAUTHORIZED", ErrorCode::Unauthorized),
        (403, "INVALID_OPERATION", ErrorCode::InvalidOperation),
        (403, "MERCHANT_INACTIVE", ErrorCode::MerchantInactive),
        (403, "REJECTED", ErrorCode::Rejected),
        (404, "NOT_FOUND", ErrorCode::NotFound),
        (404, "SESSION_COMPLETED", ErrorCode::SessionCompleted),
        (409, "BAD_VALUE", ErrorCode::BadValue),
        (500, "INTERNAL_SERVER_ERROR", ErrorCode::InternalServerError),
        (
            503,
            "SERVICE_UNAVAILABLE",
            ErrorCode::Other("SERVICE_UNAVAILABLE".into()),
        ),
    ];
    for (status, code, expected) in cases {
        let body = format!(
            r#"{{"error_code":"{code}","error_messages":["Bad value: order_lines[0].name"],"correlation_id":"body-{status}","service_version":"v9"}}"#
        );
        let error = error_for(Reply::json(status, &body)).await;
        let api = api(&error);
        assert_eq!(api.status.as_u16(), status);
        assert_eq!(api.code.as_ref(), Some(&expected), "{status} {code}");
        assert_eq!(
            api.messages,
            vec!["Bad value: order_lines[0].name".to_string()]
        );
        assert_eq!(api.bad_fields(), vec!["order_lines[0].name"]);
        assert_eq!(
            error.correlation_id(),
            Some(format!("body-{status}").as_str())
        );
        assert_eq!(api.service_version.as_deref(), Some("v9"));
        assert_eq!(error.is_retryable(), status >= 500, "{status}");
        assert!(
            error.to_string().contains(&format!("body-{status}")),
            "{error}"
        );
    }
}

#[tokio::test]
async fn statuses_with_empty_or_foreign_bodies_keep_status_and_header_correlation_id() {
    // 401 with an empty body, 413 from a proxy, 429 without a body.
    for (status, body) in [
        (401u16, ""),
        (413, "<html>Request Entity Too Large</html>"),
        (429, ""),
    ] {
        let error = error_for(
            Reply::raw(status, body.as_bytes()).header("Klarna-Correlation-Id", "hdr-id"),
        )
        .await;
        let api = api(&error);
        assert_eq!(api.status.as_u16(), status);
        assert_eq!(api.code, None);
        assert_eq!(error.correlation_id(), Some("hdr-id"), "{status}");
        assert_eq!(api.body_snippet.is_some(), !body.is_empty(), "{status}");
        assert_eq!(error.is_retryable(), status == 429);
    }
}

#[tokio::test]
async fn a_single_error_message_is_kept_and_body_id_wins_over_header() {
    let error = error_for(
        Reply::json(400, r#"{"error_code":"BAD_VALUE","error_message":"Bad value: locale","correlation_id":"from-body"}"#)
            .header("Klarna-Correlation-Id", "from-header"),
    )
    .await;
    assert_eq!(api(&error).messages, vec!["Bad value: locale".to_string()]);
    assert_eq!(error.correlation_id(), Some("from-body"));
}

#[tokio::test]
async fn unauthorized_explains_the_usual_cause_and_names_the_url_not_the_secret() {
    let server = ScriptedServer::start().await;
    server.push([Reply::empty(401)]);
    let client = client(&server, RetryPolicy::none());
    let error = client.read_session("s1").await.unwrap_err();
    let text = error.to_string();
    assert!(text.contains("one region and one environment"), "{text}");
    assert!(text.contains(server.url()), "{text}");
    assert!(!text.contains(PASSWORD) && !format!("{error:?}").contains(PASSWORD));
}

#[tokio::test]
async fn reads_are_retried_on_5xx_and_429_until_success() {
    let server = ScriptedServer::start().await;
    server.push([
        Reply::empty(503),
        Reply::json(429, "{}"),
        Reply::json(200, r#"{"status":"incomplete"}"#).header("Klarna-Correlation-Id", "third"),
    ]);
    let read = client(&server, RetryPolicy::default().max_attempts(3))
        .read_session("s1")
        .await
        .unwrap();
    assert_eq!(read.attempts(), 3);
    assert_eq!(read.correlation_id(), Some("third"));
    assert_eq!(server.received().len(), 3);
}

#[tokio::test]
async fn attempts_are_capped() {
    let server = ScriptedServer::start().await;
    server.always(Reply::json(
        500,
        r#"{"error_code":"INTERNAL_SERVER_ERROR"}"#,
    ));
    let error = client(&server, RetryPolicy::default().max_attempts(4))
        .read_session("s1")
        .await
        .unwrap_err();
    assert_eq!(api(&error).attempts, 4);
    assert_eq!(server.received().len(), 4);
}

#[tokio::test]
async fn updates_are_retried_but_creates_are_not_after_a_503() {
    let server = ScriptedServer::start().await;
    server.always(Reply::empty(503));
    let client = client(&server, RetryPolicy::default().max_attempts(3));
    let error = client.create_session(create_body()).await.unwrap_err();
    assert_eq!(api(&error).status.as_u16(), 503);
    assert_eq!(
        server.received().len(),
        1,
        "a create that reached Klarna must not be replayed"
    );

    let update = SessionUpdateBuilder::new().merchant_reference1("ref");
    client.update_session("s1", update).await.unwrap_err();
    assert_eq!(server.received().len(), 4);
}

#[tokio::test]
async fn a_create_is_retried_when_the_connection_was_refused() {
    // A port nobody listens on: the request never left, so retrying is safe.
    let url = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let client = Client::builder()
        .base_url(url)
        .credentials(Credentials::new("u", PASSWORD))
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(3)
                .initial_backoff(Duration::from_millis(5)),
        )
        .build()
        .unwrap();
    let error = client.create_session(create_body()).await.unwrap_err();
    match &error {
        Error::Transport(transport) => assert_eq!(transport.attempts(), 3),
        other => panic!("expected a transport error, got {other:?}"),
    }
    assert!(error.is_retryable());
    assert!(!error.to_string().contains(PASSWORD));
}

#[tokio::test]
async fn retry_after_is_honoured_and_capped() {
    let server = ScriptedServer::start().await;
    server.push([
        Reply::empty(429).header("Retry-After", "1"),
        Reply::json(200, "{}"),
    ]);
    let started = Instant::now();
    let read = client(&server, RetryPolicy::default())
        .read_session("s1")
        .await
        .unwrap();
    let waited = started.elapsed();
    assert_eq!(read.attempts(), 2);
    assert!(
        waited >= Duration::from_secs(1),
        "Retry-After: 1 must be waited for, waited {waited:?}"
    );

    let server = ScriptedServer::start().await;
    server.push([
        Reply::empty(429).header("Retry-After", "86400"),
        Reply::json(200, "{}"),
    ]);
    let started = Instant::now();
    let policy = RetryPolicy::default().max_retry_after(Duration::from_millis(300));
    let read = client(&server, policy).read_session("s1").await.unwrap();
    assert_eq!(read.attempts(), 2);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "an absurd Retry-After must be capped"
    );
}

#[tokio::test]
async fn a_retry_after_beyond_the_total_budget_ends_the_retries() {
    let server = ScriptedServer::start().await;
    server.push([
        Reply::empty(503).header("Retry-After", "5"),
        Reply::json(200, "{}"),
    ]);
    let policy = RetryPolicy::default()
        .max_elapsed(Duration::from_secs(1))
        .max_retry_after(Duration::from_secs(5));
    let started = Instant::now();
    let error = client(&server, policy)
        .read_session("s1")
        .await
        .unwrap_err();
    assert_eq!(api(&error).retry_after, Some(Duration::from_secs(5)));
    assert_eq!(server.received().len(), 1);
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn a_slow_answer_times_out() {
    let server = ScriptedServer::start().await;
    server.always(Reply::json(200, "{}").fault(Fault::Stall(Duration::from_secs(10))));
    let client = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::new("u", PASSWORD))
        .timeout(Duration::from_millis(200))
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(2)
                .initial_backoff(Duration::from_millis(10)),
        )
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client.read_session("s1").await.unwrap_err();
    assert!(matches!(error, Error::Timeout(_)), "{error:?}");
    assert!(error.is_retryable());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        server.received().len(),
        2,
        "a read that timed out is retried"
    );
}

#[tokio::test]
async fn invalid_requests_are_refused_before_sending_with_every_violation() {
    let server = ScriptedServer::start().await;
    let client = client(&server, RetryPolicy::none());
    let mut body = create_body();
    body.order_amount = 9999;
    body.order_lines[0].total_tax_amount = Some(1500);
    let error = client.create_session(body).await.unwrap_err();
    let Error::InvalidRequest(invalid) = &error else {
        panic!("{error:?}")
    };
    let fields: Vec<&str> = invalid
        .violations
        .iter()
        .map(|v| v.field.as_str())
        .collect();
    assert_eq!(
        fields,
        vec![
            "order_lines[0].total_tax_amount",
            "order_amount",
            "order_tax_amount"
        ]
    );
    assert!(server.received().is_empty(), "nothing may be sent");

    // Checks can be switched off: the same body then goes out.
    server.push([Reply::json(200, SESSION)]);
    let unchecked = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::new("u", PASSWORD))
        .checks(klarna_payments::validation::Checks::NONE)
        .build()
        .unwrap();
    let mut body = create_body();
    body.order_amount = 9999;
    unchecked.create_session(body).await.unwrap();
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn secrets_never_appear_in_debug_or_display() {
    let server = ScriptedServer::start().await;
    server.push([Reply::empty(401)]);
    let credentials = Credentials::new("PK12345_merchant", PASSWORD);
    let builder = || {
        Client::builder()
            .base_url(server.url())
            .credentials(credentials.clone())
    };
    let client = builder().build().unwrap();
    let error = client.read_session("s1").await.unwrap_err();
    let key = Credentials::api_key(PASSWORD);
    for text in [
        format!("{credentials:?}"),
        format!("{key:?}"),
        format!("{:?}", builder()),
        format!("{client:?}"),
        format!("{:?}", client.generated()),
        format!("{error:?}"),
        format!("{error}"),
    ] {
        assert!(!text.contains(PASSWORD), "secret leaked in {text}");
        assert!(
            !text.contains("cGE1NS1WRVJZ"),
            "encoded secret leaked in {text}"
        );
    }
    assert!(format!("{credentials:?}").contains("PK12345_merchant"));
}

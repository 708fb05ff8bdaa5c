//! End to end: the real client against the simulator over loopback, for every
//! operation and every error path, including expiry after 48 hours on an injected clock.

use std::time::Duration;

use chrono::Duration as Hours;
use klarna_payments::arithmetic::order_amounts;
use klarna_payments::request::{self, SessionUpdateBuilder};
use klarna_payments::types::{OrderLine, SessionCreate};
use klarna_payments::validation::Checks;
use klarna_payments::{Client, Credentials, Error, ErrorCode, RetryPolicy};
use klarna_simulator::{Clock, ManualClock, RateLimit, Simulator, SimulatorHandle};
use serde_json::{Value, json};
use tests::fixtures::order_line;

fn client_for(simulator: &SimulatorHandle, checks: Checks) -> Client {
    Client::builder()
        .base_url(simulator.base_url())
        .credentials(Credentials::new(simulator.username(), simulator.password()))
        .retry_policy(RetryPolicy::none())
        .checks(checks)
        .build()
        .unwrap()
}

fn line(name: &str, unit_price: i64, quantity: i64) -> OrderLine {
    order_line(name, unit_price, quantity, 2500)
}

fn create_body(lines: Vec<OrderLine>) -> SessionCreate {
    let totals = order_amounts("SE", &lines).unwrap();
    request::SessionCreateBuilder::new()
        .purchase_country("SE")
        .purchase_currency("SEK")
        .locale("sv-SE")
        .merchant_reference1("ORDER-1")
        .order_amount(totals.order_amount)
        .order_tax_amount(totals.order_tax_amount)
        .order_lines(lines)
        .build()
        .unwrap()
}

#[tokio::test]
async fn create_read_update_read_round_trip() {
    let (clock, _simulator, client) = with_manual_clock().await;
    let started = clock.now();

    let body = create_body(vec![line("Shoe", 10_000, 1)]);
    let created = client.create_session(body.clone()).await.unwrap();
    assert!(uuid_like(&created.session_id), "{}", created.session_id);
    assert!(
        !created
            .client_token
            .as_deref()
            .unwrap_or_default()
            .is_empty()
    );
    let categories: Vec<String> = created
        .payment_method_categories
        .iter()
        .flatten()
        .map(|c| c.identifier.as_ref().unwrap().to_string())
        .collect();
    assert_eq!(categories, ["pay_now", "pay_later", "pay_over_time"]);
    assert!(created.correlation_id().is_some());

    let read = client.read_session(&created.session_id).await.unwrap();
    assert_eq!(read.status.as_ref().unwrap().to_string(), "incomplete");
    assert_eq!(
        read.expires_at.unwrap().timestamp(),
        (started + Hours::hours(48)).timestamp()
    );
    assert_eq!(read.client_token, created.client_token);
    assert_eq!(read.order_amount, Some(body.order_amount));
    assert_eq!(read.merchant_reference1.as_deref(), Some("ORDER-1"));
    assert_eq!(read.order_lines.as_deref().unwrap_or_default().len(), 1);
    assert_eq!(
        read.order_lines.as_deref().unwrap_or_default()[0].name,
        "Shoe"
    );

    let lines = vec![line("Shoe", 10_000, 1), line("Socks", 1_500, 3)];
    let totals = order_amounts("SE", &lines).unwrap();
    let update = SessionUpdateBuilder::new()
        .order_amount(totals.order_amount)
        .order_tax_amount(totals.order_tax_amount)
        .order_lines(lines);
    let updated = client
        .update_session(&created.session_id, update)
        .await
        .unwrap();
    assert_eq!(updated.http_status().as_u16(), 204);

    let read = client.read_session(&created.session_id).await.unwrap();
    assert_eq!(read.order_amount, Some(totals.order_amount));
    assert_eq!(read.order_lines.as_deref().unwrap_or_default().len(), 2);
    assert_eq!(
        read.merchant_reference1.as_deref(),
        Some("ORDER-1"),
        "fields not sent are kept"
    );
    assert_eq!(read.locale.as_deref(), Some("sv-SE"));
}

/// A simulator on a clock the test moves, and a checked client for it.
async fn with_manual_clock() -> (ManualClock, SimulatorHandle, Client) {
    let clock = ManualClock::new();
    let simulator = Simulator::builder()
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    let client = client_for(&simulator, Checks::default());
    (clock, simulator, client)
}

fn uuid_like(id: &str) -> bool {
    id.len() == 36 && id.chars().filter(|c| *c == '-').count() == 4
}

fn api(error: &Error) -> &klarna_payments::ApiError {
    error
        .as_api()
        .unwrap_or_else(|| panic!("expected an API error, got {error:?}"))
}

#[tokio::test]
async fn sessions_expire_after_48_hours_on_the_injected_clock() {
    let (clock, _simulator, client) = with_manual_clock().await;
    let created = client
        .create_session(create_body(vec![line("Shoe", 100, 1)]))
        .await
        .unwrap();

    clock.advance(Hours::hours(48) - Hours::seconds(1));
    client.read_session(&created.session_id).await.unwrap();

    clock.advance(Hours::seconds(2));
    let error = client.read_session(&created.session_id).await.unwrap_err();
    assert_eq!(api(&error).status.as_u16(), 404);
    assert_eq!(api(&error).code, Some(ErrorCode::NotFound));
    assert_eq!(api(&error).messages, ["Invalid session id"]);
    let error = client
        .update_session(&created.session_id, SessionUpdateBuilder::new())
        .await
        .unwrap_err();
    assert_eq!(api(&error).code, Some(ErrorCode::NotFound));
}

#[tokio::test]
async fn every_error_path_carries_code_messages_and_correlation_id() {
    let simulator = Simulator::start().await.unwrap();
    let unchecked = client_for(&simulator, Checks::NONE);

    // 401: wrong credentials.
    let stranger = Client::builder()
        .base_url(simulator.base_url())
        .credentials(Credentials::new("intruder", "nope"))
        .build()
        .unwrap();
    let error = stranger.read_session("anything").await.unwrap_err();
    assert_eq!(api(&error).status.as_u16(), 401);
    assert_eq!(api(&error).code, Some(ErrorCode::Unauthorized));
    assert!(error.correlation_id().is_some());

    // 404: unknown session.
    let error = unchecked.read_session("no-such-session").await.unwrap_err();
    assert_eq!(
        (api(&error).status.as_u16(), api(&error).code.clone()),
        (404, Some(ErrorCode::NotFound))
    );

    // 400 BAD_VALUE from the server's own arithmetic check (client checks off).
    let mut body = create_body(vec![line("Shoe", 10_000, 1)]);
    body.order_lines[0].total_tax_amount = Some(1);
    body.order_amount += 1;
    let error = unchecked.create_session(body).await.unwrap_err();
    assert_eq!(api(&error).code, Some(ErrorCode::BadValue));
    assert_eq!(
        api(&error).bad_fields(),
        [
            "order_lines[0].total_tax_amount",
            "order_amount",
            "order_tax_amount"
        ]
    );
    assert!(api(&error).correlation_id.is_some());

    // 400 BAD_VALUE from spec constraints (item count, which the types cannot hold back).
    let mut body = create_body(vec![line("Shoe", 10_000, 1)]);
    body.order_lines.clear();
    body.order_amount = 0;
    body.order_tax_amount = Some(0);
    let error = unchecked.create_session(body).await.unwrap_err();
    assert_eq!(api(&error).bad_fields(), ["order_lines"]);

    // 400 BAD_VALUE: a market Klarna's data knows but the client cannot.
    let mut body = create_body(vec![line("Shoe", 10_000, 1)]);
    body.purchase_currency = "USD".parse().unwrap();
    let error = unchecked.create_session(body).await.unwrap_err();
    assert_eq!(api(&error).bad_fields(), ["purchase_currency"]);

    // 409: an update that does not match the session.
    let created = unchecked
        .create_session(create_body(vec![line("Shoe", 100, 1)]))
        .await
        .unwrap();
    let error = unchecked
        .update_session(
            &created.session_id,
            SessionUpdateBuilder::new().purchase_currency("EUR"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (api(&error).status.as_u16(), api(&error).bad_fields()),
        (409, vec!["purchase_currency"])
    );

    // 404 SESSION_COMPLETED: an order was placed from the session.
    assert!(simulator.complete_session(&created.session_id));
    let read = unchecked.read_session(&created.session_id).await.unwrap();
    assert_eq!(read.status.as_ref().unwrap().to_string(), "complete");
    let error = unchecked
        .update_session(
            &created.session_id,
            SessionUpdateBuilder::new().merchant_reference2("x"),
        )
        .await
        .unwrap_err();
    assert_eq!(api(&error).code, Some(ErrorCode::SessionCompleted));
}

async fn raw(
    simulator: &SimulatorHandle,
    path: &str,
    body: Vec<u8>,
) -> (u16, Option<String>, Value) {
    let response = klarna_payments::http_client_builder()
        .build()
        .unwrap()
        .post(format!("{}{path}", simulator.base_url()))
        .basic_auth(simulator.username(), Some(simulator.password()))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let header = response
        .headers()
        .get("klarna-correlation-id")
        .map(|v| v.to_str().unwrap().to_string());
    let body = response.json().await.unwrap_or(Value::Null);
    (status, header, body)
}

#[tokio::test]
async fn malformed_json_and_oversized_bodies_are_refused_with_klarna_errors() {
    let simulator = Simulator::start().await.unwrap();
    let (status, header, body) = raw(
        &simulator,
        "/payments/v1/sessions",
        b"{\"purchase_country\": ".to_vec(),
    )
    .await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (400, Some("BAD_REQUEST"))
    );
    assert_eq!(
        body["correlation_id"].as_str(),
        header.as_deref(),
        "body and header carry the same id"
    );

    let huge = format!("{{\"merchant_data\": \"{}\"}}", "x".repeat(1_100_000));
    let (status, header, body) = raw(&simulator, "/payments/v1/sessions", huge.into_bytes()).await;
    assert_eq!(status, 413);
    assert!(header.is_some() && body["correlation_id"].is_string());

    let (status, _, body) = raw(
        &simulator,
        "/payments/v1/sessions",
        br#"{"purchase_country": 7}"#.to_vec(),
    )
    .await;
    assert_eq!(status, 400);
    let mut messages: Vec<&str> = body["error_messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    messages.sort();
    assert_eq!(
        messages,
        [
            "Bad value: order_amount",
            "Bad value: order_lines",
            "Bad value: purchase_country",
            "Bad value: purchase_currency"
        ]
    );
}

#[tokio::test]
async fn validation_follows_the_spec_limits() {
    // Read the limit from the spec the simulator was built with, so that this test
    // follows a change of the spec rather than a number copied here.
    let document = klarna_payments::spec::document();
    let limit = document.schema("merchant_reference").unwrap()["maxLength"]
        .as_u64()
        .unwrap() as usize;
    let simulator = Simulator::start().await.unwrap();
    let mut body = serde_json::to_value(create_body(vec![line("Shoe", 100, 1)])).unwrap();
    body["merchant_reference1"] = json!("r".repeat(limit));
    let (status, _, _) = raw(
        &simulator,
        "/payments/v1/sessions",
        body.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 200);
    body["merchant_reference1"] = json!("r".repeat(limit + 1));
    let (status, _, answer) = raw(
        &simulator,
        "/payments/v1/sessions",
        body.to_string().into_bytes(),
    )
    .await;
    assert_eq!(
        (status, answer["error_messages"][0].as_str()),
        (400, Some("Bad value: merchant_reference1"))
    );
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after() {
    let simulator = Simulator::builder()
        .rate_limit(RateLimit::PLAYGROUND)
        .start()
        .await
        .unwrap();
    let client = client_for(&simulator, Checks::default());
    let mut limited = None;
    for _ in 0..10 {
        if let Err(error) = client
            .create_session(create_body(vec![line("Shoe", 100, 1)]))
            .await
        {
            limited = Some(error);
            break;
        }
    }
    let error = limited.expect("the 6th create within a second exceeds 5/s");
    assert_eq!(api(&error).status.as_u16(), 429);
    assert_eq!(api(&error).retry_after, Some(Duration::from_secs(1)));
    assert!(error.is_retryable() && error.correlation_id().is_some());
}

#[tokio::test]
async fn the_store_is_bounded() {
    let simulator = Simulator::builder().max_sessions(10).start().await.unwrap();
    let client = client_for(&simulator, Checks::default());
    let mut ids = Vec::new();
    for _ in 0..25 {
        ids.push(
            client
                .create_session(create_body(vec![line("Shoe", 100, 1)]))
                .await
                .unwrap()
                .session_id
                .clone(),
        );
    }
    assert_eq!(simulator.session_count(), 10);
    client.read_session(ids.last().unwrap()).await.unwrap();
    assert_eq!(
        api(&client.read_session(&ids[0]).await.unwrap_err())
            .status
            .as_u16(),
        404
    );
}

#[tokio::test]
async fn odd_inputs_never_get_a_5xx() {
    let simulator = Simulator::start().await.unwrap();
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"\"text\"".to_vec(),
        vec![0xff, 0xfe, 0x00],
        "[".repeat(10_000).into_bytes(),
        br#"{"order_lines": [{"quantity": 1e400}]}"#.to_vec(),
        br#"{"order_lines": [null, 1, "x", {}], "order_amount": -99999999999999999999}"#.to_vec(),
        br#"{"purchase_country":"SE","purchase_currency":"SEK","order_amount":9223372036854775807,"order_lines":[{"name":"a","quantity":9223372036854775807,"unit_price":100000000,"total_amount":100000000,"tax_rate":10000,"total_tax_amount":-9223372036854775808}]}"#.to_vec(),
    ];
    for path in [
        "/payments/v1/sessions",
        "/payments/v1/sessions/abc",
        "/payments/v1/sessions/%FF%FE",
        "/nowhere",
    ] {
        for body in &bodies {
            let (status, header, _) = raw(&simulator, path, body.clone()).await;
            assert!(
                status < 500,
                "{path} answered {status} to {:?}",
                String::from_utf8_lossy(&body[..body.len().min(40)])
            );
            assert!(
                header.is_some(),
                "{path}: every answer has a correlation id"
            );
        }
    }
}

/// Sends `body` with `method` to `path` with the given `Content-Type` (none if `None`)
/// and optional credentials; status, correlation id header, `WWW-Authenticate`, JSON.
async fn send(
    simulator: &SimulatorHandle,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    credentials: Option<(&str, &str)>,
    body: Vec<u8>,
) -> (u16, Option<String>, Option<String>, Value) {
    let client = klarna_payments::http_client_builder().build().unwrap();
    let mut request = client
        .request(
            method.parse().unwrap(),
            format!("{}{path}", simulator.base_url()),
        )
        .body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    if let Some((user, password)) = credentials {
        request = request.basic_auth(user, Some(password));
    }
    let response = request.send().await.unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    let (correlation, authenticate) = (header("klarna-correlation-id"), header("www-authenticate"));
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, correlation, authenticate, body)
}

fn valid_create_json() -> Value {
    serde_json::to_value(create_body(vec![line("Shoe", 10_000, 1)])).unwrap()
}

#[tokio::test]
async fn creates_and_updates_that_are_not_json_get_415() {
    let simulator = Simulator::start().await.unwrap();
    let credentials = Some((simulator.username(), simulator.password()));
    let body = valid_create_json().to_string().into_bytes();
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/jsonp"),
        Some("text/json"),
        None,
    ] {
        let (status, correlation, _, answer) = send(
            &simulator,
            "POST",
            "/payments/v1/sessions",
            content_type,
            credentials,
            body.clone(),
        )
        .await;
        assert_eq!(status, 415, "{content_type:?}");
        assert_eq!(answer["error_code"], "UNSUPPORTED_MEDIA_TYPE");
        assert_eq!(
            answer["error_messages"],
            json!(["Content-Type must be application/json"])
        );
        assert_eq!(answer["correlation_id"].as_str(), correlation.as_deref());
    }
    assert_eq!(simulator.session_count(), 0, "nothing was created");
    // No body and no Content-Type: the body is missing, a malformed request.
    let (status, _, _, answer) = send(
        &simulator,
        "POST",
        "/payments/v1/sessions",
        None,
        credentials,
        Vec::new(),
    )
    .await;
    assert_eq!(
        (status, answer["error_code"].as_str()),
        (400, Some("BAD_REQUEST"))
    );

    // JSON with parameters, in any letter case, or a +json type is JSON.
    let mut ids = Vec::new();
    for content_type in [
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/merge-patch+json",
    ] {
        let (status, _, _, answer) = send(
            &simulator,
            "POST",
            "/payments/v1/sessions",
            Some(content_type),
            credentials,
            body.clone(),
        )
        .await;
        assert_eq!(status, 200, "{content_type}: {answer}");
        ids.push(answer["session_id"].as_str().unwrap().to_string());
    }
    let update = json!({"merchant_reference2": "changed"})
        .to_string()
        .into_bytes();
    let path = format!("/payments/v1/sessions/{}", ids[0]);
    let (status, _, _, answer) = send(
        &simulator,
        "POST",
        &path,
        Some("text/plain"),
        credentials,
        update.clone(),
    )
    .await;
    assert_eq!(
        (status, answer["error_code"].as_str()),
        (415, Some("UNSUPPORTED_MEDIA_TYPE"))
    );
    let (status, _, _, read) = send(&simulator, "GET", &path, None, credentials, Vec::new()).await;
    assert_eq!((status, &read["merchant_reference2"]), (200, &Value::Null));
    let (status, _, _, _) = send(
        &simulator,
        "POST",
        &path,
        Some("application/json"),
        credentials,
        update,
    )
    .await;
    assert_eq!(status, 204);
    // Reads and cancels carry no body: no Content-Type needed.
    let (status, _, _, _) = send(&simulator, "DELETE", &path, None, credentials, Vec::new()).await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn unknown_request_fields_are_accepted_but_never_stored_or_read_back() {
    let simulator = Simulator::start().await.unwrap();
    let credentials = Some((simulator.username(), simulator.password()));
    let mut body = valid_create_json();
    body["future_top_level"] = json!({"anything": [1, 2]});
    body["order_lines"][0]["future_line_field"] = json!("x");
    body["billing_address"] = json!({"city": "Stockholm", "future_address_field": 1});
    let (status, _, _, created) = send(
        &simulator,
        "POST",
        "/payments/v1/sessions",
        Some("application/json"),
        credentials,
        body.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "unknown fields are not refused: {created}");
    let path = format!(
        "/payments/v1/sessions/{}",
        created["session_id"].as_str().unwrap()
    );
    let update = json!({
        "merchant_reference2": "kept",
        "future_update_field": true,
        "shipping_address": {"city": "Malmö", "future_nested": "dropped"},
    });
    let (status, _, _, _) = send(
        &simulator,
        "POST",
        &path,
        Some("application/json"),
        credentials,
        update.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 204);
    let (_, _, _, read) = send(&simulator, "GET", &path, None, credentials, Vec::new()).await;
    let text = read.to_string();
    assert!(
        !text.contains("future_"),
        "an unknown field came back: {text}"
    );
    assert_eq!(read["billing_address"], json!({"city": "Stockholm"}));
    assert_eq!(read["shipping_address"], json!({"city": "Malmö"}));
    assert_eq!(read["order_lines"][0]["name"], "Shoe");
    assert_eq!(read["merchant_reference2"], "kept");
}

#[tokio::test]
async fn a_401_says_how_to_authenticate_on_every_operation() {
    let simulator = Simulator::start().await.unwrap();
    for (method, path) in [
        ("POST", "/payments/v1/sessions"),
        ("GET", "/payments/v1/sessions/abc"),
        ("POST", "/payments/v1/sessions/abc"),
        ("DELETE", "/payments/v1/sessions/abc"),
    ] {
        for credentials in [None, Some(("simulator", "wrong"))] {
            let (status, correlation, authenticate, answer) = send(
                &simulator,
                method,
                path,
                Some("application/json"),
                credentials,
                b"{}".to_vec(),
            )
            .await;
            assert_eq!(status, 401, "{method} {path}");
            assert_eq!(
                authenticate.as_deref(),
                Some("Basic realm=\"Klarna simulator\""),
                "{method} {path}"
            );
            assert_eq!(answer["error_code"], "UNAUTHORIZED");
            assert_eq!(answer["correlation_id"].as_str(), correlation.as_deref());
        }
    }
}

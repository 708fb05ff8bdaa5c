//! Hostile answers (issue 21), through the public API against the scripted loopback
//! server: one attempt's outcome never leaks into the next, a body's string values never
//! reach an error whatever bytes come first, and text from the network cannot forge log
//! lines or flood an error message.

use std::time::Duration;

use klarna_payments::request::SessionUpdateBuilder;
use klarna_payments::{Client, Credentials, Error, RetryPolicy};
use tests::fixtures::create_body;
use tests::scripted::{Reply, ScriptedServer};

const LIMIT: usize = 1024;
const SESSION: &str =
    r#"{"session_id":"0b1d9815-165e-42e2-8867-35bc03789e00","client_token":"tok"}"#;

fn client(server: &ScriptedServer, attempts: u32) -> Client {
    Client::builder()
        .base_url(server.url())
        .credentials(Credentials::new("u", "p"))
        .max_response_bytes(LIMIT)
        .timeout(Duration::from_secs(5))
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(attempts)
                .initial_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_millis(10)),
        )
        .build()
        .unwrap()
}

/// An answer of `status` whose body is past the size limit.
fn oversized(status: u16) -> Reply {
    Reply::raw(status, "x".repeat(4 * LIMIT).as_bytes())
}

// --- One attempt's outcome is its own -------------------------------------------------

#[tokio::test]
async fn an_update_applied_after_an_oversized_503_is_reported_as_applied() {
    let server = ScriptedServer::start().await;
    server.push([oversized(503), Reply::empty(204)]);
    let result = client(&server, 3)
        .update_session("s1", SessionUpdateBuilder::new().merchant_reference1("r"))
        .await;
    let response = result.expect("the second attempt's 204 is the outcome");
    assert_eq!(response.http_status().as_u16(), 204);
    assert_eq!(response.attempts(), 2);
    assert_eq!(server.received().len(), 2);
}

#[tokio::test]
async fn a_read_after_an_oversized_502_returns_the_session() {
    let server = ScriptedServer::start().await;
    server.push([
        oversized(502).header("Klarna-Correlation-Id", "first"),
        Reply::json(200, SESSION).header("Klarna-Correlation-Id", "second"),
    ]);
    let session = client(&server, 3).read_session("s1").await.unwrap();
    assert_eq!(session.attempts(), 2);
    assert_eq!(session.correlation_id(), Some("second"));
}

#[tokio::test]
async fn an_oversized_retryable_answer_is_that_status_and_is_retried() {
    let server = ScriptedServer::start().await;
    server.always(oversized(503).header("Klarna-Correlation-Id", "big"));
    let error = client(&server, 3).read_session("s1").await.unwrap_err();
    assert_eq!(server.received().len(), 3, "retried as a 503");
    let api = error.as_api().unwrap_or_else(|| panic!("{error:?}"));
    assert_eq!(api.status.as_u16(), 503);
    assert_eq!(api.attempts, 3);
    assert_eq!(error.correlation_id(), Some("big"));
    assert!(error.is_retryable());

    // A create that got an oversized 500 may have opened a session: its outcome is
    // unknown, as for any 500, and it is not replayed.
    let server = ScriptedServer::start().await;
    server.always(oversized(500));
    let error = client(&server, 3)
        .create_session(create_body())
        .await
        .unwrap_err();
    assert_eq!(server.received().len(), 1);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    assert!(error.outcome_unknown(), "{error:?}");
}

#[tokio::test]
async fn an_oversized_success_is_still_too_large() {
    let server = ScriptedServer::start().await;
    server.push([oversized(200)]);
    let error = client(&server, 3).read_session("s1").await.unwrap_err();
    assert!(
        matches!(error, Error::ResponseTooLarge { status, .. } if status.as_u16() == 200),
        "{error:?}"
    );
    assert_eq!(server.received().len(), 1);
}

// --- No string value of a body reaches an error, whatever bytes come first -------------

const TOKEN: &str = "tok-SECRET-4711";
const EMAIL: &str = "jane.doe@example.com";

/// A session-like body with a token and an e-mail address after `prefix`; `status` is a
/// number, so that it never decodes, whatever the prefix.
fn body_after(prefix: &[u8]) -> Vec<u8> {
    let mut body = prefix.to_vec();
    body.extend_from_slice(
        format!(
            r#"{{"client_token":"{TOKEN}","customer":{{"email":"{EMAIL}"}},"billing_address":{{"email":"{EMAIL}"}},"status":5}}"#
        )
        .as_bytes(),
    );
    body
}

fn assert_nothing_leaks(error: &Error, context: &str) {
    let shown = format!("{error}\n{error:?}");
    for secret in [TOKEN, EMAIL, "jane.doe", "SECRET"] {
        assert!(!shown.contains(secret), "{context}: {secret} in {shown}");
    }
}

#[tokio::test]
async fn string_values_never_reach_an_error_whatever_comes_before_the_json() {
    let prefixes: [&[u8]; 9] = [
        b"",
        b"\xEF\xBB\xBF",
        b"\xEF\xBB\xBF\r\n ",
        b"\x0b\x0c",
        b")]}'\n",
        b"\xff\xfe",
        b"garbage ",
        b"\0\0",
        b"\"quoted\":",
    ];
    for prefix in prefixes {
        for status in [200u16, 503] {
            let server = ScriptedServer::start().await;
            server.always(Reply::raw(status, &body_after(prefix)));
            let error = client(&server, 1).read_session("s1").await.unwrap_err();
            let context = format!("{status} after {prefix:?}");
            assert_eq!(
                error.status().map(|s| s.as_u16()),
                Some(status),
                "{context}"
            );
            assert_nothing_leaks(&error, &context);
            // The structure is still there to diagnose (a 503's body may decode as an
            // error object: then it is not quoted at all).
            if status == 200 {
                assert!(
                    format!("{error}").contains("client_token"),
                    "{context}: {error}"
                );
            }
        }
    }
}

#[tokio::test]
async fn string_values_never_reach_an_error_when_the_body_is_not_json() {
    let bodies = [
        // Broken after its first brace: no string content, keys included.
        format!(r#"{{"client_token":"{TOKEN}"}}}}"email":"{EMAIL}""#),
        format!(r#"{{"client_token" "{TOKEN}", "email": "{EMAIL}"}}"#),
        format!(r#"["{TOKEN}":"{EMAIL}"]"#),
        // Data in key position, and a value made to look like a key.
        format!(r#"{{"{EMAIL}":1,"{TOKEN}":2,"status":5}}"#),
        format!(r#"{{"a":"{TOKEN}":1}}"#),
        // No brace at all.
        format!(r#"token "{TOKEN}" for "{EMAIL}""#),
    ];
    for body in bodies {
        for status in [200u16, 500] {
            let server = ScriptedServer::start().await;
            server.always(Reply::raw(status, body.as_bytes()));
            let error = client(&server, 1).read_session("s1").await.unwrap_err();
            assert_nothing_leaks(&error, &format!("{status} {body}"));
        }
    }
}

#[tokio::test]
async fn a_decoder_message_never_quotes_a_value_with_escaped_quotes() {
    // `order_amount` is a number: the decoder's message quotes the string it got, with
    // its quotes escaped.
    let body = format!(r#"{{"order_amount":"a\"{EMAIL}\" {TOKEN}"}}"#);
    let server = ScriptedServer::start().await;
    server.always(Reply::json(200, &body));
    let error = client(&server, 1).read_session("s1").await.unwrap_err();
    assert!(matches!(error, Error::Decode(_)), "{error:?}");
    assert_nothing_leaks(&error, &body);
}

// --- Text from the network cannot forge log lines or flood a message ------------------

/// Characters that end or hide a line in a log, or start a terminal escape.
const FORGING: [char; 7] = [
    '\n', '\r', '\u{1b}', '\u{0}', '\u{85}', '\u{2028}', '\u{202e}',
];

fn assert_one_clean_line(shown: &str, context: &str) {
    for c in FORGING {
        assert!(!shown.contains(c), "{context}: {c:?} in {shown:?}");
    }
}

#[tokio::test]
async fn klarnas_error_text_is_escaped_and_a_huge_correlation_id_is_cut() {
    let huge_id = format!("id-{}-end", "c".repeat(60 * 1024));
    let body = serde_json::json!({
        "error_code": "BAD_VALUE\n2026-01-01 INFO forged\u{1b}[31m",
        "error_messages": [
            "Bad value: x\r\nERROR forged line",
            "\u{202e}desrever\u{2028}next\u{85}line\u{0}",
        ],
        "correlation_id": format!("{huge_id}\n"),
        "service_version": "v1\n\u{1b}[2J",
    });
    let server = ScriptedServer::start().await;
    server.always(Reply::json(400, &body.to_string()));
    // The default size limit: the body is over 60 KB.
    let roomy = Client::builder()
        .base_url(server.url())
        .credentials(Credentials::new("u", "p"))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let error = roomy.read_session("s1").await.unwrap_err();
    let api = error.as_api().unwrap_or_else(|| panic!("{error:?}"));
    // The data is kept as sent...
    assert_eq!(
        api.correlation_id.as_deref(),
        Some(format!("{huge_id}\n").as_str())
    );
    // ...and printed escaped, the id cut.
    let shown = error.to_string();
    assert_one_clean_line(&shown, "Display");
    assert_one_clean_line(&api.to_string(), "ApiError Display");
    assert_one_clean_line(&api.code.as_ref().unwrap().to_string(), "ErrorCode Display");
    assert!(shown.contains("\\n"), "{shown}");
    assert!(shown.contains("ERROR forged line"), "{shown}");
    assert!(!shown.contains("-end"), "the id is cut: {}", shown.len());
    assert!(shown.len() < 2048, "{} bytes", shown.len());
    assert!(shown.contains("id-ccc"), "{shown}");
}

#[tokio::test]
async fn correlation_ids_and_locations_from_headers_are_escaped_and_cut() {
    let huge_id = format!("hdr-{}-end", "h".repeat(60 * 1024));
    let replies = [
        // Decode error.
        Reply::json(200, r#"{"status":5}"#).header("Klarna-Correlation-Id", &huge_id),
        // Too large.
        oversized(200).header("Klarna-Correlation-Id", &huge_id),
        // Redirect with a Location that holds a line separator (as UTF-8 bytes, which a
        // header may carry) and a tab.
        Reply::empty(302)
            .header("Location", "https://x.example/\u{2028}INFO forged\tline")
            .header("Klarna-Correlation-Id", &huge_id),
    ];
    for reply in replies {
        let server = ScriptedServer::start().await;
        server.always(reply);
        let error = client(&server, 1).read_session("s1").await.unwrap_err();
        let shown = error.to_string();
        assert_one_clean_line(&shown, &format!("{error:?}"));
        assert!(!shown.contains('\t'), "{shown}");
        assert!(!shown.contains("-end"), "{} bytes", shown.len());
        assert!(shown.len() < 2048, "{} bytes", shown.len());
        assert!(shown.contains("hdr-hhh"), "{shown}");
    }
}

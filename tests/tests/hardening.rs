//! What a hostile or misconfigured server cannot make the client do: follow a redirect
//! (to another origin or the same one), send to a path other than the session's, or
//! accept an id that is not one, or wait past its attempt timeout.

use std::time::Duration;

use klarna_payments::request::SessionUpdateBuilder;
use klarna_payments::{Client, Credentials, Error, RetryPolicy};
use proptest::prelude::*;
use tests::fixtures::create_body;
use tests::scripted::{Fault, Reply, ScriptedServer};

const SESSION_ID: &str = "0b1d9815-165e-42e2-8867-35bc03789e00";

fn client(base: &str) -> Client {
    Client::builder()
        .base_url(base)
        .credentials(Credentials::new("PK12345_merchant", "secret"))
        .retry_policy(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_millis(10)),
        )
        .build()
        .unwrap()
}

#[derive(Clone, Copy, Debug)]
enum Call {
    Create,
    Read,
    Update,
    Cancel,
}

async fn call(client: &Client, call: Call) -> Result<(), Error> {
    match call {
        Call::Create => client.create_session(create_body()).await.map(drop),
        Call::Read => client.read_session(SESSION_ID).await.map(drop),
        Call::Update => client
            .update_session(
                SESSION_ID,
                SessionUpdateBuilder::new().merchant_reference1("A"),
            )
            .await
            .map(drop),
        Call::Cancel => client.cancel_session(SESSION_ID).await.map(drop),
    }
}

#[tokio::test]
async fn redirects_are_errors_and_nothing_reaches_the_other_origin() {
    let elsewhere = ScriptedServer::start().await;
    elsewhere.always(Reply::json(
        200,
        &format!(r#"{{"session_id":"{SESSION_ID}","client_token":"stolen"}}"#),
    ));
    for status in [301, 302, 303, 307, 308] {
        for cross_origin in [true, false] {
            for operation in [Call::Create, Call::Read, Call::Update, Call::Cancel] {
                let api = ScriptedServer::start().await;
                let target = if cross_origin {
                    format!("{}/payments/v1/sessions/{SESSION_ID}", elsewhere.url())
                } else {
                    format!("{}/payments/v1/sessions/{SESSION_ID}?again=1", api.url())
                };
                api.push([Reply::empty(status).header("location", &target)]);
                api.always(Reply::json(200, "{}"));
                let error = call(&client(api.url()), operation).await.unwrap_err();
                let label = format!("{status} {operation:?} cross-origin={cross_origin}");
                match &error {
                    Error::Redirect {
                        status: got,
                        location,
                        ..
                    } => {
                        assert_eq!(got.as_u16(), status, "{label}");
                        assert_eq!(location.as_deref(), Some(target.as_str()), "{label}");
                    }
                    other => panic!("{label}: expected a redirect error, got {other:?}"),
                }
                assert!(!error.is_retryable(), "{label}");
                assert!(error.to_string().contains(&status.to_string()), "{label}");
                assert_eq!(
                    api.received().len(),
                    1,
                    "{label}: not retried, not followed"
                );
            }
        }
    }
    assert!(
        elsewhere.received().is_empty(),
        "a request reached the other origin: {:?}",
        elsewhere.received()
    );
}

#[tokio::test]
async fn a_users_own_http_builder_cannot_turn_redirects_back_on() {
    let elsewhere = ScriptedServer::start().await;
    elsewhere.always(Reply::json(200, "{}"));
    let api = ScriptedServer::start().await;
    api.always(Reply::empty(307).header("location", elsewhere.url()));
    let client = Client::builder()
        .base_url(api.url())
        .credentials(Credentials::new("u", "p"))
        .http_client(reqwest::Client::builder().redirect(reqwest::redirect::Policy::limited(10)))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let error = client.read_session(SESSION_ID).await.unwrap_err();
    assert!(matches!(error, Error::Redirect { .. }), "{error:?}");
    assert!(elsewhere.received().is_empty());
}

#[tokio::test]
async fn blank_and_overlong_ids_are_refused_before_sending() {
    let api = ScriptedServer::start().await;
    api.always(Reply::json(200, "{}"));
    let client = client(api.url());
    let long = "a".repeat(256);
    for id in ["", " ", "\t\n", ".", "..", "a\\b", long.as_str()] {
        for error in [
            client.read_session(id).await.unwrap_err(),
            client.cancel_session(id).await.unwrap_err(),
            client
                .update_session(id, SessionUpdateBuilder::new().merchant_reference1("A"))
                .await
                .unwrap_err(),
        ] {
            let Error::InvalidRequest(invalid) = &error else {
                panic!("{id:?}: {error:?}");
            };
            assert_eq!(invalid.violations[0].field, "session_id");
        }
    }
    assert!(api.received().is_empty(), "{:?}", api.received());
    // 255 bytes is still sent.
    let _ = client.read_session(&"a".repeat(255)).await;
    assert_eq!(api.received().len(), 1);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Whatever the id, the request line addresses exactly one segment under the
    /// sessions path, which percent-decodes back to the id.
    #[test]
    fn every_id_lands_in_exactly_one_path_segment(id in "[./?#%&= a-zA-Z0-9\u{e9}\u{1F600}\\\\]{1,12}|\\PC{1,40}") {
        prop_assume!(!id.trim().is_empty() && id != "." && id != ".." && !id.contains('\\'));
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let api = ScriptedServer::start().await;
            api.always(Reply::json(200, "{}"));
            let client = client(api.url());
            let _ = client.read_session(&id).await;
            let received = api.received();
            prop_assert_eq!(received.len(), 1);
            let path = received[0].path.clone();
            let segment = path.strip_prefix("/payments/v1/sessions/").unwrap_or_else(|| panic!("{path}"));
            prop_assert!(!segment.contains('/') && !segment.contains('?') && !segment.contains('#'), "{}", path);
            let decoded = percent_decode(segment);
            prop_assert_eq!(decoded, id.clone());
            Ok(())
        })?;
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn a_supplied_reqwest_builder_cannot_lengthen_the_attempt_timeout() {
    let api = ScriptedServer::start().await;
    api.always(Reply::json(200, "{}").fault(Fault::Stall(Duration::from_secs(10))));
    let client = Client::builder()
        .base_url(api.url())
        .credentials(Credentials::new("u", "p"))
        .http_client(reqwest::Client::builder().timeout(Duration::from_secs(60)))
        .timeout(Duration::from_millis(300))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let error = client.read_session(SESSION_ID).await.unwrap_err();
    assert!(matches!(error, Error::Timeout(_)), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

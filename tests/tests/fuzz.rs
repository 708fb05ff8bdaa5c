//! Property-based fuzzing (cargo-fuzz needs a nightly toolchain; these machines have
//! stable only). No input may panic the decoders, the request checks or the client, and
//! no input may make the simulator answer 5xx. Case counts: `PROPTEST_CASES` (CI runs a
//! short bounded run; see RELIABILITY.md for a longer one).

use std::sync::OnceLock;
use std::time::Duration;

use klarna_payments::types::{
    ErrorResponse, MerchantSession, SessionCreate, SessionRead, SessionUpdate,
};
use klarna_payments::validation::{Checks, validate};
use klarna_payments::{Client, Credentials, RetryPolicy};
use proptest::prelude::*;
use serde_json::{Map, Value};
use tests::scripted::{Reply, ScriptedServer};

/// Field names Klarna uses, so generated objects often hit real schema paths.
const KEYS: &[&str] = &[
    "purchase_country",
    "purchase_currency",
    "locale",
    "order_amount",
    "order_tax_amount",
    "order_lines",
    "name",
    "quantity",
    "unit_price",
    "total_amount",
    "tax_rate",
    "total_tax_amount",
    "total_discount_amount",
    "type",
    "reference",
    "status",
    "intent",
    "acquiring_channel",
    "customer",
    "billing_address",
    "options",
    "color_border",
    "merchant_urls",
    "subscription",
    "interval",
    "interval_count",
    "payment_method_categories",
    "identifier",
    "error_code",
    "error_messages",
    "error_message",
    "correlation_id",
    "session_id",
    "client_token",
    "expires_at",
    "attachment",
    "body",
    "content_type",
    "future_field",
];

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop_oneof![
            Just(0i64),
            Just(1),
            Just(-1),
            Just(2500),
            Just(10_000),
            Just(100_000_000)
        ]
        .prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("SE"),
            Just("SEK"),
            Just("US"),
            Just("sv-SE"),
            Just("#FF9900"),
            Just("physical"),
            Just("discount"),
            Just("sales_tax"),
            Just("2038-01-19T03:14:07Z")
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..8).prop_map(|pairs| {
                Value::Object(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

fn config() -> ProptestConfig {
    // PROPTEST_CASES overrides the default of 256.
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = serde_json::from_slice::<SessionRead>(&bytes);
        let _ = serde_json::from_slice::<MerchantSession>(&bytes);
        let _ = serde_json::from_slice::<ErrorResponse>(&bytes);
    }

    #[test]
    fn decoding_arbitrary_json_never_panics(value in json()) {
        let _ = serde_json::from_value::<SessionRead>(value.clone());
        let _ = serde_json::from_value::<MerchantSession>(value.clone());
        let _ = serde_json::from_value::<ErrorResponse>(value);
    }

    #[test]
    fn request_checks_never_panic(value in json()) {
        let document = klarna_payments::spec::document();
        for schema in ["session_create", "session_update", "order_line", "session_read"] {
            let _ = document.validate(schema, &value);
        }
        if let Ok(body) = serde_json::from_value::<SessionCreate>(value.clone()) {
            let _ = validate(&body, Checks::default());
        }
        if let Ok(body) = serde_json::from_value::<SessionUpdate>(value) {
            let _ = validate(&body, Checks::default());
        }
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

struct Fixtures {
    scripted: ScriptedServer,
    client: Client,
    simulator: klarna_simulator::SimulatorHandle,
    raw: reqwest::Client,
}

fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        runtime().block_on(async {
            let scripted = ScriptedServer::start().await;
            let client = Client::builder()
                .base_url(scripted.url())
                .credentials(Credentials::new("u", "p"))
                .retry_policy(RetryPolicy::none())
                .timeout(Duration::from_secs(5))
                .max_response_bytes(4096)
                .build()
                .unwrap();
            let simulator = klarna_simulator::Simulator::start().await.unwrap();
            let raw = klarna_payments::http_client_builder().build().unwrap();
            Fixtures {
                scripted,
                client,
                simulator,
                raw,
            }
        })
    })
}

proptest! {
    #![proptest_config(config())]

    /// Any status, body and headers from the server: the client returns, never panics.
    #[test]
    fn the_client_survives_any_answer(
        status in 100u16..600,
        body in prop_oneof![json().prop_map(|v| v.to_string().into_bytes()), prop::collection::vec(any::<u8>(), 0..256)],
        retry_after in "\\PC{0,6}",
        correlation in "[ -~]{0,40}",
    ) {
        // 1xx answers are interim in HTTP/1.1; a server cannot end an exchange with one.
        let status = if status < 200 { 200 } else { status };
        let f = fixtures();
        f.scripted.push([Reply::raw(status, &body).header("Retry-After", &retry_after).header("Klarna-Correlation-Id", &correlation)]);
        let outcome = runtime().block_on(f.client.read_session("s"));
        if let Err(error) = outcome {
            let _ = (error.to_string(), error.is_retryable(), error.correlation_id());
        }
    }

    /// Any body to any simulator route: never a 5xx.
    #[test]
    fn the_simulator_never_answers_5xx(
        body in prop_oneof![json().prop_map(|v| v.to_string().into_bytes()), prop::collection::vec(any::<u8>(), 0..256)],
        path in prop::sample::select(vec!["/payments/v1/sessions", "/payments/v1/sessions/x", "/payments/v1/sessions/%00"]),
        get in any::<bool>(),
    ) {
        let f = fixtures();
        let url = format!("{}{path}", f.simulator.base_url());
        let request = if get { f.raw.get(url) } else { f.raw.post(url).header("content-type", "application/json").body(body) };
        let response = runtime()
            .block_on(request.basic_auth(f.simulator.username(), Some(f.simulator.password())).send())
            .unwrap();
        prop_assert!(response.status().as_u16() < 500, "{} -> {}", path, response.status());
    }
}

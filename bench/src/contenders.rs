//! The three (four) clients under test, each doing create → read → update of a session,
//! then placing the order of its authorization.

use std::time::{Duration, Instant};

use klarna_ogen::apis::configuration::Configuration;
use klarna_ogen::apis::{orders_api, sessions_api};
use serde_json::Value;

use crate::bodies::AUTHORIZATION_TOKEN;
use crate::plain;

pub const USER: &str = "bench";
pub const PASSWORD: &str = "bench-secret";

/// How many contenders there are.
pub const COUNT: usize = 4;

/// The calls of an iteration, in order: what [`Contender::iteration`] times.
pub const CALLS: [&str; 4] = ["create", "read", "update", "order"];

/// Request bodies, typed for each contender from the same JSON.
pub struct Bodies {
    ours_create: klarna_payments::types::SessionCreate,
    ours_update: klarna_payments::types::SessionUpdate,
    ours_order: klarna_payments::types::OrderCreate,
    plain_create: plain::SessionCreate,
    plain_update: plain::SessionUpdate,
    plain_order: plain::OrderCreate,
    ogen_create: klarna_ogen::models::SessionCreate,
    ogen_update: klarna_ogen::models::SessionUpdate,
    ogen_order: klarna_ogen::models::OrderCreate,
}

fn typed<T: serde::de::DeserializeOwned>(value: &Value) -> T {
    serde_json::from_value(value.clone()).expect("the bench bodies fit every model")
}

impl Bodies {
    pub fn new(create: &Value, update: &Value, order: &Value) -> Self {
        Self {
            ours_create: typed(create),
            ours_update: typed(update),
            ours_order: typed(order),
            plain_create: typed(create),
            plain_update: typed(update),
            plain_order: typed(order),
            ogen_create: typed(create),
            ogen_update: typed(update),
            ogen_order: typed(order),
        }
    }
}

/// The hand-written reqwest + serde_json client a team would write instead.
pub struct Baseline {
    http: reqwest::Client,
    base: String,
    /// Whether it is handed an owned body per call like the typed clients (the
    /// default), or borrows the prebuilt one (`KLARNA_BENCH_BASELINE_BORROWS=1`).
    owned_bodies: bool,
}

#[derive(Clone)]
pub enum Contender {
    Baseline(std::sync::Arc<Baseline>),
    Ours(klarna_payments::Client),
    OursUnchecked(klarna_payments::Client),
    Generator(Configuration),
}

impl Contender {
    pub fn name(&self) -> &'static str {
        match self {
            Contender::Baseline(_) => "reqwest + serde_json (baseline)",
            Contender::Ours(_) => "klarna-payments",
            Contender::OursUnchecked(_) => "klarna-payments, pre-send checks off",
            Contender::Generator(_) => "openapi-generator rust client",
        }
    }

    /// Every contender, sharing one reqwest configuration.
    pub fn all(base: &str) -> Vec<Contender> {
        (0..COUNT)
            .map(|index| Contender::new(index, base))
            .collect()
    }

    /// Contender `index` of [`all`](Self::all), alone (nothing else built).
    pub fn new(index: usize, base: &str) -> Contender {
        // The same reqwest settings for everyone, including klarna-payments' default
        // timeouts (it applies its attempt timeout to every request).
        let http_builder = || {
            klarna_payments::http_client_builder()
                .connect_timeout(klarna_payments::DEFAULT_CONNECT_TIMEOUT)
                .timeout(klarna_payments::DEFAULT_TIMEOUT)
        };
        let http = || http_builder().build().unwrap();
        let ours = |checks| {
            klarna_payments::Client::builder()
                .base_url(base)
                .credentials(klarna_payments::Credentials::new(USER, PASSWORD))
                .http_client(http_builder())
                .checks(checks)
                .build()
                .unwrap()
        };
        match index {
            0 => Contender::Baseline(std::sync::Arc::new(Baseline {
                http: http(),
                base: base.to_string(),
                owned_bodies: std::env::var_os("KLARNA_BENCH_BASELINE_BORROWS").is_none(),
            })),
            1 => Contender::Ours(ours(klarna_payments::validation::Checks::default())),
            2 => Contender::OursUnchecked(ours(klarna_payments::validation::Checks::NONE)),
            _ => Contender::Generator(Configuration {
                base_path: base.to_string(),
                user_agent: Some("bench".into()),
                client: http(),
                basic_auth: Some((USER.into(), Some(PASSWORD.into()))),
                oauth_access_token: None,
                bearer_access_token: None,
                api_key: None,
            }),
        }
    }

    /// create → read → update → order; the latency of each (in [`CALLS`] order).
    pub async fn iteration(&self, bodies: &Bodies) -> [Duration; CALLS.len()] {
        let mut times = [Duration::ZERO; CALLS.len()];
        let started = Instant::now();
        let id = self.create(bodies).await;
        times[0] = started.elapsed();
        let started = Instant::now();
        self.read(&id).await;
        times[1] = started.elapsed();
        let started = Instant::now();
        self.update(&id, bodies).await;
        times[2] = started.elapsed();
        let started = Instant::now();
        self.order(AUTHORIZATION_TOKEN, bodies).await;
        times[3] = started.elapsed();
        times
    }

    /// Every contender gets an owned body for each create, update and order, as an
    /// application that builds its body per call hands it over (the typed clients take
    /// ownership; the prebuilt bodies are cloned to stand for that building).
    async fn create(&self, bodies: &Bodies) -> String {
        match self {
            Contender::Baseline(b) => {
                let owned = b.owned_bodies.then(|| bodies.plain_create.clone());
                let response = b
                    .http
                    .post(format!("{}/payments/v1/sessions", b.base))
                    .basic_auth(USER, Some(PASSWORD))
                    .json(owned.as_ref().unwrap_or(&bodies.plain_create))
                    .send()
                    .await
                    .unwrap()
                    .error_for_status()
                    .unwrap();
                response
                    .json::<plain::MerchantSession>()
                    .await
                    .unwrap()
                    .session_id
            }
            Contender::Ours(c) | Contender::OursUnchecked(c) => {
                c.create_session(bodies.ours_create.clone())
                    .await
                    .unwrap()
                    .into_value()
                    .session_id
            }
            Contender::Generator(config) => {
                sessions_api::create_credit_session(config, bodies.ogen_create.clone())
                    .await
                    .unwrap()
                    .session_id
            }
        }
    }

    async fn read(&self, id: &str) {
        match self {
            Contender::Baseline(b) => {
                let response = b
                    .http
                    .get(format!("{}/payments/v1/sessions/{id}", b.base))
                    .basic_auth(USER, Some(PASSWORD))
                    .send()
                    .await
                    .unwrap()
                    .error_for_status()
                    .unwrap();
                std::hint::black_box(response.json::<plain::SessionRead>().await.unwrap());
            }
            Contender::Ours(c) | Contender::OursUnchecked(c) => {
                std::hint::black_box(c.read_session(id).await.unwrap());
            }
            Contender::Generator(config) => {
                std::hint::black_box(sessions_api::read_credit_session(config, id).await.unwrap());
            }
        }
    }

    async fn update(&self, id: &str, bodies: &Bodies) {
        match self {
            Contender::Baseline(b) => {
                let owned = b.owned_bodies.then(|| bodies.plain_update.clone());
                b.http
                    .post(format!("{}/payments/v1/sessions/{id}", b.base))
                    .basic_auth(USER, Some(PASSWORD))
                    .json(owned.as_ref().unwrap_or(&bodies.plain_update))
                    .send()
                    .await
                    .unwrap()
                    .error_for_status()
                    .unwrap();
            }
            Contender::Ours(c) | Contender::OursUnchecked(c) => {
                c.update_session(id, bodies.ours_update.clone())
                    .await
                    .unwrap();
            }
            Contender::Generator(config) => {
                sessions_api::update_credit_session(config, id, bodies.ogen_update.clone())
                    .await
                    .unwrap();
            }
        }
    }

    /// Places the order of an approved authorization: a create like the session's, on
    /// `/payments/v1/authorizations/{token}/order`, answered with an `order`.
    async fn order(&self, token: &str, bodies: &Bodies) {
        match self {
            Contender::Baseline(b) => {
                let owned = b.owned_bodies.then(|| bodies.plain_order.clone());
                let response = b
                    .http
                    .post(format!(
                        "{}/payments/v1/authorizations/{token}/order",
                        b.base
                    ))
                    .basic_auth(USER, Some(PASSWORD))
                    .json(owned.as_ref().unwrap_or(&bodies.plain_order))
                    .send()
                    .await
                    .unwrap()
                    .error_for_status()
                    .unwrap();
                std::hint::black_box(response.json::<plain::Order>().await.unwrap());
            }
            Contender::Ours(c) | Contender::OursUnchecked(c) => {
                std::hint::black_box(
                    c.create_order(token, bodies.ours_order.clone())
                        .await
                        .unwrap(),
                );
            }
            Contender::Generator(config) => {
                std::hint::black_box(
                    orders_api::create_order(config, token, bodies.ogen_order.clone())
                        .await
                        .unwrap(),
                );
            }
        }
    }
}

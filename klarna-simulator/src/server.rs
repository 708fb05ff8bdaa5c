//! The HTTP server: routes, middleware (correlation id, auth, rate limit) and handlers.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use chrono::SecondsFormat;
use klarna_payments::arithmetic::{OrderView, check_order};
use klarna_payments::types::{AcquiringChannel, SessionCreate};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::clock::{Clock, SystemClock};
use crate::errors::{KlarnaError, PendingError};
use crate::market;
use crate::rate_limit::{Bucket, RateLimit};
use crate::store::{Lookup, Removal, Store, StoredSession};

/// The largest request body accepted (1 MiB); larger ones get 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The user name accepted unless configured otherwise.
pub const DEFAULT_USERNAME: &str = "simulator";
/// The password accepted unless configured otherwise.
pub const DEFAULT_PASSWORD: &str = "simulator-secret";
/// How many sessions are kept unless configured otherwise.
pub const DEFAULT_MAX_SESSIONS: usize = 100_000;

/// Configures a simulator.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// use klarna_simulator::{RateLimit, Simulator};
///
/// let simulator = Simulator::builder().rate_limit(RateLimit::PLAYGROUND).start().await?;
/// println!("Klarna simulator at {}", simulator.base_url());
/// simulator.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub struct SimulatorBuilder {
    username: String,
    password: String,
    address: SocketAddr,
    rate_limit: Option<RateLimit>,
    max_sessions: usize,
    session_lifetime: chrono::Duration,
    clock: Arc<dyn Clock>,
}

/// Entry point: [`Simulator::builder`] or [`Simulator::start`].
pub struct Simulator;

impl Simulator {
    /// A builder with the defaults: 127.0.0.1, a free port, default credentials, no
    /// rate limit, 100 000 sessions, 48-hour sessions, the system clock.
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder {
            username: DEFAULT_USERNAME.into(),
            password: DEFAULT_PASSWORD.into(),
            address: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            rate_limit: None,
            max_sessions: DEFAULT_MAX_SESSIONS,
            session_lifetime: chrono::Duration::hours(48),
            clock: Arc::new(SystemClock),
        }
    }

    /// Starts a simulator with the defaults.
    pub async fn start() -> std::io::Result<SimulatorHandle> {
        Self::builder().start().await
    }
}

impl SimulatorBuilder {
    /// The credentials accepted (HTTP Basic).
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.username = username.into();
        self.password = password.into();
        self
    }

    /// The port (0 picks a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.address.set_port(port);
        self
    }

    /// The address to bind (default 127.0.0.1).
    pub fn host(mut self, host: IpAddr) -> Self {
        self.address.set_ip(host);
        self
    }

    /// Answers 429 with `Retry-After` beyond these rates.
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// The most sessions kept; beyond it, expired and then oldest sessions are evicted.
    pub fn max_sessions(mut self, max: usize) -> Self {
        self.max_sessions = max;
        self
    }

    /// How long a session lives (default 48 hours).
    pub fn session_lifetime(mut self, lifetime: chrono::Duration) -> Self {
        self.session_lifetime = lifetime;
        self
    }

    /// The clock (default: system time). Pass a [`ManualClock`](crate::ManualClock) to
    /// test expiry without waiting.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Binds and starts serving in the background.
    pub async fn start(self) -> std::io::Result<SimulatorHandle> {
        let listener = tokio::net::TcpListener::bind(self.address).await?;
        let address = listener.local_addr()?;
        let state = Arc::new(AppState {
            store: Store::new(self.max_sessions),
            clock: self.clock,
            authorization: basic(&self.username, &self.password),
            create_bucket: self.rate_limit.map(|l| Bucket::new(l.create_per_second)),
            other_bucket: self.rate_limit.map(|l| Bucket::new(l.other_per_second)),
            session_lifetime: self.session_lifetime,
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let app = router(Arc::clone(&state));
        let sweeper_state = Arc::clone(&state);
        let task = tokio::spawn(async move {
            let sweeper = tokio::spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
                loop {
                    tick.tick().await;
                    sweeper_state.store.evict_expired(sweeper_state.clock.now());
                }
            });
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            sweeper.abort();
            if let Err(error) = served {
                tracing::error!(%error, "simulator stopped");
            }
        });
        Ok(SimulatorHandle {
            base_url: format!("http://{address}"),
            username: self.username,
            password: self.password,
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }
}

/// A running simulator. Dropping it stops the server.
pub struct SimulatorHandle {
    base_url: String,
    username: String,
    password: String,
    state: Arc<AppState>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for SimulatorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatorHandle")
            .field("base_url", &self.base_url)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl SimulatorHandle {
    /// The base URL, e.g. `http://127.0.0.1:40123`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The user name accepted.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The password accepted.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// Marks a session as completed (an order was placed), as Klarna's checkout would;
    /// `false` if there is no such live session.
    pub fn complete_session(&self, session_id: &str) -> bool {
        self.state
            .store
            .update(session_id, self.state.clock.now(), |s| s.completed = true)
    }

    /// Sessions held now.
    pub fn session_count(&self) -> usize {
        self.state.store.len()
    }

    /// Stops accepting connections, lets requests in flight finish, and waits.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Waits until the server stops (for the binary).
    pub async fn wait(mut self) {
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimulatorHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

struct AppState {
    store: Store,
    clock: Arc<dyn Clock>,
    authorization: String,
    create_bucket: Option<Bucket>,
    other_bucket: Option<Bucket>,
    session_lifetime: chrono::Duration,
}

fn basic(username: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
    )
}

fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/payments/v1/sessions", post(create))
        .route(
            "/payments/v1/sessions/{session_id}",
            get(read).post(update).delete(cancel),
        )
        .route(
            "/simulator/v1/sessions/{session_id}/complete",
            post(complete),
        )
        .fallback(|| async {
            KlarnaError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "No such endpoint")
        })
        .layer(middleware::from_fn_with_state(Arc::clone(&state), limit))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            authenticate,
        ))
        .layer(middleware::from_fn(correlate))
        .with_state(state)
}

/// Gives every answer a correlation id: in the `Klarna-Correlation-Id` header, and in
/// the body of every error.
async fn correlate(request: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().to_string();
    let mut response = next.run(request).await;
    if let Some(PendingError(error)) = response.extensions_mut().remove::<PendingError>() {
        response = error.into_response_with(&id);
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert("klarna-correlation-id", value);
    }
    response
}

async fn authenticate(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if presented != Some(state.authorization.as_str()) {
        return KlarnaError::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "Unauthorized")
            .into_response();
    }
    next.run(request).await
}

async fn limit(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let is_create = request.method() == axum::http::Method::POST
        && request.uri().path() == "/payments/v1/sessions";
    let bucket = if is_create {
        &state.create_bucket
    } else {
        &state.other_bucket
    };
    if let Some(Err(wait)) = bucket.as_ref().map(Bucket::take) {
        let mut error = KlarnaError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TOO_MANY_REQUESTS",
            "Rate limit exceeded",
        );
        error.retry_after = Some(wait.as_secs_f64().ceil().max(1.0) as u64);
        return error.into_response();
    }
    next.run(request).await
}

async fn read_json(body: Body) -> Result<Value, KlarnaError> {
    let bytes: Bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            KlarnaError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                "Request body exceeds 1 MB",
            )
        })?;
    serde_json::from_slice(&bytes).map_err(|error| {
        KlarnaError::new(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            format!("Malformed JSON: {error}"),
        )
    })
}

/// Checks `value` against spec schema `schema`: the constraints come from the spec the
/// simulator was built with, not from this code.
fn check_schema(schema: &str, value: &Value) -> Result<(), KlarnaError> {
    if !value.is_object() {
        return Err(KlarnaError::new(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "The request body must be a JSON object",
        ));
    }
    let violations = klarna_payments::spec::document().validate(schema, value);
    if violations.is_empty() {
        return Ok(());
    }
    let fields: Vec<String> = violations.iter().map(|v| v.path.to_string()).collect();
    Err(KlarnaError::bad_values(fields.iter().map(String::as_str)))
}

/// Klarna's market and arithmetic rules on a complete session body.
fn check_order_rules(session: &Value) -> Result<SessionCreate, KlarnaError> {
    // Deserialize from the borrowed value: no copy of the body.
    let typed = SessionCreate::deserialize(session).map_err(|e| {
        KlarnaError::new(
            StatusCode::BAD_REQUEST,
            "BAD_VALUE",
            format!("Bad value: {e}"),
        )
    })?;
    let country = typed.purchase_country.as_str();
    match market::currency_of(country) {
        None => return Err(KlarnaError::bad_values(["purchase_country"])),
        Some(currency) if !currency.eq_ignore_ascii_case(typed.purchase_currency.as_str()) => {
            return Err(KlarnaError::bad_values(["purchase_currency"]));
        }
        Some(_) => {}
    }
    let violations = check_order(&OrderView {
        purchase_country: Some(country),
        order_amount: Some(typed.order_amount),
        order_tax_amount: typed.order_tax_amount,
        order_lines: Some(&typed.order_lines),
    });
    if violations.is_empty() {
        Ok(typed)
    } else {
        Err(KlarnaError::bad_values(
            violations.iter().map(|v| v.field.as_str()),
        ))
    }
}

fn categories_json(country: &str) -> Value {
    Value::Array(
        market::categories(country)
            .iter()
            .map(|(identifier, name)| {
                json!({
                    "identifier": identifier,
                    "name": name,
                    "asset_urls": {
                        "descriptive": format!("https://x.klarnacdn.net/payment-method/assets/badges/generic/{identifier}/descriptive.svg"),
                        "standard": format!("https://x.klarnacdn.net/payment-method/assets/badges/generic/{identifier}/standard.svg"),
                    }
                })
            })
            .collect(),
    )
}

async fn create(State(state): State<Arc<AppState>>, body: Body) -> Result<Response, KlarnaError> {
    let value = read_json(body).await?;
    check_schema("session_create", &value)?;
    let typed = check_order_rules(&value)?;
    let session_id = uuid::Uuid::new_v4().to_string();
    let categories = categories_json(typed.purchase_country.as_str());
    let now = state.clock.now();
    let mut answer = json!({
        "session_id": session_id,
        "payment_method_categories": categories,
    });
    // In-store sessions reach the shopper through a QR code or link, not the widget:
    // Klarna answers with `distribution.result_url` and no client token.
    let in_store = typed
        .acquiring_channel
        .as_ref()
        .is_some_and(|c| *c == AcquiringChannel::InStore)
        && typed.distribution.is_some();
    let client_token = if in_store {
        answer["distribution"] = json!({
            // `.invalid` is reserved: the simulator has no shopper-facing page.
            "result_url": format!("https://in-store.simulator.invalid/{session_id}"),
        });
        None
    } else {
        let token = format!(
            "sim.{}.{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(json!({"session_id": session_id}).to_string()),
            uuid::Uuid::new_v4().simple()
        );
        answer["client_token"] = json!(token);
        Some(token)
    };
    state.store.insert(
        session_id,
        StoredSession {
            data: value,
            client_token,
            categories,
            expires_at: now + state.session_lifetime,
            completed: false,
        },
        now,
    );
    Ok(axum::Json(answer).into_response())
}

fn session_id(path: Result<Path<String>, PathRejection>) -> Result<String, KlarnaError> {
    path.map(|Path(id)| id)
        .map_err(|_| KlarnaError::not_found())
}

async fn read(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, KlarnaError> {
    let id = session_id(path)?;
    let Lookup::Found(session) = state.store.get(&id, state.clock.now()) else {
        return Err(KlarnaError::not_found());
    };
    let mut out = session.data;
    if let Some(object) = out.as_object_mut() {
        // The distribution settings are instructions, not session data.
        object.remove("distribution");
        if let Some(token) = session.client_token {
            object.insert("client_token".into(), Value::String(token));
        }
        object.insert("payment_method_categories".into(), session.categories);
        object.insert(
            "status".into(),
            json!(if session.completed {
                "complete"
            } else {
                "incomplete"
            }),
        );
        object.insert(
            "expires_at".into(),
            json!(
                session
                    .expires_at
                    .to_rfc3339_opts(SecondsFormat::Secs, true)
            ),
        );
    }
    Ok(axum::Json(out).into_response())
}

async fn update(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    body: Body,
) -> Result<Response, KlarnaError> {
    let id = session_id(path)?;
    let changes = read_json(body).await?;
    let now = state.clock.now();
    let Lookup::Found(session) = state.store.get(&id, now) else {
        return Err(KlarnaError::not_found());
    };
    if session.completed {
        return Err(KlarnaError::new(
            StatusCode::NOT_FOUND,
            "SESSION_COMPLETED",
            "Session is completed",
        ));
    }
    check_schema("session_update", &changes)?;
    let mut merged = session.data;
    for field in ["purchase_country", "purchase_currency"] {
        let (sent, stored) = (
            changes.get(field).and_then(Value::as_str),
            merged.get(field).and_then(Value::as_str),
        );
        if let (Some(sent), Some(stored)) = (sent, stored)
            && !sent.eq_ignore_ascii_case(stored)
        {
            let mut error = KlarnaError::bad_values([field]);
            error.status = StatusCode::CONFLICT;
            return Err(error);
        }
    }
    if let (Some(target), Some(source)) = (merged.as_object_mut(), changes.as_object()) {
        for (key, value) in source {
            target.insert(key.clone(), value.clone());
        }
    }
    check_order_rules(&merged)?;
    if !state.store.update(&id, now, |s| s.data = merged) {
        return Err(KlarnaError::not_found());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Cancels an open session: it is gone afterwards (reads, updates and a second cancel
/// answer 404). A session that became an order cannot be cancelled.
async fn cancel(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, KlarnaError> {
    let id = session_id(path)?;
    match state
        .store
        .remove_if(&id, state.clock.now(), |s| !s.completed)
    {
        Removal::Removed => Ok(StatusCode::NO_CONTENT.into_response()),
        Removal::Refused => Err(KlarnaError::new(
            StatusCode::NOT_FOUND,
            "SESSION_COMPLETED",
            "Session is completed",
        )),
        Removal::Missing => Err(KlarnaError::not_found()),
    }
}

async fn complete(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, KlarnaError> {
    let id = session_id(path)?;
    if state
        .store
        .update(&id, state.clock.now(), |s| s.completed = true)
    {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(KlarnaError::not_found())
    }
}

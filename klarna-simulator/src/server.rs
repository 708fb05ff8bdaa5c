//! The HTTP server: routes, middleware (request frame: correlation id, request log and
//! connection faults; auth; faults; rate limit) and handlers.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path as FilePath, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use base64::Engine as _;
use serde_json::json;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::authorizations::{Approval, Authorized};
use crate::callback::CallbackHosts;
use crate::checks::random_uuid;
use crate::client_token::TokenSigner;
use crate::clock::{Clock, SystemClock};
use crate::connection::{self, ConnectionControl, ConnectionLimits, CutBody, SimListener};
use crate::control;
use crate::errors::{KlarnaError, PendingError};
use crate::faults::{Close, Fault, FaultRecord, FaultSet, InvalidFault, Operation, PathId};
use crate::persist::{self, Persister};
use crate::rate_limit::{Bucket, RateLimit};
use crate::requests::{Arrival, DEFAULT_REQUEST_LOG, Ending, Outcome, RequestLog, RequestRecord};
use crate::store::Store;
use crate::{authorizations, browser, sessions};

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
    faults: Vec<Fault>,
    state_file: Option<PathBuf>,
    request_log: usize,
    callback_hosts: Vec<String>,
    connections: ConnectionLimits,
}

/// Entry point: [`Simulator::builder`] or [`Simulator::start`].
pub struct Simulator;

impl Simulator {
    /// A builder with the defaults: 127.0.0.1, a free port, default credentials, no
    /// rate limit, 100 000 sessions, 48-hour sessions, the system clock, no faults, no
    /// state file, the last 1000 requests logged; a request's head within 10 s, idle
    /// connections closed after 60 s, at most 512 connections at once.
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder {
            username: DEFAULT_USERNAME.into(),
            password: DEFAULT_PASSWORD.into(),
            address: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            rate_limit: None,
            max_sessions: DEFAULT_MAX_SESSIONS,
            session_lifetime: chrono::Duration::hours(48),
            clock: Arc::new(SystemClock),
            faults: Vec::new(),
            state_file: None,
            request_log: DEFAULT_REQUEST_LOG,
            callback_hosts: Vec::new(),
            connections: ConnectionLimits::default(),
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

    /// The most sessions kept; beyond it, the oldest sessions are evicted (expired ones
    /// are swept every 30 seconds).
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

    /// Sets a fault from the start (more can be added at runtime with
    /// [`SimulatorHandle::add_fault`]). An invalid fault makes [`start`](Self::start) fail.
    pub fn fault(mut self, fault: Fault) -> Self {
        self.faults.push(fault);
        self
    }

    /// Keeps the sessions (with their authorizations, orders and customer tokens) in
    /// this file and a journal beside it (`PATH.journal`): loaded at start (a missing or
    /// empty file holds none; a damaged one makes [`start`](Self::start) fail); every
    /// change is appended to the journal and flushed to disk before it is acknowledged,
    /// and the journal is folded into a new snapshot in the file once it outgrows it.
    /// One simulator per file.
    pub fn state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }

    /// Also sends Klarna's authorization callback (to a session's
    /// `merchant_urls.authorization`) to `host` (a host name or IP address); by default
    /// only loopback hosts get it.
    pub fn allow_callback_host(mut self, host: impl Into<String>) -> Self {
        self.callback_hosts.push(host.into());
        self
    }

    /// How many requests the request log keeps (default 1000; 0 keeps none).
    pub fn request_log(mut self, capacity: usize) -> Self {
        self.request_log = capacity;
        self
    }

    /// The router over a fresh in-memory state with these settings (no socket, state
    /// file or expiry sweep; invalid faults left out), to drive requests in-process, as
    /// the fuzz targets in `fuzz/` do. Not part of the stable API.
    #[doc(hidden)]
    pub fn into_router(self) -> Router {
        let faults = FaultSet::default();
        for fault in self.faults {
            let _ = faults.add(fault);
        }
        router(Arc::new(AppState {
            store: Store::new(self.max_sessions),
            clock: self.clock,
            authorization: basic(&self.username, &self.password),
            create_bucket: self.rate_limit.map(|l| Bucket::new(l.create_per_second)),
            other_bucket: self.rate_limit.map(|l| Bucket::new(l.other_per_second)),
            session_lifetime: self.session_lifetime,
            faults,
            requests: RequestLog::new(self.request_log),
            persister: None,
            signer: TokenSigner::new(),
            callback_hosts: CallbackHosts(self.callback_hosts),
        }))
    }

    /// How long a request's head may take to arrive (default
    /// [`DEFAULT_HEADER_READ_TIMEOUT`](crate::DEFAULT_HEADER_READ_TIMEOUT), 10 s): a
    /// connection's first request from the moment the connection is taken up, a later
    /// one from its first byte. A request's body must then arrive within the same time
    /// of the simulator's first read of it. A connection whose head or body is late is
    /// closed without an answer. Taken between 1 ms and a year.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.connections.header_read_timeout = timeout;
        self
    }

    /// How long a kept-alive connection may wait for the first byte of its next
    /// request before it is closed (default
    /// [`DEFAULT_IDLE_TIMEOUT`](crate::DEFAULT_IDLE_TIMEOUT), 60 s). Taken between 1 ms
    /// and a year.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.connections.idle_timeout = timeout;
        self
    }

    /// The most connections served at once (default
    /// [`DEFAULT_MAX_CONNECTIONS`](crate::DEFAULT_MAX_CONNECTIONS), 512; at least 1).
    /// Beyond it a new connection is not refused but queued until one ends; while one
    /// waits, idle kept-alive connections are closed to make room, and stalled ones make
    /// room within the header-read timeout.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.connections.max_connections = max;
        self
    }

    /// Binds and starts serving in the background.
    pub async fn start(self) -> std::io::Result<SimulatorHandle> {
        let faults = FaultSet::default();
        for fault in self.faults {
            let shown = fault.to_string();
            faults.add(fault).map_err(|error| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("invalid fault {shown:?}: {error}"),
                )
            })?;
        }
        let listener = SimListener(tokio::net::TcpListener::bind(self.address).await?);
        let address = axum::serve::Listener::local_addr(&listener)?;
        let store = Store::new(self.max_sessions);
        let persister = match self.state_file {
            Some(path) => {
                let reading = path.clone();
                let sessions = tokio::task::spawn_blocking(move || persist::load(&reading))
                    .await
                    .map_err(std::io::Error::other)??;
                let now = self.clock.now();
                for (id, session) in sessions {
                    if session.expires_at > now {
                        store.insert(id, session, now);
                    }
                }
                // Every change from now on goes to the journal.
                store.track_changes();
                Some(Persister::new(&path, 0))
            }
            None => None,
        };
        let state = Arc::new(AppState {
            store,
            clock: self.clock,
            authorization: basic(&self.username, &self.password),
            create_bucket: self.rate_limit.map(|l| Bucket::new(l.create_per_second)),
            other_bucket: self.rate_limit.map(|l| Bucket::new(l.other_per_second)),
            session_lifetime: self.session_lifetime,
            faults,
            requests: RequestLog::new(self.request_log),
            persister,
            signer: TokenSigner::new(),
            callback_hosts: CallbackHosts(self.callback_hosts),
        });
        if state.persister.is_some() {
            // A complete file from the start; fails early on an unwritable directory.
            let first = Arc::clone(&state);
            tokio::task::spawn_blocking(move || first.write_state_file())
                .await
                .map_err(std::io::Error::other)??;
        }
        let (stop, stopped) = oneshot::channel::<()>();
        let app = router(Arc::clone(&state));
        let limits = self.connections;
        let sweeper_state = Arc::clone(&state);
        let task = tokio::spawn(async move {
            let sweeper = tokio::spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
                loop {
                    tick.tick().await;
                    sweeper_state.store.evict_expired(sweeper_state.clock.now());
                }
            });
            connection::serve(listener, app, limits, async {
                let _ = stopped.await;
            })
            .await;
            sweeper.abort();
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

    /// A `klarna-payments` client builder already pointed at this simulator with its
    /// credentials: add what your test needs (retries, timeouts) and build.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use klarna_payments::request::{OrderLineBuilder, SessionCreateBuilder};
    ///
    /// let simulator = klarna_simulator::Simulator::start().await?;
    /// let client = simulator.client_builder().build()?;
    /// let created = client
    ///     .create_session(
    ///         SessionCreateBuilder::new()
    ///             .purchase_country("SE")
    ///             .purchase_currency("SEK")
    ///             .order_lines([OrderLineBuilder::new().name("Shoe").quantity(1).unit_price(1000)]),
    ///     )
    ///     .await?;
    /// assert_eq!(simulator.session_count(), 1);
    /// # let _ = created;
    /// # Ok(())
    /// # }
    /// ```
    pub fn client_builder(&self) -> klarna_payments::ClientBuilder {
        klarna_payments::Client::builder()
            .base_url(self.base_url())
            .credentials(klarna_payments::Credentials::new(
                self.username(),
                self.password(),
            ))
    }

    /// Marks a session as completed (an order was placed), as Klarna's checkout would;
    /// `false` if there is no such live session. With a state file, the change is
    /// written before this returns (a failed write is logged with `tracing`).
    pub fn complete_session(&self, session_id: &str) -> bool {
        let Some(version) = self
            .state
            .store
            .update(session_id, self.state.clock.now(), |s| s.completed = true)
        else {
            return false;
        };
        if let Err(error) = self.state.persist_blocking(version) {
            tracing::error!(%error, "cannot write the simulator's state file");
        }
        true
    }

    /// The shopper's step in Klarna's dialog, for session `session_id`: approves or
    /// declines as `approval` says, exactly as `POST
    /// /simulator/v1/sessions/{session_id}/authorize` does. An approval's token is then
    /// on the session (a read shows it) and can place the order for 60 minutes on the
    /// simulator's clock. With a state file, the change is written before this
    /// returns.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use klarna_payments::request::{OrderCreateBuilder, OrderLineBuilder, SessionCreateBuilder};
    /// use klarna_simulator::{Approval, Authorized, Simulator};
    ///
    /// let simulator = Simulator::start().await?;
    /// let client = simulator.client_builder().build()?;
    /// let cart = SessionCreateBuilder::new()
    ///     .purchase_country("SE")
    ///     .purchase_currency("SEK")
    ///     .order_lines([OrderLineBuilder::new().name("Shoe").quantity(1).unit_price(1000)]);
    /// let created = client.create_session(cart).await?;
    /// let Authorized::Approved { authorization_token } =
    ///     simulator.authorize(&created.session_id, Approval::default())?
    /// else {
    ///     unreachable!("approved by default")
    /// };
    /// let session = client.read_session(&created.session_id).await?;
    /// let order = client
    ///     .create_order(&authorization_token, OrderCreateBuilder::from(session.value()))
    ///     .await?;
    /// assert_eq!(order.fraud_status.as_ref().map(|s| s.as_str()), Some("ACCEPTED"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn authorize(
        &self,
        session_id: &str,
        approval: Approval,
    ) -> Result<Authorized, KlarnaError> {
        let (answer, version) = crate::authorizations::authorize(
            &self.state,
            session_id,
            &approval,
            self.state.clock.now(),
        )?;
        if let Some(version) = version
            && let Err(error) = self.state.persist_blocking(version)
        {
            tracing::error!(%error, "cannot write the simulator's state file");
        }
        Ok(answer)
    }

    /// Sessions held now.
    pub fn session_count(&self) -> usize {
        self.state.store.len()
    }

    /// Adds a fault at runtime, as `POST /simulator/v1/faults` does.
    pub fn add_fault(&self, fault: Fault) -> Result<FaultRecord, InvalidFault> {
        self.state.faults.add(fault)
    }

    /// Every fault held, oldest first, with how often each fired.
    pub fn faults(&self) -> Vec<FaultRecord> {
        self.state.faults.list()
    }

    /// Removes fault `id`; `false` if there is none.
    pub fn remove_fault(&self, id: u64) -> bool {
        self.state.faults.remove(id)
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.state.faults.clear()
    }

    /// The requests in the request log, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state.requests.list(0)
    }

    /// Empties the request log (sequence numbers continue).
    pub fn clear_requests(&self) {
        self.state.requests.clear()
    }

    /// The state file, if the sessions are persisted.
    pub fn state_file(&self) -> Option<&FilePath> {
        self.state.persister.as_ref().map(Persister::path)
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

pub(crate) struct AppState {
    pub(crate) store: Store,
    pub(crate) clock: Arc<dyn Clock>,
    authorization: String,
    create_bucket: Option<Bucket>,
    other_bucket: Option<Bucket>,
    pub(crate) session_lifetime: chrono::Duration,
    pub(crate) faults: FaultSet,
    pub(crate) requests: RequestLog,
    persister: Option<Persister>,
    /// Signs the client tokens handed to the browser.
    pub(crate) signer: TokenSigner,
    /// Hosts beyond loopback that may get the authorization callback.
    pub(crate) callback_hosts: CallbackHosts,
}

impl AppState {
    /// Makes the store's changes up to `version` durable before the change is
    /// acknowledged; without a state file, does nothing.
    pub(crate) async fn persist(self: &Arc<Self>, version: u64) -> Result<(), KlarnaError> {
        let Some(persister) = &self.persister else {
            return Ok(());
        };
        if persister.covers(version) {
            return Ok(());
        }
        let turn = Arc::clone(&persister.queue).lock_owned().await;
        let state = Arc::clone(self);
        let written = tokio::task::spawn_blocking(move || {
            let _turn = turn;
            state.persist_blocking(version)
        })
        .await
        .map_err(std::io::Error::other)
        .and_then(|written| written);
        written.map_err(|error| {
            tracing::error!(%error, "cannot write the simulator's state file");
            KlarnaError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_SERVER_ERROR",
                "The simulator could not save the change to its state file",
            )
        })
    }

    /// The session a request's path names: its session id, or the session an
    /// authorization token was given for (`None` for an unknown token).
    fn session_of(&self, id: PathId<'_>) -> Option<String> {
        match id {
            PathId::Session(id) => Some(id.to_owned()),
            PathId::Authorization(token) => self.store.session_of_token(token, self.clock.now()),
        }
    }

    /// [`persist`](Self::persist), blocking.
    fn persist_blocking(&self, version: u64) -> std::io::Result<()> {
        match &self.persister {
            Some(persister) => persister.write_covering(version, &self.store, self.clock.now()),
            None => Ok(()),
        }
    }

    /// Writes the whole state file now.
    fn write_state_file(&self) -> std::io::Result<()> {
        match &self.persister {
            Some(persister) => persister.compact(&self.store, self.clock.now()),
            None => Ok(()),
        }
    }
}

fn basic(username: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
    )
}

fn router(state: Arc<AppState>) -> Router {
    // Klarna's operations and the control endpoints: HTTP Basic, faults, rate limits.
    let merchant = Router::new()
        .route("/payments/v1/sessions", post(sessions::create))
        .route(
            "/payments/v1/sessions/{session_id}",
            get(sessions::read)
                .post(sessions::update)
                .delete(sessions::cancel),
        )
        .route(
            "/payments/v1/authorizations/{authorization_token}",
            delete(authorizations::cancel),
        )
        .route(
            "/payments/v1/authorizations/{authorization_token}/order",
            post(authorizations::create_order),
        )
        .route(
            "/payments/v1/authorizations/{authorization_token}/customer-token",
            post(authorizations::create_customer_token),
        )
        .route(
            "/simulator/v1/sessions/{session_id}/complete",
            post(control::complete),
        )
        .route(
            "/simulator/v1/sessions/{session_id}/authorize",
            post(control::authorize_session),
        )
        .route(
            "/simulator/v1/faults",
            get(control::list_faults)
                .post(control::add_fault)
                .delete(control::clear_faults),
        )
        .route(
            "/simulator/v1/faults/{fault_id}",
            delete(control::remove_fault),
        )
        .route(
            "/simulator/v1/requests",
            get(control::list_requests).delete(control::clear_requests),
        )
        .fallback(|| async {
            KlarnaError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "No such endpoint")
        })
        .layer(middleware::from_fn_with_state(Arc::clone(&state), limit))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            inject_faults,
        ))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            authenticate,
        ));
    // The browser library and its endpoints: the client token, CORS (`browser`).
    Router::new()
        .merge(merchant)
        .merge(browser::routes())
        .layer(middleware::from_fn_with_state(Arc::clone(&state), frame))
        .with_state(state)
}

/// What the outer middleware learnt about a request, for the layers inside it.
#[derive(Clone, Debug)]
pub(crate) struct RequestContext {
    correlation_id: String,
    operation: Option<Operation>,
    session_id: Option<String>,
    control: bool,
    /// The id of the fault that fired, set by the fault layer (read also when the
    /// request is abandoned half-way).
    fired: Arc<OnceLock<u64>>,
}

/// Marks an answer on which a fault fired: how its connection ends.
#[derive(Clone, Debug)]
struct FiredFault {
    close: Option<Close>,
}

/// Completes a request's log line: at the end of [`frame`], or, if the request's future
/// is dropped first (the client went away), on drop.
struct LogLine {
    state: Arc<AppState>,
    seq: Option<u64>,
    started: Instant,
    fired: Arc<OnceLock<u64>>,
}

impl LogLine {
    fn finish(&mut self, status: Option<u16>, outcome: Outcome) {
        if let Some(seq) = self.seq.take() {
            self.state.requests.finish(
                seq,
                Ending {
                    status,
                    outcome,
                    fault: self.fired.get().copied(),
                    duration_ms: u64::try_from(self.started.elapsed().as_millis())
                        .unwrap_or(u64::MAX),
                },
            );
        }
    }
}

impl Drop for LogLine {
    fn drop(&mut self) {
        self.finish(None, Outcome::ClientClosed);
    }
}

/// The largest answer a fault cuts after the headers (the simulator's own answers are
/// far smaller).
const MAX_CUT_BODY: usize = 8 * MAX_BODY_BYTES;

/// The frame around every request: gives every answer a correlation id (in the
/// `Klarna-Correlation-Id` header, and in the body of every error), applies the
/// connection faults, and writes the request log.
async fn frame(State(state): State<Arc<AppState>>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let received_at = state.clock.now();
    let correlation_id = random_uuid().to_string();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let (operation, session_id) = match Operation::of(&method, &path) {
        Some((operation, id)) => (Some(operation), id.and_then(|id| state.session_of(id))),
        None => (None, None),
    };
    // Neither the control endpoints nor the browser's are Klarna's API: not logged.
    let control = path.starts_with("/simulator/") || path.starts_with("/kp/");
    let connection = request
        .extensions()
        .get::<ConnectInfo<ConnectionControl>>()
        .map(|info| info.0.clone());
    let fired = Arc::new(OnceLock::new());
    let mut line = LogLine {
        state: Arc::clone(&state),
        seq: None,
        started,
        fired: Arc::clone(&fired),
    };
    if !control {
        line.seq = state.requests.begin(Arrival {
            received_at,
            operation,
            method: method.as_str(),
            path: &path,
            session_id: session_id.as_deref(),
            correlation_id: &correlation_id,
            outbound: false,
        });
    }
    request.extensions_mut().insert(RequestContext {
        correlation_id: correlation_id.clone(),
        operation,
        session_id,
        control,
        fired,
    });
    let mut response = next.run(request).await;
    if let Some(PendingError(error)) = response.extensions_mut().remove::<PendingError>() {
        // Headers set on the way out (WWW-Authenticate, Retry-After) are kept.
        let headers = std::mem::take(response.headers_mut());
        response = error.into_response_with(&correlation_id);
        response.headers_mut().extend(headers);
    }
    if let Ok(value) = HeaderValue::from_str(&correlation_id) {
        response
            .headers_mut()
            .insert("klarna-correlation-id", value);
    }
    let fired = response.extensions_mut().remove::<FiredFault>();
    let mut outcome = Outcome::Answered;
    match fired.and_then(|f| f.close) {
        Some(Close::BeforeHeaders) => match &connection {
            Some(connection) => {
                connection.close();
                outcome = Outcome::ClosedBeforeHeaders;
            }
            None => tracing::warn!("no connection to close: answering instead"),
        },
        Some(Close::AfterHeaders) => {
            response = cut_after_headers(response).await;
            outcome = Outcome::ClosedAfterHeaders;
        }
        None => {}
    }
    line.finish(
        (outcome != Outcome::ClosedBeforeHeaders).then(|| response.status().as_u16()),
        outcome,
    );
    response
}

/// The answer's head (announcing the whole body's length) and the first half of its
/// body, then a broken connection. An answer without a body (204) is sent whole, and the
/// connection closed after it.
async fn cut_after_headers(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_CUT_BODY)
        .await
        .unwrap_or_default();
    if bytes.is_empty() {
        parts
            .headers
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return Response::from_parts(parts, Body::empty());
    }
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let half = bytes.slice(..bytes.len() / 2);
    Response::from_parts(parts, Body::new(CutBody::new(half)))
}

/// Fires the first matching fault, if any (after authentication, so that only
/// authenticated requests use up a fault; control endpoints are never faulted).
async fn inject_faults(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(context) = request.extensions().get::<RequestContext>() else {
        return next.run(request).await;
    };
    let Some(operation) = context.operation else {
        return next.run(request).await;
    };
    let Some(fired) = state.faults.take(operation, context.session_id.as_deref()) else {
        return next.run(request).await;
    };
    let correlation_id = context.correlation_id.clone();
    let _ = context.fired.set(fired.id);
    let mut response = match fired.fault.answer_status() {
        Some(status) => fault_answer(&fired.fault, status, &correlation_id),
        None => next.run(request).await,
    };
    if let Some(delay) = fired.fault.delay_duration() {
        tokio::time::sleep(delay).await;
    }
    if let Some(seconds) = fired.fault.retry_after_seconds() {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response.extensions_mut().insert(FiredFault {
        close: fired.fault.close_mode(),
    });
    response
}

/// A fault's error answer: its status and a Klarna error body.
fn fault_answer(fault: &Fault, status: u16, correlation_id: &str) -> Response {
    let (code, messages) = fault.error_parts(status);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        axum::Json(json!({
            "error_code": code,
            "error_messages": messages,
            "correlation_id": correlation_id,
        })),
    )
        .into_response()
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
    if !presents(presented, &state.authorization) {
        let mut response =
            KlarnaError::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "Unauthorized")
                .into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Klarna simulator\""),
        );
        return response;
    }
    next.run(request).await
}

/// Whether an `Authorization` header value presents the `expected` one (`Basic
/// <credentials>`): RFC 9110 (11.1, 11.4) makes the scheme's name case-insensitive and
/// puts one or more spaces after it; the credentials must match exactly.
fn presents(presented: Option<&str>, expected: &str) -> bool {
    let (Some((scheme, credentials)), Some((expected_scheme, expected_credentials))) = (
        presented.and_then(|p| p.split_once(' ')),
        expected.split_once(' '),
    ) else {
        return false;
    };
    scheme.eq_ignore_ascii_case(expected_scheme)
        && credentials.trim_start_matches(' ') == expected_credentials
}

/// Klarna's rate limits, for Klarna's endpoints (the control endpoints are exempt).
async fn limit(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let (control, is_create) = request
        .extensions()
        .get::<RequestContext>()
        .map(|c| {
            (
                c.control,
                c.operation == Some(Operation::CreateCreditSession),
            )
        })
        .unwrap_or((false, false));
    if control {
        return next.run(request).await;
    }
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

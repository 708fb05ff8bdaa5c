//! Connections: accepted, bounded and served here, and closed on demand.
//!
//! The simulator runs its own accept loop over hyper's HTTP/1 server (axum's `serve`
//! has no timeouts, so a client that sent half a request, or nothing, held its
//! connection forever, and a few hundred such connections stopped the simulator
//! answering anyone). No connection is held for long without a request:
//!
//! - **Header-read timeout** (default [`DEFAULT_HEADER_READ_TIMEOUT`]): a request's head
//!   must arrive within it: a connection's first request from the moment the
//!   connection is taken up, a later one from its first byte. A body the handler reads
//!   must arrive within the same time of the handler's first read; a connection whose
//!   head or body is late is closed without an answer.
//! - **Idle timeout** (default [`DEFAULT_IDLE_TIMEOUT`]): a kept-alive connection on
//!   which no byte of a next request arrives within it of the previous answer is
//!   closed.
//! - **Connection cap** (default [`DEFAULT_MAX_CONNECTIONS`]): at most that many
//!   connections are served at once. Beyond it a new connection is queued, not
//!   refused: it is accepted and waits (the ones after it wait in the listen backlog)
//!   until a connection ends. Meanwhile every kept-alive connection that is idle is
//!   asked to close (again every [`ASK_AGAIN`]), so a client pool's idle connections
//!   make room at once; stalled connections make room within the header-read timeout,
//!   and requests in progress when they finish.
//!
//! A connection fault closes a connection without an answer: the listener hands out
//! streams with a switch the request's middleware can flip ([`ConnectionControl`],
//! reached through axum's `ConnectInfo`): once flipped, the stream refuses every write
//! and reads as closed, so hyper gives up on the connection and drops it before a byte
//! of the answer is written. A body that stops part-way ([`CutBody`]) cuts a connection
//! after the headers.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::serve::Listener;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper::rt::{Sleep, Timer};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::{TowerToHyperService, TowerToHyperServiceFuture};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

/// How long a request's head may take to arrive, unless configured otherwise.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a kept-alive connection may wait for its next request, unless configured
/// otherwise.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How many connections are served at once, unless configured otherwise (well below
/// the usual limit of 1024 open files).
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// How often a connection waiting for a place asks idle connections again to close.
pub(crate) const ASK_AGAIN: Duration = Duration::from_millis(250);
/// Timeouts are taken between these (a zero timeout would close every connection, and
/// hyper adds its timeout to the current instant, which must not overflow).
const SHORTEST: Duration = Duration::from_millis(1);
const LONGEST: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// How connections are bounded (see the module's documentation).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConnectionLimits {
    pub(crate) header_read_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

impl ConnectionLimits {
    /// Within what the server can keep: timeouts from 1 ms to a year, a cap from 1 to
    /// what a semaphore's `acquire_many` can count.
    fn bounded(self) -> Self {
        let most = Semaphore::MAX_PERMITS.min(u32::MAX as usize);
        Self {
            header_read_timeout: self.header_read_timeout.clamp(SHORTEST, LONGEST),
            idle_timeout: self.idle_timeout.clamp(SHORTEST, LONGEST),
            max_connections: self.max_connections.clamp(1, most),
        }
    }
}

/// One connection's switch (closes it) and what the server knows of it.
#[derive(Clone, Debug, Default)]
pub(crate) struct ConnectionControl(Arc<Shared>);

#[derive(Debug, Default)]
struct Shared {
    closed: AtomicBool,
    /// Bytes read from the client so far.
    read: AtomicU64,
    /// Kept alive after an answer, with no byte of a next request yet.
    idle: AtomicBool,
}

impl ConnectionControl {
    /// From now on the connection takes no more bytes and is dropped.
    pub(crate) fn close(&self) {
        self.0.closed.store(true, Ordering::Release);
    }

    fn closed(&self) -> bool {
        self.0.closed.load(Ordering::Acquire)
    }

    fn bytes_read(&self) -> u64 {
        self.0.read.load(Ordering::Acquire)
    }

    fn set_idle(&self, idle: bool) {
        self.0.idle.store(idle, Ordering::Release);
    }

    fn idle(&self) -> bool {
        self.0.idle.load(Ordering::Acquire)
    }
}

/// A TCP listener whose connections carry a [`ConnectionControl`].
pub(crate) struct SimListener(pub(crate) TcpListener);

impl Listener for SimListener {
    type Io = SimStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // axum's own accept retries (with a pause) on errors such as too many open files.
        let (stream, address) = Listener::accept(&mut self.0).await;
        let _ = stream.set_nodelay(true);
        (
            SimStream {
                stream,
                control: ConnectionControl::default(),
            },
            address,
        )
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// Serves `router` on `listener` within `limits` until `stop` completes; then accepts
/// no more connections, lets each finish the request it is serving (idle ones close at
/// once, stalled ones within the header-read timeout) and returns when all are closed.
pub(crate) async fn serve(
    mut listener: SimListener,
    router: Router,
    limits: ConnectionLimits,
    stop: impl Future<Output = ()>,
) {
    let limits = limits.bounded();
    let places = Arc::new(Semaphore::new(limits.max_connections));
    let (stopping, _) = watch::channel(false);
    let (make_room, _) = watch::channel(0u64);
    tokio::pin!(stop);
    'accepting: loop {
        let stream = tokio::select! {
            (stream, _) = listener.accept() => stream,
            () = &mut stop => break,
        };
        let place = match Arc::clone(&places).try_acquire_owned() {
            Ok(place) => place,
            // At the cap: this connection waits for a place (those after it, in the
            // listen backlog), and idle connections are asked to give theirs up.
            Err(_) => loop {
                make_room.send_modify(|asked| *asked = asked.wrapping_add(1));
                tokio::select! {
                    place = Arc::clone(&places).acquire_owned() => match place {
                        Ok(place) => break place,
                        Err(_) => break 'accepting,
                    },
                    () = tokio::time::sleep(ASK_AGAIN) => {}
                    () = &mut stop => break 'accepting,
                }
            },
        };
        tokio::spawn(connection(
            stream,
            router.clone(),
            limits,
            place,
            stopping.subscribe(),
            make_room.subscribe(),
        ));
    }
    drop(listener);
    stopping.send_replace(true);
    // Every connection holds its place until it ends.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = places.acquire_many(all).await;
}

/// Serves one connection until it ends, then gives up its place.
async fn connection(
    stream: SimStream,
    router: Router,
    limits: ConnectionLimits,
    place: OwnedSemaphorePermit,
    mut stopping: watch::Receiver<bool>,
    mut make_room: watch::Receiver<u64>,
) {
    let control = stream.control.clone();
    let service = PerConnection {
        router: TowerToHyperService::new(router),
        control: control.clone(),
        body_timeout: limits.header_read_timeout,
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(HeadTimer {
            control: control.clone(),
            idle_timeout: limits.idle_timeout,
            header_read_timeout: limits.header_read_timeout,
            waits: AtomicU64::new(0),
        })
        .header_read_timeout(limits.header_read_timeout);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let mut closing = false;
    loop {
        tokio::select! {
            _ = connection.as_mut() => break,
            // The server stops: finish the request in progress, then close.
            _ = stopping.wait_for(|stop| *stop), if !closing => {
                connection.as_mut().graceful_shutdown();
                closing = true;
            }
            // A connection waits for a place: an idle one closes.
            asked = make_room.changed(), if !closing => {
                if asked.is_err() || control.idle() {
                    connection.as_mut().graceful_shutdown();
                    closing = true;
                }
            }
        }
    }
    drop(place);
}

/// The router, for one connection: each request carries the connection's
/// [`ConnectionControl`] (as axum's `ConnectInfo`) and a body read within the
/// header-read timeout.
struct PerConnection {
    router: TowerToHyperService<Router>,
    control: ConnectionControl,
    body_timeout: Duration,
}

impl hyper::service::Service<Request<Incoming>> for PerConnection {
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = TowerToHyperServiceFuture<Router, Request<Body>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let mut request = request.map(|body| {
            Body::new(TimedBody {
                body,
                timeout: self.body_timeout,
                deadline: None,
                control: self.control.clone(),
                failed: false,
            })
        });
        request
            .extensions_mut()
            .insert(ConnectInfo(self.control.clone()));
        self.router.call(request)
    }
}

/// A request body that must arrive within `timeout` of the handler's first read that
/// finds it incomplete; if it does not, the connection is closed (no answer).
struct TimedBody {
    body: Incoming,
    timeout: Duration,
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    control: ConnectionControl,
    failed: bool,
}

impl http_body::Body for TimedBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        if self.failed {
            return Poll::Ready(None);
        }
        if let Poll::Ready(frame) = Pin::new(&mut self.body).poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(io::Error::other)));
        }
        let timeout = self.timeout;
        let deadline = self
            .deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        ready!(deadline.as_mut().poll(cx));
        // The client stopped sending: give up on the connection.
        self.failed = true;
        self.control.close();
        Poll::Ready(Some(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the request body did not arrive within the header-read timeout",
        ))))
    }

    fn is_end_stream(&self) -> bool {
        self.failed || self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// hyper's HTTP/1 server asks its timer for a sleep only while it waits for a
/// request's head (its header-read timeout), with the deadline now + that timeout. The
/// first wait of a connection gets exactly that. A later one, on a connection kept
/// alive after an answer, is [`NextHead`]: the idle timeout until the first byte, then
/// the header-read timeout from that byte on.
struct HeadTimer {
    control: ConnectionControl,
    idle_timeout: Duration,
    header_read_timeout: Duration,
    /// Heads waited for so far.
    waits: AtomicU64,
}

impl Timer for HeadTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        TokioTimer::new().sleep(duration)
    }

    fn sleep_until(&self, deadline: std::time::Instant) -> Pin<Box<dyn Sleep>> {
        if self.waits.fetch_add(1, Ordering::Relaxed) == 0 {
            return TokioTimer::new().sleep_until(deadline);
        }
        self.control.set_idle(true);
        Box::pin(NextHead {
            control: self.control.clone(),
            read_at_start: self.control.bytes_read(),
            header_read_timeout: self.header_read_timeout,
            before_first_byte: true,
            sleep: Box::pin(tokio::time::sleep(self.idle_timeout)),
        })
    }
}

/// The wait for a kept-alive connection's next head: ends (hyper then closes the
/// connection) when no byte arrived within the idle timeout, or when the head did not
/// arrive within the header-read timeout of its first byte.
struct NextHead {
    control: ConnectionControl,
    read_at_start: u64,
    header_read_timeout: Duration,
    before_first_byte: bool,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl Future for NextHead {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // hyper polls this each time it read part of a head and needs more.
        if self.before_first_byte && self.control.bytes_read() != self.read_at_start {
            self.before_first_byte = false;
            self.control.set_idle(false);
            let deadline = tokio::time::Instant::now() + self.header_read_timeout;
            self.sleep.as_mut().reset(deadline);
        }
        self.sleep.as_mut().poll(cx)
    }
}

impl Sleep for NextHead {}

impl Drop for NextHead {
    fn drop(&mut self) {
        // The head arrived whole at once, or the connection ends.
        if self.before_first_byte {
            self.control.set_idle(false);
        }
    }
}

/// A TCP stream that can be switched off, and counts the bytes it reads.
pub(crate) struct SimStream {
    stream: TcpStream,
    control: ConnectionControl,
}

fn aborted() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "simulated fault: connection closed before the headers",
    )
}

impl AsyncRead for SimStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.control.closed() {
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        let read = ready!(Pin::new(&mut self.stream).poll_read(cx, buf));
        let count = buf.filled().len().saturating_sub(before);
        if count > 0 {
            self.control
                .0
                .read
                .fetch_add(count as u64, Ordering::AcqRel);
        }
        Poll::Ready(read)
    }
}

impl AsyncWrite for SimStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.control.closed() {
            return Poll::Ready(Err(aborted()));
        }
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.control.closed() {
            return Poll::Ready(Err(aborted()));
        }
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.control.closed() {
            return Poll::Ready(Err(aborted()));
        }
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// A body that yields its first part, pauses (so hyper flushes the headers and that
/// part), then fails, which makes hyper close the connection.
pub(crate) struct CutBody {
    part: Option<Bytes>,
    pause: Pin<Box<tokio::time::Sleep>>,
}

impl CutBody {
    /// Sends `part`, then breaks off.
    pub(crate) fn new(part: Bytes) -> Self {
        Self {
            part: Some(part).filter(|p| !p.is_empty()),
            pause: Box::pin(tokio::time::sleep(Duration::from_millis(50))),
        }
    }
}

impl http_body::Body for CutBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        if let Some(part) = self.part.take() {
            return Poll::Ready(Some(Ok(Frame::data(part))));
        }
        ready!(self.pause.as_mut().poll(cx));
        Poll::Ready(Some(Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "simulated fault: connection closed after the headers",
        ))))
    }

    fn is_end_stream(&self) -> bool {
        false
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

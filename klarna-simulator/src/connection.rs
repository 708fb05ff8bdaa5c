//! Connection-level faults. axum answers every request; to close a connection without
//! an answer, the listener hands out streams with a switch the request's middleware can
//! flip ([`ConnectionControl`], reached through axum's `ConnectInfo`): once flipped, the
//! stream refuses every write and reads as closed, so hyper gives up on the connection
//! and drops it before a byte of the answer is written. A body that stops part-way
//! ([`CutBody`]) cuts a connection after the headers.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use http_body::{Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// The switch that closes one connection.
#[derive(Clone, Debug, Default)]
pub(crate) struct ConnectionControl(Arc<AtomicBool>);

impl ConnectionControl {
    /// From now on the connection takes no more bytes and is dropped.
    pub(crate) fn close(&self) {
        self.0.store(true, Ordering::Release);
    }

    fn closed(&self) -> bool {
        self.0.load(Ordering::Acquire)
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

impl Connected<IncomingStream<'_, SimListener>> for ConnectionControl {
    fn connect_info(stream: IncomingStream<'_, SimListener>) -> Self {
        stream.io().control.clone()
    }
}

/// A TCP stream that can be switched off.
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
        Pin::new(&mut self.stream).poll_read(cx, buf)
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

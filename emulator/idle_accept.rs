//! A connection that completes the TLS handshake and then sends nothing must not be held
//! forever (issue 9, slowloris): hyper's `header_read_timeout` starts only once the first bytes
//! of a request arrive, so an attack pass held 108 silent connections open past a 2 s timeout and
//! the listener stopped answering. [`FirstRequestDeadline`] wraps every accepted stream so that a
//! read fails with `TimedOut` if no byte has arrived within the deadline; after the first byte,
//! hyper's own header-read and keep-alive timeouts take over.
//!
//! Owns: that deadline only. Depends on tokio and axum-server's `Accept`, nothing of amlite.
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Wraps an acceptor (here, TLS) so its streams carry a first-byte deadline.
#[derive(Clone, Debug)]
pub struct FirstRequestDeadline<A> {
    inner: A,
    timeout: Duration,
}

impl<A> FirstRequestDeadline<A> {
    /// `inner`'s streams must send their first byte within `timeout` of being accepted.
    pub fn new(inner: A, timeout: Duration) -> Self {
        FirstRequestDeadline { inner, timeout }
    }
}

impl<I, S, A> axum_server::accept::Accept<I, S> for FirstRequestDeadline<A>
where
    A: axum_server::accept::Accept<I, S>,
    A::Future: Send + 'static,
    A::Stream: Send + 'static,
    A::Service: Send + 'static,
{
    type Stream = Deadline<A::Stream>;
    type Service = A::Service;
    type Future = Pin<Box<dyn Future<Output = io::Result<(Self::Stream, Self::Service)>> + Send>>;

    fn accept(&self, stream: I, service: S) -> Self::Future {
        let accepted = self.inner.accept(stream, service);
        let timeout = self.timeout;
        Box::pin(async move {
            let (stream, service) = accepted.await?;
            Ok((Deadline::new(stream, timeout), service))
        })
    }
}

/// A stream whose reads fail with `TimedOut` until its first byte arrives, if that takes longer
/// than the deadline.
#[derive(Debug)]
pub struct Deadline<S> {
    inner: S,
    /// `None` once a byte was read.
    first_byte: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> Deadline<S> {
    fn new(inner: S, timeout: Duration) -> Self {
        Deadline {
            inner,
            first_byte: Some(Box::pin(tokio::time::sleep(timeout))),
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Deadline<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    self.first_byte = None;
                }
                Poll::Ready(r)
            }
            Poll::Pending => {
                let expired = self
                    .first_byte
                    .as_mut()
                    .is_some_and(|sleep| sleep.as_mut().poll(cx).is_ready());
                if expired {
                    Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "no request within the header read timeout",
                    )))
                } else {
                    Poll::Pending
                }
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Deadline<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

//! A connection that holds nothing in flight and moves no bytes must not be held forever
//! (issue 9, slowloris; HTTP/2 too). hyper's `header_read_timeout` bounds an HTTP/1.1 request
//! head and an idle HTTP/1.1 keep-alive, but it starts only at the first byte, and HTTP/2 has no
//! idle timeout at all: an attack pass held 108 silent connections past a 2 s timeout, and later
//! 111 idle HTTP/2 connections (preface and SETTINGS only) used up the file descriptors, with a
//! stalled reader of a large blob pinning its part in memory.
//!
//! [`IdleDeadline`] wraps every accepted stream and its service: a read fails with `TimedOut`
//! once the connection has read and written nothing for the deadline while no request of it is
//! being handled. A request in its handler (a slow model, a body being read, bounded by
//! `--idle-timeout` between chunks) keeps the connection; a response body still streaming keeps
//! it only while its bytes move.
//!
//! Owns: that deadline only. Depends on tokio, tower and axum-server's `Accept`, nothing of amlite.
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// Wraps an acceptor (here, TLS) so its connections close when idle for `timeout`.
#[derive(Clone, Debug)]
pub struct IdleDeadline<A> {
    inner: A,
    timeout: Duration,
}

impl<A> IdleDeadline<A> {
    /// `inner`'s connections are closed after `timeout` without bytes or requests in flight.
    pub fn new(inner: A, timeout: Duration) -> Self {
        IdleDeadline { inner, timeout }
    }
}

impl<I, S, A> axum_server::accept::Accept<I, S> for IdleDeadline<A>
where
    A: axum_server::accept::Accept<I, S>,
    A::Future: Send + 'static,
    A::Stream: Send + 'static,
    A::Service: Send + 'static,
{
    type Stream = Deadline<A::Stream>;
    type Service = Counted<A::Service>;
    type Future = Pin<Box<dyn Future<Output = io::Result<(Self::Stream, Self::Service)>> + Send>>;

    fn accept(&self, stream: I, service: S) -> Self::Future {
        let accepted = self.inner.accept(stream, service);
        let timeout = self.timeout;
        Box::pin(async move {
            let (stream, service) = accepted.await?;
            let in_flight = Arc::new(AtomicUsize::new(0));
            let counted = Counted {
                inner: service,
                in_flight: in_flight.clone(),
            };
            Ok((Deadline::new(stream, timeout, in_flight), counted))
        })
    }
}

/// A connection's service that counts its requests in their handlers.
#[derive(Clone, Debug)]
pub struct Counted<S> {
    inner: S,
    in_flight: Arc<AtomicUsize>,
}

/// One request in its handler; dropped when the handler ends (or is cancelled).
struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl<S, R> tower::Service<R> for Counted<S>
where
    S: tower::Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: R) -> Self::Future {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        let guard = InFlight(self.in_flight.clone());
        let handled = self.inner.call(req);
        Box::pin(async move {
            let out = handled.await;
            drop(guard);
            out
        })
    }
}

/// A stream whose reads fail with `TimedOut` once it has been idle for its deadline.
#[derive(Debug)]
pub struct Deadline<S> {
    inner: S,
    timeout: Duration,
    /// When a byte last moved (or the connection was accepted).
    last: Instant,
    sleep: Pin<Box<Sleep>>,
    in_flight: Arc<AtomicUsize>,
}

impl<S> Deadline<S> {
    fn new(inner: S, timeout: Duration, in_flight: Arc<AtomicUsize>) -> Self {
        Deadline {
            inner,
            timeout,
            last: Instant::now(),
            sleep: Box::pin(tokio::time::sleep(timeout)),
            in_flight,
        }
    }

    /// Called while a read is pending: `true` once the connection is idle past its deadline.
    /// The timer is re-armed lazily (bytes only note the time), so a busy connection costs one
    /// clock read per read or write.
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        loop {
            if self.sleep.as_mut().poll(cx).is_pending() {
                return false;
            }
            let now = Instant::now();
            let due = if self.in_flight.load(Ordering::Acquire) > 0 {
                now + self.timeout
            } else {
                self.last + self.timeout
            };
            if due <= now {
                return true;
            }
            self.sleep.as_mut().reset(due);
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
                    self.last = Instant::now();
                }
                Poll::Ready(r)
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "connection idle past the header read timeout",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Deadline<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.last = Instant::now();
        }
        r
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
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.last = Instant::now();
        }
        r
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
#[path = "idle_accept_tests.rs"]
mod tests;

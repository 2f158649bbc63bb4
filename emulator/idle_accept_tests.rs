//! The idle deadline on a stream (an in-memory pipe, a short real deadline): closed when idle,
//! kept while a request is in its handler or bytes move. Real time rather than tokio's paused
//! clock: its `test-util` feature, enabled for tests only, made every plain build after the test
//! build recompile tokio and all that depends on it (≈ 1 min of CI).
#![allow(clippy::unwrap_used)]
use super::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const T: Duration = Duration::from_millis(150);
/// Slack for a loaded machine: a close must come within this of its deadline.
const SLACK: Duration = Duration::from_secs(2);

type Pipe = Deadline<tokio::io::DuplexStream>;

fn stream() -> (Pipe, tokio::io::DuplexStream, Arc<AtomicUsize>) {
    let (ours, theirs) = tokio::io::duplex(64);
    let in_flight = Arc::new(AtomicUsize::new(0));
    (Deadline::new(ours, T, in_flight.clone()), theirs, in_flight)
}

/// Reads until the stream fails; the time that took and the error's kind.
async fn time_to_close(s: &mut Pipe) -> (Duration, io::ErrorKind) {
    let start = std::time::Instant::now();
    let mut b = [0u8; 8];
    loop {
        match s.read(&mut b).await {
            Ok(0) => panic!("end of stream instead of a timeout"),
            Ok(_) => {}
            Err(e) => return (start.elapsed(), e.kind()),
        }
    }
}

/// An idle connection (an HTTP/2 client that sent its preface, then nothing) is closed at the
/// deadline, not kept forever.
#[tokio::test]
async fn an_idle_connection_is_closed_at_the_deadline() {
    let (mut s, _peer, _) = stream();
    let (took, kind) = time_to_close(&mut s).await;
    assert_eq!(kind, io::ErrorKind::TimedOut);
    assert!(took >= T && took < T + SLACK, "{took:?}");
}

/// A request in its handler (a slow model) keeps a silent connection; once it ends, the
/// connection closes a deadline after its last byte.
#[tokio::test]
async fn a_request_in_its_handler_keeps_the_connection() {
    let (mut s, _peer, in_flight) = stream();
    in_flight.store(1, Ordering::Release);
    let kept = tokio::time::timeout(T * 4, time_to_close(&mut s)).await;
    assert!(kept.is_err(), "closed while a request was in its handler");
    in_flight.store(0, Ordering::Release);
    s.write_all(b"answer").await.unwrap();
    let (took, kind) = time_to_close(&mut s).await;
    assert_eq!(kind, io::ErrorKind::TimedOut);
    assert!(took < T + SLACK, "{took:?}");
}

/// Bytes read keep the connection: it outlives several deadlines while the peer writes, and
/// closes one deadline after the last byte.
#[tokio::test]
async fn bytes_read_move_the_deadline() {
    let (mut s, mut peer, _) = stream();
    tokio::spawn(async move {
        for _ in 0..6 {
            tokio::time::sleep(T / 2).await;
            let _ = peer.write_all(b"x").await;
        }
        tokio::time::sleep(T * 100).await;
    });
    let (took, kind) = time_to_close(&mut s).await;
    assert_eq!(kind, io::ErrorKind::TimedOut);
    assert!(took >= T * 3 + T, "closed while bytes moved: {took:?}");
}

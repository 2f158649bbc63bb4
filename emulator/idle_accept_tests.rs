//! The idle deadline on a stream (tokio's paused clock, an in-memory pipe): closed when idle,
//! kept while a request is in its handler or bytes move.
#![allow(clippy::unwrap_used)]
use super::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const T: Duration = Duration::from_secs(30);

fn stream() -> (
    Deadline<tokio::io::DuplexStream>,
    tokio::io::DuplexStream,
    Arc<AtomicUsize>,
) {
    let (ours, theirs) = tokio::io::duplex(64);
    let in_flight = Arc::new(AtomicUsize::new(0));
    (Deadline::new(ours, T, in_flight.clone()), theirs, in_flight)
}

async fn read_result(s: &mut Deadline<tokio::io::DuplexStream>) -> io::Result<usize> {
    let mut b = [0u8; 8];
    s.read(&mut b).await
}

/// An idle connection (an HTTP/2 client that sent its preface, then nothing) is closed at the
/// deadline, not kept forever.
#[tokio::test(start_paused = true)]
async fn an_idle_connection_is_closed_at_the_deadline() {
    let (mut s, _peer, _) = stream();
    let start = Instant::now();
    let e = read_result(&mut s).await.unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    assert_eq!(start.elapsed(), T);
}

/// A request in its handler (a slow model) keeps a silent connection; once it ends, the
/// connection closes a deadline after its last byte.
#[tokio::test(start_paused = true)]
async fn a_request_in_its_handler_keeps_the_connection() {
    let (mut s, _peer, in_flight) = stream();
    in_flight.store(1, Ordering::Release);
    let kept = tokio::time::timeout(T * 5, read_result(&mut s)).await;
    assert!(kept.is_err(), "closed while a request was in its handler");
    in_flight.store(0, Ordering::Release);
    s.write_all(b"answer").await.unwrap();
    let written = Instant::now();
    let e = read_result(&mut s).await.unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    assert_eq!(written.elapsed(), T);
}

/// Bytes read keep the connection: the deadline counts from the last of them.
#[tokio::test(start_paused = true)]
async fn bytes_read_move_the_deadline() {
    let (mut s, mut peer, _) = stream();
    tokio::spawn(async move {
        for _ in 0..3 {
            tokio::time::sleep(T / 2).await;
            peer.write_all(b"x").await.unwrap();
        }
        tokio::time::sleep(T * 10).await;
        drop(peer);
    });
    let start = Instant::now();
    for _ in 0..3 {
        assert_eq!(read_result(&mut s).await.unwrap(), 1);
    }
    let e = read_result(&mut s).await.unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    assert_eq!(start.elapsed(), T / 2 * 3 + T);
}

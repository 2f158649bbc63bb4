//! The control plane's write gate. An ARM write reads documents, applies the request and the
//! rules to them, and stores the result. SQLite's single writer orders the commits, not the
//! reads before them: two writes to one document (or to documents a rule reads together: CP-1's
//! endpoint names across workspaces, CP-2's traffic and the deployments it names, a workspace
//! and its outbound rules) could both read the old state, and the later commit then silently
//! undid the earlier, acknowledged one (a rotated key that still scored, an endpoint made
//! public again). So every control-plane write runs holding this gate: an ARM request other than
//! GET/HEAD (`dispatch`), the completion of due operations (`lro::settle`), a python runtime's
//! outcome, the admin reset. Reads never take it; Blob Storage and scoring do not either (Blob
//! writes check their conditions inside their own transaction).
//!
//! Re-entrant within a task (a write that settles operations, such as a monitor poll, does not
//! wait for itself). Lock order: this gate before `Lro::settle_lock`.
use std::future::Future;

tokio::task_local! {
    static HELD: ();
}

/// See the module documentation.
#[derive(Default)]
pub struct WriteGate {
    lock: tokio::sync::Mutex<()>,
}

impl WriteGate {
    /// Runs `write` holding the gate (at once when this task already holds it).
    pub async fn run<F: Future>(&self, write: F) -> F::Output {
        if HELD.try_with(|_| ()).is_ok() {
            return write.await;
        }
        let _held = self.lock.lock().await;
        HELD.scope((), write).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_task_holding_the_gate_enters_it_again() {
        let gate = WriteGate::default();
        let inner = gate.run(async { gate.run(async { 7 }).await }).await;
        assert_eq!(inner, 7);
    }

    #[tokio::test]
    async fn writes_run_one_at_a_time() {
        let gate = std::sync::Arc::new(WriteGate::default());
        let inside = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (gate, inside) = (gate.clone(), inside.clone());
                tokio::spawn(async move {
                    gate.run(async {
                        let was = inside.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        inside.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                        was
                    })
                    .await
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.ok(), Some(0));
        }
    }
}

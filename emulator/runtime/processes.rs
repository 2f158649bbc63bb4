//! Inference server processes die with amlite (issue 9): they are forked from one long-lived
//! thread with a parent-death signal ([`Spawner`], [`super::sandbox::restrict_child`]), and each
//! process group is recorded in `<data-dir>/runtimes/pids/<pgid>` until it is stopped, so a
//! restart after a `kill -9` kills what a previous run left behind ([`PidRecords::reap`]).
//!
//! Why a dedicated thread: Linux sends `PR_SET_PDEATHSIG` when the *thread* that forked the
//! child ends, not the process. Tokio may retire threads (blocking pool, `block_in_place`), so
//! children are forked by the `amlite-spawner` thread, which lives as long as the [`Spawner`]
//! (the server's [`super::Runtimes`]). The thread enters the tokio runtime so the children are
//! ordinary `tokio::process::Child`ren (async pipes, kill on drop, reaping).
//!
//! Why the environment is checked before a kill: a recorded pid may have been reused by an
//! unrelated process. Only processes whose environment carries [`OWNER_ENV`]`=<this data
//! folder>` are killed, in the recorded groups or not (code may `setsid` out of its group).
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Mutex};

use tokio::process::{Child, Command};
use tokio::sync::oneshot;

use super::sandbox::SandboxMode;

/// Environment variable every inference server gets: the canonical data folder of the amlite
/// that started it (how a restart recognises its own leftovers).
pub const OWNER_ENV: &str = "AMLITE_RUNTIME_OWNER";

type Job = (Command, oneshot::Sender<io::Result<Child>>);

/// Forks children from one long-lived thread (see the module doc). Started at first use.
#[derive(Debug, Default)]
pub struct Spawner {
    tx: Mutex<Option<mpsc::Sender<Job>>>,
}

impl Spawner {
    /// Spawns `cmd` on the spawner thread. Must run inside a tokio runtime.
    pub async fn spawn(&self, cmd: Command) -> io::Result<Child> {
        let tx = self.sender()?;
        let (reply, answer) = oneshot::channel();
        tx.send((cmd, reply))
            .map_err(|_| io::Error::other("the amlite-spawner thread has stopped"))?;
        answer
            .await
            .map_err(|_| io::Error::other("the amlite-spawner thread has stopped"))?
    }

    fn sender(&self) -> io::Result<mpsc::Sender<Job>> {
        let mut guard = self
            .tx
            .lock()
            .map_err(|_| io::Error::other("spawner lock poisoned"))?;
        if let Some(tx) = guard.as_ref() {
            return Ok(tx.clone());
        }
        let handle = tokio::runtime::Handle::try_current().map_err(io::Error::other)?;
        let (tx, rx) = mpsc::channel::<Job>();
        // Ends when the Spawner (and so every sender) is dropped: amlite is stopping.
        std::thread::Builder::new()
            .name("amlite-spawner".into())
            .spawn(move || {
                let _runtime = handle.enter();
                while let Ok((mut cmd, reply)) = rx.recv() {
                    let _ = reply.send(cmd.spawn());
                }
            })?;
        *guard = Some(tx.clone());
        Ok(tx)
    }
}

/// What the python runtime needs from the server to start processes.
#[derive(Debug)]
pub struct ProcessHost {
    /// Forks the children.
    pub spawner: Spawner,
    /// Records their groups.
    pub records: PidRecords,
    /// Whether they are network-restricted.
    pub sandbox: SandboxMode,
}

/// The process groups of running inference servers, one file each under
/// `<data-dir>/runtimes/pids/`.
#[derive(Debug, Clone)]
pub struct PidRecords {
    dir: PathBuf,
    owner: String,
}

impl PidRecords {
    /// Records for the data folder `data_dir` (canonical: it is also the owner marker).
    pub fn new(data_dir: &Path) -> PidRecords {
        PidRecords {
            dir: data_dir.join("runtimes").join("pids"),
            owner: data_dir.display().to_string(),
        }
    }

    /// The `(name, value)` of the owner marker to put in each child's environment.
    pub fn owner_env(&self) -> (&'static str, &str) {
        (OWNER_ENV, &self.owner)
    }

    /// Records process group `pgid` (of deployment `what`); returns the record to
    /// [`PidRecords::forget`] when the group is stopped. A write failure is logged: the
    /// parent-death signal still covers the process.
    pub fn record(&self, pgid: u32, what: &str) -> Option<PathBuf> {
        let path = self.dir.join(pgid.to_string());
        let written = std::fs::create_dir_all(&self.dir).and_then(|()| std::fs::write(&path, what));
        match written {
            Ok(()) => Some(path),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot record an inference server process");
                None
            }
        }
    }

    /// Removes a record made by [`PidRecords::record`].
    pub fn forget(path: &Path) {
        let _ = std::fs::remove_file(path);
    }

    /// Kills every process a previous run left behind and removes the records. Returns the pids
    /// killed.
    ///
    /// Only a data folder that ever ran a python deployment has a records folder, and only then is
    /// `/proc` scanned. A leftover is a process whose environment carries this data folder's owner
    /// marker: the data-folder lock means no live amlite owns it, and a reused pid never carries
    /// it. The marker is matched rather than the recorded group alone because code can leave its
    /// group (`setsid`); an attack pass showed such a child outliving a restart.
    pub fn reap(&self) -> Vec<u32> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        for e in entries.flatten() {
            let _ = std::fs::remove_file(e.path());
        }
        let marker = format!("{OWNER_ENV}={}", self.owner);
        let me = std::process::id();
        let mut killed = Vec::new();
        for pid in all_pids() {
            if pid != me && has_env(pid, &marker) {
                if let Ok(p) = libc::pid_t::try_from(pid) {
                    // SAFETY: kill only sends a signal, to a process verified above as ours.
                    if unsafe { libc::kill(p, libc::SIGKILL) } == 0 {
                        killed.push(pid);
                    }
                }
            }
        }
        killed
    }
}

fn all_pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
                .collect()
        })
        .unwrap_or_default()
}

/// Does `/proc/PID/environ` hold exactly the entry `entry`?
fn has_env(pid: u32, entry: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/environ"))
        .map(|env| env.split(|b| *b == 0).any(|e| e == entry.as_bytes()))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_environment_is_read_from_proc() {
        let me = std::process::id();
        assert!(!has_env(me, "AMLITE_NO_SUCH_VARIABLE=x"));
    }
}

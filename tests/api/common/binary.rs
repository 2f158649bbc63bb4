//! The real `amlite` binary as a child process, for tests that measure the server alone (its
//! memory from `/proc/PID/status`) or need process limits (`ulimit`). Killed when dropped.
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `amlite serve` child.
pub struct Binary {
    pub child: Child,
    /// `https://127.0.0.1:PORT`.
    pub base: String,
    /// HTTPS client trusting the server certificate.
    pub client: reqwest::Client,
}

impl Binary {
    /// `amlite serve --port 0 --data-dir DIR ARGS…`.
    pub fn command(dir: &std::path::Path, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_amlite"));
        c.args(["serve", "--port", "0", "--data-dir"])
            .arg(dir)
            .args(args);
        c
    }

    /// Starts `cmd` (an `amlite serve` writing its exports to stdout, in `dir`) and waits up to
    /// 60 s for it to print `AMLITE_URL`.
    pub async fn spawn(mut cmd: Command, dir: &std::path::Path) -> Binary {
        cmd.stderr(Stdio::null());
        Self::spawn_keeping_stderr(cmd, dir).await
    }

    /// [`Binary::spawn`] with the stderr `cmd` was given (e.g. a log file).
    pub async fn spawn_keeping_stderr(mut cmd: Command, dir: &std::path::Path) -> Binary {
        let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let base = tokio::task::spawn_blocking(move || {
            use std::io::BufRead;
            std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .find_map(|l| {
                    l.strip_prefix("export AMLITE_URL='")
                        .map(|u| u.trim_end_matches('\'').to_string())
                })
        });
        let base = tokio::time::timeout(Duration::from_secs(60), base)
            .await
            .expect("amlite started")
            .unwrap()
            .expect("AMLITE_URL printed");
        let cert = std::fs::read(dir.join("cert.pem")).unwrap();
        let client = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&cert).unwrap())
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        Binary {
            child,
            base,
            client,
        }
    }

    /// Resets the child's peak RSS (`VmHWM`) to its current RSS (`/proc/PID/clear_refs`,
    /// Linux 4.0+), so a peak measures one step.
    pub fn reset_peak_rss(&self) {
        std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5").unwrap();
    }

    /// A `kB` field of the child's `/proc/PID/status` (`VmRSS`, `VmHWM` the peak RSS).
    pub fn status_kib(&self, field: &str) -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        s.lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .expect("a /proc/PID/status field")
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

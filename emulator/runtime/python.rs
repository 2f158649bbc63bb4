//! The `python` runtime (SPEC §7): runs the deployment's own `score.py` (`init()`/`run()`) with
//! Azure's inference server package (`azureml-inference-server-http`) from the interpreter given
//! by `--python`, one process per instance (at most [`MAX_PROCESSES`]), `AZUREML_MODEL_DIR`
//! pointing at the model files. Processes listen on loopback only, are killed when the
//! deployment goes away or amlite dies ([`super::processes`]), may connect only to their egress
//! proxy where the kernel allows it ([`super::sandbox`], ISO-10), and their stdout/stderr is what
//! `getLogs` returns.
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

use super::errors::{LaunchError, SpawnError};
use super::processes::{PidRecords, ProcessHost};
use super::sandbox::{self, SandboxMode};
use super::{ModelRequest, ModelResponse};

/// Instances beyond this share processes: a laptop should not start 50 Python servers.
pub const MAX_PROCESSES: u32 = 4;

/// The inference server pins its bind address to 0.0.0.0; amlite serves on loopback only, so it
/// starts the package's own entry point with the host replaced. The parent-death signal amlite
/// gives the server (`sandbox::restrict_child`) is not inherited by forks, so every process the
/// server forks (gunicorn workers) asks for its own: it dies when its parent dies, and so the
/// whole tree dies with amlite (issue 9). gunicorn 25.1+ opens a control socket, by default
/// `$HOME/.gunicorn/gunicorn.ctl` for every server of the user; each server gets its own in
/// its deployment's `run/` folder (`AMLITE_CONTROL_SOCKET`, issue 12), or none when that path
/// is too long for a Unix socket name.
const LAUNCHER: &str = r#"import ctypes, os, signal, sys
_p = [0]
def _before():
    _p[0] = os.getpid()
def _child():
    ctypes.CDLL(None).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != _p[0]:
        os._exit(1)
os.register_at_fork(before=_before, after_in_child=_child)
_ctl = os.environ.pop('AMLITE_CONTROL_SOCKET', '')
try:
    import gunicorn.config as _gc
    if hasattr(_gc, 'ControlSocket'):
        if _ctl and len(_ctl.encode()) < 104:
            _gc.ControlSocket.default = _ctl
        else:
            _gc.ControlSocketDisable.default = True
            print('amlite: gunicorn control socket disabled: its path would exceed a Unix socket name', file=sys.stderr)
except ImportError:
    pass
import azureml_inference_server_http.amlserver as s
s.DEFAULT_HOST = '127.0.0.1'
sys.argv = ['azmlinfsrv'] + sys.argv[1:]
s.run()
"#;

/// What to start.
#[derive(Debug, Clone)]
pub struct LaunchSpec {
    /// Interpreter with `azureml-inference-server-http` installed.
    pub python: PathBuf,
    /// Entry script (absolute).
    pub entry_script: PathBuf,
    /// `AZUREML_MODEL_DIR`.
    pub model_dir: PathBuf,
    /// The deployment's `environmentVariables`.
    pub env: BTreeMap<String, String>,
    /// Instance count (processes = min(count, MAX_PROCESSES)).
    pub instances: u32,
    /// How long readiness may take.
    pub timeout: Duration,
    /// The deployment's egress proxy port: the only TCP port its processes may connect to.
    pub egress_port: u16,
    /// Deployment id (names the process records).
    pub deployment: String,
    /// The deployment's folder for the servers' control sockets.
    pub run_dir: PathBuf,
}

/// A running python deployment.
#[derive(Debug)]
pub struct PythonDeployment {
    ports: Vec<u16>,
    children: Vec<Child>,
    /// Process records ([`PidRecords`]) removed once the groups are killed.
    records: Vec<PathBuf>,
    next: AtomicUsize,
}

impl Drop for PythonDeployment {
    /// Kills each server's whole process group (the gunicorn master and its workers); dropping
    /// the `Child` alone would kill only the master and leave workers serving.
    fn drop(&mut self) {
        for child in &self.children {
            #[cfg(unix)]
            if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
                // SAFETY: killpg only sends a signal; the group id is our own child's pid, made
                // a group leader by `process_group(0)` at spawn.
                unsafe {
                    libc::killpg(pid, libc::SIGKILL);
                }
            }
        }
        for r in &self.records {
            PidRecords::forget(r);
        }
    }
}

fn free_port() -> Result<u16, LaunchError> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(LaunchError::Port)?;
    l.local_addr().map(|a| a.port()).map_err(LaunchError::Port)
}

async fn spawn_one(
    host: &ProcessHost,
    spec: &LaunchSpec,
    port: u16,
    log: Arc<dyn Fn(String) + Send + Sync>,
) -> Result<Child, LaunchError> {
    let mut cmd = Command::new(&spec.python);
    cmd.arg("-c")
        .arg(LAUNCHER)
        .arg("--entry_script")
        .arg(&spec.entry_script)
        .arg("--model_dir")
        .arg(&spec.model_dir);
    cmd.arg("--port").arg(port.to_string());
    let (owner_key, owner) = host.records.owner_env();
    cmd.envs(&spec.env)
        .env("AZUREML_MODEL_DIR", &spec.model_dir)
        .env("PYTHONUNBUFFERED", "1")
        .env(
            "AMLITE_CONTROL_SOCKET",
            spec.run_dir.join(format!("{port}.ctl")),
        )
        .env(owner_key, owner);
    if let Some(dir) = spec.entry_script.parent() {
        cmd.current_dir(dir);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // Its own process group: gunicorn forks workers, and stopping the deployment must stop them
    // too (see `Drop for PythonDeployment`).
    #[cfg(unix)]
    cmd.process_group(0);
    // ISO-10: connect only to its own egress proxy, bind only its own port. The ruleset is
    // built here, before the fork, and must stay open until the spawn returned.
    let ruleset = match &host.sandbox {
        SandboxMode::Enforced => Some(sandbox::restriction(&[spec.egress_port], &[port])?),
        SandboxMode::Off(_) => None,
    };
    sandbox::restrict_child(&mut cmd, ruleset.as_ref());
    let mut child = host.spawner.spawn(cmd).await.map_err(|source| SpawnError {
        program: spec.python.clone(),
        source,
    })?;
    drop(ruleset);
    for stream in [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let log = log.clone();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stream);
            while let Some(line) = next_output_line(&mut reader).await {
                log(line);
            }
        });
    }
    Ok(child)
}

/// Longest line kept whole from a deployment's output; a longer one is logged in pieces (the
/// reader must not grow without bound on output that never ends a line).
const MAX_OUTPUT_LINE: u64 = 64 * 1024;

/// The next line a scoring script wrote, without its line end; bytes that are not UTF-8 are
/// replaced, not an end of the capture (one `\xff` used to stop every later line reaching
/// `getLogs`, and the script's next writes failed with a broken pipe). `None` at end of output.
async fn next_output_line<R: tokio::io::AsyncBufRead + Unpin>(reader: &mut R) -> Option<String> {
    let mut buf = Vec::new();
    match (&mut *reader)
        .take(MAX_OUTPUT_LINE)
        .read_until(b'\n', &mut buf)
        .await
    {
        Ok(0) | Err(_) => None,
        Ok(_) => {
            while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                buf.pop();
            }
            Some(String::from_utf8_lossy(&buf).into_owned())
        }
    }
}

async fn wait_ready(
    client: &reqwest::Client,
    child: &mut Child,
    port: u16,
    deadline: Instant,
) -> Result<(), LaunchError> {
    let url = format!("http://127.0.0.1:{port}/");
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(LaunchError::Exited(status));
        }
        if let Ok(r) = client
            .get(&url)
            .timeout(Duration::from_secs(2))
            .send()
            .await
        {
            if r.status().is_success() {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            return Err(LaunchError::NotLive);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Starts the processes and waits until each answers `GET /` (the server's liveness route).
/// On failure the processes already started are stopped (dropped).
pub async fn launch(
    client: &reqwest::Client,
    host: &ProcessHost,
    spec: &LaunchSpec,
    log: Arc<dyn Fn(String) + Send + Sync>,
) -> Result<PythonDeployment, LaunchError> {
    let deadline = Instant::now() + spec.timeout;
    if let Some(warning) = host.sandbox.warning() {
        log(warning);
    }
    let mut running = PythonDeployment {
        ports: Vec::new(),
        children: Vec::new(),
        records: Vec::new(),
        next: AtomicUsize::new(0),
    };
    for _ in 0..spec.instances.clamp(1, MAX_PROCESSES) {
        let port = free_port()?;
        let child = spawn_one(host, spec, port, log.clone()).await?;
        if let Some(pid) = child.id() {
            running
                .records
                .extend(host.records.record(pid, &spec.deployment));
        }
        running.children.push(child);
        if let Some(child) = running.children.last_mut() {
            wait_ready(client, child, port, deadline).await?;
        }
        running.ports.push(port);
    }
    Ok(running)
}

impl PythonDeployment {
    /// The loopback ports of its inference server processes.
    pub fn ports(&self) -> &[u16] {
        &self.ports
    }

    /// Sends a request to the next process (round robin), as the front end received it.
    pub async fn invoke(&self, client: &reqwest::Client, req: &ModelRequest) -> ModelResponse {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.ports.len().max(1);
        let Some(port) = self.ports.get(i) else {
            return ModelResponse::new(
                503,
                bytes::Bytes::from_static(b"{\"error\":\"no process\"}"),
            );
        };
        let r = client
            .request(
                req.method.clone(),
                format!("http://127.0.0.1:{port}{}", req.path_and_query),
            )
            .headers(req.headers.clone())
            .body(req.body.clone())
            .send()
            .await;
        match r {
            Ok(resp) => match read_capped(resp, MAX_MODEL_RESPONSE).await {
                Ok(answer) => answer,
                Err(message) => ModelResponse::new(
                    502,
                    bytes::Bytes::from(serde_json::json!({ "error": message }).to_string()),
                ),
            },
            Err(e) => ModelResponse::new(
                502,
                bytes::Bytes::from(format!(
                    "{{\"error\":\"inference server unreachable: {e}\"}}"
                )),
            ),
        }
    }
}

/// The largest answer amlite takes from a python model: the answer is held whole (the request
/// timeout covers it, and the scoring log names its status), so a model streaming without end
/// must not grow amlite's memory without bound (a 512 MiB answer took 1 GB).
pub const MAX_MODEL_RESPONSE: usize = 64 * 1024 * 1024;

/// The model's answer, read piece by piece up to `cap` bytes; past it, the reason (the model's
/// status is then 502 to the caller: 424 with `ms-azureml-model-error-statuscode: 502`).
async fn read_capped(mut resp: reqwest::Response, cap: usize) -> Result<ModelResponse, String> {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let mut body = bytes::BytesMut::new();
    loop {
        match resp.chunk().await {
            Ok(Some(piece)) if body.len() + piece.len() > cap => {
                return Err(format!(
                    "the model's response is larger than amlite's limit of {cap} bytes"
                ));
            }
            Ok(Some(piece)) => body.extend_from_slice(&piece),
            Ok(None) => break,
            Err(e) => return Err(format!("the model's response was cut short: {e}")),
        }
    }
    Ok(ModelResponse {
        status,
        headers,
        body: body.freeze(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// One HTTP/1.1 answer with `body` on a loopback port; returns its URL.
    async fn answering(body: &'static [u8]) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = sock.read(&mut buf).await;
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
            let _ = sock.write_all(head.as_bytes()).await;
            let _ = sock.write_all(body).await;
        });
        format!("http://{addr}/score")
    }

    /// An answer past the cap is refused (it was read whole, however large).
    #[tokio::test]
    async fn a_model_answer_past_the_cap_is_refused() {
        let client = reqwest::Client::new();
        let small = client
            .get(answering(b"0123456789").await)
            .send()
            .await
            .unwrap();
        let ok = read_capped(small, 10).await.unwrap();
        assert_eq!((ok.status, &ok.body[..]), (200, &b"0123456789"[..]));
        let large = client
            .get(answering(b"0123456789A").await)
            .send()
            .await
            .unwrap();
        let refused = read_capped(large, 10).await.err().unwrap();
        assert!(
            refused.contains("larger than amlite's limit of 10 bytes"),
            "{refused}"
        );
    }

    /// A line that is not UTF-8 is kept (replaced bytes) and the lines after it still come.
    #[tokio::test]
    async fn output_lines_survive_bytes_that_are_not_utf8() {
        let mut out: &[u8] = b"before\n\xff\xfe bad\r\nafter\nno end";
        let mut lines = Vec::new();
        while let Some(l) = next_output_line(&mut out).await {
            lines.push(l);
        }
        assert_eq!(lines, ["before", "\u{fffd}\u{fffd} bad", "after", "no end"]);
    }

    /// A line longer than the cap comes in pieces, none longer than the cap.
    #[tokio::test]
    async fn an_endless_line_is_read_in_bounded_pieces() {
        let long = vec![b'x'; MAX_OUTPUT_LINE as usize * 2 + 10];
        let mut out: &[u8] = &long;
        let mut sizes = Vec::new();
        while let Some(l) = next_output_line(&mut out).await {
            sizes.push(l.len());
        }
        let cap = MAX_OUTPUT_LINE as usize;
        assert_eq!(sizes, [cap, cap, 10]);
    }
}

//! Deployment runtimes (SPEC §7). `mock` (built in, the default) answers `/score` with a
//! deterministic echo `{"deployment": d, "input": <body>}` and can be made slow or failing with
//! the deployment's environment variables `AMLITE_MOCK_DELAY_MS` and `AMLITE_MOCK_STATUS`.
//! The mock keeps no process, so a deployment stored `Succeeded` is routable right after a
//! restart. `python` ([`python`]) runs the user's `score.py` in Azure's inference server, in
//! processes that die with amlite ([`processes`]) and may connect only to their egress proxy
//! ([`sandbox`]), in an environment built from the deployment's conda file ([`envs`]). What
//! can go wrong on the way is named in [`errors`].
pub mod conda;
pub mod envs;
pub mod errors;
pub mod materialize;
pub mod mlflow;
pub mod processes;
pub mod python;
pub mod sandbox;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;

use crate::domain::OnlineDeployment;

/// How many request log lines each deployment keeps for `getLogs`.
const LOG_LINES: usize = 200;

/// What the scoring front end asks a runtime (issue 12: the caller's request, passed through).
#[derive(Debug, Clone)]
pub struct ModelRequest {
    /// The caller's method.
    pub method: http::Method,
    /// `/score…` or `/swagger.json`, with the caller's query.
    pub path_and_query: String,
    /// The caller's end-to-end headers plus the front end's request id.
    pub headers: http::HeaderMap,
    /// Body, unchanged.
    pub body: Bytes,
}

/// What a runtime answered.
#[derive(Debug, Clone)]
pub struct ModelResponse {
    /// HTTP status of the model.
    pub status: u16,
    /// Headers the model set (the mock sets none).
    pub headers: http::HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl ModelResponse {
    /// An answer without headers.
    pub fn new(status: u16, body: Bytes) -> Self {
        ModelResponse {
            status,
            headers: http::HeaderMap::new(),
            body,
        }
    }
}

/// The runtime settings of one deployment, as routed by scoring.
#[derive(Debug, Clone)]
pub struct MockSettings {
    /// Artificial latency.
    pub delay: Duration,
    /// Status to answer (200 = echo).
    pub status: u16,
}

impl MockSettings {
    /// Reads `AMLITE_MOCK_DELAY_MS` / `AMLITE_MOCK_STATUS` from the deployment's variables.
    pub fn of(d: &OnlineDeployment) -> Self {
        let get = |k: &str| {
            d.environment_variables
                .get(k)
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        MockSettings {
            delay: Duration::from_millis(get("AMLITE_MOCK_DELAY_MS").unwrap_or(0).min(600_000)),
            status: get("AMLITE_MOCK_STATUS")
                .and_then(|s| u16::try_from(s).ok())
                .filter(|s| (100..=599).contains(s))
                .unwrap_or(200),
        }
    }
}

/// Which runtime serves a deployment: the deployment's environment variable `AMLITE_RUNTIME`
/// (`mock` or `python`), else the server's `--default-runtime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeKind {
    /// Built-in echo.
    Mock,
    /// The user's `score.py` in `azureml-inference-server-http`.
    Python,
}

impl RuntimeKind {
    /// The runtime of deployment `d` given the server default.
    pub fn of(d: &OnlineDeployment, default: RuntimeKind) -> Self {
        match d
            .environment_variables
            .get("AMLITE_RUNTIME")
            .map(|v| v.trim().to_ascii_lowercase())
        {
            Some(v) if v == "python" => RuntimeKind::Python,
            Some(v) if v == "mock" => RuntimeKind::Mock,
            _ => default,
        }
    }
}

type Logs = Arc<Mutex<HashMap<String, VecDeque<String>>>>;

/// Registry of running deployments and their recent logs.
#[derive(Debug)]
pub struct Runtimes {
    logs: Logs,
    python: Mutex<HashMap<String, Arc<python::PythonDeployment>>>,
    /// Egress proxies of running python deployments (SPEC 6.4), dropped (stopped) with them.
    egress: Mutex<HashMap<String, crate::egress::Proxy>>,
    client: reqwest::Client,
    host: processes::ProcessHost,
}

impl Runtimes {
    /// The runtimes of the server whose (canonical) data folder is `data_dir`; python
    /// processes run under `sandbox`.
    pub fn new(data_dir: &std::path::Path, sandbox: sandbox::SandboxMode) -> Self {
        Runtimes {
            logs: Logs::default(),
            python: Mutex::default(),
            egress: Mutex::default(),
            client: reqwest::Client::default(),
            host: processes::ProcessHost {
                spawner: processes::Spawner::default(),
                records: processes::PidRecords::new(data_dir),
                sandbox,
            },
        }
    }

    /// Whether python processes are network-restricted (ISO-10).
    pub fn sandbox(&self) -> &sandbox::SandboxMode {
        &self.host.sandbox
    }

    /// Kills the inference servers a previous run of this data folder left running (after a
    /// `kill -9`); returns their pids. Call before starting any.
    pub fn reap_leftovers(&self) -> Vec<u32> {
        self.host.records.reap()
    }

    /// Starts (or restarts) the runtime of a deployment. The mock cannot fail to start.
    pub fn start(&self, id: &str, d: &OnlineDeployment) {
        let line = format!(
            "mock runtime started for {} (scoring script {})",
            id.rsplit('/').next().unwrap_or(id),
            d.scoring_script.as_deref().unwrap_or("none")
        );
        self.log(id, line);
    }

    /// Starts the python processes of deployment `id` and waits for readiness; replaces (and so
    /// stops) any previous ones.
    pub async fn start_python(
        &self,
        id: &str,
        spec: &python::LaunchSpec,
    ) -> Result<(), errors::LaunchError> {
        let key = id.to_ascii_lowercase();
        if let Ok(mut m) = self.python.lock() {
            m.remove(&key);
        }
        let logs = self.logs.clone();
        let log_key = key.clone();
        let log = Arc::new(move |line: String| push_log(&logs, &log_key, line));
        let running = python::launch(&self.client, &self.host, spec, log).await?;
        if let Ok(mut m) = self.python.lock() {
            m.insert(key, Arc::new(running));
        }
        Ok(())
    }

    /// The running python deployment `id`, if any.
    pub fn python(&self, id: &str) -> Option<Arc<python::PythonDeployment>> {
        self.python
            .lock()
            .ok()
            .and_then(|m| m.get(&id.to_ascii_lowercase()).cloned())
    }

    /// The HTTP client used to reach python processes.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Stops every runtime under `id`: the deployment itself or, for an endpoint, its
    /// deployments (`{id}/deployments/...`), never a sibling whose name merely starts alike.
    pub fn stop_under(&self, id: &str) {
        let p = id.to_ascii_lowercase();
        let under = |k: &String| *k == p || k.starts_with(&format!("{p}/"));
        if let Ok(mut m) = self.logs.lock() {
            m.retain(|k, _| !under(k));
        }
        if let Ok(mut m) = self.python.lock() {
            m.retain(|k, _| !under(k));
        }
        if let Ok(mut m) = self.egress.lock() {
            m.retain(|k, _| !under(k));
        }
    }

    /// Keeps `proxy` as deployment `id`'s egress proxy (SPEC 6.4) until the deployment stops
    /// ([`Runtimes::stop_under`], [`Runtimes::stop_all`]); replaces (stops) a previous one.
    pub fn attach_egress_proxy(&self, id: &str, proxy: crate::egress::Proxy) {
        if let Ok(mut m) = self.egress.lock() {
            m.insert(id.to_ascii_lowercase(), proxy);
        }
    }

    /// Loopback ports of every running python deployment other than `id`: its inference
    /// processes and its egress proxy (what ISO-10 refuses to `id`'s egress).
    pub fn ports_except(&self, id: &str) -> Vec<u16> {
        let me = id.to_ascii_lowercase();
        let mut ports = Vec::new();
        if let Ok(m) = self.python.lock() {
            for (_, d) in m.iter().filter(|(k, _)| **k != me) {
                ports.extend_from_slice(d.ports());
            }
        }
        if let Ok(m) = self.egress.lock() {
            ports.extend(m.iter().filter(|(k, _)| **k != me).map(|(_, p)| p.port()));
        }
        ports
    }

    /// Stops everything (shutdown): python processes are killed when dropped.
    pub fn stop_all(&self) {
        if let Ok(mut m) = self.logs.lock() {
            m.clear();
        }
        if let Ok(mut m) = self.python.lock() {
            m.clear();
        }
        if let Ok(mut m) = self.egress.lock() {
            m.clear();
        }
    }

    /// Appends a log line for a deployment.
    pub fn log(&self, id: &str, line: String) {
        push_log(&self.logs, &id.to_ascii_lowercase(), line);
    }

    /// Recent log lines of a deployment.
    pub fn logs(&self, id: &str) -> Vec<String> {
        self.logs
            .lock()
            .ok()
            .and_then(|m| {
                m.get(&id.to_ascii_lowercase())
                    .map(|q| q.iter().cloned().collect())
            })
            .unwrap_or_default()
    }
}

fn push_log(logs: &Logs, key: &str, line: String) {
    if let Ok(mut m) = logs.lock() {
        let q = m.entry(key.to_string()).or_default();
        if q.len() >= LOG_LINES {
            q.pop_front();
        }
        q.push_back(line);
    }
}

/// Calls the mock model of deployment `name` with `body`.
pub async fn invoke_mock(name: &str, settings: &MockSettings, body: &Bytes) -> ModelResponse {
    {
        if !settings.delay.is_zero() {
            tokio::time::sleep(settings.delay).await;
        }
        if settings.status != 200 {
            let text = format!("{{\"error\":\"mock model of deployment {name} answered {} (AMLITE_MOCK_STATUS)\"}}", settings.status);
            return ModelResponse::new(settings.status, Bytes::from(text));
        }
        let input: serde_json::Value = serde_json::from_slice(body).unwrap_or_else(|_| {
            serde_json::Value::String(String::from_utf8_lossy(body).into_owned())
        });
        let out = serde_json::json!({ "deployment": name, "input": input });
        ModelResponse::new(200, Bytes::from(out.to_string()))
    }
}

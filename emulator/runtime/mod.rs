//! Deployment runtimes (SPEC §7). `mock` (built in, the default) answers `/score` with a
//! deterministic echo `{"deployment": d, "input": <body>}` and can be made slow or failing with
//! the deployment's environment variables `AMLITE_MOCK_DELAY_MS` and `AMLITE_MOCK_STATUS`.
//! The mock keeps no process, so a deployment stored `Succeeded` is routable right after a
//! restart.
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;

use crate::domain::OnlineDeployment;

/// How many request log lines each deployment keeps for `getLogs`.
const LOG_LINES: usize = 200;

/// What a runtime answered.
#[derive(Debug, Clone)]
pub struct ModelResponse {
    /// HTTP status of the model.
    pub status: u16,
    /// Body.
    pub body: Bytes,
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

/// Registry of running deployments and their recent logs.
#[derive(Debug, Default)]
pub struct Runtimes {
    logs: Mutex<HashMap<String, VecDeque<String>>>,
}

impl Runtimes {
    /// Starts (or restarts) the runtime of a deployment. The mock cannot fail to start.
    pub fn start(&self, id: &str, d: &OnlineDeployment) -> Result<(), String> {
        let line = format!(
            "mock runtime started for {} (scoring script {})",
            id.rsplit('/').next().unwrap_or(id),
            d.scoring_script.as_deref().unwrap_or("none")
        );
        self.log(id, line);
        Ok(())
    }

    /// Stops every runtime whose id starts with `prefix` (a deployment or an endpoint).
    pub fn stop_under(&self, prefix: &str) {
        if let Ok(mut m) = self.logs.lock() {
            let p = prefix.to_ascii_lowercase();
            m.retain(|k, _| !k.starts_with(&p));
        }
    }

    /// Stops everything (shutdown).
    pub fn stop_all(&self) {
        if let Ok(mut m) = self.logs.lock() {
            m.clear();
        }
    }

    /// Appends a log line for a deployment.
    pub fn log(&self, id: &str, line: String) {
        if let Ok(mut m) = self.logs.lock() {
            let q = m.entry(id.to_ascii_lowercase()).or_default();
            if q.len() >= LOG_LINES {
                q.pop_front();
            }
            q.push_back(line);
        }
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

/// Calls the mock model of deployment `name` with `body`.
pub async fn invoke_mock(name: &str, settings: &MockSettings, body: &Bytes) -> ModelResponse {
    {
        if !settings.delay.is_zero() {
            tokio::time::sleep(settings.delay).await;
        }
        if settings.status != 200 {
            let text = format!("{{\"error\":\"mock model of deployment {name} answered {} (AMLITE_MOCK_STATUS)\"}}", settings.status);
            return ModelResponse {
                status: settings.status,
                body: Bytes::from(text),
            };
        }
        let input: serde_json::Value = serde_json::from_slice(body).unwrap_or_else(|_| {
            serde_json::Value::String(String::from_utf8_lossy(body).into_owned())
        });
        let out = serde_json::json!({ "deployment": name, "input": input });
        ModelResponse {
            status: 200,
            body: Bytes::from(out.to_string()),
        }
    }
}

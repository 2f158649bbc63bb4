//! Test harness: `TestApp::spawn()` builds the real server on 127.0.0.1:0 with a fresh data
//! folder and talks HTTPS to it with a client that trusts amlite's certificate.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod binary;
pub mod isolation;
pub mod log_capture;
pub mod tokens;

use std::path::PathBuf;

use amlite::config::Config;
use amlite::startup::Application;
use serde_json::Value;

/// A running amlite.
pub struct TestApp {
    /// `https://127.0.0.1:PORT`.
    pub base: String,
    /// HTTPS client trusting the server certificate.
    pub client: reqwest::Client,
    /// Subscription / resource group / workspace of the default fixture.
    pub sub: String,
    pub rg: String,
    pub ws: String,
    /// Data folder (kept until the TestApp is dropped).
    pub dir: tempfile::TempDir,
    pub handle: axum_server::Handle,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
    pub state: amlite::app::State,
}

/// A response: status, headers, JSON body (Null when empty or not JSON).
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }
}

impl TestApp {
    /// Fresh in-memory server.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Fresh server with a tweaked configuration (e.g. on-disk, a fixture, a delay).
    pub async fn spawn_with(f: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        Self::spawn_in(dir, f).await
    }

    /// Server on an existing data folder (restart tests).
    pub async fn spawn_in(dir: tempfile::TempDir, f: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = Config::for_tests(dir.path().to_path_buf());
        f(&mut config);
        let app = Application::build(config).await.expect("server builds");
        let port = app.port();
        let state = app.state();
        let handle = app.handle();
        let task = tokio::spawn(app.run());
        let cert = std::fs::read(dir.path().join("cert.pem")).unwrap();
        let client = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&cert).unwrap())
            .build()
            .unwrap();
        let p = amlite::fixtures::defaults();
        TestApp {
            base: format!("https://127.0.0.1:{port}"),
            client,
            sub: p.subscription_id,
            rg: p.resource_group,
            ws: p.workspace,
            dir,
            handle,
            task,
            state,
        }
    }

    /// Stops the server and waits for it; returns the data folder for a restart.
    pub async fn stop(self) -> tempfile::TempDir {
        self.handle
            .graceful_shutdown(Some(std::time::Duration::from_secs(1)));
        let _ = self.task.await;
        self.dir
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// The default workspace's ARM path (no api-version).
    pub fn ws_path(&self) -> String {
        format!("/subscriptions/{}/resourceGroups/{}/providers/Microsoft.MachineLearningServices/workspaces/{}", self.sub, self.rg, self.ws)
    }

    /// `{ws_path}/onlineEndpoints/{name}`.
    pub fn ep_path(&self, name: &str) -> String {
        format!("{}/onlineEndpoints/{name}", self.ws_path())
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            return path.to_string();
        }
        let sep = if path.contains('?') { '&' } else { '?' };
        if path.contains("api-version=")
            || path.starts_with("/health")
            || path.starts_with("/_amlite")
        {
            format!("{}{path}", self.base)
        } else {
            format!("{}{path}{sep}api-version=2024-04-01", self.base)
        }
    }

    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Resp {
        let mut rb = self
            .client
            .request(method, self.url(path))
            .bearer_auth("test-token");
        if let Some(b) = body {
            rb = rb.json(b);
        }
        Self::read(rb.send().await.expect("request sent")).await
    }

    /// Sends raw bytes (for malformed-input tests).
    pub async fn send_raw(&self, method: reqwest::Method, path: &str, body: Vec<u8>) -> Resp {
        let rb = self
            .client
            .request(method, self.url(path))
            .header("content-type", "application/json")
            .body(body);
        Self::read(rb.send().await.expect("request sent")).await
    }

    pub async fn read(r: reqwest::Response) -> Resp {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(reqwest::Method::GET, path, None).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.send(reqwest::Method::PUT, path, Some(&body)).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.send(reqwest::Method::PATCH, path, Some(&body)).await
    }
    pub async fn post(&self, path: &str, body: Option<Value>) -> Resp {
        self.send(reqwest::Method::POST, path, body.as_ref()).await
    }
    pub async fn delete(&self, path: &str) -> Resp {
        self.send(reqwest::Method::DELETE, path, None).await
    }

    /// Polls an `Azure-AsyncOperation` or `Location` URL until terminal; returns the last body.
    pub async fn wait(&self, resp: &Resp) -> Resp {
        let url = resp
            .header("azure-asyncoperation")
            .or_else(|| resp.header("location"))
            .expect("LRO header");
        for _ in 0..200 {
            let r = self.get(&url).await;
            let s = r.body["status"].as_str().unwrap_or("");
            if matches!(s, "Succeeded" | "Failed" | "Canceled") {
                return r;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("operation did not finish: {url}");
    }

    /// Creates a Key endpoint and waits for it.
    pub async fn create_endpoint(&self, name: &str, extra_props: Value) -> Resp {
        let mut props = serde_json::json!({ "authMode": "Key" });
        if let (Some(p), Some(e)) = (props.as_object_mut(), extra_props.as_object()) {
            for (k, v) in e {
                p.insert(k.clone(), v.clone());
            }
        }
        let r = self
            .put(
                &self.ep_path(name),
                serde_json::json!({ "location": "eastus", "properties": props }),
            )
            .await;
        assert!(
            r.status == 200 || r.status == 201,
            "endpoint PUT: {} {}",
            r.status,
            r.text
        );
        let done = self.wait(&r).await;
        assert_eq!(done.body["status"], "Succeeded", "{}", done.text);
        r
    }

    /// Creates a Managed deployment (mock runtime) and waits for it; returns the monitor body.
    pub async fn create_deployment(
        &self,
        ep: &str,
        name: &str,
        extra_props: Value,
        capacity: i64,
    ) -> Resp {
        let body = self.deployment_body(extra_props, capacity);
        let r = self
            .put(&format!("{}/deployments/{name}", self.ep_path(ep)), body)
            .await;
        assert!(
            r.status == 200 || r.status == 201,
            "deployment PUT: {} {}",
            r.status,
            r.text
        );
        self.wait(&r).await
    }

    /// The body `create_deployment` sends: a managed deployment of the default fixture's model,
    /// code and environment, with `extra_props` replacing or adding properties.
    pub fn deployment_body(&self, extra_props: Value, capacity: i64) -> Value {
        let mut props = serde_json::json!({
            "endpointComputeType": "Managed", "instanceType": "Standard_DS3_v2",
            "model": format!("{}/models/m/versions/1", self.ws_path()),
            "codeConfiguration": { "codeId": format!("{}/codes/c/versions/1", self.ws_path()), "scoringScript": "score.py" },
            "environmentId": format!("{}/environments/e/versions/1", self.ws_path())
        });
        if let (Some(p), Some(e)) = (props.as_object_mut(), extra_props.as_object()) {
            for (k, v) in e {
                p.insert(k.clone(), v.clone());
            }
        }
        serde_json::json!({ "location": "eastus", "sku": { "name": "Default", "capacity": capacity }, "properties": props })
    }

    /// Sets an endpoint's traffic with a PUT and waits.
    pub async fn set_traffic(&self, ep: &str, traffic: Value) -> Resp {
        let cur = self.get(&self.ep_path(ep)).await;
        let mut body = cur.body.clone();
        body["properties"]["traffic"] = traffic;
        let r = self.put(&self.ep_path(ep), body).await;
        if r.status < 300 {
            self.wait(&r).await;
        }
        r
    }

    /// Primary key of an endpoint.
    pub async fn primary_key(&self, ep: &str) -> String {
        let r = self
            .post(&format!("{}/listKeys", self.ep_path(ep)), None)
            .await;
        r.body["primaryKey"].as_str().unwrap().to_string()
    }

    /// Scores an endpoint on this (internet) listener.
    pub async fn score(
        &self,
        ep: &str,
        auth: Option<&str>,
        headers: &[(&str, &str)],
        body: Value,
    ) -> Resp {
        let mut rb = self
            .client
            .post(format!("{}/endpoints/{ep}/score", self.base))
            .json(&body);
        if let Some(a) = auth {
            rb = rb.header("authorization", format!("Bearer {a}"));
        }
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        Self::read(rb.send().await.unwrap()).await
    }
}

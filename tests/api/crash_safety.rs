//! Crash safety (issue 5, SPEC §8 "nothing acknowledged is lost if the process is killed"):
//! the real binary serves 32 concurrent clients creating and updating endpoints and
//! deployments, is killed with SIGKILL at a seeded random moment, and is restarted on the same
//! data folder. Every acknowledged write must be there, every deployment must have its
//! endpoint, and every resource and operation must end terminal. 20 rounds, different moments.
#![allow(clippy::unwrap_used)]
use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

const ROUNDS: u64 = 20;
const CLIENTS: usize = 32;

/// What a client knows about one resource: the last tag value acknowledged (2xx received)
/// and the value of a write that was sent but never answered (it may or may not have landed).
#[derive(Default, Debug, Clone)]
struct Seen {
    acked: Option<String>,
    pending: Option<String>,
    monitors: Vec<String>,
}

type Ledger = Arc<Mutex<HashMap<String, Seen>>>;

struct Server {
    child: Child,
    base: String,
    client: reqwest::Client,
}

fn spawn(dir: &Path) -> Server {
    let env = dir.join("env.sh");
    let _ = std::fs::remove_file(&env);
    let child = Command::new(env!("CARGO_BIN_EXE_amlite"))
        .args(["serve", "--port", "0", "--data-dir"])
        .arg(dir)
        .args([
            "--endpoint-quota",
            "100000",
            "--core-quota",
            "10000000",
            "--log-format",
            "json",
        ])
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let base = loop {
        let text = std::fs::read_to_string(&env).unwrap_or_default();
        if let Some(url) = text
            .lines()
            .find_map(|l| l.strip_prefix("export AMLITE_URL='"))
        {
            break url.trim_end_matches('\'').to_string();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "amlite did not start"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    let cert = std::fs::read(dir.join("cert.pem")).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&cert).unwrap())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    Server {
        child,
        base,
        client,
    }
}

fn ws_path() -> String {
    let p = amlite::fixtures::defaults();
    format!("/subscriptions/{}/resourceGroups/{}/providers/Microsoft.MachineLearningServices/workspaces/{}", p.subscription_id, p.resource_group, p.workspace)
}

async fn send(
    client: &reqwest::Client,
    base: &str,
    method: reqwest::Method,
    path: &str,
    body: &Value,
) -> Result<(u16, Value, Option<String>), reqwest::Error> {
    let r = client
        .request(method, format!("{base}{path}?api-version=2024-04-01"))
        .bearer_auth("t")
        .json(body)
        .send()
        .await?;
    let status = r.status().as_u16();
    let monitor = r
        .headers()
        .get("azure-asyncoperation")
        .or(r.headers().get("location"))
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = r.json().await.unwrap_or(Value::Null);
    Ok((status, body, monitor))
}

/// One write: recorded as pending before it is sent, as acknowledged on a 2xx.
async fn write(
    server: &(reqwest::Client, String),
    ledger: &Ledger,
    method: reqwest::Method,
    path: &str,
    tag: &str,
    body: Value,
) -> Result<bool, ()> {
    ledger
        .lock()
        .unwrap()
        .entry(path.to_string())
        .or_default()
        .pending = Some(tag.to_string());
    let result = send(&server.0, &server.1, method, path, &body).await;
    let mut l = ledger.lock().unwrap();
    let seen = l.entry(path.to_string()).or_default();
    match result {
        Ok((status, _, monitor)) => {
            seen.pending = None;
            if status < 300 {
                seen.acked = Some(tag.to_string());
                seen.monitors.extend(monitor);
            }
            Ok(status < 300)
        }
        // No answer: the server died with the write in flight; it stays pending.
        Err(_) => Err(()),
    }
}

fn deployment_body(tag: &str) -> Value {
    json!({ "location": "eastus", "tags": { "v": tag }, "sku": { "name": "Default", "capacity": 1 }, "properties": {
        "endpointComputeType": "Managed", "instanceType": "Standard_DS3_v2",
        "model": format!("{}/models/m/versions/1", ws_path()) } })
}

/// A client: creates an endpoint, a deployment in it, then updates both, over and over.
async fn client_loop(server: (reqwest::Client, String), ledger: Ledger, c: usize) {
    for k in 0.. {
        let ep = format!("{}/onlineEndpoints/ep-c{c}-{k}", ws_path());
        let dep = format!("{ep}/deployments/blue");
        let ep_body = |tag: &str| json!({ "location": "eastus", "tags": { "v": tag }, "properties": { "authMode": "Key" } });
        let steps = [
            (reqwest::Method::PUT, ep.clone(), "0", ep_body("0")),
            (reqwest::Method::PUT, dep.clone(), "0", deployment_body("0")),
            (reqwest::Method::PUT, ep.clone(), "1", ep_body("1")),
            (
                reqwest::Method::PATCH,
                dep.clone(),
                "1",
                json!({ "tags": { "v": "1" } }),
            ),
            (reqwest::Method::PUT, dep.clone(), "2", deployment_body("2")),
        ];
        for (method, path, tag, body) in steps {
            match write(&server, &ledger, method, &path, tag, body).await {
                Ok(true) => {}
                Ok(false) => break,
                Err(()) => return,
            }
        }
    }
}

async fn get(s: &Server, path: &str) -> (u16, Value) {
    let url = if path.starts_with("http") {
        path.to_string()
    } else {
        format!("{}{path}?api-version=2024-04-01", s.base)
    };
    let r = s.client.get(url).bearer_auth("t").send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Polls until `done` holds for the GET body (bounded), returning the last answer.
async fn poll(s: &Server, path: &str, done: impl Fn(u16, &Value) -> bool) -> (u16, Value) {
    let mut last = get(s, path).await;
    for _ in 0..250 {
        if done(last.0, &last.1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        last = get(s, path).await;
    }
    last
}

fn terminal(v: &Value) -> bool {
    matches!(
        v["properties"]["provisioningState"].as_str(),
        Some("Succeeded" | "Failed")
    )
}

async fn check(s: &Server, ledger: &HashMap<String, Seen>, round: u64) {
    for (path, seen) in ledger {
        let Some(acked) = &seen.acked else { continue };
        let (status, body) = poll(s, path, |st, b| st == 200 && terminal(b)).await;
        assert_eq!(
            status, 200,
            "round {round}: acknowledged {path} is gone: {body}"
        );
        assert!(terminal(&body), "round {round}: {path} stuck: {body}");
        let tag = body["tags"]["v"].as_str().unwrap_or("").to_string();
        let ok = &tag == acked || seen.pending.as_deref() == Some(tag.as_str());
        assert!(
            ok,
            "round {round}: {path} has tag {tag}, acknowledged {acked}, pending {:?}",
            seen.pending
        );
        for m in &seen.monitors {
            let url = format!(
                "{}/subscriptions/{}",
                s.base,
                m.split_once("/subscriptions/").unwrap().1
            );
            let (st, b) = poll(s, &url, |_, b| {
                b["status"].as_str().is_some_and(|x| x != "InProgress")
            })
            .await;
            assert_eq!(st, 200, "round {round}: monitor {url}: {b}");
            assert!(
                matches!(
                    b["status"].as_str(),
                    Some("Succeeded" | "Failed" | "Canceled")
                ),
                "round {round}: operation stuck: {b}"
            );
        }
    }
    // No deployment outlives its endpoint, acknowledged or not.
    let (_, all) = get(s, "/_amlite/resources").await;
    let ids: Vec<String> = all["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_ascii_lowercase())
        .collect();
    for id in ids.iter().filter(|i| i.contains("/deployments/")) {
        let parent = id.split("/deployments/").next().unwrap();
        assert!(
            ids.iter().any(|i| i == parent),
            "round {round}: deployment {id} without its endpoint"
        );
        let (_, d) = poll(s, id, |st, b| st == 200 && terminal(b)).await;
        assert!(terminal(&d), "round {round}: {id} stuck: {d}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_loses_nothing_acknowledged() {
    let started = Instant::now();
    for round in 0..ROUNDS {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed_0000 + round);
        let dir = tempfile::tempdir().unwrap();
        let mut server = spawn(dir.path());
        let ledger: Ledger = Arc::default();
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                tokio::spawn(client_loop(
                    (server.client.clone(), server.base.clone()),
                    ledger.clone(),
                    c,
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(rng.gen_range(20..900))).await;
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        for c in clients {
            tokio::time::timeout(Duration::from_secs(15), c)
                .await
                .expect("client stuck after the kill")
                .unwrap();
        }
        let snapshot = ledger.lock().unwrap().clone();
        let acked = snapshot.values().filter(|s| s.acked.is_some()).count();
        let pending = snapshot.values().filter(|s| s.pending.is_some()).count();
        eprintln!(
            "round {round}: {acked} resources acknowledged, {pending} writes in flight at the kill"
        );
        assert!(
            acked > 0 || round > 0,
            "round {round}: nothing was acknowledged before the kill"
        );

        let mut server = spawn(dir.path());
        check(&server, &snapshot, round).await;
        server.child.kill().unwrap();
        server.child.wait().unwrap();
    }
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "too slow: {:?}",
        started.elapsed()
    );
}

//! The client sub-commands of the real `amlite` binary against a real `amlite serve` (issue 13):
//! `env` in every shell and for a VNet, `status` tables, `reset`, `explain` (inbound and
//! egress), under `--auth strict` too, and the start-up log's listener lines.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use common::binary::Binary;
use serde_json::json;

fn fixture() -> String {
    format!("{}/fixtures/isolation.json", env!("CARGO_MANIFEST_DIR"))
}

/// Runs `amlite ARGS --url BASE --data-dir DIR` (no inherited AMLITE_*/cert variables).
async fn cli(base: &str, dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_amlite"));
    c.args(args)
        .arg("--url")
        .arg(base)
        .arg("--data-dir")
        .arg(dir);
    for v in [
        "AMLITE_URL",
        "AMLITE_DATA_DIR",
        "AMLITE_CA_CERT",
        "SSL_CERT_FILE",
        "REQUESTS_CA_BUNDLE",
    ] {
        c.env_remove(v);
    }
    let out = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn serve(dir: &std::path::Path, extra: &[&str]) -> Binary {
    let f = fixture();
    let mut args = vec!["--fixtures", f.as_str()];
    args.extend_from_slice(extra);
    Binary::spawn(Binary::command(dir, &args), dir).await
}

async fn arm(b: &Binary, method: reqwest::Method, path: &str, body: serde_json::Value) -> u16 {
    let url = format!("{}{path}?api-version=2024-04-01", b.base);
    let r = b
        .client
        .request(method, url)
        .bearer_auth("t")
        .json(&body)
        .send()
        .await
        .unwrap();
    r.status().as_u16()
}

const WS: &str = "/subscriptions/6a6d6c69-7465-4000-8000-000000000001/resourceGroups/amlite-rg/providers/Microsoft.MachineLearningServices/workspaces/amlite-ws";

#[tokio::test]
async fn env_prints_the_exports_in_each_shell_and_for_a_vnet_listener() {
    let dir = tempfile::tempdir().unwrap();
    let b = serve(dir.path(), &[]).await;
    let (ok, bash, err) = cli(&b.base, dir.path(), &["env"]).await;
    assert!(ok, "{err}");
    let env_sh = std::fs::read_to_string(dir.path().join("env.sh")).unwrap();
    assert_eq!(bash, env_sh, "bash output is env.sh");
    let (_, fish, _) = cli(&b.base, dir.path(), &["env", "--shell", "fish"]).await;
    assert!(
        fish.contains(&format!("set -gx AMLITE_URL '{}'", b.base)),
        "{fish}"
    );
    let (_, ps, _) = cli(&b.base, dir.path(), &["env", "--shell", "powershell"]).await;
    assert!(
        ps.contains(&format!("$env:AMLITE_URL = '{}'", b.base)),
        "{ps}"
    );
    let (_, dotenv, _) = cli(&b.base, dir.path(), &["env", "--shell", "dotenv"]).await;
    assert!(dotenv.contains("AZURE_TENANT_ID=adfs\n"), "{dotenv}");
    let (ok, vnet, err) = cli(&b.base, dir.path(), &["env", "--vnet", "vnet-approved"]).await;
    assert!(ok, "{err}");
    assert!(
        vnet.contains("export AMLITE_VNET_ID='/subscriptions/"),
        "{vnet}"
    );
    assert!(
        !vnet.contains(&format!("AMLITE_URL='{}'", b.base)),
        "another port: {vnet}"
    );
    let (ok, _, err) = cli(&b.base, dir.path(), &["env", "--vnet", "nope"]).await;
    assert!(!ok && err.contains("404 ResourceNotFound"), "{err}");
}

#[tokio::test]
async fn status_reset_and_explain_print_what_the_server_holds() {
    let dir = tempfile::tempdir().unwrap();
    let b = serve(dir.path(), &[]).await;
    let ep = format!("{WS}/onlineEndpoints/ep-cli");
    let put = reqwest::Method::PUT;
    assert!(arm(&b, put.clone(), &ep, json!({ "location": "eastus", "properties": { "authMode": "Key", "publicNetworkAccess": "Disabled" } })).await < 300);
    let dep = json!({ "location": "eastus", "sku": { "name": "Default", "capacity": 1 }, "properties": {
        "endpointComputeType": "Managed", "instanceType": "Standard_DS3_v2",
        "model": format!("{WS}/models/m/versions/1"),
        "codeConfiguration": { "codeId": format!("{WS}/codes/c/versions/1"), "scoringScript": "score.py" },
        "environmentId": format!("{WS}/environments/e/versions/1") } });
    assert!(arm(&b, put.clone(), &format!("{ep}/deployments/blue"), dep).await < 300);
    assert!(arm(&b, put.clone(), &ep, json!({ "location": "eastus", "properties": { "authMode": "Key", "publicNetworkAccess": "Disabled", "traffic": { "blue": 100 } } })).await < 300);

    let (ok, status, err) = cli(&b.base, dir.path(), &["status"]).await;
    assert!(ok, "{err}");
    for want in [
        "WORKSPACES",
        "amlite-ws",
        "ENDPOINTS",
        "ep-cli",
        "blue=100",
        "DEPLOYMENTS",
        "Standard_DS3_v2",
        "LISTENERS",
        "vnet-approved",
        b.base.as_str(),
    ] {
        assert!(status.contains(want), "{want} missing:\n{status}");
    }
    let line = status.lines().find(|l| l.starts_with("ep-cli")).unwrap();
    assert!(
        line.contains("Succeeded") && line.contains("Disabled") && line.contains("Key"),
        "{line}"
    );

    let (ok, out, err) = cli(
        &b.base,
        dir.path(),
        &["explain", "--from", "internet", "--endpoint", "ep-cli"],
    )
    .await;
    assert!(ok, "{err}");
    assert!(out.starts_with("inbound internet -> endpoint ep-cli: REFUSED (HTTP 403 at the network step), rule ISO-5"), "{out}");
    assert!(
        out.contains("[ISO-5] Set the endpoint's properties.publicNetworkAccess to Enabled"),
        "{out}"
    );
    assert!(
        out.contains("vnet-approved"),
        "names the VNet that has a way in: {out}"
    );
    let (_, out, _) = cli(
        &b.base,
        dir.path(),
        &["explain", "--from", "vnet-old", "--endpoint", "ep-cli"],
    )
    .await;
    assert!(
        out.contains("REFUSED")
            && out.contains("rule ISO-2")
            && out.contains("[ISO-2] Re-create private endpoint"),
        "{out}"
    );
    let (_, out, _) = cli(
        &b.base,
        dir.path(),
        &["explain", "--from", "vnet-approved", "--endpoint", "ep-cli"],
    )
    .await;
    assert!(
        out.contains("ALLOWED") && out.contains("rule ISO-12") && out.contains("pe-"),
        "{out}"
    );

    // Egress: the managed network decides for the deployment's proxy.
    let ws_patch = json!({ "properties": { "managedNetwork": { "isolationMode": "AllowOnlyApprovedOutbound", "outboundRules": { "pypi": { "type": "FQDN", "destination": "pypi.org" } } } } });
    assert!(arm(&b, reqwest::Method::PATCH, WS, ws_patch).await < 300);
    let (ok, out, err) = cli(
        &b.base,
        dir.path(),
        &["explain", "--egress", "ep-cli/blue", "--to", "pypi.org"],
    )
    .await;
    assert!(ok, "{err}");
    assert!(
        out.contains("-> pypi.org:443: ALLOWED (HTTP 502 from the egress proxy), rule FQDN"),
        "{out}"
    );
    let (_, out, _) = cli(
        &b.base,
        dir.path(),
        &["explain", "--egress", "blue", "--to", "example.com:443"],
    )
    .await;
    assert!(
        out.contains("-> example.com:443: REFUSED (HTTP 403 from the egress proxy), rule ISO-9"),
        "{out}"
    );

    let (ok, out, err) = cli(&b.base, dir.path(), &["reset"]).await;
    assert!(ok, "{err}");
    assert!(out.starts_with("reset to the fixture in "), "{out}");
    let (_, status, _) = cli(&b.base, dir.path(), &["status"]).await;
    assert!(!status.contains("ep-cli"), "{status}");
    assert!(
        status.contains("ENDPOINTS\n") && status.contains("(none)"),
        "{status}"
    );
}

#[tokio::test]
async fn client_commands_get_a_token_under_strict_auth_and_say_when_no_server_answers() {
    let dir = tempfile::tempdir().unwrap();
    let b = serve(dir.path(), &["--auth", "strict"]).await;
    let plain = b
        .client
        .get(format!("{}/_amlite/state", b.base))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 401, "strict guards the admin API");
    let (ok, out, err) = cli(&b.base, dir.path(), &["status"]).await;
    assert!(ok, "{err}");
    assert!(out.contains("WORKSPACES"), "{out}");
    drop(b);
    let (ok, _, err) = cli("https://127.0.0.1:9", dir.path(), &["status"]).await;
    assert!(
        !ok && err.contains("cannot reach amlite at https://127.0.0.1:9"),
        "{err}"
    );
}

#[tokio::test]
async fn start_up_log_lists_every_listener() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture();
    let mut cmd = Binary::command(
        dir.path(),
        &["--fixtures", f.as_str(), "--log-format", "json"],
    );
    cmd.env("RUST_LOG", "info");
    let (tx, rx) = std::sync::mpsc::channel();
    cmd.stderr(std::process::Stdio::piped());
    let mut child = cmd.stdout(std::process::Stdio::null()).spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for l in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(l);
        }
    });
    let mut lines = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !lines
        .iter()
        .any(|l: &String| l.contains("restarted deployments"))
    {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        lines.push(rx.recv_timeout(left).expect("start-up log"));
    }
    let _ = child.kill();
    let _ = child.wait();
    let listeners: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("\"listener\""))
        .collect();
    assert_eq!(listeners.len(), 5, "internet + 4 VNets: {lines:#?}");
    assert!(
        listeners
            .iter()
            .any(|l| l.contains("vnet-approved") && l.contains("https://127.0.0.1:")),
        "{listeners:#?}"
    );
}

//! Security: deployment isolation (issue 9, ISO-10) and process hygiene, at the Rust level.
//! The same properties with real python deployments and a `kill -9` of the real binary are in
//! `tests/sdk/test_security_isolation.py`.
//!
//! - The Landlock ruleset amlite applies to inference servers lets a process connect only to the
//!   allowed port (its egress proxy) and refuses every other TCP port with EACCES.
//! - The egress proxy of a deployment refuses client VNet listeners (ISO-10) while the public
//!   listener stays reachable.
//! - A restart kills the inference servers a previous run recorded, and only those still
//!   carrying this data folder's owner marker.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;

use std::process::Stdio;
use std::time::Duration;

use amlite::runtime::processes::{PidRecords, Spawner, OWNER_ENV};
use amlite::runtime::sandbox::{self, SandboxMode};
use common::TestApp;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const T: Duration = Duration::from_secs(10);

/// Bash opening `/dev/tcp/127.0.0.1/PORT` for each port, printing `PORT ok` or `PORT refused`.
fn bash_connects(ports: &[u16]) -> tokio::process::Command {
    let script = ports
        .iter()
        .map(|p| {
            format!("(exec 3<>/dev/tcp/127.0.0.1/{p}) && echo '{p} ok' || echo '{p} refused: '$?")
        })
        .collect::<Vec<_>>()
        .join("; ");
    let mut cmd = tokio::process::Command::new("bash");
    cmd.arg("-c")
        .arg(script)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

#[tokio::test]
async fn iso_10_landlock_allows_tcp_connect_only_to_the_egress_proxy_port() {
    if let SandboxMode::Off(why) = SandboxMode::detect(false) {
        eprintln!("skipped: Landlock TCP rules unavailable on this kernel ({why}); see README");
        return;
    }
    let proxy = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (p, o) = (
        proxy.local_addr().unwrap().port(),
        other.local_addr().unwrap().port(),
    );
    // Unrestricted, both connect (the test is sound).
    let out = bash_connects(&[p, o]).output().await.unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{p} ok\n{o} ok\n")
    );
    // Restricted as an inference server is: only the proxy port.
    let ruleset = sandbox::restriction(&[p], &[]).unwrap();
    let mut cmd = bash_connects(&[p, o]);
    sandbox::restrict_child(&mut cmd, Some(&ruleset));
    // The spawner thread must outlive the child: its end is the child's parent-death signal.
    let spawner = Spawner::default();
    let child = spawner.spawn(cmd).await.unwrap();
    let out = tokio::time::timeout(T, child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{p} ok\n{o} refused: 1\n")
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Permission denied"), "EACCES expected: {err}");
    drop(spawner);
}

/// A Python probe: opens a Multipath TCP socket (`IPPROTO_MPTCP`, 262) to `port` and prints
/// `ok` or the errno.
fn mptcp_connect(port: u16) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new("python3");
    cmd.arg("-c")
        .arg(format!(
            "import socket\ntry:\n s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)\n s.connect(('127.0.0.1', {port}))\n print('ok')\nexcept OSError as e:\n print('errno', e.errno)"
        ))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// Found by an attack pass: Landlock's TCP rules do not cover MPTCP sockets, which fall back to
/// plain TCP with an ordinary peer, so a score.py could reach any port with one. The seccomp part
/// of the restriction refuses creating them.
#[tokio::test]
async fn iso_10_multipath_tcp_sockets_cannot_step_around_landlock() {
    if SandboxMode::detect(false) != SandboxMode::Enforced {
        eprintln!("skipped: this kernel has no Landlock ABI 4");
        return;
    }
    let other = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let o = other.local_addr().unwrap().port();
    let out = mptcp_connect(o).output().await.unwrap();
    let plain = String::from_utf8_lossy(&out.stdout).to_string();
    if plain.trim() != "ok" {
        eprintln!("skipped: this kernel offers no MPTCP sockets ({plain})");
        return;
    }
    let restriction = sandbox::restriction(&[], &[]).unwrap();
    let mut cmd = mptcp_connect(o);
    sandbox::restrict_child(&mut cmd, Some(&restriction));
    let spawner = Spawner::default();
    let child = spawner.spawn(cmd).await.unwrap();
    let out = tokio::time::timeout(T, child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "errno 13");
    drop(spawner);
}

#[tokio::test]
async fn a_child_dies_when_the_thread_that_spawned_it_ends() {
    use std::os::unix::process::ExitStatusExt;
    let spawner = Spawner::default();
    let mut cmd = tokio::process::Command::new("sleep");
    cmd.arg("30").kill_on_drop(true);
    sandbox::restrict_child(&mut cmd, None);
    let mut child = spawner.spawn(cmd).await.unwrap();
    // Dropping the spawner ends its thread, as amlite's death would: PR_SET_PDEATHSIG fires.
    drop(spawner);
    let status = tokio::time::timeout(T, child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
}

/// A live child process `sleep 30` in its own process group, with `env`.
fn sleeper(env: &[(&str, String)]) -> std::process::Child {
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new("sleep");
    cmd.arg("30").process_group(0);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

async fn exits_within(child: &mut std::process::Child, limit: Duration) -> bool {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn restart_reaps_recorded_leftovers_of_this_data_folder_only() {
    let dir = tempfile::tempdir().unwrap();
    let data = std::fs::canonicalize(dir.path()).unwrap();
    let records = PidRecords::new(&data);
    // A leftover of this data folder (as after kill -9 of amlite), and a recorded pid that now
    // belongs to something else (no owner marker: pid reuse) or another data folder.
    let mut ours = sleeper(&[(OWNER_ENV, data.display().to_string())]);
    let mut reused = sleeper(&[]);
    let mut foreign = sleeper(&[(OWNER_ENV, "/elsewhere".to_string())]);
    for c in [&ours, &reused, &foreign] {
        assert!(records.record(c.id(), "deployment").is_some());
    }
    // Found by an attack pass: a child that left its recorded group (setsid) is ours too.
    let mut escaped = sleeper(&[(OWNER_ENV, data.display().to_string())]);
    let app = TestApp::spawn_in(dir, |_| {}).await;
    assert!(
        exits_within(&mut ours, T).await,
        "the recorded leftover survived the restart"
    );
    assert!(
        exits_within(&mut escaped, T).await,
        "a leftover outside the recorded groups survived the restart"
    );
    assert!(!exits_within(&mut reused, Duration::from_millis(300)).await);
    assert!(!exits_within(&mut foreign, Duration::from_millis(1)).await);
    for c in [&mut reused, &mut foreign] {
        let _ = c.kill();
        let _ = c.wait();
    }
    // The records are consumed: nothing is killed twice.
    assert!(records.reap().is_empty());
    app.stop().await;
}

fn isolation_fixture() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/isolation.json")
}

/// `CONNECT target` through the proxy on `port`: (status, x-amlite-egress-rule).
async fn connect_status(port: u16, target: &str) -> (u16, Option<String>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.write_all(format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut head = Vec::new();
    let mut b = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match tokio::time::timeout(T, s.read(&mut b)).await.unwrap() {
            Ok(n) if n > 0 => head.extend_from_slice(&b[..n]),
            _ => break,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let rule = head
        .lines()
        .find_map(|l| l.strip_prefix("x-amlite-egress-rule: "))
        .map(str::to_string);
    (status, rule)
}

#[tokio::test]
async fn iso_10_egress_proxy_refuses_client_vnet_listeners() {
    let app = TestApp::spawn_with(|c| c.fixtures = Some(isolation_fixture())).await;
    app.create_endpoint("private-ep", json!({ "publicNetworkAccess": "Disabled" }))
        .await;
    app.create_deployment("private-ep", "blue", json!({}), 1)
        .await;
    let id = amlite::domain::ResourceId::from_string(format!(
        "{}/deployments/blue",
        app.ep_path("private-ep")
    ));
    let proxy = amlite::egress::start_for(&app.state, &id).await.unwrap();
    let vnet = app
        .get(&format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/virtualNetworks/vnet-approved",
            app.sub, app.rg
        ))
        .await;
    let listener = vnet.header("x-amlite-listener").unwrap();
    let vnet_port = listener.rsplit(':').next().unwrap();
    // vnet-approved holds an approved private endpoint to the workspace: through its listener a
    // deployment would score private-ep although its public access is Disabled (ISO-5).
    for target in [
        format!("127.0.0.1:{vnet_port}"),
        format!("localhost:{vnet_port}"),
    ] {
        let (status, rule) = connect_status(proxy.port(), &target).await;
        assert_eq!((status, rule.as_deref()), (403, Some("ISO-10")), "{target}");
    }
    // The public listener (workspace API, blob, public scoring) is the path its network gives.
    let public = app.base.rsplit(':').next().unwrap();
    let (status, _) = connect_status(proxy.port(), &format!("127.0.0.1:{public}")).await;
    assert_eq!(status, 200);
    drop(proxy);
    app.stop().await;
}

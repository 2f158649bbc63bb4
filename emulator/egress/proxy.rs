//! The egress proxy listener (SPEC 6.4): one per running python deployment, on `127.0.0.1:0`.
//!
//! Understands `CONNECT host:port` (HTTPS tunnels) and absolute-form plain HTTP requests
//! (`GET http://host[:port]/path HTTP/1.1`). For each connection it asks its [`Resolve`] for a
//! [`Plan`] and answers:
//! - refused → `403`, `x-amlite-egress: refused`, `x-amlite-egress-rule: <SPEC id>`, JSON body
//!   naming the rule and what to change;
//! - allowed and served locally → forwarded (CONNECT: `200` then raw bytes both ways; plain
//!   HTTP: the request in origin form with `Connection: close`, then raw bytes both ways);
//! - allowed, internet only → `502`, `x-amlite-egress: allowed`, `x-amlite-egress-via: <via>`.
//!
//! Every phase is bounded: the request head must arrive within [`HEAD_TIMEOUT`] and fit in
//! [`MAX_HEAD`] bytes; upstream connects time out after [`CONNECT_TIMEOUT`]; a forwarded
//! connection ends after [`IDLE_TIMEOUT`] without bytes in a direction or [`MAX_CONNECTION`] in
//! all. At most [`MAX_CONNECTIONS`] connections run at once (more get `503`). Dropping the
//! [`Proxy`] stops the listener and every connection it carries.
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::{JoinHandle, JoinSet};

use super::errors::EgressError;
use super::http::{origin_form, parse_head, read_head, Head};
use super::identity::IdentityEndpoint;
use super::{Plan, Resolve};

/// Longest a client may take to send the request head.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest accepted request head.
pub const MAX_HEAD: usize = 64 * 1024;
/// Longest a connection to an upstream may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A forwarded connection ends when one direction carries no bytes this long.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// A forwarded connection never lasts longer than this.
pub const MAX_CONNECTION: Duration = Duration::from_secs(600);
/// After an answer of its own, the proxy discards at most this much of a request body...
const DRAIN_BYTES: usize = 1024 * 1024;
/// ...waiting at most this long for each chunk.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(1);
/// Concurrent connections per proxy.
pub const MAX_CONNECTIONS: usize = 64;

/// A running egress proxy. Dropping it stops the listener and its connections.
#[derive(Debug)]
pub struct Proxy {
    port: u16,
    identity: IdentityEndpoint,
    task: JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// Binds `127.0.0.1:0` and serves connections with `resolver`. Must run inside a tokio
    /// runtime. Errors: the bind failed.
    pub async fn start(resolver: Arc<dyn Resolve>) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let identity = IdentityEndpoint::new(port);
        let task = tokio::spawn(accept_loop(listener, resolver, Arc::new(identity.clone())));
        Ok(Proxy {
            port,
            identity,
            task,
        })
    }

    /// The loopback port the proxy listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The variables that route a process's HTTP(S) through this proxy: `HTTP_PROXY`,
    /// `HTTPS_PROXY`, their lower-case forms, and empty `NO_PROXY`/`no_proxy` so that even
    /// loopback destinations go through it (ISO-10 needs to see them); and the managed-identity
    /// endpoint it serves ([`super::identity`], issue 12): `MSI_ENDPOINT`/`MSI_SECRET` as Azure
    /// sets them in a deployment, `IDENTITY_ENDPOINT`/`IDENTITY_HEADER` for the App Service
    /// protocol `ManagedIdentityCredential` tries first.
    pub fn env(&self) -> BTreeMap<String, String> {
        let url = self.url();
        let mut env = BTreeMap::new();
        for k in ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"] {
            env.insert(k.to_string(), url.clone());
        }
        for k in ["NO_PROXY", "no_proxy"] {
            env.insert(k.to_string(), String::new());
        }
        for k in ["MSI_ENDPOINT", "IDENTITY_ENDPOINT"] {
            env.insert(k.to_string(), self.identity.url());
        }
        for k in ["MSI_SECRET", "IDENTITY_HEADER"] {
            env.insert(k.to_string(), self.identity.secret.clone());
        }
        env
    }
}

async fn accept_loop(
    listener: TcpListener,
    resolver: Arc<dyn Resolve>,
    identity: Arc<IdentityEndpoint>,
) {
    // Connections live in the set, so aborting this task (dropping the Proxy) ends them too.
    let mut connections = JoinSet::new();
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await; // e.g. out of descriptors
            continue;
        };
        while connections.try_join_next().is_some() {}
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            connections.spawn(async move {
                let msg = "The egress proxy is carrying too many connections; retry later.";
                let _ = reply(&mut stream, 503, &[], &error_body("EgressBusy", msg, None)).await;
            });
            continue;
        };
        let (resolver, identity) = (resolver.clone(), identity.clone());
        connections.spawn(async move {
            serve(stream, resolver.as_ref(), &identity).await;
            drop(slot);
        });
    }
}

async fn serve(mut client: TcpStream, resolver: &dyn Resolve, identity: &IdentityEndpoint) {
    let (raw, rest) = match tokio::time::timeout(HEAD_TIMEOUT, read_head(&mut client)).await {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => {
            let _ = bad_request(&mut client, &e).await;
            return;
        }
        Err(_) => return, // the client sent nothing usable in time
    };
    let head = match parse_head(&raw) {
        Ok(h) => h,
        Err(e) => {
            let _ = bad_request(&mut client, &e).await;
            return;
        }
    };
    // The identity endpoint is always reachable (as in Azure); everything else is planned.
    if identity.is_for(&head) {
        let _ = identity.answer(&mut client, &head, resolver).await;
        return;
    }
    if head.host.is_empty() {
        let _ = bad_request(&mut client, &EgressError::NotAProxyRequest(head.path)).await;
        return;
    }
    let plan = resolver.plan(&head.host, head.port).await;
    let target = format!("{}:{}", head.host, head.port);
    let _ = match plan {
        Plan::Refused { rule, message } => refuse(&mut client, rule, &message).await,
        Plan::NotEmulated { via } => not_emulated(&mut client, via, &target).await,
        Plan::Unavailable(msg) => {
            reply(
                &mut client,
                503,
                &[],
                &error_body("EgressUnavailable", &msg, None),
            )
            .await
        }
        Plan::Forward { upstream, .. } => forward(client, &head, &rest, upstream).await,
    };
}

async fn refuse(client: &mut TcpStream, rule: &str, message: &str) -> std::io::Result<()> {
    let text = format!("amlite egress proxy (SPEC 6.4, {rule}): {message}");
    let headers = [
        ("x-amlite-egress", "refused"),
        ("x-amlite-egress-rule", rule),
    ];
    reply(
        client,
        403,
        &headers,
        &error_body("EgressRefused", &text, Some(rule)),
    )
    .await
}

async fn not_emulated(client: &mut TcpStream, via: &str, target: &str) -> std::io::Result<()> {
    let text = format!(
        "amlite egress proxy (SPEC 6.4): egress to {target} is allowed ({via}), but amlite does \
         not serve it locally and works offline, so nothing was sent. Declare it as an external \
         service in the fixture (SPEC 6.1) to serve it from a local URL."
    );
    let headers = [("x-amlite-egress", "allowed"), ("x-amlite-egress-via", via)];
    let body = error_body("EgressAllowedNotEmulated", &text, None);
    reply(client, 502, &headers, &body).await
}

/// Answers `400 BadRequest` with `e`: a request head the proxy cannot use.
async fn bad_request(client: &mut TcpStream, e: &EgressError) -> std::io::Result<()> {
    reply(
        client,
        400,
        &[],
        &error_body("BadRequest", &e.to_string(), None),
    )
    .await
}

fn error_body(code: &str, message: &str, rule: Option<&str>) -> String {
    let mut err = serde_json::json!({ "code": code, "message": message });
    if let Some(r) = rule {
        err["rule"] = serde_json::json!(r);
    }
    serde_json::json!({ "error": err }).to_string()
}

/// Answers `status` with a JSON `body` and closes the connection.
pub(super) async fn reply(
    client: &mut TcpStream,
    status: u16,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        403 => "Forbidden",
        502 => "Bad Gateway",
        _ => "Service Unavailable",
    };
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(body);
    client.write_all(out.as_bytes()).await?;
    client.shutdown().await?;
    drain(client).await;
    Ok(())
}

/// Reads and discards what the client still sends (a request body), briefly and boundedly, so
/// closing does not reset the connection before the client has read the answer.
async fn drain(client: &mut TcpStream) {
    let mut buf = [0u8; 8192];
    let mut left = DRAIN_BYTES;
    while left > 0 {
        match tokio::time::timeout(DRAIN_TIMEOUT, client.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => left = left.saturating_sub(n),
            _ => break,
        }
    }
}

async fn forward(
    mut client: TcpStream,
    head: &Head,
    rest: &[u8],
    upstream: SocketAddr,
) -> std::io::Result<()> {
    if !upstream.ip().is_loopback() {
        let msg = "amlite connects only to loopback addresses.";
        return reply(
            &mut client,
            502,
            &[],
            &error_body("EgressNotLoopback", msg, None),
        )
        .await;
    }
    let mut up = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(upstream)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return unreachable_upstream(&mut client, upstream, &e.to_string()).await,
        Err(_) => return unreachable_upstream(&mut client, upstream, "timed out").await,
    };
    if head.method.eq_ignore_ascii_case("CONNECT") {
        client
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await?;
    } else {
        up.write_all(origin_form(head).as_bytes()).await?;
    }
    up.write_all(rest).await?;
    pump(client, up).await;
    Ok(())
}

async fn unreachable_upstream(
    client: &mut TcpStream,
    upstream: SocketAddr,
    why: &str,
) -> std::io::Result<()> {
    let msg =
        format!("Egress is allowed but the local server at {upstream} did not answer: {why}.");
    reply(
        client,
        502,
        &[("x-amlite-egress", "allowed")],
        &error_body("EgressUpstreamUnreachable", &msg, None),
    )
    .await
}

/// Copies bytes both ways until the upstream is done (or a timeout hits); the client's half
/// ending first only half-closes the upstream, which may still answer.
async fn pump(client: TcpStream, up: TcpStream) {
    let (cr, cw) = client.into_split();
    let (ur, uw) = up.into_split();
    let to_client = copy_idle(ur, cw);
    let to_upstream = copy_idle(cr, uw);
    let both = async {
        tokio::pin!(to_client, to_upstream);
        tokio::select! {
            _ = &mut to_client => {}
            _ = &mut to_upstream => to_client.await,
        }
    };
    let _ = tokio::time::timeout(MAX_CONNECTION, both).await;
}

async fn copy_idle<R, W>(mut r: R, mut w: W)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match tokio::time::timeout(IDLE_TIMEOUT, r.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => {
                if w.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
            _ => break,
        }
    }
    let _ = w.shutdown().await;
}

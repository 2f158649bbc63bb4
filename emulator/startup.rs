//! `Application::build`: creates the data folder, certificate and database, loads fixtures,
//! binds the internet listener and the VNet listeners, and writes `env.sh` (SPEC §2). Used by
//! `main.rs` and by the tests alike. `Application::run` serves and owns the background tasks
//! (operation driver, janitor, python start worker): they stop, and release the state, before
//! the store closes.
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum_server::tls_rustls::RustlsConfig;
use tower_http::trace::TraceLayer;

use crate::app::{AppState, Listener, Network, State};
use crate::config::Config;
use crate::lro::Lro;
use crate::runtime::sandbox::SandboxMode;
use crate::runtime::Runtimes;
use crate::scoring::cache::RouteCache;
use crate::store::Store;

/// Failure to start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// File system or socket.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Certificate.
    #[error("{0}")]
    Tls(#[from] crate::tls::TlsError),
    /// Database.
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
    /// Fixture file.
    #[error("fixtures: {0}")]
    Fixture(String),
    /// Another amlite serves this data folder.
    #[error("the data folder {0} is in use by another amlite (pid {1}): stop it, or give this one its own --data-dir")]
    DataDirInUse(String, String),
    /// The port is taken.
    #[error(
        "cannot listen on {0}: {1}; pick another with --port / AMLITE_PORT (0 = any free port)"
    )]
    Bind(String, std::io::Error),
}

/// Takes `<data-dir>/amlite.lock` so two servers never share a database, certificate and
/// `env.sh` (they would disagree about keys served from their caches). The OS releases the lock
/// when the process dies, so a crashed amlite never blocks the next start.
fn lock_data_dir(data_dir: &std::path::Path) -> Result<std::fs::File, StartError> {
    use std::io::{Read, Seek, Write};
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(data_dir.join("amlite.lock"))?;
    if file.try_lock().is_err() {
        let mut pid = String::new();
        let _ = file.read_to_string(&mut pid);
        return Err(StartError::DataDirInUse(
            data_dir.display().to_string(),
            pid.trim().to_string(),
        ));
    }
    file.set_len(0)?;
    file.rewind()?;
    write!(file, "{}", std::process::id())?;
    Ok(file)
}

/// A built, bound, not yet serving amlite.
pub struct Application {
    state: State,
    listener: TcpListener,
    handle: axum_server::Handle,
    lock: std::fs::File,
}

impl Application {
    /// Prepares everything and binds `config.host:config.port` (0 = any free port).
    pub async fn build(mut config: Config) -> Result<Self, StartError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        std::fs::create_dir_all(&config.data_dir)?;
        let data_dir = std::fs::canonicalize(&config.data_dir)?;
        // Issue 12: every path derived from the data folder is absolute from here on; the
        // inference servers run in another working folder (`make run`'s default is `./.amlite`).
        config.data_dir = data_dir.clone();
        let lock = lock_data_dir(&data_dir)?;
        let certs =
            crate::tls::load_or_generate(&data_dir, config.cert.as_deref(), config.key.as_deref())?;
        let own_cert = config.cert.is_none() || config.key.is_none();
        crate::tls::validate(&certs, own_cert)?;
        let tls = RustlsConfig::from_pem(
            certs.cert_pem.clone().into_bytes(),
            certs.key_pem.clone().into_bytes(),
        )
        .await?;
        let storage_keys = crate::blob::keys::StorageKeys::load_or_create(&data_dir)?;
        let db_path = data_dir.join("amlite.db");
        let store = if config.in_memory {
            Store::open_ephemeral(&data_dir).await?
        } else {
            let store = Store::open(Some(&db_path)).await?;
            owner_only(&db_path);
            store
        };
        // Operations a previous run left InProgress were interrupted: they complete now rather
        // than whenever their old due time comes (SPEC §8, issue 5 crash safety).
        store
            .resume_interrupted(chrono::Utc::now().timestamp_millis())
            .await
            .map_err(crate::store::StoreError::Sql)?;
        let addr = format!("{}:{}", config.host, config.port);
        let listener = TcpListener::bind((config.host.as_str(), config.port))
            .map_err(|e| StartError::Bind(addr, e))?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let (jobs_tx, jobs_rx) = tokio::sync::mpsc::unbounded_channel();
        let sandbox = SandboxMode::detect(config.no_network_sandbox);
        if let (Some(warning), Some(_)) = (sandbox.warning(), &config.python) {
            tracing::warn!("{warning}");
        }
        let runtimes = Runtimes::new(&data_dir, sandbox);
        // Before any deployment restarts: a previous run killed with -9 may have left some.
        let leftovers = runtimes.reap_leftovers();
        if !leftovers.is_empty() {
            tracing::warn!(pids = ?leftovers, "killed inference servers a previous run left behind");
        }
        let state = Arc::new(AppState {
            lro: Lro::new(config.provisioning_delay),
            writes: Default::default(),
            rendered: Default::default(),
            routes: RouteCache::default(),
            runtimes,
            internet_base: format!("https://{}:{port}", url_host(&config.host)),
            vnet_listeners: Mutex::new(Default::default()),
            storage_keys,
            identity_header: "amlite".into(),
            keys: crate::identity::keys::Keys::new(&data_dir),
            tenant_id: crate::fixtures::TENANT_ID.into(),
            primary: std::sync::OnceLock::new(),
            python_jobs: jobs_tx,
            python_jobs_rx: Mutex::new(Some(jobs_rx)),
            admin: Default::default(),
            tls,
            store,
            config,
        });
        // The control plane decides what completing an operation does; `lro` only drives it.
        state.lro.set_completion(crate::arm::provision::completion);
        let primary = crate::fixtures::load(&state)
            .await
            .map_err(|e| StartError::Fixture(e.to_string()))?;
        let _ = state.primary.set(primary);
        crate::arm::provision::recover(&state)
            .await
            .map_err(|e| StartError::Fixture(e.to_string()))?;
        crate::arm::network::start_stored_listeners(&state)
            .await
            .map_err(|e| StartError::Fixture(e.to_string()))?;
        write_env(&state, &data_dir, &certs.cert_path)?;
        Ok(Application {
            state,
            listener,
            handle: axum_server::Handle::new(),
            lock,
        })
    }

    /// The internet listener's port.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Shared state (tests use it to reach the store).
    pub fn state(&self) -> State {
        self.state.clone()
    }

    /// A handle that stops the server (`graceful_shutdown`).
    pub fn handle(&self) -> axum_server::Handle {
        self.handle.clone()
    }

    /// Serves until the handle is shut down, then stops the VNet listeners and closes the store.
    pub async fn run(self) -> std::io::Result<()> {
        let state = self.state.clone();
        // After the start-up writes (fixtures, recovered operations), so they do not wait for it.
        state.store.build_index_in_background();
        let mut background = BackgroundTasks::default();
        background.spawn(crate::lro::drive(state.clone()));
        background.spawn(crate::janitor::run(state.clone()));
        if let Some(rx) = state.python_jobs_rx.lock().ok().and_then(|mut g| g.take()) {
            background.spawn(crate::arm::provision_python::worker(state.clone(), rx));
        }
        let internet = Listener {
            network: Network::Internet,
            base_url: state.internet_base.clone(),
        };
        let app = router(state.clone(), internet);
        let result = https_server(self.listener, &state)
            .handle(self.handle)
            .serve(app.into_make_service_with_connect_info::<SocketAddr>())
            .await;
        // Before the store closes: a driver or janitor pass must not meet closed connections.
        background.stop().await;
        crate::arm::network::stop_all_listeners(&state);
        state.runtimes.stop_all();
        state.store.close().await;
        drop(self.lock);
        result
    }
}

/// The server's background tasks (operation driver, janitor, python start worker): aborted
/// together when the server stops or its future is dropped, so none outlives the store it uses.
#[derive(Default)]
struct BackgroundTasks(Vec<tokio::task::JoinHandle<()>>);

impl BackgroundTasks {
    fn spawn(&mut self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        self.0.push(tokio::spawn(task));
    }

    /// Aborts every task and waits until each has dropped what it held.
    async fn stop(mut self) {
        for task in std::mem::take(&mut self.0) {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for BackgroundTasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// An HTTPS server on `listener` with amlite's connection limits (issue 9): the TLS handshake
/// and every request head must complete within `--header-read-timeout` (hyper also closes a
/// kept-alive connection idle that long before its next request), and any connection, HTTP/2
/// included, that moves no bytes that long with no request in its handler is closed
/// (`idle_accept`). Request bodies are
/// bounded by `--idle-timeout` per chunk in `dispatch::dispatch`. Used by the internet listener and
/// every VNet listener.
pub fn https_server(
    listener: TcpListener,
    state: &AppState,
) -> axum_server::Server<crate::idle_accept::IdleDeadline<axum_server::tls_rustls::RustlsAcceptor>>
{
    let head = state
        .config
        .header_read_timeout
        .max(Duration::from_millis(1));
    let acceptor =
        axum_server::tls_rustls::RustlsAcceptor::new(state.tls.clone()).handshake_timeout(head);
    // A connection idle that long, HTTP/1.1 or HTTP/2, is closed (hyper's HTTP/1.1 timeout
    // starts at the first byte; HTTP/2 has none): `idle_accept`.
    let acceptor = crate::idle_accept::IdleDeadline::new(acceptor, head);
    let mut server = axum_server::from_tcp(listener).acceptor(acceptor);
    let builder = server.http_builder();
    builder
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(head);
    // No HTTP/2 keep-alive pings: their answers would be bytes that keep an idle connection
    // open; the idle deadline closes a dead peer's connection as well.
    builder.http2().timer(hyper_util::rt::TokioTimer::new());
    server
}

/// The whole HTTP surface for one listener: one dispatcher (ARM paths are case-insensitive, so
/// routing is done by `dispatch::dispatch` on lower-cased segments rather than axum's router).
pub fn router(state: State, listener: Listener) -> Router {
    Router::new()
        .fallback(crate::dispatch::dispatch)
        .layer(axum::Extension(listener))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(crate::telemetry::request_span)
                // At `tower_http=debug`, one line per request (the finished one, with status
                // and latency): the "started processing request" line said nothing the span
                // does not, and its write fell inside the latency bench/ sums.
                .on_request(())
                // Microseconds: most requests take well under a millisecond (bench/ sums them).
                .on_response(
                    tower_http::trace::DefaultOnResponse::new()
                        .latency_unit(tower_http::LatencyUnit::Micros),
                ),
        )
        // Outside the trace layer, so the span already has the id.
        .layer(axum::middleware::from_fn(
            crate::telemetry::assign_request_id,
        ))
        .with_state(state)
}

/// A panic in a handler is a bug: answer 500 in the ARM envelope instead of dropping the
/// connection.
fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    axum::response::IntoResponse::into_response(crate::error::ArmError::internal(
        "a handler panicked",
    ))
}

fn url_host(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// The database and its WAL hold every endpoint key and every blob: readable by their owner
/// only, like the secret files beside them (they were 0644). SQLite gives a new WAL the
/// database file's mode; the existing ones are set here. Best effort: a file system without
/// modes (or a database another user made) keeps what it has.
fn owner_only(db: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    for suffix in ["", "-wal", "-shm"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let path = PathBuf::from(name);
        if path.exists() {
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
        }
    }
}

/// The exports a client needs for a listener base URL (SPEC §2.1): `AZURE_CLIENT_*` make
/// `EnvironmentCredential` (first in `DefaultAzureCredential`) use amlite's token endpoint.
pub fn env_lines(
    state: &AppState,
    base: &str,
    cert_path: &std::path::Path,
    vnet_id: Option<&str>,
) -> String {
    let f = state
        .primary
        .get()
        .cloned()
        .unwrap_or_else(crate::fixtures::defaults);
    let cert = cert_path.display().to_string();
    let mut pairs: Vec<(String, String)> = [
        ("REQUESTS_CA_BUNDLE", cert.clone()),
        ("SSL_CERT_FILE", cert.clone()),
        ("CURL_CA_BUNDLE", cert.clone()),
        ("NODE_EXTRA_CA_CERTS", cert),
        (
            "ARM_CLOUD_METADATA_URL",
            format!("{base}/metadata/endpoints?api-version=2019-05-01"),
        ),
        ("IDENTITY_ENDPOINT", format!("{base}/msi/token")),
        ("IDENTITY_HEADER", state.identity_header.clone()),
        ("AZURE_SUBSCRIPTION_ID", f.subscription_id),
        ("AZURE_RESOURCE_GROUP", f.resource_group),
        ("AZUREML_WORKSPACE_NAME", f.workspace),
        ("AZURE_CLIENT_ID", crate::identity::CLIENT_ID.to_string()),
        (
            "AZURE_CLIENT_SECRET",
            crate::identity::CLIENT_SECRET.to_string(),
        ),
        (
            "AZURE_TENANT_ID",
            crate::identity::AUTHORITY_TENANT.to_string(),
        ),
        ("AZURE_AUTHORITY_HOST", base.to_string()),
        ("AMLITE_URL", base.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if let Some(id) = vnet_id {
        pairs.push(("AMLITE_VNET_ID".to_string(), id.to_string()));
    }
    // Quoted for the shell: a value with a `'` (a VNet or resource group name, a data folder)
    // must stay one value when the text is `eval`ed, never run as a command.
    crate::cli::render::env(&pairs, crate::cli::render::Shell::Bash)
}

fn write_env(
    state: &AppState,
    data_dir: &std::path::Path,
    cert_path: &std::path::Path,
) -> std::io::Result<()> {
    let text = env_lines(state, &state.internet_base, cert_path, None);
    let tmp: PathBuf = data_dir.join("env.sh.tmp");
    std::fs::write(&tmp, &text)?;
    std::fs::rename(&tmp, data_dir.join("env.sh"))?;
    print!("{text}");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Grace period for in-flight requests at shutdown.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

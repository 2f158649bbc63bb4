//! `AppState`: what every handler shares (configuration, store, operation bookkeeping, scoring
//! caches, rendered GET answers, runtimes, listeners), and `Listener`: where a request came in
//! (SPEC §6.2).
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum_server::tls_rustls::RustlsConfig;

use crate::config::Config;
use crate::lro::Lro;
use crate::runtime::Runtimes;
use crate::scoring::cache::RouteCache;
use crate::store::Store;

pub use crate::network::CallerNetwork as Network;

/// Where a request came in: its network and the base URL of that listener
/// (`https://127.0.0.1:PORT`, used in `scoringUri` and monitor URLs).
#[derive(Debug, Clone)]
pub struct Listener {
    /// The caller's network.
    pub network: Network,
    /// Base URL without a trailing slash.
    pub base_url: String,
}

/// A running VNet listener.
#[derive(Debug)]
pub struct VnetListener {
    /// Its port on the host.
    pub port: u16,
    /// Stops it.
    pub handle: axum_server::Handle,
}

/// Shared state of the server.
pub struct AppState {
    /// Settings.
    pub config: Config,
    /// Database.
    pub store: Store,
    /// Long-running operation bookkeeping.
    pub lro: Lro,
    /// Serialises control-plane writes, their reads included (`write_gate`).
    pub writes: crate::write_gate::WriteGate,
    /// GET answers of single resources, kept with the row they were rendered from.
    pub rendered: crate::arm::rendered::Rendered,
    /// Scoring routes cached per endpoint name (valid while the store's write generation is unchanged).
    pub routes: RouteCache,
    /// Deployment runtimes.
    pub runtimes: Runtimes,
    /// The TLS configuration every listener serves.
    pub tls: RustlsConfig,
    /// The internet listener's base URL.
    pub internet_base: String,
    /// VNet listeners by lower-cased VNet id.
    pub vnet_listeners: Mutex<HashMap<String, VnetListener>>,
    /// The storage account keys `listSecrets` hands out and the Blob slice verifies with.
    pub storage_keys: crate::blob::keys::StorageKeys,
    /// The value `IDENTITY_HEADER` must carry on the managed-identity route.
    pub identity_header: String,
    /// The key every token amlite issues is signed with (issue 9).
    pub keys: crate::identity::keys::Keys,
    /// The tenant all subscriptions belong to.
    pub tenant_id: String,
    /// The fixture's first subscription / resource group / workspace (for `env.sh`).
    pub primary: std::sync::OnceLock<crate::fixtures::Primary>,
    /// Background python-runtime starts: `(deployment id, operation id or None for a restart)`.
    pub python_jobs: tokio::sync::mpsc::UnboundedSender<PythonJob>,
    /// The receiving end, taken once by `Application::run`.
    pub python_jobs_rx: Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<PythonJob>>>,
    /// The admin API's decision journal and fault rules.
    pub admin: crate::admin::AdminState,
}

/// A python runtime start to run in the background: `(deployment id, operation id)`; no
/// operation for a restart after reboot.
pub type PythonJob = (String, Option<String>);

/// Shared handle.
pub type State = Arc<AppState>;

//! Command line and environment configuration (`amlite --help`).
//!
//! Every flag is also an `AMLITE_*` environment variable (SPEC §2). This module parses only;
//! it opens no files and binds no sockets.
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

/// The `amlite` command line.
#[derive(Debug, Parser)]
#[command(
    name = "amlite",
    version,
    about = "Local emulator of Azure ML managed online endpoints and their network isolation"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The sub-commands of `amlite`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the ARM control plane, Blob slice and scoring data plane over HTTPS.
    Serve(Config),
    /// Print the client exports of a running amlite (internet or a VNet's listener).
    Env(crate::cli::EnvArgs),
    /// Show a running amlite's workspaces, endpoints, traffic, deployments and listeners.
    Status(crate::cli::PlainArgs),
    /// Reset a running amlite to its fixture state (keeps its certificate and keys).
    Reset(crate::cli::PlainArgs),
    /// Explain an inbound (scoring) or egress decision: the rule and what would allow it.
    Explain(crate::cli::ExplainArgs),
}

impl Command {
    /// The client sub-command, or `None` for `serve`.
    pub fn client(self) -> Result<crate::cli::ClientCommand, Box<Config>> {
        use crate::cli::ClientCommand as C;
        match self {
            Command::Serve(c) => Err(Box::new(c)),
            Command::Env(a) => Ok(C::Env(a)),
            Command::Status(a) => Ok(C::Status(a)),
            Command::Reset(a) => Ok(C::Reset(a)),
            Command::Explain(a) => Ok(C::Explain(a)),
        }
    }
}

/// How strictly bearer tokens are checked (SPEC §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthCheck {
    /// Any bearer token is accepted on the control plane.
    Lenient,
    /// Control-plane tokens must be ones amlite issued.
    Strict,
}

/// Which `api-version` values are accepted (SPEC §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApiVersions {
    /// Any non-empty value.
    Lenient,
    /// Only the api-versions amlite knows (the SDKs' and the stable ones, listed in the README).
    Strict,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human readable.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Settings of `amlite serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address to bind; only loopback addresses (127.0.0.0/8) are sensible.
    #[arg(long, env = "AMLITE_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port of the internet listener; 0 picks a free one.
    #[arg(long, env = "AMLITE_PORT", default_value_t = 8443)]
    pub port: u16,
    /// Folder for the database, certificate, env.sh and uploaded blobs.
    #[arg(long, env = "AMLITE_DATA_DIR", default_value = "./.amlite")]
    pub data_dir: PathBuf,
    /// Keep state in memory only (the certificate, the storage key secret and env.sh are still
    /// written to the data folder).
    #[arg(long, env = "AMLITE_IN_MEMORY", default_value_t = false)]
    pub in_memory: bool,
    /// Fixture file (JSON) to load at start-up instead of `fixtures/default.json`'s built-in copy.
    #[arg(long, env = "AMLITE_FIXTURES")]
    pub fixtures: Option<PathBuf>,
    /// Do not load the default fixture (ignored when --fixtures is given).
    #[arg(long, env = "AMLITE_NO_DEFAULT_FIXTURE", default_value_t = false)]
    pub no_default_fixture: bool,
    /// How long long-running operations stay `InProgress` (e.g. `0s`, `500ms`, `2s`).
    #[arg(long, env = "AMLITE_PROVISIONING_DELAY", default_value = "0s", value_parser = humantime::parse_duration)]
    pub provisioning_delay: Duration,
    /// Certificate PEM to serve instead of the generated one (needs --key).
    #[arg(long, env = "AMLITE_CERT", requires = "key")]
    pub cert: Option<PathBuf>,
    /// Private key PEM for --cert.
    #[arg(long, env = "AMLITE_KEY", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Log format.
    #[arg(long, env = "AMLITE_LOG_FORMAT", value_enum, default_value = "pretty")]
    pub log_format: LogFormat,
    /// Bearer token checking on the control plane.
    #[arg(long, env = "AMLITE_AUTH", value_enum, default_value = "lenient")]
    pub auth: AuthCheck,
    /// api-version checking.
    #[arg(
        long,
        env = "AMLITE_API_VERSIONS",
        value_enum,
        default_value = "lenient"
    )]
    pub api_versions: ApiVersions,
    /// Largest ARM request body, in bytes (larger → 413).
    #[arg(long, env = "AMLITE_MAX_BODY", default_value_t = 4 * 1024 * 1024)]
    pub max_body: usize,
    /// Largest Blob Storage request body, in bytes; also the largest blob Put Block List may
    /// commit (larger → 413 `RequestBodyTooLarge`).
    #[arg(long, env = "AMLITE_MAX_BLOB_BODY", default_value_t = 256 * 1024 * 1024)]
    pub max_blob_body: usize,
    /// Longest a client may take for the TLS handshake and for each request's head (request
    /// line and headers); a kept-alive connection idle this long before its next request is
    /// closed too. Bounds slowloris clients.
    #[arg(long, env = "AMLITE_HEADER_READ_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub header_read_timeout: Duration,
    /// Longest a client may stay silent while amlite reads its request body (between two
    /// chunks); the request then gets 408 and the connection is closed.
    #[arg(long, env = "AMLITE_IDLE_TIMEOUT", default_value = "60s", value_parser = humantime::parse_duration)]
    pub idle_timeout: Duration,
    /// Client virtual networks amlite serves at once (each holds a listener socket); creating
    /// one more is refused with `VnetCountLimitReached`.
    #[arg(long, env = "AMLITE_MAX_VNETS", default_value_t = 64)]
    pub max_vnets: usize,
    /// How long a finished long-running operation stays pollable before it is pruned (with
    /// blob contents no blob or block refers to any more).
    #[arg(long, env = "AMLITE_OPERATION_RETENTION", default_value = "1h", value_parser = humantime::parse_duration)]
    pub operation_retention: Duration,
    /// Online endpoints allowed per subscription and region (CP-5).
    #[arg(long, env = "AMLITE_ENDPOINT_QUOTA", default_value_t = 100)]
    pub endpoint_quota: u32,
    /// Cores available per subscription and region for Managed deployments (CP-8).
    #[arg(long, env = "AMLITE_CORE_QUOTA", default_value_t = 10_000)]
    pub core_quota: u32,
    /// Provision a workspace's managed network automatically when it is set (ISO-9).
    #[arg(long, env = "AMLITE_AUTO_PROVISION_NETWORK", default_value_t = false)]
    pub auto_provision_network: bool,
    /// Lifetime of AML tokens from `.../token`, e.g. `1h` (SPEC §3).
    #[arg(long, env = "AMLITE_TOKEN_LIFETIME", default_value = "1h", value_parser = humantime::parse_duration)]
    pub token_lifetime: Duration,
    /// Python interpreter with `azureml-inference-server-http` installed, for the `python`
    /// runtime (SPEC §7). Without it, python deployments fail with `ResourceNotReady`.
    #[arg(long, env = "AMLITE_PYTHON")]
    pub python: Option<PathBuf>,
    /// uv, which builds an environment per distinct conda file's pip dependencies for python
    /// deployments (issue 12). Default: `uv` beside `--python`, else on `PATH`; without one,
    /// deployments run in `--python` and their logs say why.
    #[arg(long, env = "AMLITE_UV")]
    pub uv: Option<PathBuf>,
    /// How long building one deployment environment may take.
    #[arg(long, env = "AMLITE_ENV_BUILD_TIMEOUT", default_value = "10m", value_parser = humantime::parse_duration)]
    pub env_build_timeout: Duration,
    /// Runtime of deployments that do not set `AMLITE_RUNTIME` in their environment variables.
    #[arg(
        long,
        env = "AMLITE_DEFAULT_RUNTIME",
        value_enum,
        default_value = "mock"
    )]
    pub default_runtime: DefaultRuntime,
    /// How long a python deployment may take to answer its liveness probe.
    #[arg(long, env = "AMLITE_RUNTIME_START_TIMEOUT", default_value = "120s", value_parser = humantime::parse_duration)]
    pub runtime_start_timeout: Duration,
    /// Do not restrict python deployments' TCP connections with Landlock (ISO-10): their code
    /// then reaches other deployments with a raw socket. For diagnosing only.
    #[arg(long, env = "AMLITE_NO_NETWORK_SANDBOX", default_value_t = false)]
    pub no_network_sandbox: bool,
}

/// The runtime a deployment gets unless it names one (SPEC §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DefaultRuntime {
    /// Built-in echo.
    Mock,
    /// The user's `score.py` (needs `--python`).
    Python,
}

impl Config {
    /// The default runtime as the runtime module names it.
    pub fn runtime_default(&self) -> crate::runtime::RuntimeKind {
        match self.default_runtime {
            DefaultRuntime::Mock => crate::runtime::RuntimeKind::Mock,
            DefaultRuntime::Python => crate::runtime::RuntimeKind::Python,
        }
    }

    /// A configuration for tests: port 0, in-memory, no provisioning delay.
    pub fn for_tests(data_dir: PathBuf) -> Self {
        let cli = Cli::parse_from(["amlite", "serve", "--port", "0", "--in-memory"]);
        let Err(mut c) = cli.command.client() else {
            unreachable!("`serve` parses as Command::Serve")
        };
        c.data_dir = data_dir;
        *c
    }
}

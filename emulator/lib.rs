//! amlite: a local emulator of Azure Machine Learning managed online endpoints and their
//! network-isolation rules. One binary that speaks the ARM REST API (control plane), the
//! scoring data plane and the Blob Storage slice the SDK uploads through, with state in SQLite.
//!
//! Code tour (dependencies point downwards; the rules and the test that keeps them are in
//! `docs/architecture.md` and `tests/api/architecture.rs`):
//! - [`admin`]: amlite's own admin API under `/_amlite/` (reset, state, decisions, faults, LRO).
//! - [`cli`]: the client sub-commands (`env`, `status`, `reset`, `explain`) over the admin API.
//! - [`config`], [`startup`], [`telemetry`], [`tls`], [`idle_accept`], [`fixtures`]: process set-up.
//! - [`dispatch`]: the single entry point of every listener (host/path → service);
//!   [`http`]: the parsed request every service takes.
//! - [`arm`]: the control-plane handlers (request bodies typed in `arm::body`); [`scoring`]: the data plane; [`blob`]: the Blob
//!   Storage slice; [`runtime`]: deployment runtimes; [`egress`]: the per-deployment egress proxy
//!   of python deployments (SPEC 6.4); [`identity`]: amlite's Entra stand-in.
//! - [`lro`]: long-running operations (records, replies, the driver); [`janitor`]: pruning of
//!   finished operations and unused blob contents; [`store`]: the only SQL, and the read models
//!   the services share.
//! - [`rules`], [`network`], [`domain`]: pure code (no IO, no async, no clock); every Azure enum
//!   is defined once in [`domain::enums`]; ISO-16/17/18 are decided once, in `network::legacy`.
//! - [`error`]: the ARM envelope and the errors shared by every service; each service names its
//!   own in its `errors` module.
pub mod admin;
pub mod app;
pub mod arm;
pub mod blob;
pub mod cli;
pub mod config;
pub mod dispatch;
pub mod domain;
pub mod egress;
pub mod error;
pub mod fixtures;
pub mod http;
pub mod identity;
pub mod idle_accept;
pub mod janitor;
pub mod lro;
pub mod network;
pub mod rules;
pub mod runtime;
pub mod scoring;
pub mod startup;
pub mod startup_log;
pub mod store;
pub mod telemetry;
pub mod tls;
pub mod write_gate;

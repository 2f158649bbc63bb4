//! amlite: a local emulator of Azure Machine Learning managed online endpoints and their
//! network-isolation rules. One binary that speaks the ARM REST API (control plane), the
//! scoring data plane and the Blob Storage slice the SDK uploads through, with state in SQLite.
//!
//! Code tour (dependencies point downwards; see `../shared/ARCHITECTURE.md`):
//! - [`config`], [`startup`], [`telemetry`], [`tls`], [`idle_accept`], [`fixtures`]: process set-up.
//! - [`arm`]: the single dispatcher of every listener and the control-plane handlers.
//! - [`scoring`]: the data plane; [`blob`]: the Blob Storage slice; [`runtime`]: deployment runtimes.
//! - [`egress`]: the per-deployment egress proxy of python deployments (SPEC 6.4).
//! - [`identity`]: amlite's Entra stand-in (signing key, OpenID metadata, token endpoint).
//! - [`lro`]: long-running operation bookkeeping; [`janitor`]: pruning of finished operations
//!   and unused blob contents; [`store`]: the only SQL.
//! - [`rules`], [`network`], [`domain`]: pure code (no IO, no async, no clock).
//! - [`error`]: the one place that maps failures to status codes and the ARM envelope.
pub mod app;
pub mod arm;
pub mod blob;
pub mod config;
pub mod domain;
pub mod egress;
pub mod error;
pub mod fixtures;
pub mod identity;
pub mod idle_accept;
pub mod janitor;
pub mod lro;
pub mod network;
pub mod rules;
pub mod runtime;
pub mod scoring;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod tls;

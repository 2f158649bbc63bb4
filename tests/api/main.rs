//! The one Rust integration-test binary (issue 10: one link instead of one per file). Each
//! module is a suite named after what it proves (`rules_iso`: the ISO rules over HTTPS, ...);
//! `common` and the other helper modules are shared by all. Run one suite with
//! `cargo test --test api rules_iso::`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin_api;
mod architecture;
mod arm_auth_and_lock;
mod arm_errors;
mod arm_lro;
mod arm_restart;
mod arm_routes;
mod arm_routes_ml;
mod azure_texts;
mod blob;
mod blob_signing;
mod cli;
mod common;
mod concurrency;
mod correctness_regions;
mod crash_safety;
mod docs;
mod egress_proxy;
mod fidelity_managed_network;
mod fidelity_recorded;
mod hardening;
mod hardening_listeners;
mod hardening_names;
mod network_isolation;
mod network_resources;
mod network_resources_pe;
mod raw_http;
mod reliability_disk_full;
mod rules_common;
mod rules_cp;
mod rules_iso;
mod rules_provisioning;
mod rules_provisioning_iso_18;
mod scoring_auth;
mod scoring_dataplane;
mod security_auth;
mod security_auth_issuer;
mod security_blob_auth;
mod security_filesystem;
mod security_isolation;
mod security_limits;
mod security_limits_network;
mod skeleton;
mod telemetry;
mod validation_assets;
mod validation_deployments;
mod validation_workspaces;

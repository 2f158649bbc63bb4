//! `amlite` binary: parse the command line, set up logging, build, serve until SIGINT/SIGTERM.
use clap::Parser;

use amlite::config::{Cli, Command};
use amlite::startup::{shutdown_signal, Application, SHUTDOWN_GRACE};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let Command::Serve(config) = cli.command;
    amlite::telemetry::init(config.log_format);
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("amlite: cannot start: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing::info!(port = app.port(), "amlite ready");
    let handle = app.handle();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        handle.graceful_shutdown(Some(SHUTDOWN_GRACE));
    });
    match app.run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("amlite: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

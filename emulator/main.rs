//! `amlite` binary: parse the command line; `serve`: set up logging, build, serve until
//! SIGINT/SIGTERM; the client sub-commands (`env`, `status`, `reset`, `explain`) run in `cli`.
use clap::Parser;

use amlite::config::Cli;
use amlite::startup::{shutdown_signal, Application, SHUTDOWN_GRACE};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match cli.command.client() {
        Ok(cmd) => return client(cmd).await,
        Err(config) => *config,
    };
    amlite::telemetry::init(config.log_format);
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("amlite: cannot start: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing::info!(port = app.port(), "amlite ready");
    amlite::startup_log::print(&app.state()).await;
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

async fn client(cmd: amlite::cli::ClientCommand) -> std::process::ExitCode {
    match amlite::cli::run(cmd).await {
        Ok(out) => {
            print!("{out}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("amlite: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

//! The client sub-commands of the `amlite` binary: `env`, `status`, `reset`, `explain`. They
//! talk to a running amlite through its admin API (`/_amlite/`, see `admin`), found by `--url`
//! / `AMLITE_URL` and trusted through its data folder's `cert.pem` ([`client`]); what they
//! print is rendered by [`render`].
pub mod client;
pub mod render;

pub use client::CliError;
use client::{q, Client, Target};
use render::Shell;

/// `amlite env`.
#[derive(Debug, Clone, clap::Args)]
pub struct EnvArgs {
    /// Syntax of the output.
    #[arg(long, value_enum, default_value = "bash")]
    pub shell: Shell,
    /// The exports for this client VNet's listener (name or ARM id) instead of the internet's.
    #[arg(long)]
    pub vnet: Option<String>,
    /// The server.
    #[command(flatten)]
    pub target: Target,
}

/// `amlite status` / `amlite reset`.
#[derive(Debug, Clone, clap::Args)]
pub struct PlainArgs {
    /// Print the admin API's JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// The server.
    #[command(flatten)]
    pub target: Target,
}

/// `amlite explain`.
#[derive(Debug, Clone, clap::Args)]
pub struct ExplainArgs {
    /// Inbound: where the caller sits, `internet` or a client VNet (name or ARM id).
    #[arg(long, default_value = "internet")]
    pub from: String,
    /// Inbound: the online endpoint scored (for egress: narrows `--egress` to this endpoint).
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Inbound: the endpoint's region, when two regions share its name (CP-1).
    #[arg(long)]
    pub region: Option<String>,
    /// Egress: the deployment (`NAME` or `ENDPOINT/NAME`) whose egress proxy decides.
    #[arg(long, requires = "to")]
    pub egress: Option<String>,
    /// Egress: the destination, `HOST[:PORT]` (port 443 when absent) or a URL.
    #[arg(long, requires = "egress")]
    pub to: Option<String>,
    /// Print the admin API's JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// The server.
    #[command(flatten)]
    pub target: Target,
}

/// A client sub-command.
#[derive(Debug, Clone)]
pub enum ClientCommand {
    /// `amlite env`.
    Env(EnvArgs),
    /// `amlite status`.
    Status(PlainArgs),
    /// `amlite reset`.
    Reset(PlainArgs),
    /// `amlite explain`.
    Explain(ExplainArgs),
}

/// Runs `cmd`; `Ok` is what to print on stdout, `Err` on stderr (exit status 1).
pub async fn run(cmd: ClientCommand) -> Result<String, CliError> {
    match cmd {
        ClientCommand::Env(a) => {
            let mut c = Client::new(&a.target)?;
            let path = match &a.vnet {
                Some(v) => format!("env?vnet={}", q(v)),
                None => "env".into(),
            };
            let text = c.get_text(&path).await?;
            Ok(render::env(&render::parse_exports(&text), a.shell))
        }
        ClientCommand::Status(a) => {
            let v = Client::new(&a.target)?.get_json("state").await?;
            Ok(if a.json {
                format!("{v:#}\n")
            } else {
                render::status(&v)
            })
        }
        ClientCommand::Reset(a) => {
            let v = Client::new(&a.target)?.post_json("reset").await?;
            Ok(if a.json {
                format!("{v}\n")
            } else {
                format!(
                    "reset to the fixture in {:.2} ms: {} resources, {} VNet listeners\n",
                    v["elapsedMs"].as_f64().unwrap_or(0.0),
                    v["resources"],
                    v["listeners"]
                )
            })
        }
        ClientCommand::Explain(a) => {
            let mut c = Client::new(&a.target)?;
            let path = match (&a.egress, &a.to) {
                (Some(d), Some(to)) => {
                    let ep = a.endpoint.as_deref().map(|e| format!("&endpoint={}", q(e)));
                    format!(
                        "explain?egress={}&to={}{}",
                        q(d),
                        q(to),
                        ep.unwrap_or_default()
                    )
                }
                _ => {
                    let ep = a.endpoint.as_deref().ok_or(CliError::ExplainWhat)?;
                    let region = a.region.as_deref().map(|r| format!("&region={}", q(r)));
                    format!(
                        "explain?from={}&endpoint={}{}",
                        q(&a.from),
                        q(ep),
                        region.unwrap_or_default()
                    )
                }
            };
            let v = c.get_json(&path).await?;
            Ok(if a.json {
                format!("{v:#}\n")
            } else {
                render::explain(&v)
            })
        }
    }
}

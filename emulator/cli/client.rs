//! The CLI's HTTPS client for a running amlite's admin API. Which server: `--url` /
//! `AMLITE_URL` (default `https://127.0.0.1:8443`). Which certificate to trust: every one of
//! `--ca-cert` / `AMLITE_CA_CERT`, `<--data-dir>/cert.pem` (default `./.amlite`),
//! `SSL_CERT_FILE` and `REQUESTS_CA_BUNDLE` that exists. Under `--auth strict` a 401 is retried
//! once with a token from the server's token endpoint (the well-known development client).
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

/// Where the server is and what to trust (shared by every client sub-command).
#[derive(Debug, Clone, clap::Args)]
pub struct Target {
    /// Base URL of the running amlite.
    #[arg(long, env = "AMLITE_URL", default_value = "https://127.0.0.1:8443")]
    pub url: String,
    /// Its data folder (for `cert.pem`).
    #[arg(long, env = "AMLITE_DATA_DIR", default_value = "./.amlite")]
    pub data_dir: PathBuf,
    /// A certificate (PEM) to trust besides the data folder's.
    #[arg(long, env = "AMLITE_CA_CERT")]
    pub ca_cert: Option<PathBuf>,
}

/// A connected client.
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

/// A failed sub-command: its text is what the CLI prints on stderr (after `amlite: `).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A certificate file cannot be read.
    #[error("{}: {source}", path.display())]
    ReadCertificate {
        /// The file.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// A certificate file is not PEM.
    #[error("{}: not a PEM certificate: {source}", path.display())]
    NotPem {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        source: reqwest::Error,
    },
    /// None of the candidate certificate files exists (their paths, comma-separated).
    #[error("no certificate to trust: none of {0} exists. Pass --data-dir (the server's data folder) or --ca-cert.")]
    NoCertificate(String),
    /// The server cannot be reached.
    #[error(
        "cannot reach amlite at {base}: {source} (is `amlite serve` running? --url / AMLITE_URL)"
    )]
    Unreachable {
        /// The server's base URL.
        base: String,
        /// What the client said.
        source: reqwest::Error,
    },
    /// Another HTTP client failure (building the client, reading an answer, the token call).
    #[error(transparent)]
    Http(#[from] reqwest::Error),
    /// The server answered an error: its status and ARM error code and message.
    #[error("{status} {code}: {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// `error.code` (empty when the body has none).
        code: String,
        /// `error.message`, else the body.
        message: String,
    },
    /// An answer of `path` that should be JSON is not.
    #[error("{path}: not JSON: {source}")]
    NotJson {
        /// The admin API path.
        path: String,
        /// What the parser said.
        source: serde_json::Error,
    },
    /// The token endpoint answered without a token (its answer).
    #[error("the token endpoint gave no token: {0}")]
    NoToken(Value),
    /// `amlite explain` without what to explain.
    #[error("explain needs --endpoint NAME (inbound) or --egress DEPLOYMENT --to HOST")]
    ExplainWhat,
}

impl Client {
    /// Builds the client (no request is sent yet).
    pub fn new(t: &Target) -> Result<Client, CliError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut candidates: Vec<PathBuf> = t.ca_cert.iter().cloned().collect();
        candidates.push(t.data_dir.join("cert.pem"));
        for var in ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"] {
            if let Some(p) = std::env::var_os(var) {
                candidates.push(PathBuf::from(p));
            }
        }
        let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(60));
        let mut trusted = 0;
        for path in candidates.iter().filter(|p| p.is_file()) {
            let pem = std::fs::read(path).map_err(|source| CliError::ReadCertificate {
                path: path.clone(),
                source,
            })?;
            for cert in
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|source| CliError::NotPem {
                    path: path.clone(),
                    source,
                })?
            {
                builder = builder.add_root_certificate(cert);
                trusted += 1;
            }
        }
        if trusted == 0 && t.url.starts_with("https:") {
            let names: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
            return Err(CliError::NoCertificate(names.join(", ")));
        }
        let http = builder.build()?;
        Ok(Client {
            http,
            base: t.url.trim_end_matches('/').to_string(),
            token: None,
        })
    }

    /// `GET /_amlite/{path}` as JSON.
    pub async fn get_json(&mut self, path: &str) -> Result<Value, CliError> {
        let text = self.send(reqwest::Method::GET, path).await?;
        serde_json::from_str(&text).map_err(|source| CliError::NotJson {
            path: path.to_string(),
            source,
        })
    }

    /// `GET /_amlite/{path}` as text.
    pub async fn get_text(&mut self, path: &str) -> Result<String, CliError> {
        self.send(reqwest::Method::GET, path).await
    }

    /// `POST /_amlite/{path}` (no body) as JSON.
    pub async fn post_json(&mut self, path: &str) -> Result<Value, CliError> {
        let text = self.send(reqwest::Method::POST, path).await?;
        serde_json::from_str(&text).map_err(|source| CliError::NotJson {
            path: path.to_string(),
            source,
        })
    }

    async fn send(&mut self, method: reqwest::Method, path: &str) -> Result<String, CliError> {
        let url = format!("{}/_amlite/{path}", self.base);
        let mut resp = self.once(method.clone(), &url).await?;
        if resp.status() == reqwest::StatusCode::UNAUTHORIZED && self.token.is_none() {
            self.token = Some(self.fetch_token().await?);
            resp = self.once(method, &url).await?;
        }
        let status = resp.status();
        let text = resp.text().await?;
        if !status.is_success() {
            let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let code = v["error"]["code"].as_str().unwrap_or("");
            let msg = v["error"]["message"].as_str().unwrap_or(text.as_str());
            return Err(CliError::Server {
                status: status.as_u16(),
                code: code.to_string(),
                message: msg.to_string(),
            });
        }
        Ok(text)
    }

    async fn once(
        &self,
        method: reqwest::Method,
        url: &str,
    ) -> Result<reqwest::Response, CliError> {
        let mut rb = self.http.request(method, url);
        if let Some(t) = &self.token {
            rb = rb.bearer_auth(t);
        }
        rb.send().await.map_err(|source| CliError::Unreachable {
            base: self.base.clone(),
            source,
        })
    }

    async fn fetch_token(&self) -> Result<String, CliError> {
        let url = format!(
            "{}/{}/oauth2/v2.0/token",
            self.base,
            crate::identity::AUTHORITY_TENANT
        );
        let scope = format!("{}/.default", self.base);
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", crate::identity::CLIENT_ID),
            ("client_secret", crate::identity::CLIENT_SECRET),
            ("scope", scope.as_str()),
        ];
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let resp = self
            .http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await?;
        let v: Value = resp.json().await?;
        match v["access_token"].as_str() {
            Some(token) => Ok(token.to_string()),
            None => Err(CliError::NoToken(v)),
        }
    }
}

/// Percent-encodes a query value.
pub fn q(v: &str) -> String {
    percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string()
}

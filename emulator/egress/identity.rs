//! The managed-identity endpoint of a deployment (issue 12). Azure gives a managed online
//! deployment `MSI_ENDPOINT`/`MSI_SECRET` (and amlite also sets the App Service pair
//! `IDENTITY_ENDPOINT`/`IDENTITY_HEADER` that `ManagedIdentityCredential` prefers); `score.py`
//! asks `GET {endpoint}?resource=…[&clientid=…]` with header `secret` (MSI 2017-09-01) or
//! `X-IDENTITY-HEADER` (2019-08-01) for a token of the endpoint's system- or user-assigned
//! identity (`domain::identity`).
//!
//! Where it is served: by the deployment's own egress proxy, at `http://127.0.0.1:<proxy
//! port>/msi/token`. So it is reachable from inside the Landlock sandbox (whose only allowed TCP
//! port is the proxy's), whether the client sends the request through `HTTP_PROXY` (absolute
//! form to the proxy's own address) or straight to it (origin form); and it is always allowed,
//! as Azure's identity endpoint is, while every other destination still goes through the egress
//! rules. Only this deployment's secret gets a token.
use serde_json::Value;
use tokio::net::TcpStream;

use super::http::Head;
use super::proxy::reply;
use super::Resolve;

/// The path of the token route on the proxy.
pub const TOKEN_PATH: &str = "/msi/token";

/// The identity endpoint a proxy serves.
#[derive(Debug, Clone)]
pub struct IdentityEndpoint {
    /// The proxy's own port.
    pub port: u16,
    /// What `MSI_SECRET` / `IDENTITY_HEADER` say.
    pub secret: String,
}

impl IdentityEndpoint {
    /// A new endpoint on `port` with a fresh random secret.
    pub fn new(port: u16) -> Self {
        IdentityEndpoint {
            port,
            secret: uuid::Uuid::new_v4().simple().to_string(),
        }
    }

    /// `http://127.0.0.1:<port>/msi/token`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}{TOKEN_PATH}", self.port)
    }

    /// Whether `head` asks for this endpoint: the token path, sent to the proxy itself.
    pub(super) fn is_for(&self, head: &Head) -> bool {
        let path = head.path.split('?').next().unwrap_or("");
        let to_me =
            head.host.is_empty() || (super::is_loopback_name(&head.host) && head.port == self.port);
        to_me && !head.method.eq_ignore_ascii_case("CONNECT") && path == TOKEN_PATH
    }

    /// Answers a token request.
    pub(super) async fn answer(
        &self,
        client: &mut TcpStream,
        head: &Head,
        resolver: &dyn Resolve,
    ) -> std::io::Result<()> {
        let (status, body) = self.token(head, resolver).await;
        reply(client, status, &[], &body.to_string()).await
    }

    async fn token(&self, head: &Head, resolver: &dyn Resolve) -> (u16, Value) {
        let err = |status: u16, error: &str, text: String| {
            (
                status,
                serde_json::json!({ "error": error, "error_description": text }),
            )
        };
        if !head.method.eq_ignore_ascii_case("GET") {
            return err(
                405,
                "invalid_request",
                "The managed identity endpoint answers GET only.".into(),
            );
        }
        let sent = head.headers.iter().find(|(k, _)| {
            k.eq_ignore_ascii_case("secret") || k.eq_ignore_ascii_case("x-identity-header")
        });
        if !sent.is_some_and(|(_, v)| constant_time_eq(v.as_bytes(), self.secret.as_bytes())) {
            return err(
                401,
                "unauthorized",
                "The 'secret' (MSI_SECRET) or 'X-IDENTITY-HEADER' (IDENTITY_HEADER) header is missing or wrong.".into(),
            );
        }
        let query: Vec<(String, String)> = head
            .path
            .split_once('?')
            .map(|(_, q)| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        let resource = query
            .iter()
            .find(|(k, _)| k == "resource")
            .map(|(_, v)| v.trim_end_matches("/.default").to_string())
            .filter(|r| !r.is_empty());
        let Some(resource) = resource else {
            return err(
                400,
                "invalid_request",
                "The request needs the query parameter 'resource' (the audience of the token)."
                    .into(),
            );
        };
        match resolver.token(&resource, &query).await {
            Ok(body) => (200, body),
            Err((status, text)) => err(status, "invalid_request", text),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

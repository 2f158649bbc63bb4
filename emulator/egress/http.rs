//! The little HTTP/1.1 the egress proxy needs (SPEC 6.4): reading and parsing a request head
//! (`CONNECT host:port` or an absolute-form `http://` request) and re-writing a plain request
//! into origin form for the upstream.
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use super::errors::EgressError;
use super::proxy::MAX_HEAD;

/// A parsed request head.
pub(super) struct Head {
    /// `CONNECT`, `GET`, ...
    pub(super) method: String,
    /// Destination host, normalised (lower case, no port); empty for an origin-form request.
    pub(super) host: String,
    /// Destination port (80 by default for plain HTTP).
    pub(super) port: u16,
    /// Origin-form target for plain HTTP (`/path?query`); empty for CONNECT.
    pub(super) path: String,
    /// `HTTP/1.1` or `HTTP/1.0`, passed on to the upstream.
    pub(super) version: String,
    /// Header lines as sent, without the request line.
    pub(super) headers: Vec<(String, String)>,
}

/// Reads until the blank line ending the head; returns the head text and any bytes after it.
pub(super) async fn read_head(s: &mut TcpStream) -> Result<(String, Vec<u8>), EgressError> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = find_head_end(&buf) {
            let rest = buf.split_off(end);
            let head = String::from_utf8(buf).map_err(|_| EgressError::HeadNotUtf8)?;
            return Ok((head, rest));
        }
        if buf.len() > MAX_HEAD {
            return Err(EgressError::HeadTooLarge(MAX_HEAD));
        }
        let n = s.read(&mut chunk).await.map_err(EgressError::Read)?;
        if n == 0 {
            return Err(EgressError::ClosedEarly);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

pub(super) fn parse_head(raw: &str) -> Result<Head, EgressError> {
    let mut lines = raw.split("\r\n");
    let line = lines.next().unwrap_or_default();
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(EgressError::MalformedRequestLine(line.to_string()));
    };
    let headers = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let (host, port, path) = if method.eq_ignore_ascii_case("CONNECT") {
        let (host, port) = crate::network::split_host_port(target);
        let port = port.ok_or_else(|| EgressError::ConnectWithoutPort(target.to_string()))?;
        (host, port, String::new())
    } else if target.starts_with('/') {
        // Origin form: a client talking to the proxy itself, which only its managed-identity
        // endpoint answers (`super::identity`); no host, port 0.
        (String::new(), 0, target.to_string())
    } else {
        absolute_http(target)?
    };
    if host.is_empty() && port != 0 {
        return Err(EgressError::NoHost(target.to_string()));
    }
    Ok(Head {
        method: method.to_string(),
        host,
        port,
        path,
        version: version.to_string(),
        headers,
    })
}

/// Splits `http://host[:port][/path]` into host, port (default 80) and origin-form path.
fn absolute_http(target: &str) -> Result<(String, u16, String), EgressError> {
    let lower = target.get(..7).map(str::to_ascii_lowercase);
    if lower.as_deref() != Some("http://") {
        return Err(EgressError::NotAProxyRequest(target.to_string()));
    }
    let rest = &target[7..];
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) if rest[i..].starts_with('/') => (&rest[..i], rest[i..].to_string()),
        Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
        None => (rest, "/".to_string()),
    };
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = crate::network::split_host_port(authority);
    let has_port = authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| !p.contains(']'));
    if has_port && port.is_none() {
        return Err(EgressError::BadPort(target.to_string()));
    }
    Ok((host, port.unwrap_or(80), path))
}

/// The request re-written for the origin server: origin-form target, proxy headers dropped,
/// `Connection: close` (one request per forwarded connection keeps the byte pump simple).
pub(super) fn origin_form(head: &Head) -> String {
    const HOP: &[&str] = &[
        "proxy-connection",
        "proxy-authorization",
        "connection",
        "keep-alive",
    ];
    let mut out = format!("{} {} {}\r\n", head.method, head.path, head.version);
    for (k, v) in &head.headers {
        if !HOP.iter().any(|h| k.eq_ignore_ascii_case(h)) {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    out
}

//! `Request`: one parsed request (decoded path segments, query, headers, body) plus the
//! listener it came in on, and the reply helpers every handler uses (JSON bodies, the LRO
//! headers of SPEC §3).
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::app::Listener;
use crate::config::ApiVersions;
use crate::error::{ArmError, ArmResult};

/// api-versions amlite knows (only enforced with `--api-versions strict`).
pub const KNOWN_API_VERSIONS: &[&str] = &[
    "2020-06-01",
    "2021-04-01",
    "2022-09-01",
    "2022-12-01",
    "2019-08-01",
    "2022-02-01-preview",
    "2022-05-01",
    "2022-10-01",
    "2023-04-01",
    "2023-04-01-preview",
    "2023-08-01-preview",
    "2023-10-01",
    "2024-01-01-preview",
    "2024-04-01",
    "2024-04-01-preview",
    "2024-07-01-preview",
    "2024-10-01",
    "2024-10-01-preview",
    "2025-04-01",
    "2025-06-01",
    "2025-09-01",
    "2025-12-01",
    "2026-07-01",
    "2023-11-01",
];

/// Deepest JSON nesting accepted in a request body (deeper → 400, never a stack overflow).
pub const MAX_JSON_DEPTH: usize = 64;

/// A parsed request.
#[derive(Debug)]
pub struct Request {
    /// HTTP method.
    pub method: Method,
    /// Raw path.
    pub path: String,
    /// Percent-decoded path segments in the caller's casing.
    pub segs: Vec<String>,
    /// Lower-cased segments, for matching.
    pub lower: Vec<String>,
    /// Query pairs, decoded.
    pub query: Vec<(String, String)>,
    /// Headers.
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Bytes,
    /// Listener it came in on.
    pub listener: Listener,
    /// The request's one id (span, response headers, logs): `telemetry::assign_request_id`.
    pub request_id: String,
    /// Blob, `--auth strict`: authorized only by a SAS's Create permission, because the blob
    /// did not exist when checked. Its write must then not replace a blob that another request
    /// created meanwhile (checked inside the write's transaction, `blob::precondition`).
    pub create_only: bool,
}

impl Request {
    /// A query parameter (name compared case-insensitively).
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `https://{Host}` as the caller addressed this listener (so documents name the host the
    /// client trusts, e.g. `localhost`), or the listener's base URL without a usable `Host`.
    pub fn base_from_host(&self) -> String {
        match self.header("host") {
            Some(h) if !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()) => {
                format!("https://{h}")
            }
            _ => self.listener.base_url.clone(),
        }
    }

    /// `https://{Host}` when the caller's `Host` names this listener by a loopback name
    /// (`localhost`, `127.x.y.z`, `[::1]`) and its port, else `None`. Unlike
    /// [`Request::base_from_host`] this is safe to trust for checks (token audiences): any other
    /// `Host` (`storage.azure.com`) is what the caller chose to send, not where amlite is.
    pub fn loopback_base_from_host(&self) -> Option<String> {
        let host = self.header("host")?;
        let (name, port) = host.rsplit_once(':')?;
        let listener_port = self.listener.base_url.rsplit_once(':')?.1;
        if port != listener_port {
            return None;
        }
        let name = name.trim_start_matches('[').trim_end_matches(']');
        let loopback = name.eq_ignore_ascii_case("localhost")
            || name
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        loopback.then(|| format!("https://{host}"))
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `api-version`: missing or empty → 400 `MissingApiVersionParameter`; with
    /// `--api-versions strict`, unknown → 400 `InvalidApiVersionParameter`.
    pub fn api_version(&self, mode: ApiVersions) -> ArmResult<&str> {
        let v = self
            .q("api-version")
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(ArmError::missing_api_version)?;
        if mode == ApiVersions::Strict && !KNOWN_API_VERSIONS.contains(&v) {
            return Err(ArmError::invalid_api_version(v));
        }
        Ok(v)
    }

    /// The body as a JSON object: malformed JSON, a non-object, duplicate keys or nesting deeper
    /// than [`MAX_JSON_DEPTH`] → 400 `InvalidRequestContent`.
    pub fn json_object(&self) -> ArmResult<serde_json::Map<String, Value>> {
        if self.body.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(ArmError::invalid_body(
                "the body is empty; a JSON object is required",
            ));
        }
        let text = std::str::from_utf8(&self.body)
            .map_err(|_| ArmError::invalid_body("the body is not valid UTF-8"))?;
        check_depth(text)?;
        let value: StrictValue = serde_json::from_str(text).map_err(ArmError::invalid_body)?;
        match value.0 {
            Value::Object(m) => Ok(m),
            _ => Err(ArmError::invalid_body("the body must be a JSON object")),
        }
    }

    /// [`Self::json_object`], read as ARM's Json.NET reads a template deployment when it is not
    /// strict JSON: property names may be unquoted and comments are allowed (`az deployment
    /// group create` splices the template file in as `template:{…}`, azure-cli
    /// `resource/custom.py`, and Azure accepts it). Duplicate keys, non-finite numbers and deep
    /// nesting are refused as in strict JSON.
    pub fn json_object_lenient(&self) -> ArmResult<serde_json::Map<String, Value>> {
        let strict = match self.json_object() {
            Ok(m) => return Ok(m),
            Err(e) => e,
        };
        let Ok(text) = std::str::from_utf8(&self.body) else {
            return Err(strict);
        };
        if lenient_depth(text) > MAX_JSON_DEPTH {
            return Err(strict);
        }
        match json5::from_str::<StrictValue>(text) {
            Ok(StrictValue(Value::Object(m))) => Ok(m),
            _ => Err(strict),
        }
    }

    /// The body as a JSON object, or an empty object when there is no body.
    pub fn json_object_or_empty(&self) -> ArmResult<serde_json::Map<String, Value>> {
        if self.body.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(Default::default());
        }
        self.json_object()
    }
}

fn check_depth(text: &str) -> ArmResult<()> {
    let (mut depth, mut max, mut in_str, mut esc) = (0usize, 0usize, false, false);
    for c in text.bytes() {
        if in_str {
            match (esc, c) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if max > MAX_JSON_DEPTH {
        return Err(ArmError::invalid_body(format!(
            "JSON nesting deeper than {MAX_JSON_DEPTH} levels"
        )));
    }
    Ok(())
}

/// The deepest nesting of `{` and `[` outside strings (quoted either way: JSON5 has
/// single-quoted strings) and comments (`//…`, `/*…*/`, where a quote starts nothing): checked
/// before the lenient reader, which has no bound of its own.
fn lenient_depth(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                let mut escaped = false;
                for d in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if d == '\\' {
                        escaped = true;
                    } else if d == c {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'/') => {
                // JSON5's line terminators end a line comment (json5 1.3 as the spec: LF, CR,
                // U+2028, U+2029); stopping at LF alone hid the nesting after a CR from this
                // bound while the parser recursed into it (a stack overflow, attack review).
                for d in chars.by_ref() {
                    if matches!(d, '\n' | '\r' | '\u{2028}' | '\u{2029}') {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut star = false;
                for d in chars.by_ref() {
                    if star && d == '/' {
                        break;
                    }
                    star = d == '*';
                }
            }
            '{' | '[' => {
                depth += 1;
                max = max.max(depth);
            }
            '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// A JSON value that refuses duplicate object keys (ARM treats them as invalid content).
pub(crate) struct StrictValue(pub(crate) Value);

impl<'de> serde::Deserialize<'de> for StrictValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        // serde_json never yields a non-finite number; the lenient reader (JSON5) would.
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom(format!("{v} is not a JSON number")))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut v = Vec::new();
        while let Some(StrictValue(x)) = seq.next_element()? {
            v.push(x);
        }
        Ok(Value::Array(v))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut m = serde_json::Map::new();
        while let Some(k) = map.next_key::<String>()? {
            let StrictValue(v) = map.next_value()?;
            if m.insert(k.clone(), v).is_some() {
                return Err(serde::de::Error::custom(format!("duplicate key '{k}'")));
            }
        }
        Ok(Value::Object(m))
    }
}

/// A JSON reply.
pub fn json_reply<T: serde::Serialize + ?Sized>(status: StatusCode, body: &T) -> Response {
    (status, axum::Json(body)).into_response()
}

/// A synchronous DELETE's answer: ARM's 200 when something was deleted, 204 when nothing was
/// there to delete.
pub fn deleted(existed: bool) -> Response {
    if existed {
        StatusCode::OK.into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    }
}

/// 200 with a JSON body.
pub fn ok<T: serde::Serialize + ?Sized>(body: &T) -> Response {
    json_reply(StatusCode::OK, body)
}

/// The JSON [`ok`] would send for `body`.
pub fn json_bytes<T: serde::Serialize + ?Sized>(body: &T) -> crate::error::ArmResult<Vec<u8>> {
    serde_json::to_vec(body).map_err(crate::error::ArmError::internal)
}

/// 200 with JSON serialised before (by [`json_bytes`]): the same headers as [`ok`].
pub fn ok_json_bytes(body: bytes::Bytes) -> Response {
    (
        StatusCode::OK,
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod lenient_tests {
    #[test]
    fn nesting_counts_past_comments_with_quotes_in_them() {
        let deep = format!("{{/* it's */ a: {}1{}}}", "[".repeat(100), "]".repeat(100));
        assert_eq!(super::lenient_depth(&deep), 101);
        let line = format!("{{// it's\n a: {}1{}}}", "[".repeat(100), "]".repeat(100));
        assert_eq!(super::lenient_depth(&line), 101);
        assert_eq!(super::lenient_depth("{a: '[[[', b: \"{{\\\"\"}"), 1);
        for end in ["\r", "\u{2028}", "\u{2029}"] {
            let text = format!("{{// c{end} a: {}1{}}}", "[".repeat(100), "]".repeat(100));
            assert_eq!(super::lenient_depth(&text), 101, "{end:?}");
        }
    }

    /// Nesting of a parsed value (a scalar is 0).
    fn depth(v: &serde_json::Value) -> usize {
        match v {
            serde_json::Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
            serde_json::Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
            _ => 0,
        }
    }

    #[test]
    fn the_bound_never_counts_less_nesting_than_json5_parses() {
        // Random short texts over the characters that open, close or hide nesting: whatever
        // json5 parses must be at most as deep as the bound says, or the bound lets a deep
        // body reach the recursive parser.
        const TOKENS: &[&str] = &[
            "[", "]", "{", "}", "[]", "\"", "'", "//", "/*", "*/", "\n", "\r", "\u{2028}",
            "\u{2029}", "\\", "a:", ",", " ", "1", "x",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut parsed = 0;
        for _ in 0..60_000 {
            let len = 1 + (next() % 12) as usize;
            let text: String = (0..len)
                .map(|_| TOKENS[(next() % TOKENS.len() as u64) as usize])
                .collect();
            if let Ok(v) = json5::from_str::<serde_json::Value>(&text) {
                parsed += 1;
                assert!(depth(&v) <= super::lenient_depth(&text), "{text:?}");
            }
        }
        assert!(
            parsed > 100,
            "only {parsed} texts parsed: the alphabet no longer exercises the bound"
        );
    }
}

//! Azure Storage request signing as the Blob service verifies it (issue 9: under `--auth strict`
//! Blob requests need Shared Key or a SAS signed with the key `listSecrets` hands out):
//! - Shared Key string-to-sign for the Blob service, version 2009-09-19 and later ("Authorize
//!   with Shared Key": verb, the eleven standard headers, canonicalized `x-ms-*` headers in the
//!   service's collation, canonicalized resource with its query);
//! - service SAS (sv 2015-04-05 and later, the three string-to-sign layouts) and account SAS
//!   ("Create a service SAS", "Create an account SAS");
//! - amlite's storage account keys: HMAC-SHA512 of a per-data-folder secret and the account name,
//!   so one workspace's key never opens another workspace's account.
//!
//! Pure: the caller passes the request parts and the time.
use base64::Engine;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use hmac::{Hmac, Mac};

/// The Blob service `x-ms-version` amlite answers with, and signs the SAS it issues for (the
/// control plane's `listSecrets` and the Blob slice agree on it here).
pub const API_VERSION: &str = "2021-08-06";

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The storage account key of `account` (64 bytes, like Azure's), derived from `secret`.
pub fn account_key(secret: &[u8], account: &str) -> Vec<u8> {
    #[allow(clippy::expect_used)]
    let mut mac =
        Hmac::<sha2::Sha512>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(b"amlite storage account key\n");
    mac.update(account.to_ascii_lowercase().as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// The key as `listSecrets` and connection strings carry it (base64).
pub fn key_text(key: &[u8]) -> String {
    B64.encode(key)
}

/// Base64 HMAC-SHA256 of `string_to_sign` (the signature of Shared Key and SAS alike).
pub fn sign(key: &[u8], string_to_sign: &str) -> String {
    match Hmac::<sha2::Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(string_to_sign.as_bytes());
            B64.encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// Constant-time comparison of two signatures.
pub fn same_signature(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Query pairs of a raw query string, percent-decoded (a `+` stays a `+`, as the storage
/// clients sign it).
pub fn query_pairs(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Primary weight of a header-name character in the service's collation: `-` and most
/// punctuation are ignored, letters compare case-insensitively (the order the storage SDKs
/// reproduce in `_storage_header_sort`).
fn weight0(c: char) -> u32 {
    const ORDER: &str = "!#$%&*.^_`|~+0123456789abcdefghijklmnopqrstuvwxyz";
    ORDER
        .find(c.to_ascii_lowercase())
        .map_or(0, |p| p as u32 + 2)
}

/// Secondary weight: only `'` and `-` count.
fn weight1(c: char) -> u32 {
    match c {
        '\'' => 2,
        '-' => 3,
        _ => 0,
    }
}

/// The collation the Blob service sorts canonicalized headers by (1 marks the end of a name).
fn collate(lhs: &str, rhs: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let (l, r): (Vec<char>, Vec<char>) = (lhs.chars().collect(), rhs.chars().collect());
    let weights: [fn(char) -> u32; 2] = [weight0, weight1];
    for (level, w) in weights.iter().enumerate() {
        let (mut i, mut j) = (0usize, 0usize);
        loop {
            if level == 1 && i != j {
                return if i > j { Less } else { Greater };
            }
            let w1 = l.get(i).map_or(1, |c| w(*c));
            let w2 = r.get(j).map_or(1, |c| w(*c));
            if w1 == 1 && w2 == 1 {
                break;
            } else if w1 == w2 {
                i += 1;
                j += 1;
            } else if w1 == 0 {
                i += 1;
            } else if w2 == 0 {
                j += 1;
            } else {
                return w1.cmp(&w2);
            }
        }
    }
    Equal
}

/// The Shared Key string-to-sign of a Blob request. `headers` are (lower-cased name, value)
/// pairs as received; `account` is the name in the `Authorization` header; `raw_path` the
/// request path as sent (still percent-encoded); `version` its `x-ms-version`.
pub fn shared_key_string_to_sign(
    verb: &str,
    headers: &[(String, String)],
    account: &str,
    raw_path: &str,
    raw_query: &str,
) -> String {
    let get = |name: &str| -> String {
        let values: Vec<&str> = headers
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .collect();
        values.join(",")
    };
    let version = get("x-ms-version");
    let mut out = format!("{verb}\n");
    for name in [
        "content-encoding",
        "content-language",
        "content-length",
        "content-md5",
        "content-type",
        "date",
        "if-modified-since",
        "if-match",
        "if-none-match",
        "if-unmodified-since",
        "range",
    ] {
        let mut v = get(name);
        // Since 2015-02-21 a zero Content-Length is signed as an empty string.
        if name == "content-length" && v == "0" && version.as_str() >= "2015-02-21" {
            v.clear();
        }
        out.push_str(&v);
        out.push('\n');
    }
    let mut names: Vec<&str> = Vec::new();
    for (k, _) in headers {
        if k.starts_with("x-ms-") && !names.contains(&k.as_str()) {
            names.push(k);
        }
    }
    names.sort_by(|a, b| collate(a, b));
    for n in names {
        out.push_str(&format!("{n}:{}\n", get(n)));
    }
    out.push('/');
    out.push_str(account);
    out.push_str(raw_path);
    let mut params: Vec<(String, Vec<String>)> = Vec::new();
    for (k, v) in query_pairs(raw_query) {
        let k = k.to_ascii_lowercase();
        match params.iter_mut().find(|(n, _)| *n == k) {
            Some((_, vs)) => vs.push(v),
            None => params.push((k, vec![v])),
        }
    }
    params.sort_by(|a, b| a.0.cmp(&b.0));
    for (k, mut vs) in params {
        vs.sort();
        out.push_str(&format!("\n{k}:{}", vs.join(",")));
    }
    out
}

/// The fields of a SAS token (query parameter names as Azure defines them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sas {
    /// `sv`: signed version.
    pub sv: String,
    /// `sp`: permissions.
    pub sp: String,
    /// `st`: start (optional).
    pub st: String,
    /// `se`: expiry.
    pub se: String,
    /// `sr`: signed resource of a service SAS (`b`, `c`, ...).
    pub sr: String,
    /// `ss`: services of an account SAS.
    pub ss: String,
    /// `srt`: resource types of an account SAS (`s`, `c`, `o`).
    pub srt: String,
    /// `si`: stored access policy.
    pub si: String,
    /// `sip`: allowed IPs.
    pub sip: String,
    /// `spr`: protocols.
    pub spr: String,
    /// `ses`: encryption scope.
    pub ses: String,
    /// `rscc`, `rscd`, `rsce`, `rscl`, `rsct`: response header overrides.
    pub overrides: [String; 5],
    /// `skoid` etc.: set when the SAS is a user delegation SAS.
    pub user_delegation: bool,
    /// `sig`.
    pub sig: String,
}

impl Sas {
    /// The SAS in a request's query, if it carries a `sig`.
    pub fn from_query(pairs: &[(String, String)]) -> Option<Sas> {
        let get = |n: &str| {
            pairs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let sig = get("sig");
        if sig.is_empty() {
            return None;
        }
        Some(Sas {
            sv: get("sv"),
            sp: get("sp"),
            st: get("st"),
            se: get("se"),
            sr: get("sr"),
            ss: get("ss"),
            srt: get("srt"),
            si: get("si"),
            sip: get("sip"),
            spr: get("spr"),
            ses: get("ses"),
            overrides: ["rscc", "rscd", "rsce", "rscl", "rsct"].map(get),
            user_delegation: !get("skoid").is_empty(),
            sig,
        })
    }

    /// True for an account SAS (it names services and resource types instead of a resource).
    pub fn is_account(&self) -> bool {
        !self.ss.is_empty() || !self.srt.is_empty()
    }

    /// The service SAS string-to-sign for `canonical_resource` (`/blob/{account}/{container}[/{blob}]`);
    /// `snapshot` is the request's snapshot time (empty for the base blob).
    pub fn service_string_to_sign(&self, canonical_resource: &str, snapshot: &str) -> String {
        let mut f: Vec<&str> = vec![&self.sp, &self.st, &self.se, canonical_resource, &self.si];
        f.extend([self.sip.as_str(), &self.spr, &self.sv]);
        if self.sv.as_str() >= "2018-11-09" {
            f.extend([self.sr.as_str(), snapshot]);
        }
        if self.sv.as_str() >= "2020-12-06" {
            f.push(&self.ses);
        }
        f.extend(self.overrides.iter().map(String::as_str));
        f.join("\n")
    }

    /// The account SAS string-to-sign.
    pub fn account_string_to_sign(&self, account: &str) -> String {
        let mut f: Vec<&str> = vec![account, &self.sp, &self.ss, &self.srt, &self.st, &self.se];
        f.extend([self.sip.as_str(), &self.spr, &self.sv]);
        if self.sv.as_str() >= "2020-12-06" {
            f.push(&self.ses);
        }
        let mut s = f.join("\n");
        s.push('\n');
        s
    }
}

/// A SAS time: `YYYY-MM-DD`, `YYYY-MM-DDThh:mmZ`, `YYYY-MM-DDThh:mm:ss[.f]Z` (ISO 8601 UTC, the
/// forms Azure accepts).
pub fn parse_sas_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%MZ") {
        return Some(t.and_utc());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// Formats a SAS time as the storage SDKs do (`2026-01-02T03:04:05Z`).
pub fn sas_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A container SAS (`sr=c`) signed with `key`, as a query string without the leading `?`.
pub fn container_sas(
    key: &[u8],
    account: &str,
    container: &str,
    permissions: &str,
    start: DateTime<Utc>,
    expiry: DateTime<Utc>,
    version: &str,
) -> String {
    let mut sas = Sas {
        sv: version.to_string(),
        sp: permissions.to_string(),
        st: sas_time(start),
        se: sas_time(expiry),
        sr: "c".into(),
        spr: "https".into(),
        ..Sas::default()
    };
    let resource = format!("/blob/{}/{container}", account.to_ascii_lowercase());
    sas.sig = sign(key, &sas.service_string_to_sign(&resource, ""));
    let enc = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    format!(
        "sv={}&st={}&se={}&sr=c&sp={}&spr=https&sig={}",
        enc(&sas.sv),
        enc(&sas.st),
        enc(&sas.se),
        enc(&sas.sp),
        enc(&sas.sig)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_collation_matches_the_storage_sdks() {
        // Input in a scrambled order; expected = azure-storage-blob 12.31's `_storage_header_sort`
        // of the same names (dashes count only at the second level).
        let expected = [
            "x-ms-blob-content-type",
            "x-ms-blobtype",
            "x-ms-blob-type",
            "x-ms-client-request-id",
            "x-ms-date",
            "x-ms-meta-a",
            "x-ms-meta-a-",
            "x-ms-meta-a_b",
            "x-ms-meta-a1",
            "x-ms-meta-aa",
            "x-ms-meta-ab",
            "x-ms-meta-a-b",
            "x-ms-meta-b",
            "x-ms-meta-Z",
            "x-ms-version",
        ];
        let mut v: Vec<&str> = expected.iter().rev().copied().collect();
        v.swap(0, 7);
        v.sort_by(|a, b| collate(a, b));
        assert_eq!(v, expected);
    }

    #[test]
    fn sas_times_in_every_form() {
        for s in [
            "2030-01-02",
            "2030-01-02T03:04Z",
            "2030-01-02T03:04:05Z",
            "2030-01-02T03:04:05.1234567Z",
        ] {
            assert!(parse_sas_time(s).is_some(), "{s}");
        }
        assert!(parse_sas_time("tomorrow").is_none());
    }

    #[test]
    fn container_sas_verifies() {
        let key = account_key(b"secret", "acct");
        let start = parse_sas_time("2030-01-01").expect("a date");
        let q = container_sas(&key, "acct", "c1", "rl", start, start, "2021-08-06");
        let sas = Sas::from_query(&query_pairs(&q)).expect("a SAS");
        let sts = sas.service_string_to_sign("/blob/acct/c1", "");
        assert!(same_signature(&sign(&key, &sts), &sas.sig));
        assert_ne!(account_key(b"secret", "other"), key);
    }
}

//! Authorization of Blob requests under `--auth strict` (issue 9), as Azure Storage does it:
//! a request needs `Authorization: SharedKey {account}:{signature}` signed with the account key
//! `listSecrets` returns, or a service/account SAS signed with that key, unexpired, for the
//! container or blob addressed and with the permission the operation needs. Checked before the
//! body is read. Lenient mode stays anonymous.
//!
//! Not verified: a SAS's `sip` (every caller is on loopback), stored access policies (`si`,
//! amlite has none) and user delegation SAS (amlite issues no delegation keys): the last two are
//! refused.
use axum::http::{HeaderMap, Method, Uri};
use chrono::{DateTime, Utc};

use super::errors::Refusal;
use crate::app::AppState;
use crate::config::AuthCheck;
use crate::domain::storage_auth::{self as sa, Sas};
use crate::error::ArmResult;

/// How far a Shared Key request's date may be from the server's clock (Azure: 15 minutes).
const MAX_CLOCK_SKEW_MINUTES: i64 = 15;

/// What an operation needs from a SAS: one of `perms`, or `new_blob_perm` when the blob does not
/// exist yet ("Create" permission), on `resource_type` (`c` container, `o` object).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Need {
    perms: &'static str,
    new_blob_perm: Option<char>,
    resource_type: char,
    creates_container: bool,
}

fn need(method: &Method, pairs: &[(String, String)], is_container: bool) -> Need {
    let q = |n: &str| {
        pairs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    let comp = q("comp");
    let by_method = |perms| Need {
        perms,
        new_blob_perm: None,
        resource_type: if is_container { 'c' } else { 'o' },
        creates_container: false,
    };
    match *method {
        Method::GET | Method::HEAD if is_container && comp.as_deref() == Some("list") => {
            by_method("l")
        }
        Method::GET | Method::HEAD => by_method("r"),
        Method::DELETE => by_method("d"),
        Method::PUT if is_container && comp.is_none() => Need {
            creates_container: true,
            ..by_method("cw")
        },
        // Put Blob, Put Block, Put Block List: Write, or Create for a blob that is new.
        Method::PUT
            if !is_container
                && matches!(comp.as_deref(), None | Some("block") | Some("blocklist")) =>
        {
            Need {
                new_blob_perm: Some('c'),
                ..by_method("w")
            }
        }
        _ => by_method("w"),
    }
}

/// What a Blob request was allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// What it asks (or `--auth` is not strict).
    Allowed,
    /// Only to create a blob that does not exist: SAS Create permission without Write.
    CreateOnly,
}

/// The [`Grant`] when the request may proceed; otherwise the response refusing it.
pub async fn check(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    segs: &[String],
    request_id: &str,
) -> ArmResult<Result<Grant, axum::response::Response>> {
    if state.config.auth != AuthCheck::Strict {
        return Ok(Ok(Grant::Allowed));
    }
    let account = segs
        .first()
        .and_then(|s| s.split('.').next())
        .unwrap_or("")
        .to_ascii_lowercase();
    let container = segs.get(1).map(String::as_str).unwrap_or("");
    if account.is_empty() || container.is_empty() {
        // Refused as an invalid name by the handler; nothing is read or written.
        return Ok(Ok(Grant::Allowed));
    }
    let blob = segs.get(2..).map(|s| s.join("/")).unwrap_or_default();
    let now = Utc::now();
    let req = Request {
        method,
        uri,
        headers,
        account: &account,
        container,
        blob: &blob,
        key: state.storage_keys.key(&account),
        now,
    };
    let pairs = sa::query_pairs(uri.query().unwrap_or(""));
    let result = if let Some(auth) = headers.get("authorization") {
        req.shared_key(auth.to_str().unwrap_or(""))
            .map(|()| Grant::Allowed)
    } else if let Some(sas) = Sas::from_query(&pairs) {
        let need = need(method, &pairs, blob.is_empty());
        match req.sas(&sas, need) {
            Err(Refusal {
                code: "AuthorizationPermissionMismatch",
                ..
            }) => {
                // Create permission allows writing a blob that does not exist yet.
                let new_blob = match need.new_blob_perm {
                    Some(p) if sas.sp.contains(p) => state
                        .store
                        .blob(&account, container, &blob)
                        .await?
                        .is_none(),
                    _ => false,
                };
                if new_blob {
                    Ok(Grant::CreateOnly)
                } else {
                    Err(Refusal::permission_mismatch())
                }
            }
            other => other.map(|()| Grant::Allowed),
        }
    } else {
        Err(Refusal::anonymous())
    };
    Ok(result.map_err(|r| {
        tracing::info!(code = r.code, path = uri.path(), "blob request refused");
        r.into_response(now, request_id)
    }))
}

struct Request<'a> {
    method: &'a Method,
    uri: &'a Uri,
    headers: &'a HeaderMap,
    account: &'a str,
    container: &'a str,
    blob: &'a str,
    key: Vec<u8>,
    now: DateTime<Utc>,
}

impl Request<'_> {
    fn shared_key(&self, header: &str) -> Result<(), Refusal> {
        let Some(("SharedKey", cred)) = header.trim().split_once(' ') else {
            return Err(Refusal::authentication_failed(
                "amlite's Blob Storage accepts Shared Key (SharedKey account:signature) and SAS only.",
            ));
        };
        let Some((signer, sig)) = cred.trim().rsplit_once(':') else {
            return Err(Refusal::authentication_failed(
                "The Authorization header is not 'SharedKey account:signature'.",
            ));
        };
        self.check_date()?;
        let headers: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let sts = sa::shared_key_string_to_sign(
            self.method.as_str(),
            &headers,
            signer,
            self.uri.path(),
            self.uri.query().unwrap_or(""),
        );
        if sa::same_signature(&sa::sign(&self.key, &sts), sig) {
            Ok(())
        } else {
            Err(Refusal::authentication_failed(format!("The MAC signature found in the HTTP request '{sig}' is not the same as any computed signature. Server used following string to sign: '{sts}'.")))
        }
    }

    /// Shared Key requests carry `x-ms-date` (or `Date`) within 15 minutes of the server's
    /// clock, so a captured request cannot be replayed later.
    fn check_date(&self) -> Result<(), Refusal> {
        let date = self
            .headers
            .get("x-ms-date")
            .or_else(|| self.headers.get("date"))
            .and_then(|v| v.to_str().ok());
        let Some(date) = date else {
            return Err(Refusal::authentication_failed(
                "Request date header not specified.",
            ));
        };
        let when = DateTime::parse_from_rfc2822(date).map(|d| d.with_timezone(&Utc));
        match when {
            Ok(t) if (self.now - t).num_minutes().abs() <= MAX_CLOCK_SKEW_MINUTES => Ok(()),
            Ok(_) => Err(Refusal::authentication_failed(format!(
                "Request date header too old: '{date}'"
            ))),
            Err(_) => Err(Refusal::authentication_failed(format!(
                "The Date header in the request is incorrect: '{date}'"
            ))),
        }
    }

    fn sas(&self, sas: &Sas, need: Need) -> Result<(), Refusal> {
        let malformed = || Refusal::authentication_failed("Signature fields not well formed.");
        if sas.user_delegation || !sas.si.is_empty() {
            return Err(Refusal::authentication_failed(
                "amlite verifies account and service SAS signed with the account key only (no user delegation keys, no stored access policies).",
            ));
        }
        if sas.sv.as_str() < "2015-04-05" {
            return Err(malformed());
        }
        for (name, v) in [("sp", &sas.sp), ("se", &sas.se)] {
            if v.is_empty() {
                return Err(Refusal::authentication_failed(format!(
                    "{name} is mandatory. Cannot be empty"
                )));
            }
        }
        let sts = if sas.is_account() {
            sas.account_string_to_sign(self.account)
        } else {
            let resource = match sas.sr.as_str() {
                "c" => format!("/blob/{}/{}", self.account, self.container),
                "b" => format!("/blob/{}/{}/{}", self.account, self.container, self.blob),
                _ => return Err(malformed()),
            };
            let snapshot = sa::query_pairs(self.uri.query().unwrap_or(""))
                .into_iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("snapshot"))
                .map(|(_, v)| v)
                .unwrap_or_default();
            sas.service_string_to_sign(&resource, &snapshot)
        };
        if !sa::same_signature(&sa::sign(&self.key, &sts), &sas.sig) {
            return Err(Refusal::authentication_failed(format!(
                "Signature did not match. String to sign used was {sts}"
            )));
        }
        let expiry = sa::parse_sas_time(&sas.se).ok_or_else(malformed)?;
        let start = match sas.st.as_str() {
            "" => None,
            st => Some(sa::parse_sas_time(st).ok_or_else(malformed)?),
        };
        if self.now > expiry || start.is_some_and(|s| self.now < s) {
            let rfc1123 = |t: DateTime<Utc>| t.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
            return Err(Refusal::authentication_failed(format!(
                "Signature not valid in the specified time frame: Start [{}] - Expiry [{}] - Current [{}]",
                start.map(rfc1123).unwrap_or_default(),
                rfc1123(expiry),
                rfc1123(self.now)
            )));
        }
        if !sas.spr.is_empty() && !sas.spr.split(',').any(|p| p.trim() == "https") {
            return Err(Refusal::protocol_mismatch());
        }
        if sas.is_account() {
            if !sas.ss.contains('b') {
                return Err(Refusal::service_mismatch());
            }
            if !sas.srt.contains(need.resource_type) {
                return Err(Refusal::resource_type_mismatch());
            }
        } else if need.creates_container {
            // A service SAS grants access inside a container or to a blob, never creating one.
            return Err(Refusal::resource_type_mismatch());
        }
        if need.perms.chars().any(|p| sas.sp.contains(p)) {
            Ok(())
        } else {
            Err(Refusal::permission_mismatch())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_need_azure_permissions() {
        let q = |s: &str| sa::query_pairs(s);
        assert_eq!(
            need(&Method::PUT, &q("comp=block&blockid=x"), false).perms,
            "w"
        );
        assert_eq!(need(&Method::PUT, &q(""), false).new_blob_perm, Some('c'));
        assert_eq!(
            need(&Method::PUT, &q("comp=metadata"), false).new_blob_perm,
            None
        );
        assert_eq!(
            need(&Method::GET, &q("restype=container&comp=list"), true).perms,
            "l"
        );
        assert_eq!(need(&Method::HEAD, &q(""), false).perms, "r");
        assert!(need(&Method::PUT, &q("restype=container"), true).creates_container);
    }
}

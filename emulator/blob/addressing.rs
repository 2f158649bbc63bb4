//! Which requests outside amlite's reserved roots are Blob Storage (issue 13): requests of a
//! storage client (any `x-ms-*` header, or a SAS / `comp` / `restype` query), the
//! `{account}.blob.core.windows.net` form, an account a workspace names as its storage
//! account, or a path-style `/{account}/{container}…` whose account is a valid storage account
//! name (3-24 lower-case letters and digits, as Azure requires). Anything else (`/foo`,
//! `/Subscription/…`, `/my-app/x`) gets ARM's `NoRegisteredProviderFound` in JSON rather than
//! Storage XML.
use axum::http::HeaderMap;

use crate::app::AppState;
use crate::domain::{ResourceKind, Workspace};
use crate::error::ArmResult;

/// Query parameters only storage requests carry.
const STORAGE_QUERY: &[&str] = &["sig", "comp", "restype", "sv"];

/// Azure's storage account name rule: 3 to 24 lower-case letters and digits.
pub fn is_account_name(s: &str) -> bool {
    (3..=24).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Is this non-reserved request Blob Storage? `segs` are the decoded path segments in the
/// caller's casing; `first` is the first one lower-cased.
pub async fn is_storage_request(
    state: &AppState,
    headers: &HeaderMap,
    query: Option<&str>,
    segs: &[String],
    first: &str,
) -> ArmResult<bool> {
    let path_style =
        segs.len() >= 2 && !segs[1].is_empty() && segs.first().is_some_and(|a| is_account_name(a));
    if path_style
        || first.ends_with(".blob.core.windows.net")
        || headers.keys().any(|k| k.as_str().starts_with("x-ms-"))
    {
        return Ok(true);
    }
    let storage_query = query.is_some_and(|q| {
        form_urlencoded::parse(q.as_bytes())
            .any(|(k, _)| STORAGE_QUERY.contains(&k.to_ascii_lowercase().as_str()))
    });
    if storage_query {
        return Ok(true);
    }
    for row in state
        .store
        .by_kind_under(ResourceKind::Workspace, "/")
        .await?
    {
        let ws: Workspace = row.doc()?;
        if ws.storage_account_name() == first {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The `api-version` query value, or empty.
pub fn api_version(query: Option<&str>) -> String {
    query
        .and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k.eq_ignore_ascii_case("api-version"))
                .map(|(_, v)| v.into_owned())
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn account_names_follow_azure_rules() {
        assert!(super::is_account_name("amlitestore"));
        assert!(super::is_account_name("abc"));
        for bad in ["ab", "my-app", "Foo", "subscription_x", &"a".repeat(25)] {
            assert!(!super::is_account_name(bad), "{bad}");
        }
    }
}

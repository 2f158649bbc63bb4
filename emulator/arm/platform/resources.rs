//! The generic resource lists (`az resource list`, `ResourceManagementClient.resources`):
//! `GET /subscriptions/{s}/resources` and `GET …/resourceGroups/{rg}/resources`, with
//! `$filter` (`resourceGroup`, `resourceType`, `name`, `location` `eq '…'`, joined by `and`)
//! and `$expand` (`createdTime`, `changedTime`, `provisioningState`). Tracked resources only, as
//! ARM lists them: workspaces, online endpoints and deployments (named `ws/ep[/d]`), client
//! VNets and private endpoints, and the workspaces' associated resources.
use serde_json::Value;

use crate::app::AppState;
use crate::arm::response::{self, GenericResource, List};
use crate::domain::{ResourceId, ResourceKind};
use crate::error::{ArmError, ArmResult};
use crate::http::{ok, Request};

/// The kinds a resource list shows.
pub const TRACKED: &[ResourceKind] = &[
    ResourceKind::Workspace,
    ResourceKind::OnlineEndpoint,
    ResourceKind::OnlineDeployment,
    ResourceKind::VirtualNetwork,
    ResourceKind::PrivateEndpoint,
    ResourceKind::StorageAccount,
    ResourceKind::KeyVault,
    ResourceKind::ContainerRegistry,
    ResourceKind::ApplicationInsights,
];

/// One `$filter` clause: `field eq 'value'` (field lower-cased).
#[derive(Debug, PartialEq)]
struct Clause {
    field: String,
    value: String,
}

/// Parses `$filter`. Unsupported syntax → 400 `InvalidFilterInQueryString`.
fn parse_filter(filter: &str) -> ArmResult<Vec<Clause>> {
    let mut out = Vec::new();
    for part in split_and(filter) {
        let part = part.trim();
        let mut words = part.splitn(3, ' ');
        let (field, op, value) = (words.next(), words.next(), words.next());
        let value = value
            .map(str::trim)
            .and_then(|v| v.strip_prefix('\'')?.strip_suffix('\''));
        match (field, op, value) {
            (Some(f), Some(op), Some(v)) if op.eq_ignore_ascii_case("eq") => out.push(Clause {
                field: f.to_ascii_lowercase(),
                value: v.replace("''", "'"),
            }),
            _ => return Err(ArmError::invalid_filter(filter)),
        }
    }
    for c in &out {
        if !["resourcegroup", "resourcetype", "name", "location"].contains(&c.field.as_str()) {
            return Err(ArmError::invalid_filter(filter));
        }
    }
    Ok(out)
}

/// Splits on ` and ` (case-insensitive) outside quotes.
fn split_and(filter: &str) -> Vec<String> {
    let (mut parts, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    let chars: Vec<char> = filter.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            quoted = !quoted;
        }
        let rest: String = chars[i..].iter().take(5).collect();
        if !quoted && rest.eq_ignore_ascii_case(" and ") {
            parts.push(std::mem::take(&mut cur));
            i += 5;
            continue;
        }
        cur.push(c);
        i += 1;
    }
    parts.push(cur);
    parts
}

/// The resource group segment of an id, if any.
fn group_of(id: &str) -> Option<&str> {
    let parts: Vec<&str> = id.split('/').collect();
    parts
        .windows(2)
        .find(|w| w[0].eq_ignore_ascii_case("resourceGroups"))
        .map(|w| w[1])
}

/// The generic name ARM lists: every name after `providers/{namespace}`, joined by `/`.
fn generic_name(id: &str) -> String {
    let parts: Vec<&str> = id.split('/').collect();
    let start = parts
        .iter()
        .position(|p| p.eq_ignore_ascii_case("providers"))
        .map(|i| i + 2)
        .unwrap_or(parts.len());
    parts[start..]
        .iter()
        .skip(1)
        .step_by(2)
        .copied()
        .collect::<Vec<_>>()
        .join("/")
}

/// A stored resource as the generic list shows it.
fn generic(row: &crate::store::Row, kind: ResourceKind, expand: &[String]) -> GenericResource {
    let doc: Value = row.doc().unwrap_or_default();
    let kind_value = match kind {
        ResourceKind::Workspace => Some(
            doc.get("kind")
                .cloned()
                .unwrap_or_else(|| Value::from("Default")),
        ),
        ResourceKind::StorageAccount => Some(Value::from("StorageV2")),
        ResourceKind::ApplicationInsights => Some(Value::from("web")),
        _ => None,
    };
    let mut out = GenericResource {
        id: row.id.clone(),
        name: generic_name(&row.id),
        resource_type: kind.arm_type(),
        location: doc.get("location").cloned(),
        tags: doc
            .get("tags")
            .filter(|t| t.as_object().is_some_and(|m| !m.is_empty()))
            .cloned(),
        kind: kind_value,
        identity: doc.get("identity").filter(|v| !v.is_null()).cloned(),
        ..GenericResource::default()
    };
    let audit = doc.get("audit");
    let time = |k: &str| {
        audit
            .and_then(|a| a.get(k))
            .and_then(Value::as_str)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| crate::domain::arm_time(t.with_timezone(&chrono::Utc)))
    };
    for e in expand {
        match e.as_str() {
            "createdtime" => out.created_time = time("created_at").or(out.created_time),
            "changedtime" => out.changed_time = time("modified_at").or(out.changed_time),
            "provisioningstate" => {
                let state = doc
                    .get("provisioning_state")
                    .cloned()
                    .unwrap_or_else(|| Value::from("Succeeded"));
                out.provisioning_state = Some(state);
            }
            _ => {}
        }
    }
    out
}

fn matches(row: &crate::store::Row, kind: ResourceKind, clauses: &[Clause]) -> bool {
    let doc: Value = row.doc().unwrap_or_default();
    clauses.iter().all(|c| match c.field.as_str() {
        "resourcegroup" => group_of(&row.id).is_some_and(|g| g.eq_ignore_ascii_case(&c.value)),
        "resourcetype" => kind.arm_type().eq_ignore_ascii_case(&c.value),
        "name" => generic_name(&row.id).eq_ignore_ascii_case(&c.value),
        "location" => doc
            .get("location")
            .and_then(Value::as_str)
            .is_some_and(|l| l.eq_ignore_ascii_case(&c.value)),
        _ => false,
    })
}

async fn list_under(
    state: &AppState,
    req: &Request,
    prefix: &str,
) -> ArmResult<List<GenericResource>> {
    let clauses = match req.q("$filter") {
        Some(f) if !f.trim().is_empty() => parse_filter(f)?,
        _ => Vec::new(),
    };
    let expand: Vec<String> = req
        .q("$expand")
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    let Some(page) = page_of(req)? else {
        // One page of everything (the id index answers it).
        let mut value = Vec::new();
        for kind in TRACKED {
            for row in state.store.by_kind_under(*kind, prefix).await? {
                if matches(&row, *kind, &clauses) {
                    value.push(generic(&row, *kind, &expand));
                }
            }
        }
        return Ok(response::list(value));
    };
    let mut value = Vec::new();
    let (mut last, mut more) = (None, false);
    'kinds: for (k, kind) in TRACKED.iter().enumerate().skip(page.kind) {
        let after = if k == page.kind { page.after } else { 0 };
        for (row, seq) in state
            .store
            .by_kind_under_after(*kind, prefix, after)
            .await?
        {
            if !matches(&row, *kind, &clauses) {
                continue;
            }
            if page.top.is_some_and(|t| value.len() >= t) {
                more = true;
                break 'kinds;
            }
            value.push(generic(&row, *kind, &expand));
            last = Some((k, seq));
        }
    }
    let next = match (more, last) {
        (true, Some((k, seq))) => {
            let token = (i64::try_from(k).unwrap_or(0) << SEQ_BITS) | seq;
            Some(crate::arm::paging::next_link(req, token))
        }
        _ => None,
    };
    Ok(response::list_page(value, next))
}

/// Bits of a `$skipToken` that hold the creation-order number; the kind's place in
/// [`TRACKED`] is above them.
const SEQ_BITS: u32 = 48;

/// Where a page of `Resources - List` starts: after creation-order number `after` of the
/// `kind`-th of [`TRACKED`], so deleting or adding resources does not shift later pages.
struct Cursor {
    kind: usize,
    after: i64,
    /// `$top` ("the number of results to return"): the page size.
    top: Option<usize>,
}

/// The page a request asks for (`None`: no `$top` and no `$skipToken`, one page of all). The
/// `$skipToken` comes from the previous page's `nextLink`; one that is not → 400.
fn page_of(req: &Request) -> ArmResult<Option<Cursor>> {
    let top = match req.q("$top") {
        None => None,
        Some(t) => Some(
            t.trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| crate::arm::errors::top_invalid(t))?,
        ),
    };
    let token = req.q("$skipToken");
    if top.is_none() && token.is_none() {
        return Ok(None);
    }
    let at = crate::arm::paging::Page::of(req, false)?.after;
    let kind = usize::try_from(at >> SEQ_BITS).unwrap_or(usize::MAX);
    if let Some(t) = token.filter(|_| kind >= TRACKED.len()) {
        return Err(crate::arm::errors::invalid_skip_token(t));
    }
    Ok(Some(Cursor {
        kind,
        after: at & ((1 << SEQ_BITS) - 1),
        top: top.map(|t| usize::try_from(t).unwrap_or(usize::MAX)),
    }))
}

/// `GET /subscriptions/{s}/resources`.
pub async fn list_subscription(
    state: &AppState,
    req: &Request,
) -> ArmResult<axum::response::Response> {
    let sub = &req.segs[1];
    crate::arm::plumbing::require_subscription(state, sub).await?;
    Ok(ok(&list_under(
        state,
        req,
        &format!("/subscriptions/{sub}/"),
    )
    .await?))
}

/// `GET /subscriptions/{s}/resourceGroups/{rg}/resources`: 404 `ResourceGroupNotFound` for a
/// group that does not exist (the subscription-wide list filtered on it is just empty).
pub async fn list_group(state: &AppState, req: &Request) -> ArmResult<axum::response::Response> {
    let (sub, rg) = (&req.segs[1], &req.segs[3]);
    crate::arm::plumbing::require_resource_group(state, sub, rg).await?;
    let prefix = format!("{}/", ResourceId::resource_group(sub, rg));
    Ok(ok(&list_under(state, req, &prefix).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_eq_clauses_joined_by_and() {
        let c = parse_filter(
            "resourceGroup eq 'rg' and resourceType eq 'Microsoft.Network/virtualNetworks'",
        )
        .unwrap_or_default();
        assert_eq!(c.len(), 2);
        assert_eq!(
            c[0],
            Clause {
                field: "resourcegroup".into(),
                value: "rg".into()
            }
        );
        assert!(parse_filter("substringof('x', name)").is_err());
        assert!(parse_filter("tagName eq 'a'").is_err());
    }

    #[test]
    fn generic_names_join_every_name_after_the_namespace() {
        let id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w/onlineEndpoints/e";
        assert_eq!(generic_name(id), "w/e");
        assert_eq!(group_of(id), Some("rg"));
    }

    #[test]
    fn generic_resources_show_what_is_stored_and_expanded() {
        let row = |body: serde_json::Value| {
            crate::store::Row {
            id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w".into(),
            kind: "workspace".into(),
            parent_id: None,
            name: "w".into(),
            body: body.to_string(),
        }
        };
        let full = row(
            serde_json::json!({ "location": "eastus", "tags": { "a": "b" },
            "identity": { "type": "SystemAssigned" }, "provisioning_state": "Creating",
            "audit": { "created_at": "2026-01-02T03:04:05Z", "modified_at": "2026-01-02T03:04:06Z" } }),
        );
        let expand: Vec<String> = ["createdtime", "changedtime", "provisioningstate", "x"]
            .map(String::from)
            .to_vec();
        let shown =
            crate::arm::response::to_value(&generic(&full, ResourceKind::Workspace, &expand));
        assert_eq!(
            shown,
            serde_json::json!({ "id": full.id, "name": "w", "type": ResourceKind::Workspace.arm_type(),
                "location": "eastus", "tags": { "a": "b" }, "kind": "Default",
                "identity": { "type": "SystemAssigned" },
                "createdTime": "2026-01-02T03:04:05.000000Z", "changedTime": "2026-01-02T03:04:06.000000Z",
                "provisioningState": "Creating" })
        );
        let bare = row(serde_json::json!({ "tags": {}, "identity": null }));
        let shown =
            crate::arm::response::to_value(&generic(&bare, ResourceKind::StorageAccount, &[]));
        assert_eq!(
            shown,
            serde_json::json!({ "id": bare.id, "name": "w",
                "type": ResourceKind::StorageAccount.arm_type(), "kind": "StorageV2" })
        );
    }
}

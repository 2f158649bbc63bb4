//! ARM plumbing the clients need before they reach Azure ML (SPEC §2.1): `/health`, the cloud
//! metadata document, the managed-identity token route, subscriptions and resource groups, and
//! the amlite admin API under `/_amlite/` (not part of Azure). Operation monitors: `monitor`;
//! template deployments: `template_deployment`.
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::body::resources::ResourceGroupRequest;
use super::response;
use crate::app::AppState;
use crate::domain::{ResourceId, ResourceKind};
use crate::error::{ArmError, ArmResult};
use crate::http::{json_reply, ok, Request};

/// `GET /health` → 200 `{"status":"ok"}` once serving.
pub fn health() -> Response {
    ok(&response::Status { status: "ok" })
}

/// The `ARM_CLOUD_METADATA_URL` of a listener: the list form of the cloud metadata document,
/// which is what the Azure CLI reads there (and azure-ai-ml accepts).
pub fn metadata_list_url(base: &str) -> String {
    format!("{base}/metadata/endpoints?api-version=2019-05-01")
}

/// `GET /metadata/endpoints`: one cloud whose `resourceManager` is this listener's base URL.
/// As Azure serves it: a JSON list of clouds for api-versions 2019-05-01 up to 2022-09-01
/// (exclusive; the form `ARM_CLOUD_METADATA_URL` names), a single object for 2022-09-01 and later
/// (what `az cloud register --endpoint-resource-manager` reads) and without an api-version.
pub fn metadata(req: &Request) -> ArmResult<Response> {
    let base = req.base_from_host();
    let cloud = response::cloud_metadata(&base);
    // api-versions are ISO dates: they compare as strings.
    if req
        .q("api-version")
        .is_some_and(|v| ("2019-05-01".."2022-09-01").contains(&v))
    {
        return Ok(ok(&[cloud]));
    }
    Ok(ok(&cloud))
}

/// `GET /msi/token?resource=…` (App Service managed-identity protocol, 2019-08-01) with header
/// `X-IDENTITY-HEADER` → `{access_token, expires_on, resource, token_type}`. The token is signed
/// with amlite's key like the token endpoint's (issue 9).
pub async fn msi_token(state: &AppState, req: &Request) -> ArmResult<Response> {
    if req.header("x-identity-header") != Some(state.identity_header.as_str()) {
        return Err(super::errors::invalid_identity_header());
    }
    let resource = req
        .q("resource")
        .or_else(|| req.q("scope"))
        .unwrap_or("https://management.azure.com/");
    let resource = resource.trim_end_matches("/.default");
    let (token, exp) = crate::identity::routes::sign_for(state, resource).await?;
    Ok(ok(&response::MsiToken {
        access_token: token,
        expires_on: exp.to_string(),
        resource: resource.to_string(),
        token_type: "Bearer",
        client_id: crate::identity::CLIENT_ID,
    }))
}

fn subscription_body(state: &AppState, row: &crate::store::Row) -> response::Subscription {
    let doc: Value = row.doc().unwrap_or_default();
    response::subscription(&row.id, &state.tenant_id, &doc)
}

/// `GET /subscriptions` (what `az login --identity` reads).
pub async fn list_subscriptions(state: &AppState, _req: &Request) -> ArmResult<Response> {
    let rows = state
        .store
        .by_kind_under(ResourceKind::Subscription, "/subscriptions/")
        .await?;
    let value = rows.iter().map(|r| subscription_body(state, r)).collect();
    Ok(ok(&response::subscription_list(value)))
}

/// `GET /subscriptions/{id}`.
pub async fn get_subscription(state: &AppState, req: &Request) -> ArmResult<Response> {
    let id = ResourceId::subscription(&req.segs[1]);
    let row = state
        .store
        .get(&id)
        .await?
        .ok_or_else(|| ArmError::subscription_not_found(&req.segs[1]))?;
    Ok(ok(&subscription_body(state, &row)))
}

/// Fails with 404 `SubscriptionNotFound` unless the subscription exists.
pub async fn require_subscription(state: &AppState, sub: &str) -> ArmResult<()> {
    match state.store.get(&ResourceId::subscription(sub)).await? {
        Some(_) => Ok(()),
        None => Err(ArmError::subscription_not_found(sub)),
    }
}

/// Fails with 404 `SubscriptionNotFound` / `ResourceGroupNotFound` unless both exist.
pub async fn require_resource_group(state: &AppState, sub: &str, rg: &str) -> ArmResult<Value> {
    require_subscription(state, sub).await?;
    let row = state
        .store
        .get(&ResourceId::resource_group(sub, rg))
        .await?
        .ok_or_else(|| ArmError::resource_group_not_found(rg))?;
    Ok(row.doc().unwrap_or_default())
}

fn rg_body(row: &crate::store::Row) -> response::ResourceGroup {
    let doc: Value = row.doc().unwrap_or_default();
    response::resource_group(&row.id, &row.name, &doc)
}

/// `GET /subscriptions/{s}/resourcegroups`.
pub async fn list_resource_groups(state: &AppState, req: &Request) -> ArmResult<Response> {
    let sid = ResourceId::subscription(&req.segs[1]);
    if state.store.get(&sid).await?.is_none() {
        return Err(ArmError::subscription_not_found(&req.segs[1]));
    }
    let rows = state
        .store
        .children(&sid, ResourceKind::ResourceGroup)
        .await?;
    Ok(ok(&response::list(rows.iter().map(rg_body).collect())))
}

/// `GET|PUT|DELETE /subscriptions/{s}/resourcegroups/{rg}`. PUT needs `location`.
pub async fn resource_group(state: &AppState, req: &Request) -> ArmResult<Response> {
    let (sub, rg) = (
        req.segs[1].as_str(),
        super::safe_name("resource group", req.segs[3].as_str())?,
    );
    let sid = ResourceId::subscription(sub);
    if state.store.get(&sid).await?.is_none() {
        return Err(ArmError::subscription_not_found(sub));
    }
    let id = ResourceId::resource_group(sub, rg);
    let existing = state.store.get(&id).await?;
    match req.method {
        Method::GET | Method::HEAD => {
            let row = existing.ok_or_else(|| ArmError::resource_group_not_found(rg))?;
            Ok(ok(&rg_body(&row)))
        }
        Method::PUT => {
            let body: ResourceGroupRequest = super::body::parse(req)?;
            let location = body
                .location
                .filter(|l| !l.is_empty())
                .ok_or_else(super::errors::location_required)?;
            let doc = response::ResourceGroupDoc {
                location,
                tags: body.tags.unwrap_or_default(),
            };
            state
                .store
                .put(&id, ResourceKind::ResourceGroup, Some(&sid), &doc)
                .await?;
            let row = state
                .store
                .get(&id)
                .await?
                .ok_or_else(|| ArmError::internal("resource group vanished"))?;
            let status = if existing.is_some() {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            Ok(json_reply(status, &rg_body(&row)))
        }
        Method::DELETE => {
            // ARM answers a group that is not there with 404 (`az group delete` prints
            // "(ResourceGroupNotFound) Resource group '…' could not be found.").
            let Some(row) = existing else {
                return Err(ArmError::resource_group_not_found(rg));
            };
            // The group's resources go with it (cascade); what its networks left elsewhere
            // (workspace connections, listeners) goes too.
            super::network::delete_group(state, &row.resource_id()).await?;
            Ok(StatusCode::OK.into_response())
        }
        _ => Err(ArmError::method_not_allowed(req.method.as_str(), &req.path)),
    }
}

/// The admin API (not Azure): `GET /_amlite/resources` lists every stored resource (id, kind); `GET /_amlite/env?vnet=ID`
/// gives the exports for a VNet listener; `GET /_amlite/listeners` lists listeners.
pub async fn admin(state: &AppState, req: &Request, rest: &[&str]) -> ArmResult<Response> {
    match rest {
        ["resources"] => {
            let out = state
                .store
                .inventory()
                .await?
                .into_iter()
                .map(|(id, kind)| response::InventoryEntry { id, kind })
                .collect();
            Ok(ok(&response::list(out)))
        }
        ["env"] | ["listeners"] => super::network::admin(state, req, rest).await,
        _ => Err(ArmError::no_route(req.method.as_str(), &req.path)),
    }
}

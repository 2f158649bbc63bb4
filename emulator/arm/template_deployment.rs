//! ARM template deployments on the wire: `PUT|GET …/resourcegroups/{rg}/providers/
//! Microsoft.Resources/deployments/{name}[/operationStatuses/{id}]` and `…/operations`, which
//! `workspaces.begin_create` (azure-ai-ml) and `az ml workspace create` send. The inline template
//! is evaluated (`domain::template`); amlite materialises the workspace it deploys, with the
//! storage account, key vault, Application Insights and registry ids the template gives it (and
//! so their rows, `platform::associated`); the other resources it deploys (Log Analytics,
//! identities, role assignments, connections) appear in the deployment's body only. A body
//! whose template has no `resources` (or no template) falls back to `parameters.workspaceName`
//! and `location`.
//!
//! Owns no rule; depends on `domain::template`, `arm::workspaces` and the store.
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value};

use super::body::resources::TemplateDeploymentRequest;
use super::response::{self, TemplateDeploymentDoc};
use crate::app::AppState;
use crate::domain::template::{self, Evaluation, Level, Target};
use crate::domain::{Audit, ResourceId, ResourceKind, WorkspaceConnection};
use crate::error::{ArmError, ArmResult};
use crate::http::{json_reply, ok, Request};

const WORKSPACES: &str = "Microsoft.MachineLearningServices/workspaces";

/// Workspace `properties` amlite takes from the template's workspace resource (the rest of what
/// the template sets, such as empty encryption settings, is not what Azure's GET shows).
const WORKSPACE_PROPERTIES: &[&str] = &[
    "friendlyName",
    "description",
    "publicNetworkAccess",
    "v1LegacyMode",
    "managedNetwork",
    "storageAccount",
    "keyVault",
    "applicationInsights",
    "containerRegistry",
];

/// The routes of one deployment.
pub async fn handle(state: &AppState, req: &Request, rest: &[&str]) -> ArmResult<Response> {
    let (sub, rg, name) = (&req.segs[1], &req.segs[3], &req.segs[7]);
    let id = ResourceId::provider_resource(sub, rg, "Microsoft.Resources/deployments", name);
    match (rest, &req.method) {
        // amlite deploys synchronously: the PUT has committed before its monitor is polled.
        (["operationstatuses", _], &Method::GET) => Ok(ok(&response::Status {
            status: "Succeeded",
        })),
        ([], &Method::PUT) => put(state, req, &id).await,
        ([], &Method::GET) => {
            let row = state
                .store
                .get(&id)
                .await?
                .ok_or_else(|| ArmError::resource_not_found(id.as_str()))?;
            let doc: TemplateDeploymentDoc = row.doc().unwrap_or_default();
            Ok(ok(&response::template_deployment(&id, &doc, false)))
        }
        ([], _) => Err(ArmError::method_not_allowed(req.method.as_str(), &req.path)),
        _ => Err(ArmError::no_route(req.method.as_str(), &req.path)),
    }
}

/// `GET …/resourcegroups/{rg}/providers/Microsoft.Resources/deployments`: the group's template
/// deployments, in creation order.
pub async fn list(state: &AppState, req: &Request) -> ArmResult<Response> {
    if req.method != Method::GET {
        return Err(ArmError::method_not_allowed(req.method.as_str(), &req.path));
    }
    let (sub, rg) = (&req.segs[1], &req.segs[3]);
    super::plumbing::require_resource_group(state, sub, rg).await?;
    let rows = state
        .store
        .children(
            &ResourceId::resource_group(sub, rg),
            ResourceKind::TemplateDeployment,
        )
        .await?;
    let items: Vec<_> = rows
        .iter()
        .map(|r| {
            let doc: TemplateDeploymentDoc = r.doc().unwrap_or_default();
            response::template_deployment(&r.resource_id(), &doc, false)
        })
        .collect();
    Ok(ok(&response::list(items)))
}

/// `GET …/resourcegroups/{rg}/deployments/{name}/operations` → `{"value":[]}`.
pub fn operations() -> Response {
    ok(&response::list(Vec::<Value>::new()))
}

/// The workspace a deployment creates.
struct WorkspaceToCreate {
    name: String,
    location: String,
    properties: Map<String, Value>,
    /// `kind` in Azure's casing (`FeatureStore` for `featurestore`).
    kind: Option<String>,
    identity: Option<Value>,
    /// Read-only properties that follow from the template (`storageHnsEnabled`).
    derived: Map<String, Value>,
}

/// Azure's spelling of a workspace `kind` (Azure answers `FeatureStore` to a template's
/// `featurestore`).
const KINDS: &[&str] = &["Default", "FeatureStore", "Hub", "Project"];

async fn put(state: &AppState, req: &Request, id: &ResourceId) -> ArmResult<Response> {
    let (sub, rg) = (&req.segs[1], &req.segs[3]);
    super::safe_name("deployment", id.name())?;
    let group = super::plumbing::require_resource_group(state, sub, rg).await?;
    let body: TemplateDeploymentRequest = super::body::parse(req)?;
    let started = std::time::Instant::now();
    // A template without `resources` (`{}`, as amlite's own examples send) is not evaluated:
    // the parameters name the workspace.
    let evaluation = match body.template().filter(|t| t.get("resources").is_some()) {
        Some(t) => {
            let target = Target {
                subscription: sub.clone(),
                resource_group: rg.clone(),
                location: group
                    .get("location")
                    .and_then(Value::as_str)
                    .unwrap_or("eastus")
                    .to_string(),
                tenant: state.tenant_id.clone(),
                deployment: id.name().to_string(),
                fresh: uuid::Uuid::new_v4(),
            };
            let e = template::evaluate(&t, &body.parameters(), &target)
                .map_err(|e| super::errors::invalid_template(&e.0))?;
            Some(e)
        }
        None => None,
    };
    let ws = match &evaluation {
        Some(e) => from_template(e)?,
        None => from_parameters(&body)?,
    };
    let (kind, identity, derived) = (ws.kind, ws.identity, ws.derived);
    super::workspaces::create_from_template(
        state,
        sub,
        rg,
        &ws.name,
        &ws.location,
        Value::Object(ws.properties),
        |w| {
            if let Some(k) = kind {
                w.kind = k;
            }
            if identity.is_some() {
                w.identity = identity;
            }
            w.extra.extend(derived);
        },
    )
    .await?;
    let ws_id = ResourceId::workspace(sub, rg, &ws.name);
    if let Some(e) = &evaluation {
        put_connections(state, e, &ws_id).await?;
    }
    let doc = TemplateDeploymentDoc {
        timestamp: crate::domain::arm_time(chrono::Utc::now()),
        workspace: ws_id.to_string(),
        template_hash: evaluation.as_ref().map(|e| e.template_hash.clone()),
        parameters: evaluation.as_ref().map(|e| e.parameters.clone()),
        correlation_id: Some(correlation_id(req)),
        duration: Some(format!("PT{:.7}S", started.elapsed().as_secs_f64())),
        providers: evaluation.as_ref().map(Evaluation::providers),
        dependencies: evaluation.as_ref().map(Evaluation::dependencies),
        output_resources: evaluation.as_ref().map(Evaluation::output_resources),
    };
    state
        .store
        .put(
            id,
            ResourceKind::TemplateDeployment,
            Some(&ResourceId::resource_group(sub, rg)),
            &doc,
        )
        .await?;
    let mut resp = json_reply(
        StatusCode::CREATED,
        &response::template_deployment(id, &doc, true),
    );
    let status_url = format!(
        "{}{}/operationStatuses/{}?api-version=2020-06-01",
        req.listener.base_url,
        id,
        uuid::Uuid::new_v4().simple()
    );
    if let Ok(v) = HeaderValue::from_str(&status_url) {
        resp.headers_mut().insert("azure-asyncoperation", v);
    }
    resp.headers_mut()
        .insert("retry-after", HeaderValue::from_static("1"));
    Ok(resp)
}

/// The template's workspace: its top-level resource, then what later resources of the same id
/// (a nested deployment's, as a feature store template has) set over it, as ARM applies them.
fn from_template(e: &Evaluation) -> ArmResult<WorkspaceToCreate> {
    let top = e
        .of_type(WORKSPACES)
        .find(|r| r.level == Level::Top)
        .ok_or_else(super::errors::template_without_workspace)?;
    let mut properties = Map::new();
    let (mut kind, mut identity) = (None, None);
    for ws in e
        .of_type(WORKSPACES)
        .filter(|r| r.id.eq_ignore_ascii_case(&top.id))
    {
        if let Some(Value::Object(props)) = ws.body.get("properties") {
            for key in WORKSPACE_PROPERTIES {
                match props.get(*key) {
                    None | Some(Value::Null) => {}
                    Some(Value::String(s)) if s.is_empty() => {}
                    Some(v) => {
                        properties.insert((*key).to_string(), v.clone());
                    }
                }
            }
            if let Some(fs) = props
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("featureStoreSettings"))
            {
                properties.insert("featureStoreSettings".into(), feature_store_settings(fs.1));
            }
        }
        if let Some(tags @ Value::Object(_)) = ws.body.get("tags") {
            properties.insert("tagValues".into(), tags.clone());
        }
        if let Some(Value::String(k)) = ws.body.get("kind") {
            kind = Some(
                KINDS
                    .iter()
                    .find(|x| x.eq_ignore_ascii_case(k))
                    .map_or(k.clone(), |x| (*x).to_string()),
            );
        }
        if let Some(v @ Value::Object(_)) = ws.body.get("identity") {
            identity = Some(v.clone());
        }
    }
    let mut derived = Map::new();
    let storage = properties
        .get("storageAccount")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let hns = e
        .of_type("Microsoft.Storage/storageAccounts")
        .find(|r| r.id.eq_ignore_ascii_case(storage))
        .and_then(|r| r.body.get("properties")?.get("isHnsEnabled")?.as_bool());
    if let Some(hns) = hns {
        derived.insert("storageHnsEnabled".into(), Value::Bool(hns));
    }
    Ok(WorkspaceToCreate {
        name: top.name.clone(),
        location: top.location.clone().unwrap_or_else(|| "eastus".into()),
        properties,
        kind,
        identity,
        derived,
    })
}

/// `featureStoreSettings` in Azure's casing (the template writes `computeruntime`,
/// `SparkRuntimeVersion`, `offlinestoreconnectionname`; Azure answers camelCase).
fn feature_store_settings(v: &Value) -> Value {
    let get = |v: &Value, key: &str| {
        v.as_object()
            .and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)))
            .map(|(_, v)| v.clone())
    };
    let mut out = Map::new();
    if let Some(rt) = get(v, "computeRuntime") {
        let mut runtime = Map::new();
        if let Some(version) = get(&rt, "sparkRuntimeVersion") {
            runtime.insert("sparkRuntimeVersion".into(), version);
        }
        out.insert("computeRuntime".into(), Value::Object(runtime));
    }
    for key in ["offlineStoreConnectionName", "onlineStoreConnectionName"] {
        if let Some(x) = get(v, key) {
            out.insert(key.into(), x);
        }
    }
    Value::Object(out)
}

/// The workspace connections the template deploys (children of the workspace or of a nested
/// deployment), stored so that `GET …/connections/{name}` finds them.
async fn put_connections(state: &AppState, e: &Evaluation, ws: &ResourceId) -> ArmResult<()> {
    let now = chrono::Utc::now();
    for c in e.of_type("Microsoft.MachineLearningServices/workspaces/connections") {
        let Some(name) = c.name.rsplit('/').next() else {
            continue;
        };
        let prop = |k: &str| {
            c.body
                .get("properties")
                .and_then(|p| {
                    p.as_object()?
                        .iter()
                        .find(|(key, _)| key.eq_ignore_ascii_case(k))
                })
                .and_then(|(_, v)| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let category = prop("category");
        // Azure answers the template's `AzureDataLakeGen2` as `ADLSGen2` (recorded).
        let category = if category.eq_ignore_ascii_case("AzureDataLakeGen2") {
            "ADLSGen2".into()
        } else {
            category
        };
        let doc = WorkspaceConnection {
            category,
            target: prop("target"),
            auth_type: prop("authType"),
            audit: Audit::at(now),
        };
        super::safe_name("connection", name)?;
        state
            .store
            .put(
                &ws.child("connections", name),
                ResourceKind::WorkspaceConnection,
                Some(ws),
                &doc,
            )
            .await?;
    }
    Ok(())
}

/// Without an inline template: `parameters.workspaceName`, `location` and the workspace
/// settings named like the template's parameters.
fn from_parameters(body: &TemplateDeploymentRequest) -> ArmResult<WorkspaceToCreate> {
    let param = |k: &str| body.parameter(k).cloned();
    let name = param("workspaceName")
        .and_then(|v| v.as_str().map(str::to_string))
        .ok_or_else(super::errors::template_without_workspace)?;
    let location = param("location")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "eastus".into());
    let mut properties = Map::new();
    for key in [
        "publicNetworkAccess",
        "friendlyName",
        "description",
        "v1LegacyMode",
        "managedNetwork",
        "tagValues",
    ] {
        if let Some(v) = param(key) {
            properties.insert(key.to_string(), v);
        }
    }
    Ok(WorkspaceToCreate {
        name,
        location,
        properties,
        kind: None,
        identity: None,
        derived: Map::new(),
    })
}

/// The caller's `x-ms-correlation-request-id` when it is a GUID (ARM echoes it), else a new one.
fn correlation_id(req: &Request) -> String {
    req.header("x-ms-correlation-request-id")
        .and_then(|h| uuid::Uuid::parse_str(h).ok())
        .unwrap_or_else(uuid::Uuid::new_v4)
        .to_string()
}

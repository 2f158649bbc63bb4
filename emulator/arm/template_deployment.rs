//! ARM template deployments on the wire: `PUT|GET …/resourcegroups/{rg}/providers/
//! Microsoft.Resources/deployments/{name}[/operationStatuses/{id}]`, `POST …/{name}/validate`,
//! the group's list and `…/operations`, which `workspaces.begin_create` (azure-ai-ml),
//! `az ml workspace create`, `az deployment group create` and azure-mgmt-resource-deployments
//! send. The inline template is evaluated (`domain::template`); `template_workspace` makes the
//! workspace and connections it deploys (and so the associated resources' rows,
//! `platform::associated`); the other resources it deploys (Log Analytics, identities, role
//! assignments) appear in the deployment's body only. A body whose template has no `resources`
//! (or no template) falls back to `parameters.workspaceName` and `location`.
//!
//! Owns no rule; depends on `domain::template`, `arm::template_workspace`, `arm::workspaces` and
//! the store.
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;
use serde_json::Value;

use super::body::resources::TemplateDeploymentRequest;
use super::response::{self, TemplateDeploymentDoc};
use super::template_workspace::{connections, from_parameters, from_template, put_connections};
use crate::app::AppState;
use crate::domain::template::{self, Evaluation, Target};
use crate::domain::{ResourceId, ResourceKind};
use crate::error::{ArmError, ArmResult};
use crate::http::{json_reply, ok, Request};

/// The routes of one deployment.
pub async fn handle(state: &AppState, req: &Request, rest: &[&str]) -> ArmResult<Response> {
    let (sub, rg, name) = (&req.segs[1], &req.segs[3], &req.segs[7]);
    let id = ResourceId::provider_resource(sub, rg, "Microsoft.Resources/deployments", name);
    if req.method == Method::GET {
        let row = state
            .store
            .get(&id)
            .await?
            .ok_or_else(|| super::errors::deployment_not_found(id.name()))?;
        return match rest {
            [] => {
                let doc: TemplateDeploymentDoc = row.doc()?;
                Ok(ok(&response::template_deployment(&id, &doc, false)))
            }
            // amlite deploys synchronously: the PUT has committed before its monitor is polled.
            ["operationstatuses", _] => Ok(ok(&response::Status {
                status: "Succeeded",
            })),
            // azure-mgmt-resource-deployments' path for the operations (azure-ai-ml's has no
            // `/providers`): amlite records none.
            ["operations"] => Ok(operations()),
            _ => Err(ArmError::no_route(req.method.as_str(), &req.path)),
        };
    }
    if !rest.is_empty() || req.method == Method::PUT {
        check_name(id.name())?;
    }
    match (rest, &req.method) {
        (["validate"], &Method::POST) => validate(state, req, &id).await,
        ([], &Method::PUT) => put(state, req, &id).await,
        ([], _) => Err(ArmError::method_not_allowed(req.method.as_str(), &req.path)),
        _ => Err(ArmError::no_route(req.method.as_str(), &req.path)),
    }
}

/// ARM's rules for a template deployment's name (what `PUT` and `validate` name).
fn check_name(name: &str) -> ArmResult<()> {
    let len = name.chars().count();
    if len > template::MAX_DEPLOYMENT_NAME {
        return Err(super::errors::deployment_name_too_long(name, len));
    }
    let invalid = template::invalid_deployment_name_chars(name);
    if !invalid.is_empty() {
        return Err(super::errors::deployment_name_invalid(name, &invalid));
    }
    Ok(())
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

/// `GET …/resourcegroups/{rg}/deployments/{name}/operations` (azure-ai-ml's path): `{"value":[]}`,
/// or 404 `DeploymentNotFound`.
pub async fn operations_of(state: &AppState, req: &Request) -> ArmResult<Response> {
    let (sub, rg, name) = (&req.segs[1], &req.segs[3], &req.segs[5]);
    let id = ResourceId::provider_resource(sub, rg, "Microsoft.Resources/deployments", name);
    if state.store.get(&id).await?.is_none() {
        return Err(super::errors::deployment_not_found(name));
    }
    Ok(operations())
}

/// The operations of a deployment: amlite records none.
fn operations() -> Response {
    ok(&response::list(Vec::<Value>::new()))
}

/// A deployment request, parsed and its template evaluated.
struct Evaluated {
    body: TemplateDeploymentRequest,
    evaluation: Option<Evaluation>,
    started: std::time::Instant,
}

async fn evaluate(state: &AppState, req: &Request, id: &ResourceId) -> ArmResult<Evaluated> {
    let (sub, rg) = (&req.segs[1], &req.segs[3]);
    super::safe_name("deployment", id.name())?;
    let group = super::plumbing::require_resource_group(state, sub, rg).await?;
    let body = parse_body(req)?;
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
            let e = evaluate_off_runtime(t, body.parameters(), target).await?;
            Some(e)
        }
        None => None,
    };
    Ok(Evaluated {
        body,
        evaluation,
        started,
    })
}

/// Stack of the thread a template is evaluated on: the evaluator recurses up to its bound
/// (`domain::template`), deeper than a runtime worker's stack should be asked to.
const EVALUATION_STACK: usize = 64 << 20;

/// Evaluates a template on a thread of its own (CPU work, bounded recursion on a large stack),
/// without holding a runtime worker.
async fn evaluate_off_runtime(
    template: Value,
    parameters: serde_json::Map<String, Value>,
    target: Target,
) -> ArmResult<Evaluation> {
    // At most one evaluation per core at a time: each may take up to its budget of CPU and
    // memory, and requests beyond that wait their turn instead of multiplying both.
    static EVALUATIONS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let permits = EVALUATIONS.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    });
    let _permit = permits
        .acquire()
        .await
        .map_err(|e| ArmError::internal(format!("the template evaluations are closed: {e}")))?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("amlite-template".into())
        .stack_size(EVALUATION_STACK)
        .spawn(move || {
            let _ = tx.send(template::evaluate(&template, &parameters, &target));
        })
        .map_err(|e| ArmError::internal(format!("cannot start the template evaluation: {e}")))?;
    match rx.await {
        Ok(Ok(e)) => Ok(e),
        Ok(Err(e)) => Err(super::errors::invalid_template(&e.0)),
        Err(_) => Err(ArmError::internal(
            "the template evaluation ended without an answer",
        )),
    }
}

/// The body of a deployment that evaluated (not stored).
fn doc_of(req: &Request, ws: &ResourceId, e: &Evaluated) -> TemplateDeploymentDoc {
    let evaluation = e.evaluation.as_ref();
    TemplateDeploymentDoc {
        timestamp: crate::domain::arm_time(chrono::Utc::now()),
        workspace: ws.to_string(),
        template_hash: evaluation.map(|e| e.template_hash.clone()),
        parameters: evaluation.map(|e| e.parameters.clone()),
        correlation_id: Some(correlation_id(req)),
        duration: Some(format!("PT{:.7}S", e.started.elapsed().as_secs_f64())),
        providers: evaluation.map(Evaluation::providers),
        dependencies: evaluation.map(|e| e.dependencies().to_vec()),
        output_resources: evaluation.map(Evaluation::output_resources),
    }
}

/// `POST …/deployments/{name}/validate` (`az deployment group create` sends it first): the
/// template evaluated and nothing made; 400 `InvalidTemplate` as the PUT would answer.
async fn validate(state: &AppState, req: &Request, id: &ResourceId) -> ArmResult<Response> {
    let e = evaluate(state, req, id).await?;
    let ws = match &e.evaluation {
        Some(ev) => from_template(ev)?,
        None => from_parameters(&e.body)?,
    };
    let (sub, rg) = (&req.segs[1], &req.segs[3]);
    let ws_id = ResourceId::workspace(sub, rg, &ws.name);
    // The checks the PUT makes before writing: the connections and the workspace's properties.
    if let Some(ev) = &e.evaluation {
        connections(ev, &ws_id)?;
    }
    super::safe_name("workspace", &ws.name)?;
    let mut props = ws.properties.clone();
    props.remove("tagValues");
    super::workspace_properties::new_workspace(
        sub,
        rg,
        &ws.name,
        &ws.location,
        &props,
        state.config.auto_provision_network,
    )?;
    let doc = doc_of(req, &ws_id, &e);
    Ok(ok(&response::template_validation(id, &doc)))
}

async fn put(state: &AppState, req: &Request, id: &ResourceId) -> ArmResult<Response> {
    let (sub, rg) = (&req.segs[1], &req.segs[3]);
    let evaluated = evaluate(state, req, id).await?;
    let (body, evaluation) = (&evaluated.body, &evaluated.evaluation);
    let ws = match &evaluation {
        Some(e) => from_template(e)?,
        None => from_parameters(body)?,
    };
    let ws_id = ResourceId::workspace(sub, rg, &ws.name);
    // Everything that can refuse the request is checked before the first write.
    let conns = match evaluation {
        Some(e) => connections(e, &ws_id)?,
        None => Vec::new(),
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
    put_connections(state, &ws_id, &conns).await?;
    let doc = doc_of(req, &ws_id, &evaluated);
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

/// The request body, strict JSON or the lenient JSON ARM accepts for deployments
/// ([`Request::json_object_lenient`]).
fn parse_body(req: &Request) -> ArmResult<TemplateDeploymentRequest> {
    super::body::decode(&Value::Object(req.json_object_lenient()?))
}

/// The caller's `x-ms-correlation-request-id` when it is a GUID (ARM echoes it), else a new one.
fn correlation_id(req: &Request) -> String {
    req.header("x-ms-correlation-request-id")
        .and_then(|h| uuid::Uuid::parse_str(h).ok())
        .unwrap_or_else(uuid::Uuid::new_v4)
        .to_string()
}

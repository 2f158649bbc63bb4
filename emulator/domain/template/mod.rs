//! ARM template deployments (`Microsoft.Resources/deployments`): what a template deploys, as
//! Azure Resource Manager evaluates it (learn.microsoft.com, azure-resource-manager/templates/
//! syntax, conditional-resource-deployment, child-resource-name-type, linked-templates). The
//! workspace templates that azure-ai-ml and the Azure CLI send are evaluated here: parameters and
//! their defaults, variables, conditions, child resources and nested deployments (outer or inner
//! expression scope), giving the deployed resources and the `parameters`, `providers`,
//! `dependencies` and `outputResources` of Azure's deployment body (recorded:
//! `test_workspace_managednetwork_provision`). Copy loops and `outputs` are not evaluated (a copy
//! loop is refused by name).
//!
//! Pure: no IO, no clock; depends on serde_json and uuid only. The ARM service decides what
//! amlite materialises from the result (the workspace and its associated resources).
mod depends;
mod eval;
mod expr;
mod functions;
mod parameters;
mod walk;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use eval::Ctx;
pub use eval::Target;

/// Deepest nesting of child resources and nested deployments.
const MAX_NESTING: usize = 8;
const DEPLOYMENTS: &str = "Microsoft.Resources/deployments";

/// Why a template cannot be deployed: the text after Azure's "Deployment template validation
/// failed: " (see `arm::errors::invalid_template`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError(pub String);

/// Where a deployed resource was declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// In the template's `resources`.
    Top,
    /// In a resource's own `resources`.
    Child,
    /// In the template of a nested deployment.
    Nested,
}

/// One resource the template deploys (its condition was true).
#[derive(Debug, Clone, PartialEq)]
pub struct Deployed {
    pub resource_type: String,
    pub name: String,
    pub id: String,
    pub location: Option<String>,
    /// `kind`, `identity`, `tags`, `sku` and `properties`, evaluated (not for nested deployments).
    pub body: Map<String, Value>,
    pub level: Level,
    depends_on: Vec<String>,
    /// The `reference()` calls its evaluation made (with those of an outer-scope nested template).
    references: Vec<eval::Reference>,
}

/// `properties.providers[]` of a deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Provider {
    pub namespace: String,
    pub resource_types: Vec<ProviderResourceType>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderResourceType {
    pub resource_type: String,
    pub locations: Vec<Option<String>>,
}

/// `properties.dependencies[]` of a deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dependency {
    pub depends_on: Vec<BasicDependency>,
    pub id: String,
    pub resource_type: String,
    pub resource_name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BasicDependency {
    pub id: String,
    pub resource_type: String,
    pub resource_name: String,
    /// Set on a dependency a `reference(id, apiVersion)` call implied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
}

/// What a template deploys.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// `properties.parameters` as Azure answers it: `{name: {type, value}}`.
    pub parameters: Map<String, Value>,
    /// Every deployed resource, in template order.
    pub resources: Vec<Deployed>,
    /// `properties.templateHash`: a 64-bit hash of the template, in decimal.
    pub template_hash: String,
    dependencies: Vec<Dependency>,
}

impl Evaluation {
    /// `properties.providers`: the namespaces and types of the top-level resources, in order.
    pub fn providers(&self) -> Vec<Provider> {
        let mut out: Vec<Provider> = Vec::new();
        for r in self.resources.iter().filter(|r| r.level == Level::Top) {
            let (ns, ty) = r
                .resource_type
                .split_once('/')
                .unwrap_or((&r.resource_type, ""));
            let at = match out
                .iter()
                .position(|p| p.namespace.eq_ignore_ascii_case(ns))
            {
                Some(at) => at,
                None => {
                    out.push(Provider {
                        namespace: ns.to_string(),
                        resource_types: Vec::new(),
                    });
                    out.len() - 1
                }
            };
            let types = &mut out[at].resource_types;
            match types
                .iter_mut()
                .find(|t| t.resource_type.eq_ignore_ascii_case(ty))
            {
                Some(t) if !t.locations.contains(&r.location) => {
                    t.locations.push(r.location.clone())
                }
                Some(_) => {}
                None => types.push(ProviderResourceType {
                    resource_type: ty.to_string(),
                    locations: vec![r.location.clone()],
                }),
            }
        }
        out
    }

    /// `properties.dependencies` (see [`depends::dependencies`]), computed with the evaluation.
    pub fn dependencies(&self) -> &[Dependency] {
        &self.dependencies
    }

    /// `properties.outputResources`: the ids of every deployed resource but the nested
    /// deployments themselves, once each, sorted as Azure lists them (case-insensitively).
    pub fn output_resources(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .resources
            .iter()
            .filter(|r| !r.resource_type.eq_ignore_ascii_case(DEPLOYMENTS))
            .map(|r| r.id.clone())
            .collect();
        ids.sort_by_key(|id| id.to_lowercase());
        ids.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        ids
    }

    /// The deployed resources of one type (case-insensitive), in template order.
    pub fn of_type<'a>(&'a self, resource_type: &'a str) -> impl Iterator<Item = &'a Deployed> {
        self.resources
            .iter()
            .filter(move |r| r.resource_type.eq_ignore_ascii_case(resource_type))
    }
}

/// Longest template deployment name ARM takes.
pub const MAX_DEPLOYMENT_NAME: usize = 64;

/// The characters of a template deployment name ARM refuses (its pattern `^[-\w._()]+$`), each
/// once, in order.
/// Property `key` of an object in a deployed resource (its `properties`, `tags`, ...) in any
/// casing, an exact match first: the resource provider reads a deployed resource's body as any
/// request body (`arm::body::casing`), so `"Properties": {"PublicNetworkAccess": …}` is
/// honoured (it was dropped, and the deployment succeeded with the workspace public).
pub fn field<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object.get(key).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

pub fn invalid_deployment_name_chars(name: &str) -> Vec<char> {
    let mut out: Vec<char> = Vec::new();
    for c in name.chars() {
        let ok = c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '(' | ')');
        if !ok && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// Evaluates `template` with the request's `parameters` (`{name: {value}}`).
pub fn evaluate(
    template: &Value,
    parameters: &Map<String, Value>,
    target: &Target,
) -> Result<Evaluation, TemplateError> {
    parameters::check(template, parameters)?;
    let ctx = Ctx::new(template, parameters, target);
    let mut wire = Map::new();
    let names: Vec<(String, String)> = template
        .get("parameters")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, d)| {
                    (
                        k.clone(),
                        d.get("type")
                            .and_then(Value::as_str)
                            .unwrap_or("string")
                            .to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    for (name, ty) in names {
        let value = ctx.parameter(&name).map_err(|e| {
            if e.ends_with("is not provided.") {
                TemplateError(format!(
                    "{e} Please see https://aka.ms/arm-create-parameter-file for usage details."
                ))
            } else {
                TemplateError(e)
            }
        })?;
        let ty = wire_type(&ty);
        let mut entry = Map::new();
        entry.insert("type".into(), Value::String(ty.clone()));
        if !ty.starts_with("Secure") {
            entry.insert("value".into(), value);
        }
        wire.insert(name, Value::Object(entry));
    }
    let mut walked = walk::Walked::default();
    let list = template
        .get("resources")
        .cloned()
        .unwrap_or(Value::Array(Vec::new()));
    walk::walk(&ctx, &list, None, Level::Top, 0, target, &mut walked)?;
    let dependencies = depends::check(&walked)?;
    Ok(Evaluation {
        parameters: wire,
        resources: walked.deployed,
        dependencies,
        template_hash: fnv1a(template.to_string().as_bytes()).to_string(),
    })
}

/// `string` → `String`, `securestring` → `SecureString`, as Azure answers parameter types.
fn wire_type(ty: &str) -> String {
    match ty.to_ascii_lowercase().as_str() {
        "securestring" => "SecureString".into(),
        "secureobject" => "SecureObject".into(),
        other => {
            let mut c = other.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        }
    }
}

/// 64-bit FNV-1a: a stable `templateHash` (Azure's hash function for it is not documented;
/// clients only read it as an opaque value).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests;

//! The body of a template deployment (`Microsoft.Resources/deployments`, `DeploymentExtended`)
//! from what its row stores, as Azure answers it (recorded:
//! `test_workspace_managednetwork_provision`): the PUT's 201 says `Accepted` and has no
//! `outputResources` yet; later GETs say `Succeeded` with them.
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::template::{Dependency, Provider};
use crate::domain::ResourceId;

/// What a template deployment's row stores (rows written before amlite evaluated templates have
/// only `timestamp` and `workspace`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TemplateDeploymentDoc {
    /// When it ran (`arm_time`).
    pub timestamp: String,
    /// The workspace it created.
    pub workspace: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// ISO 8601 duration of the run (`PT0.0012345S`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub providers: Option<Vec<Provider>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependencies: Option<Vec<Dependency>>,
    /// Ids of what it deployed (the workspace alone for a row without them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_resources: Option<Vec<String>>,
}

/// A template deployment on the wire.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TemplateDeployment {
    id: String,
    name: String,
    #[serde(rename = "type")]
    resource_type: &'static str,
    properties: TemplateDeploymentProperties,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct TemplateDeploymentProperties {
    #[serde(skip_serializing_if = "Option::is_none")]
    template_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameters: Option<Map<String, Value>>,
    mode: &'static str,
    provisioning_state: &'static str,
    timestamp: String,
    duration: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    correlation_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    providers: Option<Vec<Provider>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dependencies: Option<Vec<Dependency>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output_resources: Option<Vec<OutputResource>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
struct OutputResource {
    id: String,
}

/// `DeploymentValidateResult`: the deployment as it would run, with `validatedResources`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TemplateValidation {
    id: String,
    name: String,
    #[serde(rename = "type")]
    resource_type: &'static str,
    properties: ValidationProperties,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct ValidationProperties {
    #[serde(flatten)]
    deployment: TemplateDeploymentProperties,
    validated_resources: Vec<OutputResource>,
}

/// The validation answer for deployment `id`.
pub fn template_validation(id: &ResourceId, doc: &TemplateDeploymentDoc) -> TemplateValidation {
    let mut deployment = template_deployment(id, doc, false).properties;
    let validated = deployment.output_resources.take().unwrap_or_default();
    TemplateValidation {
        id: id.as_str().to_string(),
        name: id.name().to_string(),
        resource_type: "Microsoft.Resources/deployments",
        properties: ValidationProperties {
            deployment,
            validated_resources: validated,
        },
    }
}

/// The deployment `id` from its stored document; `accepted` for the PUT's own answer.
pub fn template_deployment(
    id: &ResourceId,
    doc: &TemplateDeploymentDoc,
    accepted: bool,
) -> TemplateDeployment {
    let outputs = doc
        .output_resources
        .clone()
        .unwrap_or_else(|| vec![doc.workspace.clone()]);
    TemplateDeployment {
        id: id.as_str().to_string(),
        name: id.name().to_string(),
        resource_type: "Microsoft.Resources/deployments",
        properties: TemplateDeploymentProperties {
            template_hash: doc.template_hash.clone(),
            parameters: doc.parameters.clone(),
            mode: "Incremental",
            provisioning_state: if accepted { "Accepted" } else { "Succeeded" },
            timestamp: doc.timestamp.clone(),
            duration: if accepted {
                "PT0S".into()
            } else {
                doc.duration.clone().unwrap_or_else(|| "PT1S".into())
            },
            correlation_id: doc.correlation_id.clone(),
            providers: doc.providers.clone(),
            dependencies: doc.dependencies.clone(),
            output_resources: (!accepted).then(|| {
                outputs
                    .into_iter()
                    .map(|id| OutputResource { id })
                    .collect()
            }),
        },
    }
}

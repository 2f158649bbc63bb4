//! The `Microsoft.Resources` request bodies amlite serves (SPEC §3 plumbing): resource groups and
//! the template deployment `workspaces.begin_create` sends.
//!
//! Pure: serde only.
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::fields as f;

/// `PUT /subscriptions/{s}/resourcegroups/{rg}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceGroupRequest {
    #[serde(default, deserialize_with = "f::text")]
    pub location: Option<String>,
    #[serde(default, deserialize_with = "f::string_map")]
    pub tags: Option<BTreeMap<String, String>>,
}

/// `PUT …/providers/Microsoft.Resources/deployments/{d}` (`Deployment`): amlite reads only the
/// template's parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateDeploymentRequest {
    #[serde(default, deserialize_with = "f::object")]
    pub properties: Option<TemplateDeploymentProperties>,
}

/// `DeploymentProperties`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateDeploymentProperties {
    #[serde(default, deserialize_with = "f::object_map")]
    pub parameters: Option<BTreeMap<String, Option<TemplateParameter>>>,
}

/// One template parameter: `{ "value": … }`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateParameter {
    #[serde(default)]
    pub value: Option<Value>,
}

impl TemplateDeploymentRequest {
    /// The value of parameter `name`, if given.
    pub fn parameter(&self, name: &str) -> Option<&Value> {
        self.properties
            .as_ref()?
            .parameters
            .as_ref()?
            .get(name)?
            .as_ref()?
            .value
            .as_ref()
            .filter(|v| !v.is_null())
    }
}

//! The `Microsoft.Resources` request bodies amlite serves (SPEC §3 plumbing): resource groups and
//! the template deployment `workspaces.begin_create` sends.
//!
//! Pure: serde only.
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

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

/// `PUT …/providers/Microsoft.Resources/deployments/{d}` (`Deployment`): the inline template and
/// its parameters (`templateLink` is not followed: amlite is offline).
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
    #[serde(default, deserialize_with = "f::any_object")]
    pub template: Option<Map<String, Value>>,
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
    /// The parameters as the template evaluator reads them (`{name: {value}}`).
    pub fn parameters(&self) -> Map<String, Value> {
        let given = self.properties.as_ref().and_then(|p| p.parameters.as_ref());
        given
            .into_iter()
            .flatten()
            .filter_map(|(k, p)| {
                let v = p.as_ref()?.value.clone()?;
                let mut param = Map::new();
                param.insert("value".into(), v);
                Some((k.clone(), Value::Object(param)))
            })
            .collect()
    }

    /// The inline template, if sent.
    pub fn template(&self) -> Option<Value> {
        let t = self.properties.as_ref()?.template.clone()?;
        Some(Value::Object(t))
    }

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

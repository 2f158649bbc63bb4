//! ARM resource ids: built from parts, compared case-insensitively (SPEC §3 "Paths and resource
//! names compare case-insensitively; responses echo the stored casing").

/// The kinds of resource amlite stores, with their ARM `type` strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// `Microsoft.Resources/subscriptions`.
    Subscription,
    /// `Microsoft.Resources/resourceGroups`.
    ResourceGroup,
    /// `Microsoft.MachineLearningServices/workspaces`.
    Workspace,
    /// `.../workspaces/onlineEndpoints`.
    OnlineEndpoint,
    /// `.../workspaces/onlineEndpoints/deployments`.
    OnlineDeployment,
    /// `.../workspaces/models/{name}/versions/{v}`.
    Model,
    /// `.../workspaces/codes/{name}/versions/{v}`.
    Code,
    /// `.../workspaces/environments/{name}/versions/{v}`.
    Environment,
    /// `.../workspaces/models/{name}`: the container's own fields (description, tags,
    /// `isArchived`); a container without a stored row is implied by its versions.
    ModelContainer,
    /// `.../workspaces/codes/{name}`.
    CodeContainer,
    /// `.../workspaces/environments/{name}`.
    EnvironmentContainer,
    /// `.../workspaces/data/{name}`.
    DataContainer,
    /// `.../workspaces/components/{name}`.
    ComponentContainer,
    /// `.../workspaces/datastores`.
    Datastore,
    /// `.../workspaces/outboundRules`.
    OutboundRule,
    /// `.../workspaces/privateEndpointConnections`.
    PrivateEndpointConnection,
    /// `Microsoft.Network/virtualNetworks`.
    VirtualNetwork,
    /// `Microsoft.Network/privateEndpoints`.
    PrivateEndpoint,
    /// `Microsoft.Resources/deployments` (ARM template deployments).
    TemplateDeployment,
    /// `Microsoft.Storage/storageAccounts` (a workspace's associated storage).
    StorageAccount,
    /// `Microsoft.KeyVault/vaults`.
    KeyVault,
    /// `Microsoft.ContainerRegistry/registries`.
    ContainerRegistry,
    /// `Microsoft.Insights/components` (Application Insights).
    ApplicationInsights,
    /// `.../workspaces/connections` (made by a template deployment: a feature store's).
    WorkspaceConnection,
}

impl ResourceKind {
    /// The stable tag stored in the database.
    pub fn tag(self) -> &'static str {
        match self {
            ResourceKind::Subscription => "subscription",
            ResourceKind::ResourceGroup => "resourceGroup",
            ResourceKind::Workspace => "workspace",
            ResourceKind::OnlineEndpoint => "onlineEndpoint",
            ResourceKind::OnlineDeployment => "onlineDeployment",
            ResourceKind::Model => "model",
            ResourceKind::Code => "code",
            ResourceKind::Environment => "environment",
            ResourceKind::ModelContainer => "modelContainer",
            ResourceKind::CodeContainer => "codeContainer",
            ResourceKind::EnvironmentContainer => "environmentContainer",
            ResourceKind::DataContainer => "dataContainer",
            ResourceKind::ComponentContainer => "componentContainer",
            ResourceKind::Datastore => "datastore",
            ResourceKind::OutboundRule => "outboundRule",
            ResourceKind::PrivateEndpointConnection => "privateEndpointConnection",
            ResourceKind::VirtualNetwork => "virtualNetwork",
            ResourceKind::PrivateEndpoint => "privateEndpoint",
            ResourceKind::TemplateDeployment => "templateDeployment",
            ResourceKind::StorageAccount => "storageAccount",
            ResourceKind::KeyVault => "keyVault",
            ResourceKind::ContainerRegistry => "containerRegistry",
            ResourceKind::ApplicationInsights => "applicationInsights",
            ResourceKind::WorkspaceConnection => "workspaceConnection",
        }
    }

    /// The ARM `type` of the resource.
    pub fn arm_type(self) -> &'static str {
        match self {
            ResourceKind::Subscription => "Microsoft.Resources/subscriptions",
            ResourceKind::ResourceGroup => "Microsoft.Resources/resourceGroups",
            ResourceKind::Workspace => "Microsoft.MachineLearningServices/workspaces",
            ResourceKind::OnlineEndpoint => {
                "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
            }
            ResourceKind::OnlineDeployment => {
                "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"
            }
            ResourceKind::Model => "Microsoft.MachineLearningServices/workspaces/models/versions",
            ResourceKind::Code => "Microsoft.MachineLearningServices/workspaces/codes/versions",
            ResourceKind::Environment => {
                "Microsoft.MachineLearningServices/workspaces/environments/versions"
            }
            ResourceKind::ModelContainer => "Microsoft.MachineLearningServices/workspaces/models",
            ResourceKind::CodeContainer => "Microsoft.MachineLearningServices/workspaces/codes",
            ResourceKind::EnvironmentContainer => {
                "Microsoft.MachineLearningServices/workspaces/environments"
            }
            ResourceKind::DataContainer => "Microsoft.MachineLearningServices/workspaces/data",
            ResourceKind::ComponentContainer => {
                "Microsoft.MachineLearningServices/workspaces/components"
            }
            ResourceKind::Datastore => "Microsoft.MachineLearningServices/workspaces/datastores",
            ResourceKind::OutboundRule => {
                "Microsoft.MachineLearningServices/workspaces/outboundRules"
            }
            ResourceKind::PrivateEndpointConnection => {
                "Microsoft.MachineLearningServices/workspaces/privateEndpointConnections"
            }
            ResourceKind::VirtualNetwork => "Microsoft.Network/virtualNetworks",
            ResourceKind::PrivateEndpoint => "Microsoft.Network/privateEndpoints",
            ResourceKind::TemplateDeployment => "Microsoft.Resources/deployments",
            ResourceKind::StorageAccount => "Microsoft.Storage/storageAccounts",
            ResourceKind::KeyVault => "Microsoft.KeyVault/vaults",
            ResourceKind::ContainerRegistry => "Microsoft.ContainerRegistry/registries",
            ResourceKind::ApplicationInsights => "Microsoft.Insights/components",
            ResourceKind::WorkspaceConnection => {
                "Microsoft.MachineLearningServices/workspaces/connections"
            }
        }
    }
}

/// A full ARM resource id such as
/// `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}`.
/// Built by the `ResourceId::…` constructors with Azure's canonical segment casing, and the
/// caller's casing for names; equality ignores case.
#[derive(Debug, Clone)]
pub struct ResourceId(String);

impl PartialEq for ResourceId {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}
impl Eq for ResourceId {}

impl std::fmt::Display for ResourceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

const ML: &str = "providers/Microsoft.MachineLearningServices";

impl ResourceId {
    /// Wraps an id string as is (e.g. one read from the database).
    pub fn from_string(s: String) -> Self {
        ResourceId(s)
    }
    /// `/subscriptions/{s}`.
    pub fn subscription(s: &str) -> Self {
        ResourceId(format!("/subscriptions/{s}"))
    }
    /// `/subscriptions/{s}/resourceGroups/{rg}`.
    pub fn resource_group(s: &str, rg: &str) -> Self {
        ResourceId(format!("/subscriptions/{s}/resourceGroups/{rg}"))
    }
    /// A workspace id.
    pub fn workspace(s: &str, rg: &str, ws: &str) -> Self {
        ResourceId(format!(
            "/subscriptions/{s}/resourceGroups/{rg}/{ML}/workspaces/{ws}"
        ))
    }
    /// A child of this id: `{self}/{segment}/{name}`.
    pub fn child(&self, segment: &str, name: &str) -> Self {
        ResourceId(format!("{}/{segment}/{name}", self.0))
    }
    /// A resource under a resource group with a provider, e.g. `Microsoft.Network/virtualNetworks`.
    pub fn provider_resource(s: &str, rg: &str, provider_type: &str, name: &str) -> Self {
        ResourceId(format!(
            "/subscriptions/{s}/resourceGroups/{rg}/providers/{provider_type}/{name}"
        ))
    }
    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The last path segment (the resource name).
    pub fn name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or("")
    }
    /// The subscription id segment, if the id has one.
    pub fn subscription_id(&self) -> Option<&str> {
        let mut parts = self.0.split('/').filter(|p| !p.is_empty());
        match (parts.next(), parts.next()) {
            (Some(k), Some(v)) if k.eq_ignore_ascii_case("subscriptions") => Some(v),
            _ => None,
        }
    }
    /// The value following segment `key` (case-insensitive), e.g. `onlineEndpoints` → name.
    pub fn segment_after(&self, key: &str) -> Option<&str> {
        let parts: Vec<&str> = self.0.split('/').collect();
        parts
            .windows(2)
            .find(|w| w[0].eq_ignore_ascii_case(key))
            .map(|w| w[1])
    }
    /// The parent id (everything up to the last two segments).
    pub fn parent(&self) -> Option<ResourceId> {
        let mut it = self.0.rsplitn(3, '/');
        let _name = it.next();
        let _seg = it.next();
        it.next()
            .filter(|p| !p.is_empty())
            .map(|p| ResourceId(p.to_string()))
    }
}

/// The last segment of an ARM id (the resource's name), in its casing.
pub fn last_segment(id: &str) -> &str {
    id.trim()
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(id)
}

/// The last segment of an ARM id, lower-cased (names compared or used in host names).
pub fn last_segment_lower(id: &str) -> String {
    last_segment(id).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_compare_case_insensitively_and_keep_casing() {
        let a = ResourceId::workspace("S", "Rg", "Ws");
        let b = ResourceId::from_string(a.as_str().to_lowercase());
        assert_eq!(a, b);
        assert!(a.as_str().contains("resourceGroups/Rg"));
        assert_eq!(a.name(), "Ws");
        assert_eq!(a.subscription_id(), Some("S"));
        let e = a.child("onlineEndpoints", "ep");
        assert_eq!(e.segment_after("onlineendpoints"), Some("ep"));
        assert_eq!(e.parent(), Some(a));
    }
}

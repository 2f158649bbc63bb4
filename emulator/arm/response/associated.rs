//! The workspace's associated resources on the wire (storage account, key vault, container
//! registry, Application Insights), their private endpoint connections and private link
//! resources: what Azure shows of each type, trimmed to what amlite knows. Rendering only; the
//! documents and routes live in `arm/platform/associated.rs`.
use std::collections::BTreeMap;

use serde::Serialize;

use super::network::SubResource;
use super::{system_data, Resource, Sku};
use crate::domain::{AssociatedDoc, PrivateEndpointConnection, ResourceId, ResourceKind};

/// `properties` of an associated resource: one shape per type.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum AssociatedProperties {
    /// `Microsoft.Storage/storageAccounts`.
    Storage(StorageAccountProperties),
    /// `Microsoft.KeyVault/vaults`.
    KeyVault(KeyVaultProperties),
    /// `Microsoft.ContainerRegistry/registries`.
    Registry(RegistryProperties),
    /// `Microsoft.Insights/components`.
    Insights(InsightsProperties),
}

/// `StorageAccountProperties` (the fields amlite fills).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageAccountProperties {
    pub public_network_access: &'static str,
    pub private_endpoint_connections: Vec<Resource<PecProperties>>,
    pub creation_time: String,
    pub primary_location: String,
    pub status_of_primary: &'static str,
    pub supports_https_traffic_only: bool,
    #[serde(rename = "minimumTlsVersion")]
    pub minimum_tls_version: &'static str,
    pub allow_blob_public_access: bool,
    pub network_acls: NetworkAcls,
    pub primary_endpoints: BTreeMap<&'static str, String>,
    pub provisioning_state: &'static str,
}

/// A storage account's `networkAcls`: Azure's defaults (everything allowed, services bypass).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkAcls {
    pub bypass: &'static str,
    pub virtual_network_rules: Vec<String>,
    pub ip_rules: Vec<String>,
    pub default_action: &'static str,
}

/// A key vault's `properties`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyVaultProperties {
    pub public_network_access: &'static str,
    pub private_endpoint_connections: Vec<Resource<PecProperties>>,
    pub tenant_id: String,
    pub sku: KeyVaultSku,
    pub access_policies: Vec<String>,
    pub vault_uri: String,
    pub enable_soft_delete: bool,
    pub soft_delete_retention_in_days: u32,
    pub enable_rbac_authorization: bool,
    pub provisioning_state: &'static str,
}

/// A key vault's `properties.sku`.
#[derive(Debug, Clone, Serialize)]
pub struct KeyVaultSku {
    pub family: &'static str,
    pub name: &'static str,
}

/// A container registry's `properties`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistryProperties {
    pub public_network_access: &'static str,
    pub private_endpoint_connections: Vec<Resource<PecProperties>>,
    pub creation_date: String,
    pub login_server: String,
    pub admin_user_enabled: bool,
    pub network_rule_bypass_options: &'static str,
    pub provisioning_state: &'static str,
}

/// An Application Insights component's `properties` (Azure's own PascalCase names).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InsightsProperties {
    #[serde(rename = "ApplicationId")]
    pub application_id: String,
    #[serde(rename = "AppId")]
    pub app_id: String,
    #[serde(rename = "Application_Type")]
    pub application_type: &'static str,
    #[serde(rename = "InstrumentationKey")]
    pub instrumentation_key: String,
    #[serde(rename = "ConnectionString")]
    pub connection_string: String,
    #[serde(rename = "CreationDate")]
    pub creation_date: String,
    pub public_network_access_for_ingestion: &'static str,
    pub public_network_access_for_query: &'static str,
    pub private_link_scoped_resources: Vec<String>,
    pub provisioning_state: &'static str,
}

/// A private endpoint connection's `properties`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PecProperties {
    pub private_endpoint: SubResource,
    pub private_link_service_connection_state: PecState,
    pub provisioning_state: &'static str,
}

/// `properties.privateLinkServiceConnectionState`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PecState {
    pub status: String,
    pub description: String,
    pub action_required: &'static str,
}

/// A private link resource's `properties`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateLinkResourceProperties {
    pub group_id: String,
    pub required_members: Vec<String>,
    pub required_zone_names: Vec<String>,
}

/// The private endpoint connection `id` of an associated resource of `kind`.
pub fn associated_pec(
    kind: ResourceKind,
    id: &ResourceId,
    c: &PrivateEndpointConnection,
) -> Resource<PecProperties> {
    let props = PecProperties {
        private_endpoint: SubResource {
            id: c.private_endpoint_id.clone(),
        },
        private_link_service_connection_state: PecState {
            status: c.status.clone(),
            description: c.description.clone(),
            action_required: "None",
        },
        provisioning_state: "Succeeded",
    };
    Resource::with_type(
        id,
        format!("{}/privateEndpointConnections", kind.arm_type()),
        props,
    )
}

/// The private link resource (group) `group` of the associated resource `id` of `kind`.
pub fn associated_link_resource(
    kind: ResourceKind,
    id: &ResourceId,
    group: &str,
) -> Resource<PrivateLinkResourceProperties> {
    let props = PrivateLinkResourceProperties {
        group_id: group.to_string(),
        required_members: vec![group.to_string()],
        required_zone_names: Vec::new(),
    };
    Resource::with_type(
        &id.child("privateLinkResources", group),
        format!("{}/privateLinkResources", kind.arm_type()),
        props,
    )
}

fn sku(name: &str, tier: &'static str) -> Sku {
    Sku {
        name: name.to_string(),
        tier: Some(tier),
        size: None,
        family: None,
        capacity: None,
    }
}

/// The associated resource `id` of `kind` with its connections `pecs`; `tenant` is the
/// emulated tenant (a key vault names it).
pub fn associated(
    kind: ResourceKind,
    id: &ResourceId,
    d: &AssociatedDoc,
    tenant: &str,
    pecs: Vec<Resource<PecProperties>>,
) -> Resource<AssociatedProperties> {
    let name = id.name();
    let pna = d.public_network_access.as_str();
    let created = crate::domain::arm_time(d.audit.created_at);
    let (res_kind, res_sku, props) = match kind {
        ResourceKind::StorageAccount => {
            let endpoints = ["blob", "file", "queue", "table", "dfs"]
                .into_iter()
                .map(|s| (s, format!("https://{name}.{s}.core.windows.net/")))
                .chain([("web", format!("https://{name}.z13.web.core.windows.net/"))])
                .collect();
            let props = StorageAccountProperties {
                public_network_access: pna,
                private_endpoint_connections: pecs,
                creation_time: created,
                primary_location: d.location.clone(),
                status_of_primary: "available",
                supports_https_traffic_only: true,
                minimum_tls_version: "TLS1_2",
                allow_blob_public_access: false,
                network_acls: NetworkAcls {
                    bypass: "AzureServices",
                    virtual_network_rules: Vec::new(),
                    ip_rules: Vec::new(),
                    default_action: "Allow",
                },
                primary_endpoints: endpoints,
                provisioning_state: "Succeeded",
            };
            (
                Some("StorageV2"),
                Some(sku("Standard_LRS", "Standard")),
                AssociatedProperties::Storage(props),
            )
        }
        ResourceKind::KeyVault => {
            let props = KeyVaultProperties {
                public_network_access: pna,
                private_endpoint_connections: pecs,
                tenant_id: tenant.to_string(),
                sku: KeyVaultSku {
                    family: "A",
                    name: "standard",
                },
                access_policies: Vec::new(),
                vault_uri: format!("https://{name}.vault.azure.net/"),
                enable_soft_delete: true,
                soft_delete_retention_in_days: 90,
                enable_rbac_authorization: false,
                provisioning_state: "Succeeded",
            };
            (None, None, AssociatedProperties::KeyVault(props))
        }
        ResourceKind::ContainerRegistry => {
            let props = RegistryProperties {
                public_network_access: pna,
                private_endpoint_connections: pecs,
                creation_date: created,
                login_server: format!("{}.azurecr.io", name.to_ascii_lowercase()),
                admin_user_enabled: false,
                network_rule_bypass_options: "AzureServices",
                provisioning_state: "Succeeded",
            };
            (
                None,
                Some(sku("Premium", "Premium")),
                AssociatedProperties::Registry(props),
            )
        }
        _ => {
            let props = InsightsProperties {
                application_id: name.to_string(),
                app_id: d.guid.clone(),
                application_type: "web",
                instrumentation_key: d.guid.clone(),
                connection_string: format!(
                    "InstrumentationKey={};IngestionEndpoint=https://{}.in.applicationinsights.azure.com/",
                    d.guid, d.location
                ),
                creation_date: created,
                public_network_access_for_ingestion: pna,
                public_network_access_for_query: pna,
                private_link_scoped_resources: Vec::new(),
                provisioning_state: "Succeeded",
            };
            (Some("web"), None, AssociatedProperties::Insights(props))
        }
    };
    Resource {
        location: Some(d.location.clone()),
        tags: Some(d.tags.clone()),
        kind: res_kind.map(str::to_string),
        sku: res_sku,
        system_data: Some(system_data(&d.audit)),
        ..Resource::new(id, kind, props)
    }
}

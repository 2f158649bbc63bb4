//! Resource provider documents: `GET /subscriptions/{s}/providers[/{namespace}]`, with each
//! resource type amlite serves and its api-versions, newest first (ARM's order: `az resource
//! show --ids` takes the first stable one; azure-mgmt-resource's `providers.get` reads them the
//! same way). Every namespace is `Registered`; one amlite does not serve is 404
//! `InvalidResourceNamespace`, as ARM answers an unknown one.
use axum::response::Response;

use crate::app::AppState;
use crate::arm::plumbing::require_subscription;
use crate::arm::response::{self, provider_registration, ProviderRegistration};
use crate::domain::ResourceId;
use crate::error::{ArmError, ArmResult};
use crate::http::{ok, Request};

const ML_VERSIONS: &[&str] = &[
    "2025-06-01",
    "2025-04-01",
    "2024-10-01",
    "2024-04-01",
    "2023-10-01",
    "2023-04-01",
    "2022-10-01",
    "2022-05-01",
    "2021-07-01",
    "2021-04-01",
    "2021-01-01",
    "2020-08-01",
    "2025-04-01-preview",
    "2024-10-01-preview",
    "2024-07-01-preview",
    "2024-04-01-preview",
    "2024-01-01-preview",
    "2023-08-01-preview",
    "2023-04-01-preview",
    "2022-02-01-preview",
];
const NETWORK_VERSIONS: &[&str] = &[
    "2024-05-01",
    "2024-03-01",
    "2023-11-01",
    "2023-09-01",
    "2023-05-01",
    "2022-07-01",
    "2022-01-01",
    "2021-05-01",
    "2020-11-01",
];

/// A resource type and its api-versions, newest stable first.
type ResourceType = (&'static str, &'static [&'static str]);
/// A namespace and its resource types.
type Provider = (&'static str, &'static [ResourceType]);

/// Everything amlite serves.
const PROVIDERS: &[Provider] = &[
    (
        "Microsoft.MachineLearningServices",
        &[
            ("workspaces", ML_VERSIONS),
            ("workspaces/onlineEndpoints", ML_VERSIONS),
            ("workspaces/onlineEndpoints/deployments", ML_VERSIONS),
            ("workspaces/models", ML_VERSIONS),
            ("workspaces/codes", ML_VERSIONS),
            ("workspaces/environments", ML_VERSIONS),
            ("workspaces/datastores", ML_VERSIONS),
            ("workspaces/outboundRules", ML_VERSIONS),
            ("workspaces/privateEndpointConnections", ML_VERSIONS),
            ("workspaces/privateLinkResources", ML_VERSIONS),
            ("locations/mfeOperationsStatus", ML_VERSIONS),
            ("locations/mfeOperationResults", ML_VERSIONS),
        ],
    ),
    (
        "Microsoft.Network",
        &[
            ("virtualNetworks", NETWORK_VERSIONS),
            ("virtualNetworks/subnets", NETWORK_VERSIONS),
            ("privateEndpoints", NETWORK_VERSIONS),
            ("networkInterfaces", NETWORK_VERSIONS),
        ],
    ),
    (
        "Microsoft.Storage",
        &[(
            "storageAccounts",
            &[
                "2023-05-01",
                "2023-01-01",
                "2022-09-01",
                "2021-09-01",
                "2019-06-01",
            ],
        )],
    ),
    (
        "Microsoft.KeyVault",
        &[(
            "vaults",
            &["2023-07-01", "2022-07-01", "2021-10-01", "2019-09-01"],
        )],
    ),
    (
        "Microsoft.ContainerRegistry",
        &[(
            "registries",
            &[
                "2023-07-01",
                "2022-12-01",
                "2019-05-01",
                "2023-11-01-preview",
                "2019-12-01-preview",
            ],
        )],
    ),
    (
        "Microsoft.Insights",
        &[(
            "components",
            &["2020-02-02", "2015-05-01", "2020-02-02-preview"],
        )],
    ),
    (
        "Microsoft.Resources",
        &[
            (
                "resourceGroups",
                &["2024-03-01", "2022-09-01", "2021-04-01", "2020-06-01"],
            ),
            (
                "deployments",
                &["2024-03-01", "2022-09-01", "2021-04-01", "2020-06-01"],
            ),
        ],
    ),
];

const LOCATIONS: &[&str] = &[
    "East US",
    "East US 2",
    "West US",
    "West Europe",
    "North Europe",
];

/// The api-versions amlite lists for `namespace`/`resource_type` (case-insensitive), newest
/// stable first; `None` for a type it does not serve.
pub fn api_versions(namespace: &str, resource_type: &str) -> Option<&'static [&'static str]> {
    PROVIDERS
        .iter()
        .find(|(ns, _)| ns.eq_ignore_ascii_case(namespace))?
        .1
        .iter()
        .find(|(t, _)| t.eq_ignore_ascii_case(resource_type))
        .map(|(_, v)| *v)
}

fn document(sub: &str, (ns, types): &Provider) -> ProviderRegistration {
    provider_registration(&ResourceId::subscription(sub), ns, types, LOCATIONS)
}

/// `GET /subscriptions/{s}/providers`.
pub async fn list(state: &AppState, req: &Request) -> ArmResult<Response> {
    let sub = &req.segs[1];
    require_subscription(state, sub).await?;
    let value = PROVIDERS.iter().map(|p| document(sub, p)).collect();
    Ok(ok(&response::list(value)))
}

/// `GET /subscriptions/{s}/providers/{namespace}`.
pub async fn get(state: &AppState, req: &Request) -> ArmResult<Response> {
    let (sub, ns) = (&req.segs[1], &req.segs[3]);
    require_subscription(state, sub).await?;
    let p = PROVIDERS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(ns))
        .ok_or_else(|| ArmError::invalid_resource_namespace(ns))?;
    Ok(ok(&document(sub, p)))
}

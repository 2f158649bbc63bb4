//! ARM's own platform routes, the ones generic clients (`az group`, `az resource`, `az rest`,
//! azure-mgmt-resource) use before or beside any provider: empty path segments normalised
//! ([`paths`]), `HEAD` existence checks ([`head`]), the generic resource lists
//! ([`resources`]), the provider documents with their resource types and api-versions
//! ([`providers`]), and the workspace's associated resources (storage account, key vault,
//! container registry, application insights) as ARM resources of their own ([`associated`]).
pub mod associated;
pub mod head;
pub mod paths;
pub mod providers;
pub mod resources;

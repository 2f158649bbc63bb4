//! The control plane's named errors that are not shared with other services (those are in
//! `crate::error`): each constructor holds Azure's exact text (or amlite's, where Azure has no
//! equivalent, saying what to change). Tests reuse these texts instead of copying them.
use axum::http::StatusCode;

use crate::domain::{Failure, ResourceId};
use crate::error::ArmError;

/// 400 `InUseSubnetCannotBeDeleted`: Azure Network's refusal to remove a subnet that still
/// holds a private endpoint.
pub fn in_use_subnet(subnet: &str, pe_id: &str) -> ArmError {
    ArmError::new(
        StatusCode::BAD_REQUEST,
        "InUseSubnetCannotBeDeleted",
        format!("Subnet {subnet} is in use by {pe_id} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet."),
    )
}

/// 400 `InvalidResourceReference`: a private endpoint whose subnet does not exist (Azure
/// Network's text).
pub fn invalid_resource_reference(subnet_id: &str, pe_id: &ResourceId) -> ArmError {
    ArmError::new(
        StatusCode::BAD_REQUEST,
        "InvalidResourceReference",
        format!("Resource {subnet_id} referenced by resource {pe_id} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region."),
    )
    .with_target("properties.subnet.id")
}

/// 400 `LinkedInvalidPropertyId`: a private link service id that is not an ARM id (Azure
/// Network's text).
pub fn linked_invalid_property_id(id: &str, path: &str) -> ArmError {
    ArmError::new(
        StatusCode::BAD_REQUEST,
        "LinkedInvalidPropertyId",
        format!("Property id '{id}' at path '{path}.privateLinkServiceId' is invalid. Expect fully qualified resource Id that start with '/subscriptions/{{subscriptionId}}' or '/providers/{{resourceProviderNamespace}}/'."),
    )
}

/// 400 `VnetCountLimitReached`: Azure Network's answer when a subscription's virtual network
/// limit is reached, here `--max-vnets` (every client VNet holds a listener socket, issue 9).
pub fn vnet_count_limit_reached(limit: usize) -> ArmError {
    ArmError::new(
        StatusCode::BAD_REQUEST,
        "VnetCountLimitReached",
        format!("Cannot create more than {limit} virtual networks for this subscription in this region. amlite serves at most {limit} client virtual networks at once (--max-vnets / AMLITE_MAX_VNETS): delete one or raise the limit."),
    )
}

/// 503 with `Retry-After` when the operating system refuses a listener socket (out of file
/// descriptors or ports): nothing was created, and the request can be retried.
pub fn listener_unavailable(vnet_id: &str, e: &std::io::Error) -> ArmError {
    ArmError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "ServiceUnavailable",
        format!("amlite could not open the listener of virtual network '{vnet_id}': {e}. Nothing was created; free file descriptors or ports (or lower --max-vnets) and retry."),
    )
    .with_header("retry-after", "10")
}

/// 503 `ListenerNotRunning`: the admin API was asked for a VNet whose listener is down.
pub fn listener_not_running(vnet_id: &str) -> ArmError {
    ArmError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "ListenerNotRunning",
        format!("The listener of virtual network '{vnet_id}' is not running."),
    )
}

/// The operation-result URL of a failed or canceled operation answers its failure (400 with
/// the operation's code and message, as ARM's `mfeOperationResults` does).
pub fn operation_failed(f: Option<Failure>) -> ArmError {
    let f = f.unwrap_or(Failure {
        code: "Canceled".into(),
        message: "The operation was canceled.".into(),
    });
    ArmError::new(StatusCode::BAD_REQUEST, f.code, f.message)
}

/// 401 `InvalidIdentityHeader`: the managed-identity route without the right header.
pub fn invalid_identity_header() -> ArmError {
    ArmError::new(
        StatusCode::UNAUTHORIZED,
        "InvalidIdentityHeader",
        "The X-IDENTITY-HEADER header is missing or wrong; use IDENTITY_HEADER from env.sh.",
    )
}

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

/// 400 `BadRequest`: a request property whose JSON type or value is not what the contract
/// declares (`expected`: "a string", "an integer (int32) from 1 to 65535", …). amlite's text:
/// Azure's own answers for these differ per resource provider and name no property.
pub fn property_invalid(path: &str, shown: &str, expected: &str) -> ArmError {
    ArmError::bad_property(
        path,
        format!("The value {shown} of '{path}' is not valid: it must be {expected}."),
    )
}

/// 400 `BadRequest`: a request property outside its enum (`allowed`: `'A', 'B'`), matched in
/// any casing (SPEC §2.1).
pub fn property_not_allowed(path: &str, shown: &str, allowed: &str) -> ArmError {
    ArmError::bad_property(
        path,
        format!("The value {shown} of '{path}' is not valid. Allowed values: {allowed}."),
    )
}

/// 400 `BadRequest` (CP-2): a `traffic`/`mirrorTraffic` weight that is not an integer.
pub fn traffic_weight_not_integer(map: &str, deployment: &str, shown: &str) -> ArmError {
    ArmError::bad_property(
        &format!("{map}.{deployment}"),
        format!("The weight of deployment '{deployment}' in '{map}' must be an integer, not {shown} (CP-2)."),
    )
}

/// 400 `BadRequest`: an endpoint created without `properties.authMode`.
pub fn endpoint_auth_mode_required() -> ArmError {
    ArmError::bad_property(
        "properties.authMode",
        "The property 'properties.authMode' is required: 'Key', 'AMLToken' or 'AADToken'.",
    )
}

/// 400 `BadRequest`: `regenerateKeys` without `keyType`.
pub fn key_type_required() -> ArmError {
    ArmError::bad_property(
        "keyType",
        "The property 'keyType' is required. Allowed values: 'Primary', 'Secondary'.",
    )
}

/// 400 `BadRequest`: `scaleSettings.minInstances` above `maxInstances`.
pub fn min_instances_above_max(min: i32, max: i32) -> ArmError {
    let t = "properties.scaleSettings.minInstances";
    ArmError::bad_property(
        t,
        format!("The value {min} of '{t}' is not valid: it must not exceed maxInstances ({max})."),
    )
}

/// 400 `BadRequest`: a DELETE of a datastore Azure ML created with the workspace.
pub fn system_datastore_undeletable(name: &str) -> ArmError {
    let what = if name == "workspaceblobstore" {
        "default"
    } else {
        "system"
    };
    ArmError::bad_property(
        "name",
        format!("The {what} datastore '{name}' cannot be deleted."),
    )
}

/// 400 `BadRequest` (CP-7): a deployment of a managed online endpoint with another compute type.
pub fn deployment_compute_not_managed(compute: &str) -> ArmError {
    ArmError::bad_property("properties.endpointComputeType", format!("amlite emulates managed online endpoints only: deployments must have endpointComputeType 'Managed', not '{compute}' (Kubernetes online deployments are not emulated) (CP-7)."))
}

/// 400 `BadRequest`: a `codeConfiguration` without a scoring script.
pub fn scoring_script_required() -> ArmError {
    ArmError::bad_property(
        "properties.codeConfiguration.scoringScript",
        "codeConfiguration.scoringScript is required and must not be empty.",
    )
}

/// 400 `BadRequest`: an environment version's `build` without a build context.
pub fn build_context_required() -> ArmError {
    ArmError::bad_property(
        "properties.build.contextUri",
        "The property 'properties.build.contextUri' is required: a non-empty string (the URI of the Docker build context).",
    )
}

/// 400 `BadRequest`: an environment version's `condaFile` that is not YAML (nor JSON). Azure
/// converts the file to JSON when it stores it, so it cannot keep one it cannot read; its own
/// text for this is not recorded (amlite's names the parser's reason and where).
pub fn conda_file_unreadable(reason: &crate::domain::conda_file::CondaFileError) -> ArmError {
    ArmError::bad_property(
        "properties.condaFile",
        format!("The value of 'properties.condaFile' is not a valid conda file: it must be YAML or JSON ({reason})."),
    )
}

/// 400 `BadRequest`: an inference `Route` without its `path` or `port` (both required).
pub fn route_incomplete(path: &str) -> ArmError {
    ArmError::bad_property(
        path,
        format!("The route '{path}' needs a non-empty string 'path' and an integer 'port' from 1 to 65535."),
    )
}

/// 400 `BadRequest`: a datastore PUT without `properties`.
pub fn datastore_properties_required() -> ArmError {
    ArmError::bad_property(
        "properties",
        "A datastore needs 'properties' with 'datastoreType'.",
    )
}

/// 400 `BadRequest`: an outbound rule without `type`.
pub fn outbound_rule_type_required(path: &str) -> ArmError {
    ArmError::bad_property(
        path,
        "An outbound rule needs 'type': 'FQDN', 'PrivateEndpoint' or 'ServiceTag'.",
    )
}

/// 400 `BadRequest`: one body naming one outbound rule twice, in two casings (rule names are
/// ARM resource names: case-insensitive).
pub fn outbound_rule_named_twice(first: &str, second: &str) -> ArmError {
    ArmError::bad_property(
        "properties.managedNetwork.outboundRules",
        format!("Outbound rules '{first}' and '{second}' are one rule: outbound rule names are case-insensitive. Send it once."),
    )
}

/// 400 `BadRequest`: an outbound rule PUT without `properties`.
pub fn outbound_rule_properties_required() -> ArmError {
    ArmError::bad_property(
        "properties",
        "An outbound rule needs 'properties' with 'type' and 'destination'.",
    )
}

/// 400 `BadRequest`: an outbound rule whose `destination` does not fit its `type` (`want`
/// describes what it needs).
pub fn outbound_rule_destination_invalid(path: &str, rule_type: &str, want: &str) -> ArmError {
    ArmError::bad_property(
        path,
        format!("A {rule_type} outbound rule needs 'destination' as {want}."),
    )
}

/// 400 `BadRequest` (ISO-9): outbound rules on a workspace without a managed network.
pub fn outbound_rules_need_managed_network(path: &str) -> ArmError {
    ArmError::bad_property(path, "Outbound rules need a managed network: set properties.managedNetwork.isolationMode to 'AllowInternetOutbound' or 'AllowOnlyApprovedOutbound' first (ISO-9).")
}

/// 400 `BadRequest`: a `sparkEnabled` string that is not a boolean.
pub fn spark_enabled_invalid(path: &str, raw: &str) -> ArmError {
    ArmError::bad_property(
        path,
        format!("The value '{raw}' is not a valid boolean for 'sparkEnabled'."),
    )
}

/// 400 `BadRequest` (ISO-8): a change (`verb`: changed, deleted) to a Required outbound rule.
pub fn required_rule_immutable(name: &str, verb: &str) -> ArmError {
    ArmError::bad_property(
        "name",
        format!("The outbound rule '{name}' is a Required rule of the managed network (ISO-8) and cannot be {verb}."),
    )
}

/// 400 `BadRequest`: a private endpoint connection PUT without a status to set.
pub fn connection_status_required() -> ArmError {
    ArmError::bad_property(
        "properties.privateLinkServiceConnectionState.status",
        "Set properties.privateLinkServiceConnectionState.status to 'Approved' or 'Rejected'.",
    )
}

/// 400 `BadRequest` (ISO-3): a workspace's storage account or key vault changed after creation.
pub fn associated_resource_immutable(path: &str) -> ArmError {
    ArmError::bad_property(
        path,
        format!("The property '{path}' cannot be changed after the workspace is created."),
    )
}

/// 400 `BadRequest`: a tracked resource created without `location`.
pub fn location_required() -> ArmError {
    ArmError::bad_property("location", "The property 'location' is required.")
}

/// 400 `BadRequest`: a subnet without a name.
pub fn subnet_name_required(path: &str) -> ArmError {
    ArmError::bad_property(path, "Every subnet needs a name.")
}

/// 400 `BadRequest`: two subnets of one VNet with the same name.
pub fn subnet_name_repeated(path: &str, name: &str) -> ArmError {
    ArmError::bad_property(
        path,
        format!("The subnet name '{name}' appears twice in the virtual network."),
    )
}

/// 400 `BadRequest`: a peering without its remote VNet.
pub fn peering_remote_required(path: &str) -> ArmError {
    ArmError::bad_property(
        path,
        "A virtual network peering needs properties.remoteVirtualNetwork.id.",
    )
}

/// 400 `BadRequest`: a private endpoint without a subnet.
pub fn pe_subnet_required() -> ArmError {
    ArmError::bad_property(
        "properties.subnet.id",
        "A private endpoint needs properties.subnet.id: the id of a subnet of a virtual network.",
    )
}

/// 400 `BadRequest`: a private endpoint with no connection or more than one.
pub fn pe_needs_one_connection() -> ArmError {
    ArmError::bad_property(
        "properties.privateLinkServiceConnections",
        "A private endpoint needs exactly one connection, in properties.privateLinkServiceConnections (auto-approved) or properties.manualPrivateLinkServiceConnections (pending approval).",
    )
}

/// 400 `BadRequest`: a private endpoint connection without its target.
pub fn pe_link_target_required(path: &str) -> ArmError {
    ArmError::bad_property(path, "The connection needs properties.privateLinkServiceId: the id of the resource to connect to (a workspace).")
}

/// 400 `BadRequest`: a template deployment that does not create a workspace.
pub fn template_without_workspace() -> ArmError {
    ArmError::bad_property("properties.template", "The template deploys no Microsoft.MachineLearningServices/workspaces resource (or, without an inline template, has no parameters.workspaceName.value); amlite only materialises workspace templates.")
}

/// 400 `BadRequest`: a template that deploys more than one workspace (amlite makes one).
pub fn template_many_workspaces(first: &str, other: &str) -> ArmError {
    ArmError::bad_property("properties.template", format!("The template deploys workspaces '{first}' and '{other}'; amlite materialises one workspace per template deployment: deploy them separately."))
}

/// 400 `BadRequest`: a template connection of a workspace other than the one it deploys.
pub fn template_connection_elsewhere(connection: &str, workspace: &str) -> ArmError {
    ArmError::bad_property("properties.template", format!("The template deploys connection '{connection}', which is not a connection of workspace '{workspace}', the workspace it deploys; amlite materialises that workspace's connections only."))
}

/// 404 `DeploymentNotFound`: a template deployment that does not exist (its GET, status and
/// operations; Azure Resource Manager's text).
pub fn deployment_not_found(name: &str) -> ArmError {
    ArmError::new(
        StatusCode::NOT_FOUND,
        "DeploymentNotFound",
        format!("Deployment '{name}' could not be found."),
    )
}

/// 400 `InvalidDeployment`: a template deployment name past ARM's 64 characters (ARM's text).
pub fn deployment_name_too_long(name: &str, len: usize) -> ArmError {
    ArmError::new(
        StatusCode::BAD_REQUEST,
        "InvalidDeployment",
        format!("The provided deployment name '{name}' has a length of '{len}' which exceeds the maximum length of '{}'. Please see https://aka.ms/arm-deploy for usage details.", crate::domain::template::MAX_DEPLOYMENT_NAME),
    )
}

/// 400 `InvalidDeployment`: a template deployment name with characters ARM refuses (ARM's
/// text, with the parentheses its current pattern also allows).
pub fn deployment_name_invalid(name: &str, invalid: &[char]) -> ArmError {
    let listed: Vec<String> = invalid.iter().map(|c| format!("'{c}'")).collect();
    ArmError::new(
        StatusCode::BAD_REQUEST,
        "InvalidDeployment",
        format!("The provided deployment name '{name}' has these invalid characters: {}. The name can only be a letter, digit, '-', '.', '_', '(' or ')'.", listed.join(", ")),
    )
}

/// 400 `InvalidTemplate`: a template ARM cannot evaluate (Azure's prefix; the reason is the
/// evaluator's, `domain::template`).
pub fn invalid_template(reason: &str) -> ArmError {
    ArmError::new(
        StatusCode::BAD_REQUEST,
        "InvalidTemplate",
        format!("Deployment template validation failed: '{reason}'."),
    )
}

/// 400 `BadRequest`: a `$skipToken` that no `nextLink` of amlite's gave (they are the
/// creation-order number where the next page starts).
pub fn invalid_skip_token(token: &str) -> ArmError {
    ArmError::new(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        format!("The $skipToken '{token}' is not valid: pass the nextLink of the previous page as it is."),
    )
}

/// 400 `BadRequest`: a `$top` that is not a positive integer.
pub fn top_invalid(top: &str) -> ArmError {
    ArmError::new(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        format!("The $top '{top}' is not valid: it must be a positive integer."),
    )
}

//! Online endpoint request bodies (SPEC §3): the properties a PUT and a PATCH may carry (CP-7
//! compute, `publicNetworkAccess`, tags, identity, the add-only `properties` map), `authMode`, and
//! `traffic`/`mirrorTraffic` validated against the endpoint's deployments (CP-2, CP-3). The body
//! is decoded by `arm::body` into [`EndpointBody`].
use crate::app::AppState;
use crate::arm::body;
use crate::arm::body::requests::{EndpointBody, EndpointProperties, IdentityBody};
use crate::domain::{
    OnlineDeployment, OnlineEndpoint, ProvisioningState, ResourceId, ResourceKind,
};
use crate::error::ArmResult;
use crate::rules;

/// Applies the traffic-related properties and validates them against the endpoint's deployments
/// (CP-2, CP-3).
pub(super) async fn apply_traffic(
    state: &AppState,
    id: &ResourceId,
    ep: &mut OnlineEndpoint,
    props: &EndpointProperties,
) -> ArmResult<()> {
    if props.traffic.is_none() && props.mirror_traffic.is_none() {
        return Ok(());
    }
    // A deployment being deleted is no traffic target: once its delete ends, the endpoint's
    // traffic would name a deployment that does not exist (CP-2), and scoring would find none.
    let names: Vec<String> = state
        .store
        .children(id, ResourceKind::OnlineDeployment)
        .await?
        .into_iter()
        .filter(|r| {
            r.doc::<OnlineDeployment>().map_or(true, |d| {
                d.provisioning_state != ProvisioningState::Deleting
            })
        })
        .map(|r| r.name)
        .collect();
    if let Some(t) = &props.traffic {
        rules::traffic::cp_2_traffic(t.iter(), &names)?;
        ep.traffic = t.clone();
    }
    if let Some(m) = &props.mirror_traffic {
        ep.mirror_traffic = m.clone();
    }
    rules::traffic::cp_3_mirror_traffic(ep.mirror_traffic.iter(), ep.traffic.iter(), &names)?;
    Ok(())
}

/// Properties a PUT and a PATCH may both carry.
pub(super) fn apply_common(ep: &mut OnlineEndpoint, body: &EndpointBody) -> ArmResult<()> {
    let none = EndpointProperties::default();
    let props = body.properties.as_ref().unwrap_or(&none);
    rules::endpoint::cp_7_managed_endpoint_compute(props.compute.as_deref())?;
    if let Some(t) = &body.tags {
        ep.tags = t.clone();
    }
    if let Some(identity) = &body.identity {
        ep.identity = Some(body::as_sent::<IdentityBody>(identity.clone(), "identity")?);
    }
    if let Some(kind) = &body.kind {
        ep.kind = Some(kind.clone());
    }
    if let Some(a) = props.public_network_access {
        ep.public_network_access = a;
    }
    if let Some(d) = &props.description {
        ep.description = d.clone();
    }
    // "Properties can be added, but not removed or altered"; the SDK echoes createdBy/createdAt
    // copied from systemData (SPEC §2.1): accept and ignore those.
    if let Some(p) = &props.properties {
        for (k, v) in p {
            if !matches!(
                k.as_str(),
                "createdBy" | "createdAt" | "lastModifiedAt" | "lastModifiedBy"
            ) {
                ep.properties.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    Ok(())
}

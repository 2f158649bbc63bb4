//! The read models the data plane and the egress proxy need, shared with the control plane so
//! no service calls into another's handlers (ARCHITECTURE: services meet in `store`/`domain`).
//! Typed reads only: the decisions on what they return are in `network/` and `rules/`.
use crate::domain::{
    OnlineDeployment, PrivateEndpointConnection, PrivateEndpointDoc, ResourceId, ResourceKind,
};
use crate::network::{arm_id_eq, ConnectionStatus, PrivateEndpointView};

use super::{Row, Store};

type Result<T> = std::result::Result<T, sqlx::Error>;

/// What SPEC §6.3 says when a workspace's connection entry was deleted under its private endpoint.
pub const CONNECTION_DELETED: &str =
    "The private endpoint connection was deleted from the workspace.";

impl Store {
    /// The deployments of an online endpoint, in creation order.
    pub async fn deployments_of(
        &self,
        endpoint: &ResourceId,
    ) -> Result<Vec<(ResourceId, OnlineDeployment)>> {
        let rows = self
            .children(endpoint, ResourceKind::OnlineDeployment)
            .await?;
        rows.iter()
            .map(|r| Ok((r.resource_id(), r.doc()?)))
            .collect()
    }

    /// Every private endpoint with its stored document.
    pub async fn private_endpoints(&self) -> Result<Vec<(Row, PrivateEndpointDoc)>> {
        let rows = self
            .by_kind_under(ResourceKind::PrivateEndpoint, "/")
            .await?;
        rows.into_iter()
            .map(|r| {
                let d = r.doc()?;
                Ok((r, d))
            })
            .collect()
    }

    /// A private endpoint's connection status and its description: from the workspace's
    /// connection entry when the target is a workspace (`Disconnected` once that entry is
    /// deleted), else the stored one.
    pub async fn connection_status(
        &self,
        doc: &PrivateEndpointDoc,
    ) -> Result<(ConnectionStatus, String)> {
        let Some(pec_id) = &doc.pec_id else {
            return Ok((
                ConnectionStatus::parse(&doc.status).unwrap_or(ConnectionStatus::Pending),
                String::new(),
            ));
        };
        match self.get(&ResourceId::from_string(pec_id.clone())).await? {
            Some(row) => {
                let c: PrivateEndpointConnection = row.doc()?;
                Ok((
                    ConnectionStatus::parse(&c.status).unwrap_or(ConnectionStatus::Pending),
                    c.description,
                ))
            }
            None => Ok((ConnectionStatus::Disconnected, CONNECTION_DELETED.into())),
        }
    }

    /// The private endpoints targeting `workspace_id`, as the inbound decision sees them.
    pub async fn private_endpoint_views(
        &self,
        workspace_id: &str,
    ) -> Result<Vec<PrivateEndpointView>> {
        let mut out = Vec::new();
        for (row, doc) in self.private_endpoints().await? {
            if !arm_id_eq(&doc.connection.target_id, workspace_id) {
                continue;
            }
            let (status, _) = self.connection_status(&doc).await?;
            out.push(PrivateEndpointView {
                id: row.id,
                vnet_id: doc.vnet_id,
                workspace_id: doc.connection.target_id,
                status,
                created_at: doc.audit.created_at,
            });
        }
        Ok(out)
    }
}

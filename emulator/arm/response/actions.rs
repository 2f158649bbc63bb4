//! The bodies of the POST actions and small GETs on endpoints and deployments: `listKeys`,
//! `token`, `getLogs`, a deployment's `skus` (`mfe.json`: `EndpointAuthKeys`,
//! `EndpointAuthToken`, `DeploymentLogs`, `SkuResourceArmPaginatedResult`).
use serde::Serialize;

use super::List;
use crate::domain::{EndpointKeys, ResourceKind};

/// `EndpointAuthKeys`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EndpointAuthKeys {
    /// `primaryKey`.
    pub primary_key: String,
    /// `secondaryKey`.
    pub secondary_key: String,
}

/// An endpoint's keys (`listKeys`).
pub fn endpoint_keys(keys: &EndpointKeys) -> EndpointAuthKeys {
    EndpointAuthKeys {
        primary_key: keys.primary.clone(),
        secondary_key: keys.secondary.clone(),
    }
}

/// `EndpointAuthToken`: times in Unix seconds.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EndpointAuthToken {
    /// `accessToken`.
    pub access_token: String,
    /// `tokenType`: `Bearer`.
    pub token_type: &'static str,
    /// `expiryTimeUtc`.
    pub expiry_time_utc: i64,
    /// `refreshAfterTimeUtc`: half-way.
    pub refresh_after_time_utc: i64,
}

/// A bearer token issued at `now` for `lifetime` seconds.
pub fn endpoint_token(access_token: String, now: i64, lifetime: i64) -> EndpointAuthToken {
    EndpointAuthToken {
        access_token,
        token_type: "Bearer",
        expiry_time_utc: now + lifetime,
        refresh_after_time_utc: now + lifetime / 2,
    }
}

/// `DeploymentLogs`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DeploymentLogs {
    /// The log lines, newline-joined.
    pub content: String,
}

/// `SkuResource`: what a managed deployment can scale to.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SkuResource {
    /// `resourceType`.
    pub resource_type: &'static str,
    /// `sku`.
    pub sku: SkuSetting,
    /// `capacity`.
    pub capacity: SkuCapacity,
}

/// `SkuSetting`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SkuSetting {
    /// `name`.
    pub name: &'static str,
    /// `tier`.
    pub tier: &'static str,
}

/// `SkuCapacity`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SkuCapacity {
    /// `minimum`.
    pub minimum: u32,
    /// `maximum`.
    pub maximum: u32,
    /// `default`.
    pub default: u32,
    /// `scaleType`.
    pub scale_type: &'static str,
}

/// A managed deployment's `skus`: `Default`/`Standard`, 1 to 50 instances, manual scaling.
pub fn deployment_skus() -> List<SkuResource> {
    super::list(vec![SkuResource {
        resource_type: ResourceKind::OnlineDeployment.arm_type(),
        sku: SkuSetting {
            name: "Default",
            tier: "Standard",
        },
        capacity: SkuCapacity {
            minimum: 1,
            maximum: 50,
            default: 1,
            scale_type: "Manual",
        },
    }])
}

//! The request bodies of Azure ML assets (`Microsoft.MachineLearningServices`, 2024-04-01):
//! containers and versions of models, code, environments, data and components, datastores, and
//! their actions. A version's or datastore's `properties` is stored as sent once
//! `arm::assets::validation` has decoded it into the types here: they type-check the fields
//! amlite reads or Azure checks, and name them, so a key sent in another casing is stored in
//! Azure's (`body::casing`).
//!
//! Pure: serde and `domain` types only.
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::fields as f;
use crate::domain::enums::{AutoRebuild, OsType};

/// `PUT` of an asset container or version, or of a datastore: `properties` is stored as sent
/// once the collection's own checks pass (`arm::assets::validation`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetBody {
    #[serde(default, deserialize_with = "f::any_object")]
    pub properties: Option<Map<String, Value>>,
}

/// `PUT` of an asset container (`ModelContainer`, `CodeContainer`, `EnvironmentContainer`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetContainerBody {
    #[serde(default, deserialize_with = "f::object")]
    pub properties: Option<AssetBaseProperties>,
}

/// The writable fields of `ResourceBase` with `AssetBase`'s flags: an asset container's
/// (`isAnonymous` is a version's; a container ignores it; `latestVersion` and `nextVersion`
/// are read-only), and checked on every version PUT, so a wrongly typed one is a 400 rather
/// than stored and then left out of every answer.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetBaseProperties {
    #[serde(default, deserialize_with = "f::text")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "f::string_map")]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "f::string_map")]
    pub properties: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "f::flag")]
    pub is_archived: Option<bool>,
    #[serde(default, deserialize_with = "f::flag")]
    pub is_anonymous: Option<bool>,
}

/// `ModelVersion` properties amlite checks (the rest is stored as sent).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelVersionProperties {
    #[serde(default, deserialize_with = "f::text")]
    pub job_name: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub model_type: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub model_uri: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub stage: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "f::object_map")]
    pub flavors: Option<BTreeMap<String, Option<FlavorBody>>>,
}

/// One model flavor: `{ "data": map<string, string> }`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlavorBody {
    #[serde(default, deserialize_with = "f::string_map")]
    pub data: Option<BTreeMap<String, String>>,
}

/// `EnvironmentVersion` properties amlite checks (the rest is stored as sent).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentVersionProperties {
    #[serde(default, deserialize_with = "f::choice")]
    pub auto_rebuild: Option<AutoRebuild>,
    #[serde(default, deserialize_with = "f::choice")]
    pub os_type: Option<OsType>,
    #[serde(default, deserialize_with = "f::text")]
    pub conda_file: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub image: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "f::flag")]
    pub is_anonymous: Option<bool>,
    #[serde(default, deserialize_with = "f::flag")]
    pub is_archived: Option<bool>,
    #[serde(default, deserialize_with = "f::object")]
    pub build: Option<BuildContextBody>,
    #[serde(default, deserialize_with = "f::object")]
    pub inference_config: Option<InferenceConfigBody>,
}

/// `BuildContext`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildContextBody {
    #[serde(default, deserialize_with = "f::text")]
    pub context_uri: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub dockerfile_path: Option<String>,
}

/// `InferenceContainerProperties`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InferenceConfigBody {
    #[serde(default, deserialize_with = "f::object")]
    pub liveness_route: Option<RouteBody>,
    #[serde(default, deserialize_with = "f::object")]
    pub readiness_route: Option<RouteBody>,
    #[serde(default, deserialize_with = "f::object")]
    pub scoring_route: Option<RouteBody>,
}

/// `Route` (both fields required; the handler says so).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteBody {
    #[serde(default, deserialize_with = "f::text")]
    pub path: Option<String>,
    #[serde(default, deserialize_with = "f::int32::<1, 65535, _>")]
    pub port: Option<i32>,
}

/// `POST …/datastores/{d}/listSecrets` (`SecretExpiry`, azure-ai-ml 1.31 and later).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListSecretsBody {
    #[serde(default, deserialize_with = "f::flag")]
    pub expirable_secret: Option<bool>,
    #[serde(default, deserialize_with = "f::integer")]
    pub expire_after_hours: Option<i64>,
}

/// `POST …/versions/{v}/startPendingUpload` (`PendingUploadRequestDto`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingUploadBody {
    #[serde(default, deserialize_with = "f::text")]
    pub pending_upload_type: Option<String>,
}

/// `CodeVersion` properties amlite reads (the rest is stored as sent).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeVersionProperties {
    #[serde(default, deserialize_with = "f::text")]
    pub code_uri: Option<String>,
}

/// `DataVersionBase` properties (`uri_file`, `uri_folder`, `mltable`; the rest is stored as
/// sent).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataVersionProperties {
    #[serde(default, deserialize_with = "f::text")]
    pub data_type: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub data_uri: Option<String>,
}

/// `ComponentVersion` properties (the spec is stored as sent).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentVersionProperties {
    #[serde(default, deserialize_with = "f::any_object")]
    pub component_spec: Option<Map<String, Value>>,
}

/// `Datastore` properties (`AzureBlobDatastore` and its kin) amlite reads or names; the rest is
/// stored as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatastoreProperties {
    #[serde(default, deserialize_with = "f::text")]
    pub datastore_type: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub account_name: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub container_name: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub endpoint: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub protocol: Option<String>,
    #[serde(default, deserialize_with = "f::object")]
    pub credentials: Option<DatastoreCredentialsBody>,
    #[serde(default, deserialize_with = "f::text")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "f::string_map")]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "f::string_map")]
    pub properties: Option<BTreeMap<String, String>>,
}

/// A datastore's `credentials` (`AccountKeyDatastoreCredentials`, `SasDatastoreCredentials`,
/// `ServicePrincipalDatastoreCredentials`, ...). Its `secrets` are write-only: stored, never
/// answered (`arm::response::asset`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatastoreCredentialsBody {
    #[serde(default, deserialize_with = "f::text")]
    pub credentials_type: Option<String>,
    #[serde(default, deserialize_with = "f::object")]
    pub secrets: Option<DatastoreSecretsBody>,
    #[serde(default, deserialize_with = "f::text")]
    pub client_id: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub tenant_id: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub authority_url: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub resource_url: Option<String>,
}

/// A datastore's `credentials.secrets` (`AccountKeyDatastoreSecrets`, `SasDatastoreSecrets`,
/// `ServicePrincipalDatastoreSecrets`, `CertificateDatastoreSecrets`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatastoreSecretsBody {
    #[serde(default, deserialize_with = "f::text")]
    pub secrets_type: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub key: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub sas_token: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub client_secret: Option<String>,
    #[serde(default, deserialize_with = "f::text")]
    pub certificate: Option<String>,
}

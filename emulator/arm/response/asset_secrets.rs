//! The secrets bodies of the asset actions: a datastore's `listSecrets` and a code version's
//! `startPendingUpload` (`mfe.json`: `DatastoreSecrets`, `PendingUploadResponseDto`).
use serde::Serialize;

/// `DatastoreSecrets` (discriminator `secretsType`).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "secretsType")]
pub enum DatastoreSecretsBody {
    /// `SasDatastoreSecrets`.
    Sas {
        /// `sasToken`.
        #[serde(rename = "sasToken")]
        sas_token: String,
    },
    /// `AccountKeyDatastoreSecrets`.
    AccountKey {
        /// `key`.
        key: String,
    },
}

/// `PendingUploadResponseDto`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PendingUpload {
    /// `blobReferenceForConsumption`.
    pub blob_reference_for_consumption: BlobReference,
    /// `pendingUploadId`.
    pub pending_upload_id: String,
    /// `pendingUploadType` (`TemporaryBlobReference` unless the request named another).
    pub pending_upload_type: String,
}

/// `BlobReferenceForConsumptionDto`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BlobReference {
    /// `blobUri`: the container's URL.
    pub blob_uri: String,
    /// `storageAccountArmId`.
    pub storage_account_arm_id: String,
    /// `credential`.
    pub credential: SasCredential,
}

/// `SASCredentialDto`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SasCredential {
    /// `credentialType`: `SAS`.
    pub credential_type: &'static str,
    /// `sasUri`: the container's URL with the SAS.
    pub sas_uri: String,
}

/// A pending upload to the container at `blob_uri` in `storage_account`, with `sas` for it.
pub fn pending_upload(
    blob_uri: String,
    storage_account: String,
    sas: &str,
    upload_id: String,
    upload_type: String,
) -> PendingUpload {
    PendingUpload {
        blob_reference_for_consumption: BlobReference {
            credential: SasCredential {
                credential_type: "SAS",
                sas_uri: format!("{blob_uri}?{sas}"),
            },
            blob_uri,
            storage_account_arm_id: storage_account,
        },
        pending_upload_id: upload_id,
        pending_upload_type: upload_type,
    }
}

//! Conversions into `ArmError`: a rule violation keeps its status, code and message; a database
//! or file-system failure is a conflict, a full or unavailable data folder, or amlite's own 500.
use axum::http::StatusCode;

use super::ArmError;
use crate::rules::Violation;

impl ArmError {
    /// The envelope for a data-folder file-system error (507 when full, 503 otherwise).
    pub fn from_io(e: &std::io::Error) -> Self {
        match crate::store::StorageFailure::from_io(e) {
            crate::store::StorageFailure::Full => Self::storage_full(),
            crate::store::StorageFailure::Io => Self::storage_unavailable(e),
        }
    }
}

impl From<Violation> for ArmError {
    /// A rule violation keeps the status, code and message the rule gives (SPEC §5).
    fn from(v: Violation) -> Self {
        let status = match v.status {
            crate::rules::Status::BadRequest => StatusCode::BAD_REQUEST,
            crate::rules::Status::Conflict => StatusCode::CONFLICT,
        };
        ArmError {
            status,
            code: v.code.to_string(),
            message: v.message,
            target: v.target,
            inner_code: v.inner_code.map(str::to_string),
            headers: Vec::new(),
            details: v
                .detail
                .map(|(code, message)| vec![(code.to_string(), message)])
                .unwrap_or_default(),
        }
    }
}

impl From<sqlx::Error> for ArmError {
    /// A constraint the database enforces lost a race with a concurrent request (a second
    /// update while one is in flight, a parent deleted while a child was being written): 409
    /// `Conflict`, never a 500. Anything else is amlite's own failure.
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            match db.kind() {
                // migrations/0002: one create/update operation in flight per resource.
                sqlx::error::ErrorKind::UniqueViolation => {
                    return ArmError::conflict("Another operation on this resource is in progress; wait for it to finish and retry.");
                }
                sqlx::error::ErrorKind::ForeignKeyViolation => {
                    return ArmError::conflict("The parent resource was deleted by a concurrent request; retry the request.");
                }
                _ => {}
            }
        }
        match crate::store::storage_failure(&e) {
            Some(crate::store::StorageFailure::Full) => ArmError::storage_full(),
            Some(crate::store::StorageFailure::Io) => ArmError::storage_unavailable(&e),
            None => ArmError::internal(e),
        }
    }
}

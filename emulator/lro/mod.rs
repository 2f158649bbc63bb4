//! Long-running operations (SPEC §3): operation records, the monitor URLs and headers ARM uses
//! (`Azure-AsyncOperation`, `Location`, `Retry-After`, `x-ms-async-operation-timeout`), the
//! monitor body, and the bookkeeping that tells when an operation is due.
//!
//! What an operation *does* when it completes is decided by the control plane
//! (`arm::provision`, registered at start-up as a [`Completion`]); this module only knows when,
//! and drives them ([`settle`], [`drive`]). Depends on `store`, `domain`, `http` and `AppState`,
//! never on a service, so scoring can settle due operations without calling into `arm`.
//! [`control`]: per-resource completion policies of the admin API.
pub mod control;

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::{Mutex, Notify};

mod driver;
mod reply;

pub use driver::{drive, settle, Completion};
pub use reply::{async_operation_reply, created_reply, location_reply};

use crate::domain::{arm_time, Failure};
use crate::store::OperationRow;

/// What completing an operation does (stored as JSON in `operations.action`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind")]
pub enum Action {
    /// Endpoint create/update: becomes `Succeeded`.
    ProvisionEndpoint,
    /// Deployment create/update: provisioning rules run, the runtime starts.
    ProvisionDeployment,
    /// Endpoint delete (its deployments go with it, CP-4).
    DeleteEndpoint,
    /// Deployment delete (its private endpoint connections go with it, ISO-14).
    DeleteDeployment,
    /// Workspace delete.
    DeleteWorkspace,
    /// Managed network provisioning (ISO-9).
    ProvisionManagedNetwork,
    /// The change was applied when requested; the operation only reports it.
    Done,
    /// An outbound rule PUT or DELETE: applied when requested like [`Action::Done`]; the
    /// operation's result (`Location`) is the rule (recorded Azure:
    /// `test_workspace_managednetwork_outbound_rule_operations`).
    OutboundRule {
        /// The rule's name.
        name: String,
    },
}

/// The api-version monitor URLs carry when the request that started the operation had none.
pub const DEFAULT_API_VERSION: &str = "2024-04-01";

/// Terminal or running status of an operation, as the monitor spells it.
pub const IN_PROGRESS: &str = "InProgress";
/// Succeeded.
pub const SUCCEEDED: &str = "Succeeded";
/// Failed.
pub const FAILED: &str = "Failed";
/// Canceled.
pub const CANCELED: &str = "Canceled";

/// Due-time bookkeeping shared by handlers and the provisioner.
#[derive(Debug)]
pub struct Lro {
    next_due_ms: AtomicI64,
    wake: Notify,
    /// Serialises settling so one operation completes once.
    pub settle_lock: Mutex<()>,
    delay: Duration,
    /// What completing an operation does, set once at start-up by the control plane.
    completion: std::sync::OnceLock<driver::Completion>,
    /// Per-resource completion policies (`POST /_amlite/lro`).
    pub control: control::LroControl,
}

impl Lro {
    /// Operations complete `delay` after they start (`--provisioning-delay`).
    pub fn new(delay: Duration) -> Self {
        Lro {
            next_due_ms: AtomicI64::new(i64::MAX),
            wake: Notify::new(),
            settle_lock: Mutex::new(()),
            delay,
            completion: std::sync::OnceLock::new(),
            control: control::LroControl::default(),
        }
    }

    /// A new `InProgress` operation on `resource_id`, due after the configured delay, named
    /// by a fresh GUID.
    pub fn new_operation(
        &self,
        resource_id: &str,
        action: &Action,
        location: &str,
        now: DateTime<Utc>,
    ) -> OperationRow {
        let id = uuid::Uuid::new_v4().to_string();
        self.new_operation_named(id, resource_id, action, location, now)
    }

    /// [`Lro::new_operation`] with the operation's name (`id`) chosen by the caller (see
    /// [`online_operation_name`]).
    pub fn new_operation_named(
        &self,
        id: String,
        resource_id: &str,
        action: &Action,
        location: &str,
        now: DateTime<Utc>,
    ) -> OperationRow {
        let delay_ms = if self.control.park(resource_id, &id) {
            control::PARK_MS
        } else {
            i64::try_from(self.delay.as_millis()).unwrap_or(i64::MAX / 2)
        };
        OperationRow {
            id,
            resource_id: resource_id.to_string(),
            action: serde_json::to_string(action).unwrap_or_else(|_| "{\"kind\":\"Done\"}".into()),
            status: IN_PROGRESS.into(),
            started_at: arm_time(now),
            ended_at: None,
            due_at_ms: now.timestamp_millis().saturating_add(delay_ms),
            error: None,
            location: location.to_string(),
        }
    }

    /// Call after an operation was committed: the provisioner wakes for it.
    pub fn scheduled(&self, due_ms: i64) {
        self.next_due_ms.fetch_min(due_ms, Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// Cheap check before touching the database: is anything due at `now_ms`?
    pub fn anything_due(&self, now_ms: i64) -> bool {
        self.next_due_ms.load(Ordering::SeqCst) <= now_ms
    }

    /// Forget the cached due time (before re-reading it from the database under the lock).
    pub fn reset_due(&self) {
        self.next_due_ms.store(i64::MAX, Ordering::SeqCst);
    }

    /// Records the earliest due time read from the database.
    pub fn note_due(&self, due_ms: Option<i64>) {
        if let Some(d) = due_ms {
            self.next_due_ms.fetch_min(d, Ordering::SeqCst);
        }
    }

    /// Milliseconds until the next due operation (None: nothing pending).
    pub fn wait_hint(&self, now_ms: i64) -> Option<u64> {
        let d = self.next_due_ms.load(Ordering::SeqCst);
        (d != i64::MAX).then(|| u64::try_from(d.saturating_sub(now_ms)).unwrap_or(0))
    }

    /// Resolves when an operation is scheduled.
    pub async fn woken(&self) {
        self.wake.notified().await
    }
}

/// Parses a stored action; unknown JSON counts as [`Action::Done`].
pub fn action_of(op: &OperationRow) -> Action {
    serde_json::from_str(&op.action).unwrap_or(Action::Done)
}

/// The name Azure ML gives an operation on an online endpoint (`oe`) or deployment (`od`):
/// `{prefix}:{workspaceId}:{guid}` (recorded `mfeOperationsStatus` URLs, e.g.
/// `test_online_endpoint_mir`: `oe:f73e08ae-…:598be8e9-…`).
pub fn online_operation_name(prefix: &str, workspace_guid: &str) -> String {
    format!("{prefix}:{workspace_guid}:{}", uuid::Uuid::new_v4())
}

/// `…/locations/{loc}/mfeOperationsStatus/{id}?api-version=…` (the `Azure-AsyncOperation` URL).
pub fn status_url(base: &str, sub: &str, op: &OperationRow, api_version: &str) -> String {
    status_url_of(base, sub, &op.location, &op.id, api_version)
}

/// [`status_url`] of operation `name` in region `location`.
pub fn status_url_of(
    base: &str,
    sub: &str,
    location: &str,
    name: &str,
    api_version: &str,
) -> String {
    format!(
        "{base}/subscriptions/{sub}/providers/Microsoft.MachineLearningServices/locations/{location}/mfeOperationsStatus/{name}?api-version={api_version}"
    )
}

/// `…/locations/{loc}/mfeOperationResults/{id}?api-version=…` (the `Location` URL).
pub fn result_url(base: &str, sub: &str, op: &OperationRow, api_version: &str) -> String {
    format!(
        "{base}/subscriptions/{sub}/providers/Microsoft.MachineLearningServices/locations/{}/mfeOperationResults/{}?api-version={api_version}",
        op.location, op.id
    )
}

/// The stored failure of a failed operation.
pub fn failure_of(op: &OperationRow) -> Option<Failure> {
    op.error
        .as_deref()
        .and_then(|e| serde_json::from_str(e).ok())
}

/// The monitor body `{"id","name","status","startTime","endTime"?,"error"?}`.
pub fn status_body(status_url: &str, op: &OperationRow) -> Value {
    // `id` is the monitor's ARM path, not its URL; `percentComplete` is 100 once terminal and 0
    // before (recorded `mfeOperationsStatus` answers, e.g. `test_online_endpoint_mir`).
    let url = status_url.split('?').next().unwrap_or(status_url);
    let path = url.find("/subscriptions/").map_or(url, |i| &url[i..]);
    let done = op.status != IN_PROGRESS;
    let mut body = json!({
        "id": path,
        "name": op.id,
        "status": op.status,
        "startTime": op.started_at,
        "percentComplete": if done { 100.0 } else { 0.0 },
    });
    if let Some(end) = &op.ended_at {
        body["endTime"] = json!(end);
    }
    if let Some(f) = failure_of(op) {
        body["error"] =
            json!({ "code": f.code, "message": f.message, "details": [], "additionalInfo": [] });
    }
    body
}

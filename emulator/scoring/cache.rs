//! Scoring routes cached per endpoint name, so a scoring request costs no database round trip.
//! Entries are tagged with the store's write generation (`Store::write_generation`) and served
//! only while it is unchanged, so every committed write invalidates them without handlers having
//! to remember to. In-flight counters (for 429) and routing counters live outside the entries so
//! they survive invalidation.
//!
//! Bounded (issue 9): a stale entry is never served again, so inserting under a new generation
//! drops every stale one (deleted endpoints go with them); counters no cached route and no
//! request holds are dropped once there are more than [`MAX_IDLE_COUNTERS`].
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use crate::domain::{
    AuthMode, EndpointKeys, ProvisioningState, PublicNetworkAccess, RequestSettings,
};
use crate::network::PrivateEndpointView;

/// What scoring needs about one deployment.
#[derive(Debug, Clone)]
pub struct DeploymentRoute {
    /// Name as stored.
    pub name: String,
    /// ARM id.
    pub id: String,
    /// Only `Succeeded` deployments take requests.
    pub state: ProvisioningState,
    /// Request settings (timeout, concurrency).
    pub request_settings: RequestSettings,
    /// Instance count.
    pub instance_count: u32,
    /// Mock runtime knobs.
    pub mock: crate::runtime::MockSettings,
    /// Which runtime answers (SPEC §7).
    pub runtime: crate::runtime::RuntimeKind,
    /// Requests in flight (shared across cache generations).
    pub in_flight: Arc<AtomicUsize>,
}

/// What scoring needs about one endpoint.
#[derive(Debug)]
pub struct EndpointRoute {
    /// ARM id.
    pub id: String,
    /// Name as stored.
    pub name: String,
    /// Workspace ARM id.
    pub workspace_id: String,
    /// Region of the endpoint (`location`).
    pub location: String,
    /// Endpoint `publicNetworkAccess`.
    pub public_network_access: PublicNetworkAccess,
    /// Workspace `publicNetworkAccess`.
    pub workspace_public_network_access: PublicNetworkAccess,
    /// Auth mode.
    pub auth_mode: AuthMode,
    /// Keys (also the AML token signing secret).
    pub keys: EndpointKeys,
    /// Traffic weights.
    pub traffic: BTreeMap<String, i64>,
    /// Mirror traffic weights.
    pub mirror_traffic: BTreeMap<String, i64>,
    /// Deployments.
    pub deployments: Vec<DeploymentRoute>,
    /// Private endpoints to the workspace.
    pub private_endpoints: Vec<PrivateEndpointView>,
    /// Counter for weight routing (deterministic shares over each 100 requests).
    pub counter: Arc<AtomicU64>,
    /// Counter for mirroring.
    pub mirror_counter: Arc<AtomicU64>,
}

/// Counters nobody holds are kept up to this many (so weight shares of endpoints scored again
/// after a write stay exact), then dropped.
pub const MAX_IDLE_COUNTERS: usize = 256;

/// The weight-routing and mirror counters of one endpoint.
pub type Counters = (Arc<AtomicU64>, Arc<AtomicU64>);

/// The cache.
#[derive(Debug, Default)]
pub struct RouteCache {
    /// Lower-cased endpoint name → (store write generation it was loaded under, route).
    map: RwLock<HashMap<String, (u64, Arc<EndpointRoute>)>>,
    in_flight: RwLock<HashMap<String, Arc<AtomicUsize>>>,
    counters: RwLock<HashMap<String, Counters>>,
}

impl RouteCache {
    /// The cached route of a lower-cased endpoint name, if it was loaded under the store's
    /// current write generation `gen` (any write since makes it stale).
    pub fn get(&self, name: &str, gen: u64) -> Option<Arc<EndpointRoute>> {
        let m = self.map.read().ok()?;
        m.get(name)
            .filter(|(g, _)| *g == gen)
            .map(|(_, r)| r.clone())
    }

    /// Caches a route loaded under write generation `gen` (read before loading); if a write
    /// raced with the load, the entry is simply never served.
    pub fn insert(&self, name: String, route: Arc<EndpointRoute>, gen: u64) {
        if let Ok(mut m) = self.map.write() {
            m.retain(|_, (g, _)| *g >= gen);
            m.insert(name, (gen, route));
        }
        self.prune_counters();
    }

    /// Drops in-flight and routing counters that only this cache holds (no cached route, no
    /// request in flight) once there are more than [`MAX_IDLE_COUNTERS`] of a kind.
    fn prune_counters(&self) {
        if let Ok(mut m) = self.in_flight.write() {
            if m.len() > MAX_IDLE_COUNTERS {
                m.retain(|_, c| Arc::strong_count(c) > 1 || c.load(Ordering::SeqCst) > 0);
            }
        }
        if let Ok(mut m) = self.counters.write() {
            if m.len() > MAX_IDLE_COUNTERS {
                m.retain(|_, (a, b)| Arc::strong_count(a) > 1 || Arc::strong_count(b) > 1);
            }
        }
    }

    /// How many routes, in-flight counters and routing counters are kept (tests, diagnostics).
    pub fn sizes(&self) -> (usize, usize, usize) {
        let len = |n: Option<usize>| n.unwrap_or(0);
        (
            len(self.map.read().ok().map(|m| m.len())),
            len(self.in_flight.read().ok().map(|m| m.len())),
            len(self.counters.read().ok().map(|m| m.len())),
        )
    }

    /// The in-flight counter of a deployment (created on first use).
    pub fn in_flight(&self, deployment_id: &str) -> Arc<AtomicUsize> {
        let key = deployment_id.to_ascii_lowercase();
        if let Some(c) = self
            .in_flight
            .read()
            .ok()
            .and_then(|m| m.get(&key).cloned())
        {
            return c;
        }
        match self.in_flight.write() {
            Ok(mut m) => m.entry(key).or_default().clone(),
            Err(_) => Arc::default(),
        }
    }

    /// Persistent routing counters of an endpoint, so weight shares stay exact across cache clears.
    pub fn counters(&self, endpoint_id: &str) -> Counters {
        let key = endpoint_id.to_ascii_lowercase();
        if let Some(c) = self.counters.read().ok().and_then(|m| m.get(&key).cloned()) {
            return c;
        }
        match self.counters.write() {
            Ok(mut m) => m.entry(key).or_default().clone(),
            Err(_) => Default::default(),
        }
    }
}

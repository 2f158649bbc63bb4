//! Per-resource completion control of long-running operations (amlite's admin API,
//! `POST /_amlite/lro`, not Azure): users testing their polling decide whether an operation on a
//! resource completes `immediate`ly (after `--provisioning-delay`, the default), after the
//! monitor was polled N times (`afterPolls`), or only when told (`manual`, then
//! `POST /_amlite/operations/{id}/complete`).
//!
//! An operation whose resource matches a policy when it is created is *parked*: stored with a
//! due time far in the future, so the provisioner leaves it `InProgress`, and remembered here
//! with the polls it still answers `InProgress`. Policies and parked operations live in memory:
//! a restart (which resumes every interrupted operation) or `POST /_amlite/reset` forgets them.
use std::collections::HashMap;
use std::sync::Mutex;

/// `due_at_ms` offset of a parked operation: ten years, far beyond any test, yet no overflow.
pub const PARK_MS: i64 = 10 * 365 * 24 * 3600 * 1000;

/// How operations on the matching resources complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// After `--provisioning-delay`, as without a policy.
    Immediate,
    /// The first N monitor polls answer `InProgress`; the next one completes the operation.
    AfterPolls(u32),
    /// `InProgress` until `POST /_amlite/operations/{id}/complete`.
    Manual,
}

impl Mode {
    /// The admin API's spelling: `immediate`, `afterPolls`, `manual`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Immediate => "immediate",
            Mode::AfterPolls(_) => "afterPolls",
            Mode::Manual => "manual",
        }
    }
}

/// One policy: which resources (see [`matches`]) and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// `*`, a full ARM id, a name, or a trailing part of an id such as `onlineEndpoints/ep`.
    pub resource: String,
    /// How their operations complete.
    pub mode: Mode,
}

/// A parked operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parked {
    /// The resource it acts on.
    pub resource_id: String,
    /// `None` for manual; else the polls still answered `InProgress`.
    pub polls_left: Option<u32>,
}

/// Does `pattern` name `resource_id`? `*` names every resource; otherwise the id itself, its
/// last segment (the resource's name) or a trailing run of its segments, case-insensitively.
pub fn matches(pattern: &str, resource_id: &str) -> bool {
    let p = pattern.trim().trim_matches('/').to_ascii_lowercase();
    let id = resource_id.trim_end_matches('/').to_ascii_lowercase();
    p == "*" || (!p.is_empty() && (id == p || id.ends_with(&format!("/{p}"))))
}

/// The policies and the parked operations.
#[derive(Debug, Default)]
pub struct LroControl {
    policies: Mutex<Vec<Policy>>,
    parked: Mutex<HashMap<String, Parked>>,
}

impl LroControl {
    /// Sets the policy for `resource` (replacing one for the same pattern).
    pub fn set(&self, resource: &str, mode: Mode) {
        if let Ok(mut p) = self.policies.lock() {
            p.retain(|x| !x.resource.eq_ignore_ascii_case(resource));
            p.push(Policy {
                resource: resource.to_string(),
                mode,
            });
        }
    }

    /// The policies, in the order they were set.
    pub fn policies(&self) -> Vec<Policy> {
        self.policies.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// Parked operations by operation id.
    pub fn parked(&self) -> Vec<(String, Parked)> {
        let mut v: Vec<(String, Parked)> = self
            .parked
            .lock()
            .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    /// Forgets every policy and parked operation (reset).
    pub fn clear(&self) {
        if let Ok(mut p) = self.policies.lock() {
            p.clear();
        }
        if let Ok(mut p) = self.parked.lock() {
            p.clear();
        }
    }

    /// A new operation `op_id` on `resource_id`: true when it is to be parked (the last
    /// matching policy is not `immediate`).
    pub fn park(&self, resource_id: &str, op_id: &str) -> bool {
        let mode = self.policies.lock().ok().and_then(|p| {
            p.iter()
                .rev()
                .find(|x| matches(&x.resource, resource_id))
                .map(|x| x.mode)
        });
        let polls_left = match mode {
            None | Some(Mode::Immediate) => return false,
            Some(Mode::AfterPolls(n)) => Some(n),
            Some(Mode::Manual) => None,
        };
        if let Ok(mut p) = self.parked.lock() {
            p.insert(
                op_id.to_string(),
                Parked {
                    resource_id: resource_id.to_string(),
                    polls_left,
                },
            );
        }
        true
    }

    /// A monitor poll of `op_id`: true when the operation is to complete now (an `afterPolls`
    /// operation whose polls are used up; it is then no longer parked).
    pub fn polled(&self, op_id: &str) -> bool {
        let Ok(mut p) = self.parked.lock() else {
            return false;
        };
        let Some(entry) = p.get_mut(op_id) else {
            return false;
        };
        match entry.polls_left {
            None => false,
            Some(0) => {
                p.remove(op_id);
                true
            }
            Some(n) => {
                entry.polls_left = Some(n - 1);
                false
            }
        }
    }

    /// Unparks `op_id` (it is about to be completed); false if it was not parked.
    pub fn release(&self, op_id: &str) -> bool {
        self.parked
            .lock()
            .map(|mut p| p.remove(op_id).is_some())
            .unwrap_or(false)
    }

    /// Unparks every operation on a resource `pattern` names; returns their ids.
    pub fn release_matching(&self, pattern: &str) -> Vec<String> {
        let Ok(mut p) = self.parked.lock() else {
            return Vec::new();
        };
        let ids: Vec<String> = p
            .iter()
            .filter(|(_, v)| matches(pattern, &v.resource_id))
            .map(|(k, _)| k.clone())
            .collect();
        for id in &ids {
            p.remove(id);
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EP: &str = "/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w/onlineEndpoints/ep";

    #[test]
    fn patterns_name_ids_names_and_trailing_segments() {
        assert!(matches("*", EP));
        assert!(matches("ep", EP));
        assert!(matches("onlineEndpoints/EP", EP));
        assert!(matches(&EP.to_uppercase(), EP));
        assert!(!matches("p", EP));
        assert!(!matches("", EP));
        assert!(!matches("blue", &format!("{EP}/deployments/blue2")));
    }

    #[test]
    fn after_polls_answers_n_polls_then_completes_and_manual_never_does() {
        let c = LroControl::default();
        assert!(!c.park(EP, "op0"), "no policy: not parked");
        c.set("ep", Mode::AfterPolls(2));
        assert!(c.park(EP, "op1"));
        assert_eq!(
            [c.polled("op1"), c.polled("op1"), c.polled("op1")],
            [false, false, true]
        );
        assert!(!c.polled("op1"), "released once");
        c.set("EP", Mode::Manual);
        assert_eq!(c.policies().len(), 1, "same pattern replaced");
        assert!(c.park(EP, "op2"));
        assert!((0..10).all(|_| !c.polled("op2")));
        assert_eq!(c.release_matching("ep"), vec!["op2".to_string()]);
        c.set("ep", Mode::Immediate);
        assert!(!c.park(EP, "op3"));
    }
}

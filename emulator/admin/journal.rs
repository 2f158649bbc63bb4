//! The decision journal behind `GET /_amlite/decisions`: the last [`CAPACITY`] inbound
//! (scoring) and egress (deployment proxy) decisions, with the rule that decided, newest last.
//! Bounded and in memory: the oldest entry goes when a new one comes; a reset empties it.
use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Serialize;

use crate::egress::Plan;
use crate::network::{CallerNetwork, InboundDecision, Path};

/// Entries kept.
pub const CAPACITY: usize = 512;

/// One decision.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Increasing number (survives the ring dropping older entries).
    pub seq: u64,
    /// When (RFC 3339, UTC).
    pub time: String,
    /// `inbound` or `egress`.
    pub kind: &'static str,
    /// Allowed?
    pub allowed: bool,
    /// The SPEC rule that decided (refused), or what allowed it (`ISO-5` public path,
    /// `ISO-12` private path, an egress `via`).
    pub rule: String,
    /// Inbound: the endpoint; egress: the deployment's ARM id.
    pub subject: String,
    /// Inbound: `internet` or the caller's VNet id; egress: the deployment.
    pub from: String,
    /// Inbound: `public` or the private endpoint used; egress: `host:port`.
    pub to: String,
    /// The refusal's message (empty when allowed).
    pub message: String,
}

/// The journal.
#[derive(Debug, Default)]
pub struct Journal {
    entries: Mutex<(u64, VecDeque<Entry>)>,
}

/// `internet`, or the VNet's id.
pub fn network_name(n: &CallerNetwork) -> String {
    match n {
        CallerNetwork::Internet => "internet".into(),
        CallerNetwork::Vnet { id } => id.clone(),
    }
}

impl Journal {
    fn push(&self, mut e: Entry) {
        let Ok(mut g) = self.entries.lock() else {
            return;
        };
        g.0 += 1;
        e.seq = g.0;
        if g.1.len() >= CAPACITY {
            g.1.pop_front();
        }
        g.1.push_back(e);
    }

    /// Records a scoring request's inbound decision.
    pub fn inbound(&self, endpoint: &str, caller: &CallerNetwork, d: &InboundDecision) {
        let (allowed, rule, to, message) = match d {
            InboundDecision::Allowed { path: Path::Public } => {
                (true, "ISO-5", "public".to_string(), String::new())
            }
            InboundDecision::Allowed {
                path: Path::Private { pe_id },
            } => (true, "ISO-12", pe_id.clone(), String::new()),
            InboundDecision::Refused(r) => (false, r.rule, String::new(), r.message.clone()),
        };
        self.push(Entry {
            seq: 0,
            time: now(),
            kind: "inbound",
            allowed,
            rule: rule.to_string(),
            subject: endpoint.to_string(),
            from: network_name(caller),
            to,
            message,
        });
    }

    /// Records an egress proxy's decision for one connection.
    pub fn egress(&self, deployment: &str, host: &str, port: u16, plan: &Plan) {
        let (allowed, rule, message) = match plan {
            Plan::Refused { rule, message } => (false, rule.to_string(), message.clone()),
            Plan::Forward { via, .. } | Plan::NotEmulated { via } => {
                (true, via.to_string(), String::new())
            }
            Plan::Unavailable(m) => (false, "Unavailable".to_string(), m.clone()),
        };
        self.push(Entry {
            seq: 0,
            time: now(),
            kind: "egress",
            allowed,
            rule,
            subject: deployment.to_string(),
            from: deployment.to_string(),
            to: format!("{host}:{port}"),
            message,
        });
    }

    /// Entries with `seq > after`, of `kind` if given, oldest first.
    pub fn since(&self, after: u64, kind: Option<&str>) -> Vec<Entry> {
        self.entries
            .lock()
            .map(|g| {
                g.1.iter()
                    .filter(|e| e.seq > after && kind.is_none_or(|k| k == e.kind))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Forgets every entry (numbering goes on).
    pub fn clear(&self) {
        if let Ok(mut g) = self.entries.lock() {
            g.1.clear();
        }
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_the_newest_entries_in_order() {
        let j = Journal::default();
        let d = InboundDecision::Allowed { path: Path::Public };
        for _ in 0..CAPACITY + 3 {
            j.inbound("ep", &CallerNetwork::Internet, &d);
        }
        let all = j.since(0, None);
        assert_eq!(all.len(), CAPACITY);
        assert_eq!(all[0].seq, 4);
        assert_eq!(j.since(all[CAPACITY - 2].seq, Some("inbound")).len(), 1);
        assert!(j.since(0, Some("egress")).is_empty());
        j.clear();
        assert!(j.since(0, None).is_empty());
    }
}

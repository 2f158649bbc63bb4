//! What `dependsOn` (and `reference()`) may name, the checks ARM makes on it before it deploys
//! (every dependency names a resource of the template, none is circular: learn.microsoft.com,
//! azure-resource-manager/troubleshooting/error-invalid-template), and the deployment's
//! `properties.dependencies`. Lookups go through hash indexes and repeated dependencies count
//! once: a template of a few megabytes may name thousands of resources thousands of times each.
//!
//! Pure: no IO.
use std::collections::{HashMap, HashSet};

use super::walk::Walked;
use super::{BasicDependency, Dependency, Deployed, Level, TemplateError};

/// ARM's limit on the resources of one template, nested templates included (Azure subscription
/// and service limits, "Template limits").
const MAX_RESOURCES: usize = 800;

/// Bytes of ids, types and names `properties.dependencies` may hold: the same dependency of
/// many resources is stored once per resource, so a dense template multiplies its size (a
/// realistic 800-resource template needs well under 1 MiB).
const DEPENDENCIES_BUDGET: usize = 4 << 20;

/// A resource of the template whose condition was false: naming it in `dependsOn` is allowed
/// (the dependency is dropped).
#[derive(Debug, Clone)]
pub(super) struct Declared {
    pub resource_type: String,
    pub name: String,
    /// `None` when its type and name do not make an id.
    pub id: Option<String>,
}

/// Resources by lower-cased id, name and `type/name` (the first of each in template order).
#[derive(Default)]
struct Index {
    by_id: HashMap<String, usize>,
    by_name: HashMap<String, usize>,
}

impl Index {
    fn new<'a>(items: impl Iterator<Item = (&'a str, &'a str, Option<&'a str>)>) -> Self {
        let mut index = Index::default();
        for (i, (ty, name, id)) in items.enumerate() {
            if let Some(id) = id {
                index.by_id.entry(id.to_lowercase()).or_insert(i);
            }
            for key in [name.to_lowercase(), format!("{ty}/{name}").to_lowercase()] {
                index.by_name.entry(key).or_insert(i);
            }
        }
        index
    }

    /// The resource a dependency names: a resource id, a `type/name` or a bare name
    /// (case-insensitively).
    fn find(&self, reference: &str) -> Option<usize> {
        let key = reference.to_lowercase();
        if reference.starts_with('/') {
            self.by_id.get(&key).copied()
        } else {
            self.by_name.get(&key).copied()
        }
    }
}

/// `Microsoft.Compute/virtualMachines/vm` for an id, as ARM names a resource in its errors.
fn shown(reference: &str) -> &str {
    reference
        .rfind("/providers/")
        .and_then(|at| reference.get(at + "/providers/".len()..))
        .unwrap_or(reference)
}

/// Fails on more resources than ARM takes, on a `dependsOn` naming no resource of the template
/// (deployed or not) and on a cycle of dependencies (`dependsOn` and `reference()` together)
/// among the deployed resources; answers `properties.dependencies`.
pub(super) fn check(walked: &Walked) -> Result<Vec<Dependency>, TemplateError> {
    let deployed = &walked.deployed;
    let total = deployed.len() + walked.skipped.len();
    if total > MAX_RESOURCES {
        return Err(TemplateError(format!(
            "The number of template resources limit exceeded. Limit: '{MAX_RESOURCES}' and actual: '{total}'."
        )));
    }
    let index = Index::new(deployed.iter().map(|r| {
        (
            r.resource_type.as_str(),
            r.name.as_str(),
            Some(r.id.as_str()),
        )
    }));
    let skipped = Index::new(
        walked
            .skipped
            .iter()
            .map(|s| (s.resource_type.as_str(), s.name.as_str(), s.id.as_deref())),
    );
    let mut edges: Vec<Vec<usize>> = Vec::with_capacity(deployed.len());
    for r in deployed {
        let mut out = Vec::new();
        for d in &r.depends_on {
            match index.find(d) {
                Some(i) => out.push(i),
                None if skipped.find(d).is_some() => {}
                None => {
                    return Err(TemplateError(format!(
                        "The resource '{}' is not defined in the template. Please see https://aka.ms/arm-template for usage details.",
                        shown(d)
                    )))
                }
            }
        }
        out.extend(r.references.iter().filter_map(|x| index.find(&x.id)));
        out.sort_unstable();
        out.dedup();
        edges.push(out);
    }
    if let Some(i) = first_on_cycle(&edges) {
        return Err(TemplateError(format!(
            "Circular dependency detected on resource: '{}'. Please see https://aka.ms/arm-syntax-resources for usage details.",
            deployed[i].id
        )));
    }
    dependencies(deployed, &index)
}

/// `properties.dependencies`: each top-level resource's `dependsOn` that names a deployed
/// resource (a dependency on a resource whose condition was false is dropped, as ARM does),
/// then, with their `apiVersion`, the deployed resources its `reference()` calls named; each
/// once, in first-named order (recorded: test_featurestore_managednetwork_provision lists a
/// user-assigned identity both ways).
fn dependencies(deployed: &[Deployed], index: &Index) -> Result<Vec<Dependency>, TemplateError> {
    let mut out = Vec::new();
    let mut spent = 0usize;
    for r in deployed.iter().filter(|r| r.level == Level::Top) {
        let named = r.depends_on.iter().map(|d| (d.as_str(), None));
        let referenced = r
            .references
            .iter()
            .map(|x| (x.id.as_str(), x.api_version.as_ref()));
        let mut seen: HashSet<(usize, Option<&String>)> = HashSet::new();
        let mut depends_on = Vec::new();
        for (reference, api_version) in named.chain(referenced) {
            let Some(i) = index.find(reference) else {
                continue;
            };
            if !seen.insert((i, api_version)) {
                continue;
            }
            let d = &deployed[i];
            spent += d.id.len() + d.resource_type.len() + d.name.len();
            if spent > DEPENDENCIES_BUDGET {
                return Err(TemplateError(
                    "The template's resources depend on each other more often than amlite records (4 MiB of dependencies).".into(),
                ));
            }
            depends_on.push(BasicDependency {
                id: d.id.clone(),
                resource_type: d.resource_type.clone(),
                resource_name: d.name.clone(),
                api_version: api_version.cloned(),
            });
        }
        if !depends_on.is_empty() {
            out.push(Dependency {
                depends_on,
                id: r.id.clone(),
                resource_type: r.resource_type.clone(),
                resource_name: r.name.clone(),
            });
        }
    }
    Ok(out)
}

/// A node on a cycle of `edges`, by an iterative depth-first search (no recursion: a template
/// may chain hundreds of resources).
fn first_on_cycle(edges: &[Vec<usize>]) -> Option<usize> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut mark = vec![Mark::New; edges.len()];
    for start in 0..edges.len() {
        if mark[start] != Mark::New {
            continue;
        }
        // (node, next edge to follow)
        let mut stack = vec![(start, 0usize)];
        mark[start] = Mark::Open;
        while let Some((node, next)) = stack.last_mut() {
            let node = *node;
            match edges[node].get(*next) {
                Some(&to) => {
                    *next += 1;
                    match mark.get(to) {
                        Some(Mark::Open) => return Some(to),
                        Some(Mark::New) => {
                            mark[to] = Mark::Open;
                            stack.push((to, 0));
                        }
                        _ => {}
                    }
                }
                None => {
                    mark[node] = Mark::Done;
                    stack.pop();
                }
            }
        }
    }
    None
}

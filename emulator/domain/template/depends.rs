//! What `dependsOn` (and `reference()`) may name, and the checks ARM makes on it before it
//! deploys: every dependency names a resource of the template, and none is circular
//! (learn.microsoft.com, azure-resource-manager/troubleshooting/error-invalid-template,
//! "circular dependency").
//!
//! Pure: no IO.
use super::{Deployed, TemplateError};

/// A resource of the template whose condition was false: naming it in `dependsOn` is allowed
/// (the dependency is dropped).
#[derive(Debug, Clone)]
pub(super) struct Declared {
    pub resource_type: String,
    pub name: String,
    /// `None` when its type and name do not make an id.
    pub id: Option<String>,
}

/// Whether `reference` (a resource id, a `type/name` or a bare name, case-insensitively) names
/// the resource of type `ty`, name `name` and id `id`.
fn names(reference: &str, ty: &str, name: &str, id: Option<&str>) -> bool {
    if reference.starts_with('/') {
        return id.is_some_and(|id| id.eq_ignore_ascii_case(reference));
    }
    name.eq_ignore_ascii_case(reference) || format!("{ty}/{name}").eq_ignore_ascii_case(reference)
}

/// The deployed resource `reference` names.
pub(super) fn find<'a>(resources: &'a [Deployed], reference: &str) -> Option<&'a Deployed> {
    resources
        .iter()
        .find(|r| names(reference, &r.resource_type, &r.name, Some(&r.id)))
}

/// `Microsoft.Compute/virtualMachines/vm` for an id, as ARM names a resource in its errors.
fn shown(reference: &str) -> &str {
    reference
        .rfind("/providers/")
        .and_then(|at| reference.get(at + "/providers/".len()..))
        .unwrap_or(reference)
}

/// Fails on a `dependsOn` naming no resource of the template (deployed or not), and on a cycle
/// of dependencies (`dependsOn` and `reference()` together) among the deployed resources.
pub(super) fn check(walked: &super::walk::Walked) -> Result<(), TemplateError> {
    let deployed = &walked.deployed;
    let index = |reference: &str| {
        deployed
            .iter()
            .position(|r| names(reference, &r.resource_type, &r.name, Some(&r.id)))
    };
    let mut edges: Vec<Vec<usize>> = Vec::with_capacity(deployed.len());
    for r in deployed {
        let mut out = Vec::new();
        for d in &r.depends_on {
            match index(d) {
                Some(i) => out.push(i),
                None if walked
                    .skipped
                    .iter()
                    .any(|s| names(d, &s.resource_type, &s.name, s.id.as_deref())) => {}
                None => {
                    return Err(TemplateError(format!(
                        "The resource '{}' is not defined in the template. Please see https://aka.ms/arm-template for usage details.",
                        shown(d)
                    )))
                }
            }
        }
        out.extend(r.references.iter().filter_map(|x| index(&x.id)));
        edges.push(out);
    }
    match first_on_cycle(&edges) {
        Some(i) => Err(TemplateError(format!(
            "Circular dependency detected on resource: '{}'. Please see https://aka.ms/arm-syntax-resources for usage details.",
            deployed[i].id
        ))),
        None => Ok(()),
    }
}

/// A node on a cycle of `edges`, by an iterative depth-first search (no recursion: a template
/// may chain thousands of resources).
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

//! The walk over a template's resources: conditions, names and ids (child resources, extension
//! resources with `scope`), `dependsOn`, and nested deployments.
//!
//! Pure: no IO.
use serde_json::{Map, Value};

use super::depends::Declared;
use super::eval::{Ctx, Target};
use super::{Deployed, Level, TemplateError, DEPLOYMENTS, MAX_NESTING};

/// What a walk found: the resources deployed (in template order) and those whose condition was
/// false.
#[derive(Default)]
pub(super) struct Walked {
    pub deployed: Vec<Deployed>,
    pub skipped: Vec<Declared>,
}

fn text(ctx: &Ctx<'_>, r: &Value, key: &str) -> Result<Option<String>, TemplateError> {
    match r.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match ctx.value(v).map_err(TemplateError)? {
            Value::String(s) => Ok(Some(s)),
            Value::Null => Ok(None),
            other => Err(TemplateError(format!(
                "The template resource property '{key}' must be a string, not '{other}'."
            ))),
        },
    }
}

/// Walks `list`; `placement` is where its resources are deployed (a nested deployment's
/// `resourceGroup` / `subscriptionId`, which can differ from where expressions are evaluated).
pub(super) fn walk(
    ctx: &Ctx<'_>,
    list: &Value,
    parent: Option<(&str, &str)>,
    level: Level,
    depth: usize,
    placement: &Target,
    out: &mut Walked,
) -> Result<(), TemplateError> {
    if depth > MAX_NESTING {
        return Err(TemplateError(
            "The template nests resources or deployments too deeply.".into(),
        ));
    }
    let Some(items) = list.as_array() else {
        return Err(TemplateError(
            "The template 'resources' must be an array.".into(),
        ));
    };
    for r in items {
        let deployed = match r.get("condition") {
            None => true,
            Some(cond) => match ctx.value(cond).map_err(TemplateError)? {
                Value::Bool(b) => b,
                Value::String(s) if s.eq_ignore_ascii_case("true") => true,
                Value::String(s) if s.eq_ignore_ascii_case("false") => false,
                other => {
                    return Err(TemplateError(format!(
                        "The template resource condition must be a boolean, not '{other}'."
                    )))
                }
            },
        };
        let (Some(ty), Some(name)) = (text(ctx, r, "type")?, text(ctx, r, "name")?) else {
            return Err(TemplateError(
                "A template resource needs a 'type' and a 'name'.".into(),
            ));
        };
        if r.get("copy").is_some() {
            return Err(TemplateError(format!(
                "The template resource '{name}' uses a copy loop, which amlite does not evaluate."
            )));
        }
        let (ty, name) = match parent {
            Some((pt, pn)) if !ty.contains('/') => (format!("{pt}/{ty}"), format!("{pn}/{name}")),
            _ => (ty, name),
        };
        if !deployed {
            // A `dependsOn` may name it (ARM drops that dependency): its id, when it has one.
            let id = resource_id(placement, &ty, &name).ok();
            out.skipped.push(Declared {
                resource_type: ty.clone(),
                name: name.clone(),
                id,
            });
            // "Conditional deployment doesn't cascade to child resources" (conditional-resource-
            // deployment): the children have conditions of their own.
            children(ctx, r, (&ty, &name), depth, placement, out)?;
            continue;
        }
        let id = match text(ctx, r, "scope")? {
            Some(scope) => format!("{}/providers/{ty}/{name}", scope.trim_end_matches('/')),
            None => resource_id(placement, &ty, &name)?,
        };
        let depends_on = match r.get("dependsOn") {
            None => Vec::new(),
            Some(d) => match ctx.value(d).map_err(TemplateError)? {
                Value::Array(a) => a
                    .into_iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                _ => {
                    return Err(TemplateError(format!(
                        "The 'dependsOn' of resource '{name}' must be an array."
                    )))
                }
            },
        };
        let nested = ty.eq_ignore_ascii_case(DEPLOYMENTS);
        let mark = ctx.references_mark();
        let mut body = Map::new();
        if !nested {
            for key in ["kind", "identity", "tags", "sku", "properties"] {
                if let Some(v) = r.as_object().and_then(|m| super::field(m, key)) {
                    body.insert(key.into(), ctx.value(v).map_err(TemplateError)?);
                }
            }
        }
        out.deployed.push(Deployed {
            resource_type: ty.clone(),
            name: name.clone(),
            id,
            location: text(ctx, r, "location")?,
            body,
            level,
            depends_on,
            references: Vec::new(),
        });
        let at = out.deployed.len() - 1;
        if nested {
            deploy_nested(ctx, r, depth, placement, out)?;
        }
        // An outer-scope nested deployment's template is evaluated here: its `reference()` calls
        // are dependencies of the deployment resource (recorded:
        // test_featurestore_managednetwork_provision).
        let references = ctx.references_since(mark);
        if let Some(d) = out.deployed.get_mut(at) {
            d.references = references;
        }
        children(ctx, r, (&ty, &name), depth, placement, out)?;
    }
    Ok(())
}

/// The child resources of `r` (type `ty`, name `name`), if it has any.
fn children(
    ctx: &Ctx<'_>,
    r: &Value,
    parent: (&str, &str),
    depth: usize,
    placement: &Target,
    out: &mut Walked,
) -> Result<(), TemplateError> {
    match r.get("resources") {
        Some(list) => walk(
            ctx,
            list,
            Some(parent),
            Level::Child,
            depth + 1,
            placement,
            out,
        ),
        None => Ok(()),
    }
}

/// The resources of a nested deployment's inline template, deployed to its `resourceGroup` /
/// `subscriptionId` when it names them: evaluated in the outer template's scope unless
/// `expressionEvaluationOptions.scope` is `inner` (then `resourceGroup()` and `deployment()` are
/// the nested deployment's own).
fn deploy_nested(
    ctx: &Ctx<'_>,
    r: &Value,
    depth: usize,
    placement: &Target,
    out: &mut Walked,
) -> Result<(), TemplateError> {
    let Some(props) = r.get("properties") else {
        return Ok(());
    };
    let Some(inner) = props.get("template") else {
        return Ok(());
    };
    let resources = inner
        .get("resources")
        .cloned()
        .unwrap_or(Value::Array(Vec::new()));
    let mut nested = placement.clone();
    if let Some(rg) = text(ctx, r, "resourceGroup")? {
        nested.resource_group = rg;
    }
    if let Some(sub) = text(ctx, r, "subscriptionId")? {
        nested.subscription = sub;
    }
    if let Some(name) = text(ctx, r, "name")? {
        nested.deployment = name;
    }
    let inner_scope = props
        .pointer("/expressionEvaluationOptions/scope")
        .and_then(Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case("inner"));
    if !inner_scope {
        return walk(
            ctx,
            &resources,
            None,
            Level::Nested,
            depth + 1,
            &nested,
            out,
        );
    }
    let given = match props.get("parameters") {
        Some(p @ Value::Object(_)) => match ctx.value(p).map_err(TemplateError)? {
            Value::Object(m) => m,
            _ => Map::new(),
        },
        _ => Map::new(),
    };
    // ARM checks what the nested deployment gives its template as it checks a deployment's.
    super::parameters::check(inner, &given)?;
    let inner_ctx = ctx.inner(inner, &given, &nested);
    let mark = ctx.references_mark();
    let walked = walk(
        &inner_ctx,
        &resources,
        None,
        Level::Nested,
        depth + 1,
        &nested,
        out,
    );
    ctx.forget_references(mark);
    walked
}

/// `/subscriptions/…/providers/{ns}/{t1}/{n1}/{t2}/{n2}…` from a type and a `/`-joined name.
fn resource_id(t: &Target, ty: &str, name: &str) -> Result<String, TemplateError> {
    let mut types = ty.split('/');
    let ns = types.next().unwrap_or_default();
    let types: Vec<&str> = types.collect();
    let names: Vec<&str> = name.split('/').collect();
    if types.is_empty() || types.len() != names.len() {
        return Err(TemplateError(format!(
            "The template resource '{name}' for type '{ty}' has incorrect segment lengths. A nested resource type must have identical number of segments as its resource name."
        )));
    }
    let mut id = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/{ns}",
        t.subscription, t.resource_group
    );
    for (ty, n) in types.iter().zip(&names) {
        id.push('/');
        id.push_str(ty);
        id.push('/');
        id.push_str(n);
    }
    Ok(id)
}

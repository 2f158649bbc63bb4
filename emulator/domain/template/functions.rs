//! The template functions amlite evaluates (learn.microsoft.com, azure-resource-manager/
//! templates/template-functions): the ones the workspace templates of azure-ai-ml and the Azure
//! CLI call, and the cheap common ones. Any other name is an error that names it.
//!
//! `uniqueString()` gives Azure's own values; `guid()` is a deterministic version-5 UUID, as in
//! Azure, but not checked against Azure's values.
use serde_json::{Map, Value};

use super::eval::{arity, Ctx};

/// Namespace of `guid()`'s version-5 UUIDs (amlite's own).
const GUID_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x11fb06fb_712d_4ddd_98c7_e71bbd588830);

/// Calls function `name` (lower case) with evaluated arguments (`if` is evaluated lazily by
/// the caller).
pub fn call(ctx: &Ctx<'_>, name: &str, args: &[Value]) -> Result<Value, String> {
    let t = ctx.target();
    match name {
        "parameters" | "variables" => match args {
            [Value::String(n)] => ctx.lookup(name, n),
            _ => Err(arity(name)),
        },
        "concat" => concat(args),
        "equals" => match args {
            [a, b] => Ok(Value::Bool(a == b)),
            _ => Err(arity(name)),
        },
        "and" | "or" => {
            let bools = args
                .iter()
                .map(|a| boolean(name, a))
                .collect::<Result<Vec<_>, _>>()?;
            if bools.len() < 2 {
                return Err(arity(name));
            }
            Ok(Value::Bool(if name == "and" {
                bools.iter().all(|b| *b)
            } else {
                bools.iter().any(|b| *b)
            }))
        }
        "not" => match args {
            [a] => Ok(Value::Bool(!boolean(name, a)?)),
            _ => Err(arity(name)),
        },
        "true" | "false" if args.is_empty() => Ok(Value::Bool(name == "true")),
        "null" if args.is_empty() => Ok(Value::Null),
        "empty" => match args {
            [a] => Ok(Value::Bool(is_empty(a))),
            _ => Err(arity(name)),
        },
        "coalesce" => Ok(args
            .iter()
            .find(|a| !a.is_null())
            .cloned()
            .unwrap_or(Value::Null)),
        "contains" => match args {
            [Value::String(s), Value::String(x)] => Ok(Value::Bool(s.contains(x.as_str()))),
            [Value::Array(a), x] => Ok(Value::Bool(a.contains(x))),
            [Value::Object(m), Value::String(k)] => Ok(Value::Bool(m.contains_key(k))),
            _ => Err(arity(name)),
        },
        "length" => match args {
            [Value::String(s)] => Ok(Value::from(s.chars().count())),
            [Value::Array(a)] => Ok(Value::from(a.len())),
            [Value::Object(m)] => Ok(Value::from(m.len())),
            _ => Err(arity(name)),
        },
        "tolower" | "toupper" => match args {
            [Value::String(s)] => Ok(Value::String(if name == "tolower" {
                s.to_lowercase()
            } else {
                s.to_uppercase()
            })),
            _ => Err(arity(name)),
        },
        "string" => match args {
            [Value::String(s)] => Ok(Value::String(s.clone())),
            [v] => Ok(Value::String(v.to_string())),
            _ => Err(arity(name)),
        },
        "bool" => match args {
            [a] => Ok(Value::Bool(boolean(name, a)?)),
            _ => Err(arity(name)),
        },
        "json" => match args {
            [Value::String(s)] => serde_json::from_str(s).map_err(|e| {
                format!("The template function 'json' could not parse its argument: {e}.")
            }),
            _ => Err(arity(name)),
        },
        "array" => match args {
            [Value::Array(a)] => Ok(Value::Array(a.clone())),
            [v] => Ok(Value::Array(vec![v.clone()])),
            _ => Err(arity(name)),
        },
        "createobject" => {
            let mut m = Map::new();
            for pair in args.chunks(2) {
                match pair {
                    [Value::String(k), v] => {
                        m.insert(k.clone(), v.clone());
                    }
                    _ => return Err(arity(name)),
                }
            }
            Ok(Value::Object(m))
        }
        "union" => union(args),
        "subscription" => Ok(serde_json::json!({
            "id": format!("/subscriptions/{}", t.subscription),
            "subscriptionId": t.subscription,
            "tenantId": t.tenant,
            "displayName": "amlite",
        })),
        "resourcegroup" => Ok(serde_json::json!({
            "id": format!("/subscriptions/{}/resourceGroups/{}", t.subscription, t.resource_group),
            "name": t.resource_group,
            "type": "Microsoft.Resources/resourceGroups",
            "location": t.location,
            "properties": {"provisioningState": "Succeeded"},
        })),
        "deployment" => Ok(serde_json::json!({"name": t.deployment})),
        "resourceid" => resource_id(ctx, args, true),
        "subscriptionresourceid" => resource_id(ctx, args, false),
        "uniquestring" => Ok(Value::String(unique_string(&strings(name, args)?))),
        "guid" => {
            let joined = strings(name, args)?.join("-");
            Ok(Value::String(
                uuid::Uuid::new_v5(&GUID_NAMESPACE, joined.as_bytes()).to_string(),
            ))
        }
        "newguid" if args.is_empty() => Ok(Value::String(
            uuid::Uuid::new_v5(&t.fresh, ctx.next_guid().to_string().as_bytes()).to_string(),
        )),
        "reference" => match args.first() {
            Some(Value::String(id)) => {
                ctx.note_reference(id, args.get(1).and_then(Value::as_str));
                Ok(reference(id, &t.tenant))
            }
            _ => Err(arity(name)),
        },
        other => Err(format!(
            "The template function '{other}' is not found or not supported by amlite."
        )),
    }
}

fn boolean(function: &str, v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(format!(
            "The template function '{function}' expects boolean arguments, not '{v}'."
        )),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

fn strings(function: &str, args: &[Value]) -> Result<Vec<String>, String> {
    if args.is_empty() {
        return Err(arity(function));
    }
    args.iter()
        .map(|a| match a {
            Value::String(s) => Ok(s.clone()),
            other => Err(format!(
                "The template function '{function}' expects string arguments, not '{other}'."
            )),
        })
        .collect()
}

fn concat(args: &[Value]) -> Result<Value, String> {
    if args.iter().all(Value::is_array) && !args.is_empty() {
        return Ok(Value::Array(
            args.iter()
                .filter_map(Value::as_array)
                .flatten()
                .cloned()
                .collect(),
        ));
    }
    let mut out = String::new();
    for a in args {
        match a {
            Value::String(s) => out.push_str(s),
            Value::Null => {}
            Value::Number(_) | Value::Bool(_) => out.push_str(&a.to_string()),
            other => {
                return Err(format!(
                    "The template function 'concat' cannot join strings and '{other}'."
                ))
            }
        }
    }
    Ok(Value::String(out))
}

fn union(args: &[Value]) -> Result<Value, String> {
    if args.iter().all(Value::is_object) && !args.is_empty() {
        let mut m = Map::new();
        for a in args.iter().filter_map(Value::as_object) {
            m.extend(a.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        return Ok(Value::Object(m));
    }
    if args.iter().all(Value::is_array) && !args.is_empty() {
        let mut out: Vec<Value> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for v in args.iter().filter_map(Value::as_array).flatten() {
            if seen.insert(v.to_string()) {
                out.push(v.clone());
            }
        }
        return Ok(Value::Array(out));
    }
    Err("The template function 'union' expects objects or arrays.".into())
}

/// `resourceId([subscriptionId], [resourceGroupName], resourceType, name…)` (`in_group`) and
/// `subscriptionResourceId([subscriptionId], resourceType, name…)`: the type is the argument
/// whose segment count matches the names after it.
fn resource_id(ctx: &Ctx<'_>, args: &[Value], in_group: bool) -> Result<Value, String> {
    let function = if in_group {
        "resourceId"
    } else {
        "subscriptionResourceId"
    };
    let parts = strings(function, args)?;
    let leading_max = if in_group { 2 } else { 1 };
    let at = (0..=leading_max.min(parts.len().saturating_sub(1)))
        .find(|&i| {
            let segs = parts[i].split('/').count();
            parts[i].contains('/') && segs - 1 == parts.len() - i - 1
        })
        .ok_or_else(|| {
            format!("The template function '{function}' has a resource type and names that do not match.")
        })?;
    let t = ctx.target();
    let (mut sub, mut rg) = (t.subscription.clone(), t.resource_group.clone());
    match (in_group, &parts[..at]) {
        (_, []) => {}
        (true, [g]) => rg = g.clone(),
        (true, [s, g]) => (sub, rg) = (s.clone(), g.clone()),
        (false, [s]) => sub = s.clone(),
        _ => return Err(arity(function)),
    }
    let mut types = parts[at].split('/');
    let namespace = types.next().unwrap_or_default();
    let mut id = if in_group {
        format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/{namespace}")
    } else {
        format!("/subscriptions/{sub}/providers/{namespace}")
    };
    for (ty, name) in types.zip(&parts[at + 1..]) {
        id.push('/');
        id.push_str(ty);
        id.push('/');
        id.push_str(name);
    }
    Ok(Value::String(id))
}

/// What `reference(id)` reads from an identity-bearing resource.
fn reference(id: &str, tenant: &str) -> Value {
    let v5 = |what: &str| {
        uuid::Uuid::new_v5(
            &GUID_NAMESPACE,
            format!("{}|{what}", id.to_lowercase()).as_bytes(),
        )
        .to_string()
    };
    serde_json::json!({
        "principalId": v5("principalId"),
        "clientId": v5("clientId"),
        "tenantId": tenant,
    })
}

/// `uniqueString()`: ARM's 64-bit MurmurHash variant (two 32-bit lanes, MurmurHash3 mixing) of
/// the arguments joined with `-`, as 13 base-32 characters (`a`–`z`, `2`–`7`), most significant
/// first. Checked against Azure's own value (recorded:
/// `test_workspace_managednetwork_outbound_rule_operations`, `offline_store_storage_account_name`).
pub fn unique_string(parts: &[String]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut h = murmur64(parts.join("-").as_bytes());
    let mut out = String::with_capacity(13);
    for _ in 0..13 {
        out.push(char::from(ALPHABET[(h >> 59) as usize]));
        h <<= 5;
    }
    out
}

fn murmur64(data: &[u8]) -> u64 {
    const C1: u32 = 0x239b_961b;
    const C2: u32 = 0xab0e_9789;
    let word = |b: &[u8]| b.iter().rev().fold(0u32, |w, &x| (w << 8) | u32::from(x));
    let (mut h1, mut h2) = (0u32, 0u32);
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let (k1, k2) = (word(&c[..4]), word(&c[4..]));
        h1 ^= k1.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h1 = h1
            .rotate_left(19)
            .wrapping_add(h2)
            .wrapping_mul(5)
            .wrapping_add(0x561c_cd1b);
        h2 ^= k2.wrapping_mul(C2).rotate_left(17).wrapping_mul(C1);
        h2 = h2
            .rotate_left(13)
            .wrapping_add(h1)
            .wrapping_mul(5)
            .wrapping_add(0x0bca_a747);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let (a, b) = tail.split_at(tail.len().min(4));
        h1 ^= word(a).wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        if !b.is_empty() {
            h2 ^= word(b).wrapping_mul(C2).rotate_left(17).wrapping_mul(C1);
        }
    }
    // The length as a 32-bit value, as ARM mixes it in.
    let len = data.len() as u32;
    h1 ^= len;
    h2 ^= len;
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    h1 = fmix(h1);
    h2 = fmix(h2);
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    (u64::from(h2) << 32) | u64::from(h1)
}

fn fmix(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

#[cfg(test)]
#[path = "functions_tests.rs"]
mod tests;

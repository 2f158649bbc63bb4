//! Endpoint traffic rules: CP-2 (`traffic`), CP-3 (`mirrorTraffic`) and CP-4 (no deleting a
//! deployment that still has traffic).
//!
//! Source: Azure docs, "Perform safe rollout of new deployments for real-time inference"
//! (traffic and mirror traffic), the `OnlineEndpoint` schema ("values need to sum to 100",
//! "need to sum to utmost 50") and field reports for CP-4's message. Pure: no IO.
//!
//! Maps are taken as anything iterable as `(&name, &weight)`, so `&BTreeMap<String, i64>` and
//! `&HashMap<String, i64>` both work; the handler parses JSON numbers into `i64` first (a
//! non-integer is its 400). Deployment names compare case-insensitively; messages list names
//! sorted, so they do not depend on map order.

use super::{same_name, Violation};

/// Largest accepted `mirrorTraffic` percentage (CP-3).
pub const MAX_MIRROR_PERCENT: i64 = 50;

/// Weight of `deployment` in `traffic` (case-insensitive; 0 when absent).
pub fn weight_of<'a, K>(
    traffic: impl IntoIterator<Item = (&'a K, &'a i64)>,
    deployment: &str,
) -> i64
where
    K: AsRef<str> + ?Sized + 'a,
{
    traffic
        .into_iter()
        .filter(|(k, _)| same_name(k.as_ref(), deployment))
        .map(|(_, w)| *w)
        .sum()
}

fn unknown_names<'a, D: AsRef<str>>(
    keys: impl Iterator<Item = &'a str>,
    deployments: &[D],
) -> Vec<&'a str> {
    let mut unknown: Vec<&str> = keys
        .filter(|k| !deployments.iter().any(|d| same_name(d.as_ref(), k)))
        .collect();
    unknown.sort_unstable();
    unknown.dedup();
    unknown
}

/// CP-2: "`traffic` values are integers summing to 0 or 100, naming existing deployments.
/// Creating a deployment never changes `traffic`. An endpoint PUT replaces `traffic` (an empty
/// map zeroes all weights)."
///
/// Source: Azure docs (safe rollout) and the `OnlineEndpoint.traffic` schema. The last two
/// sentences are handler behaviour (store what the PUT sent; leave traffic alone on deployment
/// create); this function validates the map.
///
/// Input: the `traffic` map and the names of the endpoint's existing deployments.
/// Errors (400 `BadRequest`, target `properties.traffic`), in this order: a negative weight
/// (named); weights naming unknown deployments (all named); a sum other than 0 or 100 (the sum
/// is named).
pub fn cp_2_traffic<'a, K, D>(
    traffic: impl IntoIterator<Item = (&'a K, &'a i64)>,
    deployments: &[D],
) -> Result<(), Violation>
where
    K: AsRef<str> + ?Sized + 'a,
    D: AsRef<str>,
{
    let entries: Vec<(&str, i64)> = traffic.into_iter().map(|(k, v)| (k.as_ref(), *v)).collect();
    let bad = |msg: String| Violation::bad_request("CP-2", msg).with_target("properties.traffic");
    if let Some((name, w)) = entries.iter().find(|(_, w)| *w < 0) {
        return Err(bad(format!(
            "Traffic weight {w} for deployment '{name}' is invalid: traffic values must be \
             integers between 0 and 100 (CP-2)."
        )));
    }
    let unknown = unknown_names(entries.iter().map(|(k, _)| *k), deployments);
    if !unknown.is_empty() {
        return Err(bad(format!(
            "Traffic names deployment(s) that do not exist in this endpoint: {} (CP-2). Create \
             the deployment first, or remove it from traffic.",
            unknown.join(", ")
        )));
    }
    let sum: i128 = entries.iter().map(|(_, w)| i128::from(*w)).sum();
    if sum != 0 && sum != 100 {
        return Err(bad(format!(
            "Traffic values must sum to 100 (or 0 to stop all traffic), but they sum to {sum} \
             (CP-2)."
        )));
    }
    Ok(())
}

/// CP-3: "`mirrorTraffic`: at most one deployment, 0–50 %, and not a deployment that has live
/// traffic."
///
/// Source: Azure docs, safe rollout ("mirror traffic ... to one deployment ... up to 50%"; "a
/// deployment that receives live traffic can't be the mirror target").
///
/// Input: the `mirrorTraffic` map, the `traffic` map that will be in force, the endpoint's
/// deployment names. Entries with 0 % count as no mirroring.
/// Errors (400 `BadRequest`, target `properties.mirrorTraffic`), in this order: a value outside
/// 0–50; unknown deployments; more than one mirrored deployment; a mirrored deployment with
/// traffic weight > 0.
pub fn cp_3_mirror_traffic<'a, 'b, K, L, D>(
    mirror: impl IntoIterator<Item = (&'a K, &'a i64)>,
    traffic: impl IntoIterator<Item = (&'b L, &'b i64)> + Clone,
    deployments: &[D],
) -> Result<(), Violation>
where
    K: AsRef<str> + ?Sized + 'a,
    L: AsRef<str> + ?Sized + 'b,
    D: AsRef<str>,
{
    let entries: Vec<(&str, i64)> = mirror.into_iter().map(|(k, v)| (k.as_ref(), *v)).collect();
    let bad =
        |msg: String| Violation::bad_request("CP-3", msg).with_target("properties.mirrorTraffic");
    if let Some((name, p)) = entries
        .iter()
        .find(|(_, p)| !(0..=MAX_MIRROR_PERCENT).contains(p))
    {
        return Err(bad(format!(
            "Mirror traffic {p} for deployment '{name}' is invalid: mirror traffic must be \
             between 0 and 50 percent (CP-3)."
        )));
    }
    let unknown = unknown_names(entries.iter().map(|(k, _)| *k), deployments);
    if !unknown.is_empty() {
        return Err(bad(format!(
            "Mirror traffic names deployment(s) that do not exist in this endpoint: {} (CP-3).",
            unknown.join(", ")
        )));
    }
    let mut mirrored: Vec<&str> = entries
        .iter()
        .filter(|(_, p)| *p > 0)
        .map(|(k, _)| *k)
        .collect();
    mirrored.sort_unstable();
    if mirrored.len() > 1 {
        return Err(bad(format!(
            "Mirror traffic can target at most one deployment, but it names {} (CP-3).",
            mirrored.join(", ")
        )));
    }
    if let Some(name) = mirrored.iter().find(|d| weight_of(traffic.clone(), d) > 0) {
        return Err(bad(format!(
            "Deployment '{name}' receives live traffic and cannot also be the mirror traffic \
             target (CP-3). Set its traffic to 0 or mirror to another deployment."
        )));
    }
    Ok(())
}

/// CP-4: "A deployment with non-zero traffic cannot be deleted: 400 `Can't delete deployment
/// [{d}] with non-zero traffic weight`. Deleting an endpoint deletes its deployments."
///
/// Source: field reports of Azure ML's answer. Code: `UserError` (Azure ML's validation code;
/// the SPEC names only the status). The second sentence is handler behaviour (endpoint DELETE
/// cascades, with no traffic check).
///
/// Input: the deployment to delete and the endpoint's current `traffic`.
/// Error: 400 `UserError` with the SPEC text.
pub fn cp_4_delete_deployment<'a, K>(
    deployment: &str,
    traffic: impl IntoIterator<Item = (&'a K, &'a i64)>,
) -> Result<(), Violation>
where
    K: AsRef<str> + ?Sized + 'a,
{
    if weight_of(traffic, deployment) == 0 {
        return Ok(());
    }
    Err(Violation::user_error(
        "CP-4",
        format!("Can't delete deployment [{deployment}] with non-zero traffic weight"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashMap};

    fn map(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    const DEPS: [&str; 3] = ["blue", "green", "red"];

    /// (map entries, expected error fragment or `None` when allowed)
    type Case<'a> = (Vec<(&'a str, i64)>, Option<&'a str>);

    #[test]
    fn cp_2_traffic_table() {
        let cases: Vec<Case<'_>> = vec![
            (vec![], None),
            (vec![("blue", 100)], None),
            (vec![("blue", 0)], None),
            (vec![("BLUE", 60), ("green", 40)], None),
            (vec![("blue", 0), ("green", 0), ("red", 0)], None),
            (vec![("blue", 99)], Some("sum to 99")),
            (vec![("blue", 101)], Some("sum to 101")),
            (vec![("blue", 50), ("green", 49)], Some("sum to 99")),
            (
                vec![("blue", 150), ("green", -50)],
                Some("Traffic weight -50 for deployment 'green'"),
            ),
            (
                vec![("blue", 100), ("zz", 0), ("aa", 0)],
                Some("do not exist in this endpoint: aa, zz"),
            ),
            (
                vec![("blue", i64::MAX), ("green", i64::MAX)],
                Some("sum to 18446744073709551614"),
            ),
        ];
        for (pairs, want) in cases {
            let got = cp_2_traffic(&map(&pairs), &DEPS).err();
            assert_eq!(got.is_some(), want.is_some(), "{pairs:?}");
            if let (Some(v), Some(part)) = (got, want) {
                assert!(v.message.contains(part), "{}", v.message);
                assert_eq!(
                    (v.rule, v.status.code(), v.code),
                    ("CP-2", 400, "BadRequest")
                );
                assert_eq!(v.target.as_deref(), Some("properties.traffic"));
            }
        }
    }

    #[test]
    fn cp_2_accepts_hash_maps_and_owned_names() {
        let t: HashMap<String, i64> = [("blue".to_string(), 100)].into_iter().collect();
        let deps = vec!["Blue".to_string()];
        assert_eq!(cp_2_traffic(&t, &deps), Ok(()));
        assert_eq!(
            cp_2_traffic(&t, &Vec::<String>::new()).map_err(|v| v.rule),
            Err("CP-2")
        );
    }

    #[test]
    fn cp_3_mirror_traffic_table() {
        let traffic = map(&[("blue", 100), ("green", 0)]);
        let cases: Vec<Case<'_>> = vec![
            (vec![], None),
            (vec![("green", 10)], None),
            (vec![("green", 50)], None),
            (vec![("green", 0), ("red", 0)], None),
            (vec![("blue", 0), ("green", 20)], None),
            (vec![("green", 51)], Some("between 0 and 50")),
            (vec![("green", -1)], Some("between 0 and 50")),
            (vec![("nope", 10)], Some("do not exist")),
            (
                vec![("green", 10), ("red", 10)],
                Some("at most one deployment, but it names green, red"),
            ),
            (vec![("Blue", 10)], Some("'Blue' receives live traffic")),
        ];
        for (pairs, want) in cases {
            let got = cp_3_mirror_traffic(&map(&pairs), &traffic, &DEPS).err();
            assert_eq!(got.is_some(), want.is_some(), "{pairs:?}");
            if let (Some(v), Some(part)) = (got, want) {
                assert!(v.message.contains(part), "{}", v.message);
                assert_eq!((v.rule, v.status.code()), ("CP-3", 400));
            }
        }
    }

    #[test]
    fn cp_4_delete_deployment_table() {
        let traffic = map(&[("blue", 100), ("green", 0)]);
        assert_eq!(cp_4_delete_deployment("green", &traffic), Ok(()));
        assert_eq!(cp_4_delete_deployment("red", &traffic), Ok(()));
        let v = cp_4_delete_deployment("BLUE", &traffic).err();
        assert_eq!(
            v.map(|v| (v.status.code(), v.code, v.message)),
            Some((
                400,
                "UserError",
                "Can't delete deployment [BLUE] with non-zero traffic weight".to_string()
            ))
        );
        assert_eq!(weight_of(&traffic, "Blue"), 100);
    }
}

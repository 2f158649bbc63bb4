//! CP-5 limits: request timeout, instance count, deployments per endpoint, endpoints per
//! subscription and region; plus the ISO-8601 duration parser request timeouts need.
//!
//! Source: Azure docs, "Azure Machine Learning online endpoints and batch endpoints quotas and
//! limits" (request timeout at most 180 s, at most 20 deployments per endpoint, 1–50 instances)
//! and
//! `OnlineRequestSettings.requestTimeout` (an ISO-8601 duration, default `PT5S`). Pure: no IO.

use super::{EndpointComputeType, Violation};

/// Longest `requestSettings.requestTimeout` (CP-5): 180 s.
pub const MAX_REQUEST_TIMEOUT_MS: u64 = 180_000;
/// Default `requestSettings.requestTimeout`: `PT5S`.
pub const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 5_000;
/// Largest `sku.capacity` of a deployment (CP-5).
pub const MAX_INSTANCE_COUNT: i64 = 50;
/// Most deployments one endpoint may have (CP-5).
pub const MAX_DEPLOYMENTS_PER_ENDPOINT: usize = 20;
/// Default cap of endpoints per subscription and region (CP-5; configurable).
pub const DEFAULT_MAX_ENDPOINTS_PER_REGION: usize = 100;

/// Parses an ISO-8601 duration of the form `P[nD][T[nH][nM][n[.n]S]]` (also `PnW`) into
/// milliseconds. Letters are case-insensitive; fractions are allowed on seconds only and cut to
/// milliseconds. Years and months (ambiguous lengths), empty forms (`P`, `PT`), negative values
/// and overflow give `None`.
pub fn parse_iso8601_duration_ms(text: &str) -> Option<u64> {
    let upper = text.trim().to_ascii_uppercase();
    let body = upper.strip_prefix('P')?;
    let (date, time) = match body.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return None,
        None => (body, None),
    };
    if date.is_empty() && time.is_none() {
        return None;
    }
    let mut total = sum_units(date, &[('W', 604_800_000), ('D', 86_400_000)])?;
    if let Some(t) = time {
        total = total.checked_add(sum_units(
            t,
            &[('H', 3_600_000), ('M', 60_000), ('S', 1_000)],
        )?)?;
    }
    Some(total)
}

/// Sums `number unit` pairs; units must appear in the order of `units`, each at most once.
fn sum_units(mut s: &str, units: &[(char, u64)]) -> Option<u64> {
    let mut total: u64 = 0;
    let mut next_unit = 0;
    while !s.is_empty() {
        let end = s.find(|c: char| c.is_ascii_alphabetic())?;
        let (number, rest) = s.split_at(end);
        let unit = rest.chars().next()?;
        let pos = units[next_unit..].iter().position(|(u, _)| *u == unit)? + next_unit;
        let ms = scaled(number, units[pos].1, unit == 'S')?;
        total = total.checked_add(ms)?;
        next_unit = pos + 1;
        s = &rest[unit.len_utf8()..];
    }
    Some(total)
}

/// `number × unit_ms`, with a decimal fraction allowed when `fraction_ok` (seconds).
fn scaled(number: &str, unit_ms: u64, fraction_ok: bool) -> Option<u64> {
    let (int_part, frac_part) = match number.split_once(['.', ',']) {
        Some((i, f)) if fraction_ok && !f.is_empty() => (i, f),
        Some(_) => return None,
        None => (number, ""),
    };
    if int_part.is_empty() || !int_part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac_part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole = int_part.parse::<u64>().ok()?.checked_mul(unit_ms)?;
    let millis: String = frac_part.chars().chain("000".chars()).take(3).collect();
    whole.checked_add(millis.parse::<u64>().ok()?)
}

/// CP-5 (a): "`requestSettings.requestTimeout` at most 180 s."
///
/// Source: Azure docs, online endpoint limits (request timeout maximum 180 seconds).
///
/// Input: the parsed timeout in milliseconds.
/// Error: 400 `BadRequest`, target `properties.requestSettings.requestTimeout`, for 0 ms (every
/// request would time out) and for more than 180 000 ms.
pub fn cp_5_request_timeout(timeout_ms: u64) -> Result<(), Violation> {
    if (1..=MAX_REQUEST_TIMEOUT_MS).contains(&timeout_ms) {
        return Ok(());
    }
    Err(Violation::bad_request(
        "CP-5",
        format!(
            "requestSettings.requestTimeout of {timeout_ms} ms is out of range: it must be more \
             than 0 and at most 180 seconds (PT3M) (CP-5)."
        ),
    )
    .with_target("properties.requestSettings.requestTimeout"))
}

/// CP-5 (a) on the wire value: parses the ISO-8601 duration (`None` = omitted = `PT5S`) then
/// applies [`cp_5_request_timeout`]. Returns the timeout in milliseconds.
///
/// Error: 400 `BadRequest` for an unparseable duration, or as [`cp_5_request_timeout`].
pub fn cp_5_request_timeout_iso(raw: Option<&str>) -> Result<u64, Violation> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_REQUEST_TIMEOUT_MS);
    };
    let ms = parse_iso8601_duration_ms(raw).ok_or_else(|| {
        Violation::bad_request(
            "CP-5",
            format!(
                "requestSettings.requestTimeout '{raw}' is not an ISO-8601 duration such as \
                 'PT5S' (CP-5)."
            ),
        )
        .with_target("properties.requestSettings.requestTimeout")
    })?;
    cp_5_request_timeout(ms).map(|()| ms)
}

/// CP-5 (b): "`sku.capacity` (instance count) 1–50 (0 allowed only with scale-to-zero types, not
/// for Managed)."
///
/// Input: the requested instance count and the deployment's `endpointComputeType`.
/// Error: 400 `BadRequest`, target `sku.capacity`. Managed: 1–50; other types: 0–50.
pub fn cp_5_instance_count(
    capacity: i64,
    compute_type: EndpointComputeType,
) -> Result<(), Violation> {
    let min = if compute_type == EndpointComputeType::Managed {
        1
    } else {
        0
    };
    if (min..=MAX_INSTANCE_COUNT).contains(&capacity) {
        return Ok(());
    }
    Err(Violation::bad_request(
        "CP-5",
        format!(
            "sku.capacity (instance count) {capacity} is out of range for a {compute_type} \
             deployment: it must be between {min} and {MAX_INSTANCE_COUNT} (CP-5)."
        ),
    )
    .with_target("sku.capacity"))
}

/// CP-5 (c): "at most 20 deployments per endpoint."
///
/// Input: how many deployments the endpoint has now, and whether the PUT creates a new one (an
/// update never hits the cap).
/// Error: 400 `BadRequest`.
pub fn cp_5_deployments_per_endpoint(existing: usize, is_new: bool) -> Result<(), Violation> {
    if !is_new || existing < MAX_DEPLOYMENTS_PER_ENDPOINT {
        return Ok(());
    }
    Err(Violation::bad_request(
        "CP-5",
        format!(
            "The endpoint already has {existing} deployments; an online endpoint can have at \
             most {MAX_DEPLOYMENTS_PER_ENDPOINT} (CP-5). Delete a deployment first."
        ),
    ))
}

/// CP-5 (d): "endpoints per subscription and region capped (default 100, configurable)."
///
/// Input: how many endpoints the subscription has in the region, the configured cap, and
/// whether the PUT creates a new endpoint.
/// Error: 400 `BadRequest`.
pub fn cp_5_endpoints_per_region(
    existing: usize,
    cap: usize,
    is_new: bool,
) -> Result<(), Violation> {
    if !is_new || existing < cap {
        return Ok(());
    }
    Err(Violation::bad_request(
        "CP-5",
        format!(
            "The subscription already has {existing} online endpoints in this region, which is \
             the limit of {cap} (CP-5). Delete an endpoint or raise the limit."
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_iso8601_duration_ms_table() {
        let cases: &[(&str, Option<u64>)] = &[
            ("PT5S", Some(5_000)),
            ("pt5s", Some(5_000)),
            ("PT0.5S", Some(500)),
            ("PT1.2345S", Some(1_234)),
            ("PT0,25S", Some(250)),
            ("PT3M", Some(180_000)),
            ("PT1H", Some(3_600_000)),
            ("P1D", Some(86_400_000)),
            ("P1W", Some(604_800_000)),
            ("P1DT1H1M1.5S", Some(90_061_500)),
            ("PT90S", Some(90_000)),
            ("PT0S", Some(0)),
            ("P", None),
            ("PT", None),
            ("P1DT", None),
            ("", None),
            ("5S", None),
            ("PT5", None),
            ("PT-5S", None),
            ("PT1.5M", None),
            ("PT.5S", None),
            ("PT5.S", None),
            ("P1Y", None),
            ("P1M", None),
            ("PT1S1M", None),
            ("PT1M1M", None),
            ("PT1X", None),
            ("PT99999999999999999999S", None),
            ("P99999999999999D", None),
        ];
        for (input, want) in cases {
            assert_eq!(parse_iso8601_duration_ms(input), *want, "{input:?}");
        }
    }

    #[test]
    fn cp_5_request_timeout_table() {
        let cases = [
            (0, false),
            (1, true),
            (5_000, true),
            (180_000, true),
            (180_001, false),
        ];
        for (ms, ok) in cases {
            let got = cp_5_request_timeout(ms);
            assert_eq!(got.is_ok(), ok, "{ms}");
            if let Err(v) = got {
                assert_eq!((v.rule, v.status.code()), ("CP-5", 400));
                assert_eq!(
                    v.target.as_deref(),
                    Some("properties.requestSettings.requestTimeout")
                );
            }
        }
        assert_eq!(cp_5_request_timeout_iso(None), Ok(5_000));
        assert_eq!(cp_5_request_timeout_iso(Some("PT3M")), Ok(180_000));
        assert!(cp_5_request_timeout_iso(Some("PT181S")).is_err());
        let bad = cp_5_request_timeout_iso(Some("5 seconds")).err();
        assert!(bad
            .map(|v| v.message.contains("not an ISO-8601 duration"))
            .unwrap_or(false));
    }

    #[test]
    fn cp_5_instance_count_table() {
        use EndpointComputeType::{Kubernetes, Managed};
        let cases = [
            (0, Managed, false),
            (1, Managed, true),
            (50, Managed, true),
            (51, Managed, false),
            (-1, Managed, false),
            (0, Kubernetes, true),
            (51, Kubernetes, false),
        ];
        for (n, ty, ok) in cases {
            let got = cp_5_instance_count(n, ty);
            assert_eq!(got.is_ok(), ok, "{n} {ty}");
            if let Err(v) = got {
                assert_eq!(v.target.as_deref(), Some("sku.capacity"));
            }
        }
    }

    #[test]
    fn cp_5_counts_table() {
        assert!(cp_5_deployments_per_endpoint(19, true).is_ok());
        assert!(cp_5_deployments_per_endpoint(20, true).is_err());
        assert!(cp_5_deployments_per_endpoint(20, false).is_ok());
        assert!(cp_5_endpoints_per_region(99, 100, true).is_ok());
        assert!(cp_5_endpoints_per_region(100, 100, true).is_err());
        assert!(cp_5_endpoints_per_region(100, 100, false).is_ok());
        assert!(cp_5_endpoints_per_region(0, 0, true).is_err());
    }
}

//! CP-8: cores quota for managed deployments, and the built-in instance type → cores table.
//!
//! Source: Azure docs, "Manage and increase quotas for Azure Machine Learning" (managed online
//! endpoints reserve 20 % extra capacity for upgrades: `ceil(1.2 × instances) × cores`) and
//! "Managed online endpoints SKU list" (the VM sizes below, with their vCPU counts). The error
//! shape (`BadRequest` with inner `InferencingClientCreateDeploymentFailed`, "Not enough quota
//! available for ...") follows field reports. Pure: no IO.

use super::Violation;

/// Instance types amlite knows, with their vCPU count. Lookup is case-insensitive.
pub static INSTANCE_TYPES: &[(&str, u32)] = &[
    ("Standard_DS1_v2", 1),
    ("Standard_DS2_v2", 2),
    ("Standard_DS3_v2", 4),
    ("Standard_DS4_v2", 8),
    ("Standard_DS5_v2", 16),
    ("Standard_DS11_v2", 2),
    ("Standard_DS12_v2", 4),
    ("Standard_DS13_v2", 8),
    ("Standard_DS14_v2", 16),
    ("Standard_F2s_v2", 2),
    ("Standard_F4s_v2", 4),
    ("Standard_F8s_v2", 8),
    ("Standard_F16s_v2", 16),
    ("Standard_F32s_v2", 32),
    ("Standard_F48s_v2", 48),
    ("Standard_F64s_v2", 64),
    ("Standard_F72s_v2", 72),
    ("Standard_E2s_v3", 2),
    ("Standard_E4s_v3", 4),
    ("Standard_E8s_v3", 8),
    ("Standard_E16s_v3", 16),
    ("Standard_E32s_v3", 32),
    ("Standard_E48s_v3", 48),
    ("Standard_E64s_v3", 64),
    ("Standard_D2as_v4", 2),
    ("Standard_D4as_v4", 4),
    ("Standard_D8as_v4", 8),
    ("Standard_D16as_v4", 16),
    ("Standard_D32as_v4", 32),
    ("Standard_D48as_v4", 48),
    ("Standard_D64as_v4", 64),
    ("Standard_D96as_v4", 96),
    ("Standard_NC6s_v3", 6),
    ("Standard_NC12s_v3", 12),
    ("Standard_NC24s_v3", 24),
    ("Standard_NC4as_T4_v3", 4),
    ("Standard_NC8as_T4_v3", 8),
    ("Standard_NC16as_T4_v3", 16),
    ("Standard_NC64as_T4_v3", 64),
    ("Standard_NC24ads_A100_v4", 24),
    ("Standard_NC48ads_A100_v4", 48),
    ("Standard_NC96ads_A100_v4", 96),
    ("Standard_ND96asr_v4", 96),
];

/// Inner error code Azure ML puts under a quota shortfall.
pub const QUOTA_INNER_CODE: &str = "InferencingClientCreateDeploymentFailed";

/// vCPU count of `instance_type` (case-insensitive), `None` if unknown.
pub fn instance_cores(instance_type: &str) -> Option<u32> {
    let wanted = instance_type.trim();
    INSTANCE_TYPES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
        .map(|(_, cores)| *cores)
}

/// `ceil(1.2 × instance_count) × cores` (negative counts count as 0; saturates).
pub fn cores_needed(cores_per_instance: u32, instance_count: i64) -> u64 {
    let n = u128::try_from(instance_count).unwrap_or(0);
    let reserved = (n * 12).div_ceil(10);
    u64::try_from(reserved * u128::from(cores_per_instance)).unwrap_or(u64::MAX)
}

/// CP-8 (a): "Unknown `instanceType` → 400."
///
/// Input: `properties.instanceType`.
/// Output: its vCPU count. Error: 400 `BadRequest`, target `properties.instanceType`.
pub fn cp_8_instance_type(instance_type: &str) -> Result<u32, Violation> {
    instance_cores(instance_type).ok_or_else(|| {
        Violation::bad_request(
            "CP-8",
            format!(
                "The instance type '{instance_type}' is not supported for managed online \
                 deployments (CP-8). Use a supported VM size such as Standard_DS3_v2 or \
                 Standard_F4s_v2 (GET .../deployments/{{name}}/skus lists them)."
            ),
        )
        .with_target("properties.instanceType")
    })
}

/// A quota question: may this deployment take its cores?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaRequest<'a> {
    /// Subscription whose budget is charged.
    pub subscription_id: &'a str,
    /// Region whose budget is charged.
    pub region: &'a str,
    /// `properties.instanceType`.
    pub instance_type: &'a str,
    /// `sku.capacity`.
    pub instance_count: i64,
    /// Cores already used in the subscription and region by *other* deployments (on update,
    /// leave out this deployment's current usage).
    pub current_usage: u64,
    /// The per-subscription, per-region budget.
    pub limit: u64,
}

/// CP-8 (b): "Quota: a Managed deployment needs `ceil(1.2 × instanceCount) ×
/// cores(instanceType)` cores from a per-subscription, per-region budget (configurable; default
/// large). Shortfall → 400 `BadRequest` with inner `InferencingClientCreateDeploymentFailed`
/// naming `VmSize`, current usage/limit and cores needed. Unknown `instanceType` → 400."
///
/// Input: [`QuotaRequest`].
/// Output: the cores the deployment needs (to add to the usage once accepted).
/// Errors: unknown instance type (see [`cp_8_instance_type`]); shortfall → 400 `BadRequest`,
/// inner `InferencingClientCreateDeploymentFailed`, target `properties.instanceType`.
pub fn cp_8_quota(req: &QuotaRequest<'_>) -> Result<u64, Violation> {
    let cores = cp_8_instance_type(req.instance_type)?;
    let needed = cores_needed(cores, req.instance_count);
    if req.current_usage.saturating_add(needed) <= req.limit {
        return Ok(needed);
    }
    Err(Violation::bad_request(
        "CP-8",
        format!(
            "Not enough quota available for VmSize {} in SubscriptionId {} in region {}. \
             Current usage/limit: {}/{}. Additional needed: {} (ceil(1.2 x {} instances) x {} \
             cores) (CP-8). Please choose a different VmSize, lower the instance count or \
             request a quota increase.",
            req.instance_type,
            req.subscription_id,
            req.region,
            req.current_usage,
            req.limit,
            needed,
            req.instance_count,
            cores
        ),
    )
    .with_target("properties.instanceType")
    .with_inner(QUOTA_INNER_CODE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_cores_table() {
        let cases = [
            ("Standard_DS1_v2", Some(1)),
            ("standard_ds3_v2", Some(4)),
            ("STANDARD_F32S_V2", Some(32)),
            ("Standard_E64s_v3", Some(64)),
            ("Standard_NC24s_v3", Some(24)),
            ("Standard_D16as_v4", Some(16)),
            (" Standard_DS2_v2 ", Some(2)),
            ("Standard_Bogus", None),
            ("", None),
        ];
        for (name, want) in cases {
            assert_eq!(instance_cores(name), want, "{name}");
        }
    }

    #[test]
    fn instance_table_has_unique_names() {
        let mut names: Vec<String> = INSTANCE_TYPES
            .iter()
            .map(|(n, _)| n.to_lowercase())
            .collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), INSTANCE_TYPES.len());
    }

    #[test]
    fn cores_needed_table() {
        // (cores, instances, needed)
        let cases = [
            (4, 1, 8),
            (4, 5, 24),
            (4, 10, 48),
            (2, 3, 8),
            (1, 0, 0),
            (8, -3, 0),
            (16, 50, 960),
        ];
        for (cores, n, want) in cases {
            assert_eq!(cores_needed(cores, n), want, "{cores} x {n}");
        }
        assert_eq!(cores_needed(u32::MAX, i64::MAX), u64::MAX);
    }

    #[test]
    fn cp_8_quota_table() {
        let base = QuotaRequest {
            subscription_id: "sub1",
            region: "eastus",
            instance_type: "Standard_DS3_v2",
            instance_count: 1,
            current_usage: 0,
            limit: 8,
        };
        assert_eq!(cp_8_quota(&base), Ok(8));
        assert_eq!(
            cp_8_quota(&QuotaRequest {
                current_usage: 1,
                ..base
            })
            .map_err(|v| v.rule),
            Err("CP-8")
        );
        let v = cp_8_quota(&QuotaRequest {
            current_usage: 4,
            limit: 10,
            instance_count: 2,
            ..base
        })
        .err();
        let v = v.as_ref();
        assert_eq!(
            v.map(|v| (v.status.code(), v.code, v.inner_code)),
            Some((400, "BadRequest", Some(QUOTA_INNER_CODE)))
        );
        let msg = v.map(|v| v.message.as_str()).unwrap_or("");
        assert!(msg.contains("VmSize Standard_DS3_v2"), "{msg}");
        assert!(msg.contains("Current usage/limit: 4/10"), "{msg}");
        assert!(msg.contains("Additional needed: 12"), "{msg}");
        let unknown = cp_8_quota(&QuotaRequest {
            instance_type: "Standard_X",
            ..base
        })
        .err();
        assert_eq!(
            unknown.map(|v| (v.status.code(), v.inner_code)),
            Some((400, None))
        );
        assert!(cp_8_quota(&QuotaRequest {
            limit: 100,
            current_usage: u64::MAX,
            ..base
        })
        .is_err());
    }
}

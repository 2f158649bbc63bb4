//! CP-1: endpoint and deployment names, and the per-region uniqueness of endpoint names.
//!
//! Source: Azure docs, "Deploy and score a machine learning model by using an online endpoint"
//! (endpoint name rules) and azure-ai-ml's `validate_endpoint_or_deployment_name` (3–32
//! characters, starts with a letter, letters/digits/`-`, ends with a letter or digit). The SPEC
//! adds "single `-`", so amlite also refuses `--` (stricter than the SDK's regex, which accepts
//! it). A trailing `-` is refused as Azure does. Pure: no IO, no other amlite module.

use super::Violation;

/// Shortest accepted endpoint/deployment name.
pub const MIN_NAME_LEN: usize = 3;
/// Longest accepted endpoint/deployment name.
pub const MAX_NAME_LEN: usize = 32;

/// CP-1 (a): "Endpoint and deployment names: start with a letter, 3–32 characters, letters,
/// digits and single `-`." This is the endpoint half.
///
/// Input: the endpoint name from the path.
/// Error: 400 `BadRequest`, target `name`, saying which part of the rule failed.
pub fn cp_1_endpoint_name(name: &str) -> Result<(), Violation> {
    check_name("endpoint", name)
}

/// CP-1 (a), deployment half: same pattern as [`cp_1_endpoint_name`].
///
/// Input: the deployment name from the path.
/// Error: 400 `BadRequest`, target `name`.
pub fn cp_1_deployment_name(name: &str) -> Result<(), Violation> {
    check_name("deployment", name)
}

fn check_name(kind: &str, name: &str) -> Result<(), Violation> {
    match name_problem(name) {
        None => Ok(()),
        Some(problem) => Err(Violation::bad_request(
            "CP-1",
            format!(
                "Invalid {kind} name '{name}': {problem}. The name for an online {kind} must be \
                 3 to 32 characters long, start with a letter, and contain only letters, digits \
                 and single hyphens, not ending with a hyphen (CP-1)."
            ),
        )
        .with_target("name")),
    }
}

/// Why `name` breaks CP-1, or `None` when it is valid.
fn name_problem(name: &str) -> Option<&'static str> {
    let len = name.chars().count();
    if !(MIN_NAME_LEN..=MAX_NAME_LEN).contains(&len) {
        return Some("it must be between 3 and 32 characters long");
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Some("it must start with a letter");
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Some("it may contain only letters, digits and '-'");
    }
    if name.contains("--") {
        return Some("it may not contain consecutive hyphens");
    }
    if name.ends_with('-') {
        return Some("it may not end with a hyphen");
    }
    None
}

/// Lower-cases a region and drops spaces, so `East US` and `eastus` compare equal.
pub fn normalize_region(region: &str) -> String {
    region
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Azure's validation text for an endpoint name already used in the region (quoted in public
/// reports: Azure/azureml-examples pull request 1931, Azure/mlops-project-template issue 29).
pub const ENDPOINT_NAME_IN_USE: &str = "There is already an endpoint with this name, Endpoint \
     name needs to be unique within a region. Try some other name.";

/// The error Azure answers for [`ENDPOINT_NAME_IN_USE`]: 400 `BadRequest` "The request is
/// invalid." with the inference service's validation problem in `details[0]`
/// (`InferencingClientCallFailed`, its braces doubled as Azure sends them; the same envelope as
/// Azure/carnegie-mop's troubleshooting page and Azure/azure-cli-extensions issue 7660 show).
pub fn endpoint_name_in_use() -> Violation {
    Violation::bad_request("CP-1", "The request is invalid.").with_detail(
        "InferencingClientCallFailed",
        format!(
            "{{{{\"errors\":{{{{\"\":[\"{ENDPOINT_NAME_IN_USE}\"]}}}},\"title\":\"One or more \
             validation errors occurred.\"}}}}"
        ),
    )
}

/// CP-1 (b): "Endpoint names are unique per region across all workspaces" (the name becomes
/// `{endpoint}.{region}.inference.ml.azure.com`).
///
/// Input: the requested name and region, the ARM id of the endpoint being written (so a PUT
/// updating an endpoint does not conflict with itself), and every existing endpoint as
/// `(name, region, endpoint ARM id)`. Names, regions and ids compare case-insensitively.
/// Error: [`endpoint_name_in_use`] (400 `BadRequest`, Azure's validation text).
pub fn cp_1_endpoint_name_unique_in_region<'a>(
    name: &str,
    region: &str,
    own_id: &str,
    existing: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
) -> Result<(), Violation> {
    let wanted_region = normalize_region(region);
    let clash = existing.into_iter().find(|(n, r, id)| {
        n.eq_ignore_ascii_case(name)
            && normalize_region(r) == wanted_region
            && !id.eq_ignore_ascii_case(own_id)
    });
    match clash {
        None => Ok(()),
        Some(_) => Err(endpoint_name_in_use()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp_1_names_table() {
        let thirty_two = format!("a{}", "b".repeat(31));
        let thirty_three = format!("a{}", "b".repeat(32));
        let cases: Vec<(&str, Option<&str>)> = vec![
            ("ab", Some("between 3 and 32")),
            ("abc", None),
            ("my-endpoint-1", None),
            ("A1b", None),
            (thirty_two.as_str(), None),
            (thirty_three.as_str(), Some("between 3 and 32")),
            ("", Some("between 3 and 32")),
            ("1abc", Some("start with a letter")),
            ("-abc", Some("start with a letter")),
            ("ab_c", Some("only letters, digits")),
            ("ab.c", Some("only letters, digits")),
            ("abé", Some("only letters, digits")),
            ("a--b", Some("consecutive hyphens")),
            ("abc-", Some("end with a hyphen")),
        ];
        for (name, want) in cases {
            for (kind, check) in [
                (
                    "endpoint",
                    cp_1_endpoint_name as fn(&str) -> Result<(), Violation>,
                ),
                ("deployment", cp_1_deployment_name),
            ] {
                let got = check(name).err();
                assert_eq!(got.is_some(), want.is_some(), "{kind} {name:?}");
                if let (Some(v), Some(part)) = (got, want) {
                    assert!(v.message.contains(part), "{}", v.message);
                    assert!(v.message.contains(kind));
                    assert_eq!(
                        (v.rule, v.status.code(), v.code),
                        ("CP-1", 400, "BadRequest")
                    );
                }
            }
        }
    }

    #[test]
    fn endpoint_name_in_use_detail_is_azures_doubled_brace_json() {
        let (_, detail) = endpoint_name_in_use().detail.unwrap_or_default();
        let want = format!(
            r#"{{{{"errors":{{{{"":["{ENDPOINT_NAME_IN_USE}"]}}}},"title":"One or more validation errors occurred."}}}}"#
        );
        assert_eq!(detail, want);
        assert!(detail.starts_with(r#"{{"errors":{{"":["There is already"#));
        assert!(detail.ends_with(r#"occurred."}}"#));
    }

    #[test]
    fn cp_1_endpoint_name_unique_in_region_table() {
        let existing = [
            (
                "ep1",
                "eastus",
                "/subscriptions/a/rg/ws1/onlineEndpoints/ep1",
            ),
            (
                "ep2",
                "westeurope",
                "/subscriptions/b/rg/ws2/onlineEndpoints/ep2",
            ),
        ];
        // (name, region, own id, conflict?)
        let cases = [
            (
                "ep1",
                "eastus",
                "/subscriptions/x/rg/ws9/onlineEndpoints/ep1",
                true,
            ),
            (
                "EP1",
                "East US",
                "/subscriptions/x/rg/ws9/onlineEndpoints/EP1",
                true,
            ),
            (
                "ep1",
                "westus",
                "/subscriptions/x/rg/ws9/onlineEndpoints/ep1",
                false,
            ),
            (
                "ep1",
                "eastus",
                "/SUBSCRIPTIONS/A/rg/ws1/onlineEndpoints/EP1",
                false,
            ),
            (
                "ep3",
                "eastus",
                "/subscriptions/x/rg/ws9/onlineEndpoints/ep3",
                false,
            ),
            (
                "ep2",
                "westeurope",
                "/subscriptions/a/rg/ws1/onlineEndpoints/ep2",
                true,
            ),
        ];
        for (name, region, own, conflict) in cases {
            let got = cp_1_endpoint_name_unique_in_region(name, region, own, existing);
            assert_eq!(got.is_err(), conflict, "{name} {region}");
            if let Err(v) = got {
                assert_eq!((v.status.code(), v.code), (400, "BadRequest"));
                assert_eq!(v.message, "The request is invalid.");
                let (code, detail) = v.detail.expect("the inference service's answer");
                assert_eq!(code, "InferencingClientCallFailed");
                assert!(detail.contains(ENDPOINT_NAME_IN_USE), "{detail}");
            }
        }
    }
}

//! Empty path segments: ARM treats `//metadata/endpoints` (a base URL with a trailing `/` plus
//! a path with a leading one, as the README's `az cloud register` recipe makes) and
//! `/subscriptions//resourceGroups` like their single-slash forms. Blob Storage paths keep
//! theirs (`a//b` is a blob name of its own) and scoring paths are forwarded as sent.

/// First segments whose paths are ARM's (or amlite's) and so are normalised.
const ARM_ROOTS: &[&str] = &[
    "subscriptions",
    "metadata",
    "msi",
    "health",
    "providers",
    "tenants",
    "_amlite",
];

/// `path` with every run of `/` collapsed to one when it is an ARM path (its first non-empty
/// segment is one of ARM's roots) or starts with `//` (a base URL with a trailing `/`: no Blob
/// container has an empty name, and Entra-style paths start with a tenant), else unchanged.
pub fn normalise(path: &str) -> std::borrow::Cow<'_, str> {
    if !path.contains("//") {
        return path.into();
    }
    let first = path.split('/').find(|s| !s.is_empty()).unwrap_or("");
    if !path.starts_with("//") && !ARM_ROOTS.iter().any(|r| first.eq_ignore_ascii_case(r)) {
        return path.into();
    }
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    out.into()
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn arm_paths_collapse_slashes_blob_and_scoring_paths_do_not() {
        assert_eq!(normalise("//metadata/endpoints"), "/metadata/endpoints");
        assert_eq!(
            normalise("/subscriptions//resourceGroups///rg/"),
            "/subscriptions/resourceGroups/rg/"
        );
        assert_eq!(normalise("/container//a//b"), "/container//a//b");
        assert_eq!(normalise("/endpoints/e/score//x"), "/endpoints/e/score//x");
        assert_eq!(normalise("/health"), "/health");
        assert_eq!(
            normalise("//adfs/v2.0/.well-known/openid-configuration"),
            "/adfs/v2.0/.well-known/openid-configuration"
        );
    }
}

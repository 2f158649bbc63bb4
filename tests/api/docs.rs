//! The docs stay true to the code (issue 13): every SPEC rule has a row in the isolation rules
//! table of `docs/isolation.md`, and the api-version list `docs/troubleshooting.md` promises for
//! `--api-versions strict` is exactly the one amlite accepts.

fn doc(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_rule_has_a_row_in_the_isolation_table() {
    let text = doc("isolation.md");
    let rows: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("| ")?.split(" |").next())
        .filter(|id| id.starts_with("ISO-") || id.starts_with("CP-"))
        .collect();
    let ids: Vec<&str> = amlite::rules::RULES.iter().map(|r| r.id).collect();
    assert_eq!(rows, ids, "docs/isolation.md rule rows, in RULES order");
}

#[test]
fn the_documented_api_versions_are_the_accepted_ones() {
    let text = doc("troubleshooting.md");
    let section = text
        .split("## `--api-versions strict`")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .unwrap_or_default();
    let mut listed: Vec<&str> = section
        .split('`')
        .filter(|s| s.len() >= 10 && s.as_bytes()[4] == b'-' && s.starts_with("20"))
        .collect();
    let mut known: Vec<&str> = amlite::http::KNOWN_API_VERSIONS.to_vec();
    listed.sort_unstable();
    known.sort_unstable();
    assert_eq!(listed, known);
}

//! The shape of the house (docs/architecture.md), kept true: services do not call into each
//! other's handlers, pure modules stay pure, SQL stays in `store/`, every `ArmError::new` is in
//! an error module, and ARM bodies are the typed structs of `arm/response/`. A grep over the sources, so a forbidden import fails `make test`.
use std::path::{Path, PathBuf};

fn sources(dir: &str) -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("emulator")
        .join(dir);
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                out.push((p, text));
            }
        }
    }
    out.sort();
    out
}

/// The code of a file without its comments and without its `#[cfg(test)]` module (tests may
/// read files and use the clock).
fn code(text: &str) -> String {
    let body = text.split("#[cfg(test)]").next().unwrap_or("");
    body.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn offenders(dirs: &[&str], needles: &[&str], allowed: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for dir in dirs {
        for (path, text) in sources(dir) {
            let code = code(&text);
            for needle in needles {
                for line in code.lines().filter(|l| l.contains(needle)) {
                    if allowed.iter().any(|a| line.contains(a)) {
                        continue;
                    }
                    out.push(format!("{}: {}", path.display(), line.trim()));
                }
            }
        }
    }
    out
}

#[test]
fn services_do_not_import_the_control_plane() {
    let bad = offenders(
        &["scoring", "blob", "egress", "runtime"],
        &["crate::arm"],
        &[],
    );
    assert!(bad.is_empty(), "imports of arm/:\n{}", bad.join("\n"));
}

#[test]
fn arm_scoring_and_blob_do_not_import_each_other() {
    let mut bad = offenders(&["arm", "blob"], &["crate::scoring"], &[]);
    bad.extend(offenders(
        &["arm", "scoring"],
        &["crate::blob::"],
        &[
            // The storage keys are a passive handle of AppState, shared by listSecrets and Blob.
            "crate::blob::keys",
        ],
    ));
    assert!(bad.is_empty(), "cross-service imports:\n{}", bad.join("\n"));
}

#[test]
fn pure_modules_do_no_io_and_read_no_clock() {
    let bad = offenders(
        &["rules", "network", "domain"],
        &[
            "tokio",
            "std::fs",
            "sqlx",
            "Utc::now",
            "SystemTime::now",
            "Instant::now",
            "reqwest",
        ],
        &[],
    );
    assert!(
        bad.is_empty(),
        "IO or clock in a pure module:\n{}",
        bad.join("\n")
    );
}

#[test]
fn only_store_speaks_sql() {
    let mut bad = Vec::new();
    for dir in [
        "arm", "scoring", "blob", "egress", "runtime", "identity", "lro", "rules", "network",
        "domain",
    ] {
        bad.extend(offenders(
            &[dir],
            &["sqlx::query", "SELECT ", "INSERT INTO", "UPDATE resources"],
            &[],
        ));
    }
    assert!(bad.is_empty(), "SQL outside store/:\n{}", bad.join("\n"));
}

#[test]
fn every_arm_error_is_named_in_an_error_module() {
    let mut bad = Vec::new();
    for dir in [
        "arm", "scoring", "blob", "egress", "runtime", "identity", "lro", "store", "domain",
    ] {
        for (path, text) in sources(dir) {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name == "errors.rs" || name == "error.rs" {
                continue;
            }
            // The needle is built so that this file does not match a grep for it.
            let needle = concat!("ArmError", "::new(");
            for line in code(&text).lines().filter(|l| l.contains(needle)) {
                bad.push(format!("{}: {}", path.display(), line.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "ArmError::new outside an error module (name it in errors.rs):\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_rules_registry_names_functions_that_exist() {
    let mut missing = Vec::new();
    for rule in amlite::rules::RULES {
        for path in rule.function.split(',').map(str::trim) {
            let Some((module, function)) = path.rsplit_once("::") else {
                missing.push(format!("{}: {path}", rule.id));
                continue;
            };
            let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("emulator")
                .join(format!("{}.rs", module.replace("::", "/")));
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            if !text.contains(&format!("fn {function}("))
                && !text.contains(&format!("fn {function}<"))
            {
                missing.push(format!("{}: {path} (in {})", rule.id, file.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "RULES names functions that do not exist:\n{}",
        missing.join("\n")
    );
}

/// The files of `arm/` that may still call `json!` outside their tests, and why. Every other
/// file renders its bodies with the typed structs of `arm/response/` (issue 10); `arm/response/`
/// itself never does.
const JSON_ALLOWED: &[(&str, &str)] = &[
    (
        "arm/assets.rs",
        "server-filled defaults stored with an asset version (request side)",
    ),
    (
        "arm/assets/validation.rs",
        "request properties normalised before they are stored",
    ),
    (
        "arm/deployment_properties.rs",
        "deployment settings stored from the request",
    ),
    (
        "arm/workspaces.rs",
        "a template's workspace properties (request side)",
    ),
    (
        "arm/network/fixture.rs",
        "a fixture's private endpoint shorthand turned into its PUT body (request side)",
    ),
];

#[test]
fn arm_bodies_are_typed_response_structs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("emulator");
    let mut bad = Vec::new();
    let mut using = std::collections::BTreeSet::new();
    for (path, text) in sources("arm") {
        let rel = path
            .strip_prefix(&root)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        if rel.ends_with("_tests.rs") || rel.ends_with("/tests.rs") || rel.contains("/tests/") {
            continue;
        }
        let lines: Vec<String> = code(&text)
            .lines()
            .filter(|l| l.contains("json!("))
            .map(|l| format!("{rel}: {}", l.trim()))
            .collect();
        if lines.is_empty() {
            continue;
        }
        using.insert(rel.clone());
        let allowed =
            !rel.starts_with("arm/response/") && JSON_ALLOWED.iter().any(|(f, _)| *f == rel);
        if !allowed {
            bad.extend(lines);
        }
    }
    assert!(
        bad.is_empty(),
        "json! bodies outside the allow-list (add a struct to arm/response/):\n{}",
        bad.join("\n")
    );
    let stale: Vec<&str> = JSON_ALLOWED
        .iter()
        .map(|(f, _)| *f)
        .filter(|f| !using.contains(*f))
        .collect();
    assert!(
        stale.is_empty(),
        "allow-listed files without json! (remove them from JSON_ALLOWED): {stale:?}"
    );
}

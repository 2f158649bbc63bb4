//! Pure text rendering of the CLI's output: `env` in each shell's syntax, `status` tables,
//! `explain` paragraphs. No IO.
use serde_json::Value;

/// The shells `amlite env --shell` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    /// `export NAME='value'` (also zsh, sh).
    Bash,
    /// `set -gx NAME 'value'`.
    Fish,
    /// `$env:NAME = 'value'`.
    Powershell,
    /// `NAME=value` lines (a `.env` file, `docker --env-file`).
    Dotenv,
}

/// `(name, value)` pairs of `export NAME='value'` lines (what `/_amlite/env` and `env.sh` hold).
pub fn parse_exports(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let (name, value) = l.trim().strip_prefix("export ")?.split_once('=')?;
            let value = value
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .unwrap_or(value);
            Some((name.to_string(), value.replace("'\\''", "'")))
        })
        .collect()
}

/// The exports in `shell`'s syntax, one per line.
pub fn env(pairs: &[(String, String)], shell: Shell) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        let line = match shell {
            Shell::Bash => format!("export {k}='{}'", v.replace('\'', "'\\''")),
            Shell::Fish => format!(
                "set -gx {k} '{}'",
                v.replace('\\', "\\\\").replace('\'', "\\'")
            ),
            Shell::Powershell => format!("$env:{k} = '{}'", v.replace('\'', "''")),
            Shell::Dotenv => format!("{k}={v}"),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// A plain-text table: a title line, a header row, a rule, rows; columns padded to fit.
pub fn table(title: &str, header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = format!("{title}\n");
    out.push_str(&line(header.to_vec()));
    out.push_str(&line(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    ));
    if rows.is_empty() {
        out.push_str("(none)\n");
    }
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out
}

fn s(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn weights(v: &Value) -> String {
    let Some(m) = v.as_object().filter(|m| !m.is_empty()) else {
        return "-".into();
    };
    m.iter()
        .map(|(k, w)| format!("{k}={}", s(w)))
        .collect::<Vec<_>>()
        .join(",")
}

fn rows(state: &Value, key: &str, cols: &[&dyn Fn(&Value) -> String]) -> Vec<Vec<String>> {
    state[key]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| cols.iter().map(|c| c(x)).collect())
                .collect()
        })
        .unwrap_or_default()
}

/// `amlite status`: tables of workspaces, endpoints (with traffic), deployments, listeners and
/// operations in progress, from `GET /_amlite/state`.
pub fn status(state: &Value) -> String {
    let mut out = format!("amlite at {}\n\n", s(&state["url"]));
    out.push_str(&table(
        "WORKSPACES",
        &[
            "NAME",
            "LOCATION",
            "PUBLIC ACCESS",
            "MANAGED NETWORK",
            "STATE",
        ],
        &rows(
            state,
            "workspaces",
            &[
                &|w| s(&w["name"]),
                &|w| s(&w["location"]),
                &|w| s(&w["publicNetworkAccess"]),
                &|w| s(&w["isolationMode"]),
                &|w| s(&w["provisioningState"]),
            ],
        ),
    ));
    out.push('\n');
    out.push_str(&table(
        "ENDPOINTS",
        &[
            "NAME",
            "WORKSPACE",
            "STATE",
            "PUBLIC ACCESS",
            "AUTH",
            "TRAFFIC",
            "MIRROR",
        ],
        &rows(
            state,
            "endpoints",
            &[
                &|e| s(&e["name"]),
                &|e| s(&e["workspace"]),
                &|e| s(&e["provisioningState"]),
                &|e| s(&e["publicNetworkAccess"]),
                &|e| s(&e["authMode"]),
                &|e| weights(&e["traffic"]),
                &|e| weights(&e["mirrorTraffic"]),
            ],
        ),
    ));
    out.push('\n');
    out.push_str(&table(
        "DEPLOYMENTS",
        &[
            "ENDPOINT",
            "NAME",
            "STATE",
            "RUNTIME",
            "INSTANCES",
            "EGRESS PUBLIC ACCESS",
        ],
        &rows(
            state,
            "deployments",
            &[
                &|d| s(&d["endpoint"]),
                &|d| s(&d["name"]),
                &|d| s(&d["provisioningState"]),
                &|d| s(&d["runtime"]),
                &|d| format!("{} x {}", s(&d["instanceCount"]), s(&d["instanceType"])),
                &|d| s(&d["egressPublicNetworkAccess"]),
            ],
        ),
    ));
    out.push('\n');
    out.push_str(&table(
        "LISTENERS",
        &["NETWORK", "NAME", "URL"],
        &rows(
            state,
            "listeners",
            &[&|l| s(&l["network"]), &|l| s(&l["name"]), &|l| s(&l["url"])],
        ),
    ));
    let running: Vec<Vec<String>> = rows(
        state,
        "operations",
        &[
            &|o| s(&o["id"]),
            &|o| s(&o["action"]),
            &|o| s(&o["status"]),
            &|o| s(&o["resourceId"]),
        ],
    )
    .into_iter()
    .filter(|r| r[2] == "InProgress")
    .collect();
    out.push('\n');
    out.push_str(&table(
        "OPERATIONS IN PROGRESS",
        &["ID", "ACTION", "STATUS", "RESOURCE"],
        &running,
    ));
    out
}

/// `amlite explain`: the decision, its rule and (refused) the changes that would allow it.
pub fn explain(e: &Value) -> String {
    let allowed = e["allowed"].as_bool().unwrap_or(false);
    let verdict = if allowed { "ALLOWED" } else { "REFUSED" };
    let mut out = if e["kind"] == "egress" {
        format!(
            "egress {} -> {}: {verdict} (HTTP {} from the egress proxy), rule {}\n",
            s(&e["deployment"]),
            s(&e["to"]),
            s(&e["status"]),
            s(&e["rule"]),
        )
    } else {
        format!(
            "inbound {} -> endpoint {}: {verdict} (HTTP {} at the network step), rule {}\n",
            s(&e["from"]),
            s(&e["endpoint"]),
            if allowed {
                "200".into()
            } else {
                s(&e["status"])
            },
            s(&e["rule"]),
        )
    };
    out.push_str(&format!("  {}\n", s(&e["reason"])));
    if let Some(changes) = e["changes"].as_array().filter(|c| !c.is_empty()) {
        out.push_str("  To allow it, any one of:\n");
        for c in changes {
            out.push_str(&format!("  - [{}] {}\n", s(&c["rule"]), s(&c["change"])));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn exports_round_trip_into_every_shell() {
        let pairs = parse_exports("export A='x y'\nexport B='it'\\''s'\n# comment\n");
        assert_eq!(
            pairs,
            vec![("A".into(), "x y".into()), ("B".into(), "it's".into())]
        );
        assert_eq!(
            env(&pairs, Shell::Bash),
            "export A='x y'\nexport B='it'\\''s'\n"
        );
        assert_eq!(
            env(&pairs, Shell::Fish),
            "set -gx A 'x y'\nset -gx B 'it\\'s'\n"
        );
        assert_eq!(
            env(&pairs, Shell::Powershell),
            "$env:A = 'x y'\n$env:B = 'it''s'\n"
        );
        assert_eq!(env(&pairs, Shell::Dotenv), "A=x y\nB=it's\n");
    }

    #[test]
    fn status_tables_show_traffic_and_listeners() {
        let state = json!({
            "url": "https://127.0.0.1:1",
            "workspaces": [{ "name": "ws", "location": "eastus", "publicNetworkAccess": "Enabled", "isolationMode": "Disabled", "provisioningState": "Succeeded" }],
            "endpoints": [{ "name": "ep", "workspace": "ws", "provisioningState": "Succeeded", "publicNetworkAccess": "Disabled", "authMode": "Key", "traffic": { "blue": 90, "green": 10 }, "mirrorTraffic": {} }],
            "deployments": [],
            "listeners": [{ "network": "internet", "name": "internet", "url": "https://127.0.0.1:1" }],
            "operations": [],
        });
        let text = status(&state);
        assert!(text.contains("blue=90,green=10"), "{text}");
        assert!(text.contains("DEPLOYMENTS\nENDPOINT"), "{text}");
        assert!(text.contains("(none)"), "{text}");
    }
}

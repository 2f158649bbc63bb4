//! Reads what an environment's conda file asks for (issue 12): the `pip:` list under
//! `dependencies`, which [`super::envs`] installs, and the conda packages beside it, which amlite
//! does not install (it has no conda) and names in the deployment's logs. The file arrives as the
//! SDK sends it (`yaml.dump` of the user's file: block style) or as JSON from REST clients; this
//! reader understands block lists, one-line `[a, b]` lists, quotes and comments, and refuses
//! anything else rather than guess.
use serde_json::Value;

/// The dependencies of one conda file.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CondaDeps {
    /// Requirement lines of the `pip:` list, as written.
    pub pip: Vec<String>,
    /// Conda packages (`python=3.11`, `pip`, `numpy=1.26`, …), as written.
    pub conda: Vec<String>,
}

impl CondaDeps {
    /// The conda packages amlite leaves out: all but `python` and `pip` themselves.
    pub fn uninstalled_conda(&self) -> Vec<&str> {
        self.conda
            .iter()
            .map(String::as_str)
            .filter(|p| !matches!(package_name(p).as_str(), "python" | "pip"))
            .collect()
    }
}

/// The normalised distribution name a requirement or conda spec starts with
/// (`Azureml_Inference.Server-HTTP[x]>=1` → `azureml-inference-server-http`).
pub fn package_name(spec: &str) -> String {
    let spec = spec.rsplit("::").next().unwrap_or(spec); // conda's `channel::package`
    spec.trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .map(|c| match c {
            '_' | '.' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Parses a conda file's `dependencies`.
pub fn parse(text: &str) -> Result<CondaDeps, String> {
    if text.trim_start().starts_with('{') {
        let v: Value =
            serde_json::from_str(text).map_err(|e| format!("the conda file is not JSON: {e}"))?;
        return from_json(&v);
    }
    from_yaml(text)
}

fn from_json(v: &Value) -> Result<CondaDeps, String> {
    let mut deps = CondaDeps::default();
    let Some(items) = v.get("dependencies") else {
        return Ok(deps);
    };
    let items = items.as_array().ok_or("dependencies is not a list")?;
    for item in items {
        match item {
            Value::String(s) => deps.conda.push(s.clone()),
            Value::Object(o) => {
                if let Some(pip) = o.get("pip") {
                    for r in pip.as_array().ok_or("dependencies.pip is not a list")? {
                        deps.pip
                            .push(r.as_str().ok_or("a pip dependency is not a string")?.into());
                    }
                }
            }
            _ => return Err("a dependency is neither a string nor a pip list".into()),
        }
    }
    Ok(deps)
}

/// A line without its comment (`#` at the start or after a space; `pkg#egg` stays).
fn strip_comment(line: &str) -> &str {
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        if c == '#' && prev_space {
            return line[..i].trim_end();
        }
        prev_space = c.is_whitespace();
    }
    line.trim_end()
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner.to_string();
        }
    }
    s.to_string()
}

/// `[a, "b", c]` → its items.
fn flow_list(s: &str) -> Result<Vec<String>, String> {
    let inner = s
        .trim()
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .ok_or_else(|| format!("cannot read '{s}' as a list"))?;
    Ok(inner
        .split(',')
        .map(unquote)
        .filter(|x| !x.is_empty())
        .collect())
}

/// The `- item` text of a list line, if it is one.
fn list_item(trimmed: &str) -> Option<&str> {
    trimmed
        .strip_prefix('-')
        .filter(|r| r.is_empty() || r.starts_with(char::is_whitespace))
        .map(str::trim)
}

/// `pip:` (with what follows it), if the item is the pip list.
fn pip_key(item: &str) -> Option<&str> {
    let (key, rest) = item.split_once(':')?;
    (unquote(key) == "pip").then_some(rest.trim())
}

fn from_yaml(text: &str) -> Result<CondaDeps, String> {
    let lines: Vec<&str> = text.lines().map(strip_comment).collect();
    let mut deps = CondaDeps::default();
    let Some(start) = lines
        .iter()
        .position(|l| indent(l) == 0 && l.trim_start().starts_with("dependencies:"))
    else {
        return Ok(deps);
    };
    let rest = lines[start].trim_start()["dependencies:".len()..].trim();
    if !rest.is_empty() {
        deps.conda = flow_list(rest)?;
        return Ok(deps);
    }
    let mut item_indent: Option<usize> = None;
    let mut i = start + 1;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if line.trim().is_empty() {
            continue;
        }
        let (ind, trimmed) = (indent(line), line.trim_start());
        let Some(item) = list_item(trimmed) else {
            if ind == 0 || item_indent.is_some_and(|n| ind <= n) {
                break; // the next top-level key
            }
            return Err(format!(
                "cannot read the conda file's line '{}'",
                line.trim()
            ));
        };
        let level = *item_indent.get_or_insert(ind);
        if ind < level {
            break;
        }
        if ind > level {
            return Err(format!(
                "cannot read the conda file's line '{}'",
                line.trim()
            ));
        }
        match pip_key(item) {
            Some("") => {
                while let Some(next) = lines.get(i) {
                    if next.trim().is_empty() {
                        i += 1;
                        continue;
                    }
                    if indent(next) <= level {
                        break;
                    }
                    let req = list_item(next.trim_start()).ok_or_else(|| {
                        format!("cannot read the pip dependency '{}'", next.trim())
                    })?;
                    deps.pip.push(unquote(req));
                    i += 1;
                }
            }
            Some(flow) => deps.pip.extend(flow_list(flow)?),
            None => deps.conda.push(unquote(item)),
        }
    }
    Ok(deps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> CondaDeps {
        parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn reads_the_sdks_yaml_dump_and_hand_written_files() {
        let dumped = "channels:\n- conda-forge\ndependencies:\n- python=3.11\n- pip\n- pip:\n  - azureml-inference-server-http\n  - 'tabulate==0.9.0'\nname: env\n";
        let d = ok(dumped);
        assert_eq!(d.pip, ["azureml-inference-server-http", "tabulate==0.9.0"]);
        assert_eq!(d.conda, ["python=3.11", "pip"]);
        assert!(d.uninstalled_conda().is_empty());
        let hand = "name: e # comment\ndependencies:\n  - python=3.11\n  - numpy=1.26  # conda\n  - pip:\n      - six>=1.16 ; python_version > \"3\"\n\n      - pkg @ https://x/pkg.whl#egg=pkg\n  - scikit-learn\nchannels: [conda-forge]\n";
        let d = ok(hand);
        assert_eq!(
            d.pip,
            [
                "six>=1.16 ; python_version > \"3\"",
                "pkg @ https://x/pkg.whl#egg=pkg"
            ]
        );
        assert_eq!(d.uninstalled_conda(), ["numpy=1.26", "scikit-learn"]);
    }

    #[test]
    fn reads_flow_lists_json_and_files_without_dependencies() {
        assert_eq!(
            ok("dependencies:\n  - pip: [a==1, \"b\"]\n").pip,
            ["a==1", "b"]
        );
        assert_eq!(ok("dependencies: [python=3.11]\n").conda, ["python=3.11"]);
        assert_eq!(ok("name: readme\n"), CondaDeps::default());
        let j = ok(r#"{"dependencies": ["python=3.11", {"pip": ["tabulate==0.8.10"]}]}"#);
        assert_eq!(j.pip, ["tabulate==0.8.10"]);
        assert!(parse(r#"{"dependencies": [1]}"#).is_err());
        assert!(parse("dependencies:\n  - pip:\n      not a list item\n").is_err());
    }

    #[test]
    fn names_are_normalised() {
        assert_eq!(
            package_name("Azureml_Inference.Server-HTTP[x]>=1"),
            "azureml-inference-server-http"
        );
        assert_eq!(package_name("conda-forge::python=3.11"), "python");
    }
}

//! Reads what an environment's conda file asks for (issue 12): the `pip:` list under
//! `dependencies`, which [`super::envs`] installs, and the conda packages beside it, which amlite
//! does not install (it has no conda) and names in the deployment's logs. The file arrives as the
//! SDK sends it (`yaml.dump` of the user's file), as JSON from REST clients, or as the sorted JSON
//! the control plane stores; the YAML library of [`conda_file`] reads all three.
use serde_json::Value;

use super::errors::CondaError;
use crate::domain::conda_file;

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

/// Parses a conda file's `dependencies` (YAML or JSON, read by [`conda_file::parse`]).
pub fn parse(text: &str) -> Result<CondaDeps, CondaError> {
    let v = conda_file::parse(text).map_err(CondaError::NotYaml)?;
    from_value(&v)
}

fn from_value(v: &Value) -> Result<CondaDeps, CondaError> {
    let mut deps = CondaDeps::default();
    let Some(items) = v.get("dependencies").filter(|d| !d.is_null()) else {
        return Ok(deps);
    };
    let items = items.as_array().ok_or(CondaError::DependenciesNotList)?;
    for item in items {
        match item {
            Value::String(s) => deps.conda.push(s.clone()),
            Value::Object(o) => {
                if let Some(pip) = o.get("pip").filter(|p| !p.is_null()) {
                    for r in pip.as_array().ok_or(CondaError::PipNotList)? {
                        deps.pip
                            .push(r.as_str().ok_or(CondaError::PipNotString)?.into());
                    }
                }
            }
            _ => return Err(CondaError::BadDependency),
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

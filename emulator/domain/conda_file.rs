//! An environment's conda file (`EnvironmentVersion.properties.condaFile`): the YAML the SDK
//! sends (`yaml.dump` of the user's file) or JSON from REST clients, read with a YAML library,
//! and the text Azure stores and answers for it. Used by the control plane (what a PUT stores)
//! and by the python runtime (which pip dependencies to install).
//!
//! Pure: no IO. Depends on `serde_json`, `yaml_serde` and `thiserror` only.
use serde_json::Value;

/// Why a conda file cannot be read; the text is the parser's own.
#[derive(Debug, thiserror::Error)]
pub enum CondaFileError {
    /// Not YAML (nor JSON): the YAML parser's explanation, with its line and column.
    #[error(transparent)]
    NotYaml(#[from] yaml_serde::Error),
    /// Read, but not writable back as JSON.
    #[error(transparent)]
    NotJson(#[from] serde_json::Error),
}

/// The conda file as a JSON value (YAML is a superset of JSON, so both forms read).
/// Error: the YAML parser's explanation (with its line and column).
pub fn parse(text: &str) -> Result<Value, CondaFileError> {
    Ok(yaml_serde::from_str::<Value>(text)?)
}

/// What Azure answers as `condaFile` for a conda file it was sent: the same document as JSON,
/// keys sorted, indented by two spaces, with no final newline. Every recorded environment-version
/// PUT shows this (e.g. `test_online_endpoint_update`: `name: model-env\nchannels: …` comes back
/// as `{\n  "channels": [\n    "conda-forge"\n  ], … "name": "model-env"\n}`).
pub fn as_azure_stores_it(text: &str) -> Result<String, CondaFileError> {
    let value = parse(text)?;
    // serde_json's map is ordered by key (no `preserve_order` feature), as Azure's text is.
    Ok(serde_json::to_string_pretty(&value)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sdks_yaml_comes_back_as_azures_sorted_json() {
        // The request and answer of test_online_endpoint_update's environment version PUT.
        let sent = "name: model-env\nchannels:\n- conda-forge\ndependencies:\n- python=3.6.1\n- numpy=1.19.4\n- pip=21.2.4\n- scikit-learn=0.19.1\n- scipy=1.5.1\n- pip:\n  - azureml-defaults==1.33.0\n  - inference-schema[numpy-support]==1.3.0\n  - joblib==1.0.1\n  - numpy==1.19.4\n  - scikit-learn==0.19.1\n  - scipy==1.5.1\n";
        let azure = "{\n  \"channels\": [\n    \"conda-forge\"\n  ],\n  \"dependencies\": [\n    \"python=3.6.1\",\n    \"numpy=1.19.4\",\n    \"pip=21.2.4\",\n    \"scikit-learn=0.19.1\",\n    \"scipy=1.5.1\",\n    {\n      \"pip\": [\n        \"azureml-defaults==1.33.0\",\n        \"inference-schema[numpy-support]==1.3.0\",\n        \"joblib==1.0.1\",\n        \"numpy==1.19.4\",\n        \"scikit-learn==0.19.1\",\n        \"scipy==1.5.1\"\n      ]\n    }\n  ],\n  \"name\": \"model-env\"\n}";
        assert_eq!(as_azure_stores_it(sent).ok().as_deref(), Some(azure));
        // Stored text read again (a re-PUT of a GET's answer) gives the same text.
        assert_eq!(as_azure_stores_it(azure).ok().as_deref(), Some(azure));
    }

    #[test]
    fn broken_yaml_is_refused_with_the_parsers_reason() {
        let err = parse("dependencies:\n  - pip:\n   - a\n  bad: [")
            .expect_err("not YAML")
            .to_string();
        assert!(err.contains("line"), "{err}");
    }
}

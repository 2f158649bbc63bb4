//! Background starts of `python` runtime deployments (SPEC §7). Provisioning hands the
//! operation over (`operations::hold_in`); the worker materialises the model and code from the
//! Blob Storage slice into `<data-dir>/runtimes/<hash>/`, starts Azure's inference server in the
//! environment built from the deployment's conda file ([`envs`]), waits for its liveness probe,
//! and completes the operation `Succeeded`, or `Failed` with
//! `ResourceNotReady` (a crash in `init()`, a missing `--python`: a [`PythonStartError`]). After a
//! restart, deployments that were `Succeeded` are started again.
use std::path::PathBuf;

use sha2::Digest;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::app::{AppState, State};
use crate::domain::{
    Failure, OnlineDeployment, ProvisioningState, ResourceId, ResourceKind, Workspace,
};
use crate::egress::EgressError;
use crate::error::{ArmError, ArmResult};
use crate::runtime::errors::{LaunchError, MaterializeError, MlflowError, PathIoError};
use crate::runtime::materialize::{
    blob_folder, checked_join, ensure_inside, materialize, CODE_PATH_VARIABLES,
};
use crate::runtime::python::LaunchSpec;
use crate::runtime::RuntimeKind;
use crate::runtime::{envs, mlflow};

/// Why a python deployment did not start: its `failure.message` (code `ResourceNotReady`).
#[derive(Debug, thiserror::Error)]
pub enum PythonStartError {
    /// amlite was started without `--python`.
    #[error("The python runtime needs an interpreter with azureml-inference-server-http installed: start amlite with --python PATH (AMLITE_PYTHON).")]
    NoPython,
    /// An asset the deployment names could not be read: the ARM error's message.
    #[error("{}", .0.message)]
    Asset(ArmError),
    /// The code asset has no `codeUri`.
    #[error("The deployment's code asset has no codeUri.")]
    NoCodeUri,
    /// A `codeUri` amlite cannot read blobs from.
    #[error("Cannot read code from {0}.")]
    CodeUri(String),
    /// A `modelUri` amlite cannot read blobs from.
    #[error("Cannot read the model from {0}.")]
    ModelUri(String),
    /// The scoring script is not among the code's files.
    #[error("The scoring script '{0}' is not in the deployment's code (codeConfiguration.scoringScript is a path relative to the code folder).")]
    NoScript(String),
    /// No scoring script, and not a no-code MLflow model.
    #[error("The deployment has no codeConfiguration.scoringScript to run (only a model of type mlflow_model can be deployed without code).")]
    NoScoringScript,
    /// A file-system call on the deployment's folder failed.
    #[error(transparent)]
    Io(#[from] PathIoError),
    /// The model folder could not be created.
    #[error(transparent)]
    ModelDir(std::io::Error),
    /// The model or code could not be written, or a path left its folder.
    #[error(transparent)]
    Materialize(#[from] MaterializeError),
    /// A path-valued inference-server variable that leaves the code.
    #[error("{var}: {source}")]
    CodePathVariable {
        /// The variable.
        var: &'static str,
        /// Why its path is refused.
        source: MaterializeError,
    },
    /// `--python` cannot serve a no-code MLflow deployment.
    #[error(transparent)]
    Mlflow(#[from] MlflowError),
    /// The egress proxy did not start.
    #[error(transparent)]
    Egress(#[from] EgressError),
    /// The inference server did not start.
    #[error(transparent)]
    Launch(#[from] LaunchError),
}

/// Runs python starts one at a time (each may take seconds; a laptop has few cores).
pub async fn worker(state: State, mut rx: UnboundedReceiver<(String, Option<String>)>) {
    while let Some((id, op_id)) = rx.recv().await {
        if let Err(e) = start(&state, &id, op_id.as_deref()).await {
            tracing::error!(deployment = %id, error = %e, "python runtime start failed internally");
        }
    }
}

/// Queues a restart of every python deployment stored `Succeeded` (called at start-up).
pub async fn restart_running(state: &AppState) -> ArmResult<()> {
    for row in state
        .store
        .by_kind_under(ResourceKind::OnlineDeployment, "/")
        .await?
    {
        let d: OnlineDeployment = row.doc()?;
        if d.provisioning_state == ProvisioningState::Succeeded
            && RuntimeKind::of(&d, state.config.runtime_default()) == RuntimeKind::Python
        {
            let _ = state.python_jobs.send((row.id.clone(), None));
        }
    }
    Ok(())
}

async fn start(state: &State, id: &str, op_id: Option<&str>) -> ArmResult<()> {
    let id = ResourceId::from_string(id.to_string());
    let op = match op_id {
        Some(o) => state.store.operation(o).await?,
        None => None,
    };
    let Some(row) = state.store.get(&id).await? else {
        return Ok(());
    };
    let mut d: OnlineDeployment = row.doc()?;
    let Some((ws_id, ws)) = super::provision::workspace_of(state, &id).await? else {
        return Ok(());
    };
    let failure = match launch(state, &id, &d, &ws).await {
        Ok(()) => None,
        Err(e) => {
            let message = e.to_string();
            state
                .runtimes
                .log(id.as_str(), format!("python runtime: {message}"));
            Some(Failure {
                code: "ResourceNotReady".into(),
                message,
            })
        }
    };
    if op.is_none() && failure.is_none() && state.store.get(&id).await?.is_some() {
        return Ok(()); // a restart that worked changes nothing stored
    }
    // The outcome is written over the deployment as it is now, not as it was before the
    // seconds the start took: a write in between (a PATCH of its tags) is kept (`write_gate`).
    state
        .writes
        .run(async {
            let Some(row) = state.store.get(&id).await? else {
                state.runtimes.stop_under(id.as_str()); // deleted while it was starting
                return Ok(());
            };
            d = row.doc()?;
            super::provision::write_outcome(
                state,
                &id,
                row.parent_id.as_deref(),
                &mut d,
                (&ws_id, &ws),
                failure,
                op.as_ref(),
            )
            .await
        })
        .await
}

async fn asset_uri(
    state: &AppState,
    asset_id: Option<&str>,
    key: &str,
) -> ArmResult<Option<String>> {
    let Some(aid) = asset_id.filter(|a| a.starts_with('/')) else {
        return Ok(asset_id.map(str::to_string));
    };
    let row = state
        .store
        .get(&ResourceId::from_string(aid.to_string()))
        .await?;
    Ok(row
        .and_then(|r| r.doc::<crate::domain::Asset>().ok())
        .and_then(|a| {
            a.properties
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        }))
}

/// Writes the deployment's code and returns its checked scoring script.
async fn user_code(
    state: &State,
    d: &OnlineDeployment,
    script: &str,
    code_dir: &std::path::Path,
    (account, container): (&str, &str),
) -> Result<PathBuf, PythonStartError> {
    let code_uri = asset_uri(state, d.code_id.as_deref(), "codeUri")
        .await
        .map_err(PythonStartError::Asset)?
        .ok_or(PythonStartError::NoCodeUri)?;
    let code = blob_folder(&code_uri, account, container)
        .ok_or_else(|| PythonStartError::CodeUri(code_uri.clone()))?;
    materialize(&state.store, &code, code_dir, false).await?;
    // Issue 9: the script is a path relative to the code (checked at PUT too, but a stored
    // deployment may predate that check), and must resolve inside it once written.
    let entry_script = checked_join(code_dir, script)?;
    if !entry_script.is_file() {
        return Err(PythonStartError::NoScript(script.to_string()));
    }
    ensure_inside(code_dir, &entry_script)?;
    Ok(entry_script)
}

/// A deployment without code: a no-code MLflow deployment gets amlite's generated scoring
/// script (issue 12) when `--python` has `mlflow`; any other model needs a scoring script.
async fn mlflow_code(
    state: &State,
    d: &OnlineDeployment,
    python: &std::path::Path,
    code_dir: &std::path::Path,
) -> Result<PathBuf, PythonStartError> {
    let model_type = asset_uri(state, d.model.as_deref(), "modelType")
        .await
        .map_err(PythonStartError::Asset)?;
    if model_type.as_deref() != Some(mlflow::MODEL_TYPE) {
        return Err(PythonStartError::NoScoringScript);
    }
    mlflow::probe(python).await?;
    std::fs::create_dir_all(code_dir).map_err(PathIoError::at(code_dir))?;
    let script = code_dir.join(mlflow::SCRIPT_NAME);
    std::fs::write(&script, mlflow::SCORE_PY).map_err(PathIoError::at(&script))?;
    Ok(script)
}

async fn launch(
    state: &State,
    id: &ResourceId,
    d: &OnlineDeployment,
    ws: &Workspace,
) -> Result<(), PythonStartError> {
    let base = state
        .config
        .python
        .clone()
        .ok_or(PythonStartError::NoPython)?;
    let python = environment_python(state, id, d, base).await;
    let root = runtime_dir(state, id);
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).map_err(PathIoError::at(&root))?;
    ensure_inside(&state.config.data_dir, &root)?;
    let code_dir = root.join("code");
    let (account, container) = (
        super::assets::account_name(ws),
        super::assets::default_container(ws),
    );
    let entry_script = match d.scoring_script.as_deref() {
        Some(script) => user_code(state, d, script, &code_dir, (&account, &container)).await?,
        None => mlflow_code(state, d, &python, &code_dir).await?,
    };
    let model_dir = checked_join(&root, &model_layout(d.model.as_deref()))?;
    std::fs::create_dir_all(&model_dir).map_err(PythonStartError::ModelDir)?;
    if let Some(model_uri) = asset_uri(state, d.model.as_deref(), "modelUri")
        .await
        .map_err(PythonStartError::Asset)?
    {
        let folder = blob_folder(&model_uri, &account, &container)
            .ok_or_else(|| PythonStartError::ModelUri(model_uri.clone()))?;
        materialize(&state.store, &folder, &model_dir, true).await?;
    }
    // SPEC 6.4: the user's code reaches the network only through its egress proxy.
    let proxy = crate::egress::start_for(state, id).await?;
    let mut env = code_path_env(d, &code_dir, &entry_script)?;
    env.extend(proxy.env());
    let spec = LaunchSpec {
        python,
        entry_script,
        model_dir,
        env,
        instances: d.instance_count,
        timeout: state.config.runtime_start_timeout,
        egress_port: proxy.port(),
        deployment: id.as_str().to_string(),
        run_dir: root.join("run"),
    };
    state.runtimes.start_python(id.as_str(), &spec).await?;
    state.runtimes.attach_egress_proxy(id.as_str(), proxy);
    Ok(())
}

/// The interpreter of the deployment's environment (issue 12): one built from its conda file's
/// pip dependencies ([`envs`]), or `--python` when it has none (or it cannot be built).
async fn environment_python(
    state: &State,
    id: &ResourceId,
    d: &OnlineDeployment,
    base: PathBuf,
) -> PathBuf {
    let conda = asset_uri(
        state,
        d.environment_id.as_deref().filter(|e| e.starts_with('/')),
        "condaFile",
    )
    .await
    .ok()
    .flatten();
    let Some(conda) = conda else {
        return base;
    };
    let builder = envs::Builder {
        uv: envs::find_uv(state.config.uv.as_deref(), &base),
        base,
        dir: state.config.data_dir.join("envs"),
        timeout: state.config.env_build_timeout,
    };
    let log = |line: String| state.runtimes.log(id.as_str(), line);
    builder.python_for(&conda, &log).await
}

/// A deployment's environment variables, by name.
type Variables = std::collections::BTreeMap<String, String>;

/// The deployment's variables with the inference server's path variables resolved inside the
/// code folder: `AZUREML_ENTRY_SCRIPT` is always the checked scoring script, the others are
/// joined with [`checked_join`] (never an outside path). Unset, `AML_APP_ROOT` is the server's
/// own default, its working folder: the scoring script's folder, inside the code.
fn code_path_env(
    d: &OnlineDeployment,
    code_dir: &std::path::Path,
    entry_script: &std::path::Path,
) -> Result<Variables, PythonStartError> {
    let mut env = d.environment_variables.clone();
    for var in CODE_PATH_VARIABLES {
        if let Some(v) = env.get(*var) {
            let p = checked_join(code_dir, v)
                .map_err(|source| PythonStartError::CodePathVariable { var, source })?;
            env.insert(var.to_string(), p.display().to_string());
        }
    }
    env.insert(
        "AZUREML_ENTRY_SCRIPT".into(),
        entry_script.display().to_string(),
    );
    Ok(env)
}

/// Azure's layout of a deployment's model (issue 12): `AZUREML_MODEL_DIR` is
/// `azureml-models/<model name>/<version>`, from the model asset's id
/// (`…/models/{name}/versions/{version}`); the inference server reads the model's id from it.
fn model_layout(model_id: Option<&str>) -> String {
    let segs: Vec<&str> = model_id.unwrap_or("").split('/').collect();
    let found = segs.windows(4).find_map(|w| match w {
        [m, name, v, version]
            if m.eq_ignore_ascii_case("models") && v.eq_ignore_ascii_case("versions") =>
        {
            Some((*name, *version))
        }
        _ => None,
    });
    let (name, version) = found
        .filter(|(n, v)| crate::domain::is_safe_name(n) && crate::domain::is_safe_name(v))
        .unwrap_or(("model", "1"));
    format!("azureml-models/{name}/{version}")
}

fn runtime_dir(state: &AppState, id: &ResourceId) -> PathBuf {
    let hash = hex::encode(sha2::Sha256::digest(
        id.as_str().to_ascii_lowercase().as_bytes(),
    ));
    state.config.data_dir.join("runtimes").join(&hash[..16])
}

#[cfg(test)]
mod tests {
    use super::model_layout;

    #[test]
    fn the_model_folder_is_named_after_the_asset() {
        let id = "/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w/models/my-model/versions/3";
        assert_eq!(model_layout(Some(id)), "azureml-models/my-model/3");
        assert_eq!(model_layout(None), "azureml-models/model/1");
        assert_eq!(
            model_layout(Some("/x/models/../versions/1")),
            "azureml-models/model/1"
        );
    }
}

//! The errors of the runtimes (SPEC §7), one type per concern: [`MaterializeError`] (writing a
//! deployment's files, path and escape checks), [`CondaError`] (reading a conda file),
//! [`EnvError`] (building its environment), [`SandboxError`] (the kernel restriction),
//! [`MlflowError`] (no-code MLflow) and [`LaunchError`] (starting the inference server). Their
//! texts are what a deployment's `failure.message` and `getLogs` say: users and tests read them.
use std::path::{Path, PathBuf};

use crate::domain::conda_file::CondaFileError;
use crate::domain::path::PathRefusal;

/// A file-system call on `path` failed; the text is `{path}: {error}`.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct PathIoError {
    /// The file or folder.
    pub path: PathBuf,
    /// What the file system said.
    pub source: std::io::Error,
}

impl PathIoError {
    /// `map_err(PathIoError::at(path))`: the error of a call on `path`.
    pub fn at(path: &Path) -> impl FnOnce(std::io::Error) -> PathIoError + '_ {
        move |source| PathIoError {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A program could not be started; the text is `cannot start {program}: {error}`.
#[derive(Debug, thiserror::Error)]
#[error("cannot start {}: {source}", program.display())]
pub struct SpawnError {
    /// The program (an interpreter, uv).
    pub program: PathBuf,
    /// Why the operating system did not start it.
    pub source: std::io::Error,
}

/// Why a deployment's model or code could not be written ([`super::materialize`]).
#[derive(Debug, thiserror::Error)]
pub enum MaterializeError {
    /// A file-system call failed.
    #[error(transparent)]
    Io(#[from] PathIoError),
    /// A user-influenced relative path that would leave its folder (lexically).
    #[error("refusing the path '{rel}': {}", why.reason())]
    Refused {
        /// The path as given.
        rel: String,
        /// What is wrong with it.
        why: PathRefusal,
    },
    /// A path that resolves (symlinks followed) outside its folder.
    #[error("refusing {}: it resolves to {}, outside {}", path.display(), real.display(), root.display())]
    Escapes {
        /// The path checked.
        path: PathBuf,
        /// Where it really is.
        real: PathBuf,
        /// The folder it had to stay in (resolved).
        root: PathBuf,
    },
    /// The data folder could not be read.
    #[error(transparent)]
    Store(#[from] sqlx::Error),
    /// A blob's content disappeared while it was being written.
    #[error("{name}: blob content no longer stored")]
    ContentGone {
        /// The blob's name.
        name: String,
    },
    /// The folder has no blobs.
    #[error("no files under {account}/{container}/{prefix}")]
    NoFiles {
        /// Account.
        account: String,
        /// Container.
        container: String,
        /// Blob name prefix.
        prefix: String,
    },
}

/// Why a conda file's dependencies cannot be read ([`super::conda`]).
#[derive(Debug, thiserror::Error)]
pub enum CondaError {
    /// Neither YAML nor JSON.
    #[error("the conda file is not YAML: {0}")]
    NotYaml(#[source] CondaFileError),
    /// `dependencies` is not a list.
    #[error("dependencies is not a list")]
    DependenciesNotList,
    /// `dependencies[].pip` is not a list.
    #[error("dependencies.pip is not a list")]
    PipNotList,
    /// An item of the `pip:` list is not a string.
    #[error("a pip dependency is not a string")]
    PipNotString,
    /// An item of `dependencies` is neither a conda package nor a `pip:` list.
    #[error("a dependency is neither a string nor a pip list")]
    BadDependency,
}

/// Why a conda file's environment could not be built ([`super::envs`]); the deployment then runs
/// in `--python` and its logs say this.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    /// The conda file cannot be read.
    #[error("cannot read its conda file: {0}")]
    Conda(#[from] CondaError),
    /// A requirement naming a local path, or an option amlite does not pass on.
    #[error("amlite installs pip dependencies from package indexes only, and '{0}' is a local path or an option it does not pass on")]
    LocalRequirement(String),
    /// No uv to build with.
    #[error("uv not found beside --python nor on PATH (pip install uv there, or start amlite with --uv PATH)")]
    NoUv,
    /// uv (or `--python`) could not be started.
    #[error(transparent)]
    Spawn(#[from] SpawnError),
    /// uv did not finish within the build timeout (seconds).
    #[error("uv took longer than {0}s")]
    UvTimedOut(u64),
    /// uv failed: its error, on one line.
    #[error("{0}")]
    Uv(String),
    /// A file-system call failed.
    #[error(transparent)]
    Io(#[from] PathIoError),
    /// `--python` did not say its inference server's version in time.
    #[error("asking --python for its inference server version timed out")]
    VersionTimedOut,
    /// `--python` has no inference server to pin the environment's to.
    #[error("--python {} has no {}", .0.display(), super::envs::SERVER)]
    NoServer(PathBuf),
}

/// Why the kernel restriction of python deployments cannot be built ([`super::sandbox`]).
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// seccomp refused the filter.
    #[error("cannot build the seccomp socket filter: {0}")]
    Seccomp(#[source] seccompiler::BackendError),
    /// seccomp does not know this CPU.
    #[error("seccomp does not support this CPU: {0}")]
    UnsupportedCpu(#[source] seccompiler::BackendError),
    /// No Landlock ABI 4 (kernel too old, or Landlock disabled).
    #[error("this kernel does not offer Landlock TCP rules (ABI 4, Linux 6.7+): {0}")]
    NoLandlock(#[from] landlock::RulesetError),
    /// Landlock gave no ruleset descriptor.
    #[error("Landlock created no ruleset")]
    NoRuleset,
}

/// Why `--python` cannot serve a no-code MLflow deployment ([`super::mlflow`]).
#[derive(Debug, thiserror::Error)]
pub enum MlflowError {
    /// `python` cannot import `mlflow.pyfunc`, because `why`.
    #[error("This is a no-code MLflow deployment (a model of type mlflow_model without a code \
         configuration): amlite serves it with a generated scoring script that needs the mlflow \
         package, which the runtime interpreter {} cannot import ({why}). Install it there \
         (pip install mlflow) or give the deployment a code configuration with your own scoring \
         script.", python.display())]
    NotImportable {
        /// The interpreter probed.
        python: PathBuf,
        /// Why the import failed.
        why: MlflowProbe,
    },
}

/// Why importing `mlflow.pyfunc` failed.
#[derive(Debug, thiserror::Error)]
pub enum MlflowProbe {
    /// The interpreter did not start.
    #[error("cannot start it: {0}")]
    CannotStart(#[source] std::io::Error),
    /// The import took longer than the probe may.
    #[error("the import timed out")]
    TimedOut,
    /// The import failed: the last line of its stderr.
    #[error("{0}")]
    Failed(String),
}

/// Why the inference server of a python deployment did not start ([`super::python`]).
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// No free loopback port.
    #[error(transparent)]
    Port(std::io::Error),
    /// The kernel restriction could not be built.
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// The interpreter could not be started.
    #[error(transparent)]
    Spawn(#[from] SpawnError),
    /// The server exited before it answered its liveness probe (a failing `init()`).
    #[error("the inference server exited ({0}) before it was ready; see getLogs (a failing init() ends here)")]
    Exited(std::process::ExitStatus),
    /// The server did not answer its liveness probe within the start timeout.
    #[error("the inference server did not answer its liveness probe in time; see getLogs")]
    NotLive,
}

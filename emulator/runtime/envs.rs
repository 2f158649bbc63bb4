//! One Python environment per distinct conda file (issue 12). Azure builds an image from a
//! deployment's conda file; amlite builds a virtual environment from its `pip:` dependencies
//! with [uv](https://pypi.org/project/uv/) on the `--python` interpreter, in
//! `<data-dir>/envs/<hash>/`, the hash naming the interpreter and the requirements, so each
//! distinct file is built once and deployments with different packages run side by side.
//!
//! - A conda file without pip dependencies, or whose pip dependencies `--python` already
//!   satisfies (checked offline), runs in `--python` itself.
//! - The environment gets `azureml-inference-server-http` at `--python`'s version when the file
//!   does not name it (Azure needs it named; amlite needs it to serve), and says so in the logs.
//! - Conda packages (not pip) are not installed; the logs name them.
//! - When the environment cannot be built (no uv, offline, a requirement that does not resolve,
//!   a local path amlite does not install), the deployment runs in `--python` and the logs say
//!   why: every line goes to the deployment's `getLogs`.
//!
//! uv keeps its download cache in `UV_CACHE_DIR` when amlite's environment sets it, else in
//! `<data-dir>/envs/uv-cache`. Python starts run one at a time, so builds never race.
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use sha2::Digest;

use super::conda::{self, CondaDeps};
use super::errors::{EnvError, PathIoError, SpawnError};

/// The inference server's distribution name.
pub(super) const SERVER: &str = "azureml-inference-server-http";

/// Marks a finished environment.
const READY: &str = ".amlite-ready";

/// How an environment is built.
#[derive(Debug, Clone)]
pub struct Builder {
    /// `--python`.
    pub base: PathBuf,
    /// `--uv`, else `uv` beside `--python`, else on `PATH` ([`find_uv`]).
    pub uv: Option<PathBuf>,
    /// `<data-dir>/envs`.
    pub dir: PathBuf,
    /// How long one build may take.
    pub timeout: Duration,
}

/// `explicit`, else `uv` in the folder of `python` (a venv with `pip install uv`), else the
/// first `uv` on `PATH`.
pub fn find_uv(explicit: Option<&Path>, python: &Path) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let beside = python.parent().map(|d| d.join("uv"));
    let on_path = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("uv"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    beside.into_iter().chain(on_path).find(|p| p.is_file())
}

/// Refuses requirement lines that are not package specifiers or index options: amlite installs
/// from package indexes only, never from local files named by a stored document.
fn check_requirement(req: &str) -> Result<(), EnvError> {
    let lower = req.trim().to_ascii_lowercase();
    let option_ok = ["--index-url", "--extra-index-url", "-i ", "--pre"]
        .iter()
        .any(|o| lower.starts_with(o));
    let local = lower.starts_with(['.', '/', '~', '\\'])
        || lower.contains("file:")
        || (!option_ok && names_a_path(&lower));
    if req.chars().any(char::is_control) || local || (lower.starts_with('-') && !option_ok) {
        return Err(EnvError::LocalRequirement(req.to_string()));
    }
    Ok(())
}

/// A requirement uv would read as a path: a separator outside a URL (`x/../pkg`,
/// `runtimes/<id>/code/pkg`, `c:\\pkg`). A package name has none, and a direct reference is a
/// URL (`pkg @ https://…`, `git+https://…`). Without this, a folder uploaded as code was built
/// by uv, outside the scoring sandbox (its build backend ran with amlite's rights).
fn names_a_path(lower: &str) -> bool {
    let is_url = |t: &str| {
        [
            "https://",
            "http://",
            "git+https://",
            "git+http://",
            "git+ssh://",
        ]
        .iter()
        .any(|scheme| t.starts_with(scheme))
    };
    if is_url(lower) {
        return false;
    }
    let target = lower.split_once('@').map_or(lower, |(_, url)| url).trim();
    let target = target.split(';').next().unwrap_or(target).trim();
    !is_url(target) && (target.contains(['/', '\\']) || target.contains(".."))
}

/// Runs `cmd` to completion within `timeout`: its stderr, or why it failed.
async fn run(mut cmd: tokio::process::Command, timeout: Duration) -> Result<String, EnvError> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("UV_PYTHON_DOWNLOADS", "never")
        .env("NO_COLOR", "1")
        .kill_on_drop(true);
    let out = match tokio::time::timeout(timeout, cmd.output()).await {
        Ok(Ok(out)) => out,
        Ok(Err(source)) => {
            let program = PathBuf::from(cmd.as_std().get_program());
            return Err(SpawnError { program, source }.into());
        }
        Err(_) => return Err(EnvError::UvTimedOut(timeout.as_secs())),
    };
    let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stdout));
    if out.status.success() {
        Ok(text)
    } else {
        Err(EnvError::Uv(uv_error(&text)))
    }
}

/// uv's error, on one line: the lines from `error:` on (its explanation), else the last one.
fn uv_error(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let from = lines
        .iter()
        .position(|l| l.starts_with("error:"))
        .unwrap_or(lines.len().saturating_sub(1));
    let msg = lines.get(from..).unwrap_or(&[]).join(" ");
    if msg.is_empty() {
        "uv failed without a message".into()
    } else {
        msg
    }
}

impl Builder {
    fn uv_cmd(&self, uv: &Path) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(uv);
        if std::env::var_os("UV_CACHE_DIR").is_none() {
            cmd.env("UV_CACHE_DIR", self.dir.join("uv-cache"));
        }
        cmd
    }

    /// The interpreter a deployment with conda file `text` runs in; `log` gets what the
    /// deployment's `getLogs` should say about it.
    pub async fn python_for(&self, text: &str, log: &(dyn Fn(String) + Sync)) -> PathBuf {
        let deps = match conda::parse(text) {
            Ok(d) => d,
            Err(e) => return self.fallback(&e.into(), log),
        };
        let skipped = deps.uninstalled_conda();
        if !skipped.is_empty() {
            log(format!("amlite: conda packages are not installed (amlite has no conda; list them under pip: to have them): {}", skipped.join(", ")));
        }
        if deps.pip.is_empty() {
            return self.base.clone();
        }
        match self.build(&deps, log).await {
            Ok(python) => python,
            Err(why) => self.fallback(&why, log),
        }
    }

    fn fallback(&self, why: &EnvError, log: &(dyn Fn(String) + Sync)) -> PathBuf {
        let line = format!(
            "amlite: cannot build the environment from the conda file's pip dependencies ({why}); running with --python {} instead",
            self.base.display()
        );
        tracing::warn!("{line}");
        log(line);
        self.base.clone()
    }

    async fn build(
        &self,
        deps: &CondaDeps,
        log: &(dyn Fn(String) + Sync),
    ) -> Result<PathBuf, EnvError> {
        for r in &deps.pip {
            check_requirement(r)?;
        }
        let uv = self.uv.clone().ok_or(EnvError::NoUv)?;
        std::fs::create_dir_all(&self.dir).map_err(PathIoError::at(&self.dir))?;
        let mut reqs = deps.pip.join("\n");
        reqs.push('\n');
        let probe = self.dir.join(format!("probe-{}.txt", std::process::id()));
        std::fs::write(&probe, &reqs).map_err(PathIoError::at(&probe))?;
        let satisfied = self.satisfied_by_base(&uv, &probe).await;
        let _ = std::fs::remove_file(&probe);
        if satisfied {
            log(format!("amlite: --python {} already has the conda file's pip dependencies; no environment to build", self.base.display()));
            return Ok(self.base.clone());
        }
        if !deps.pip.iter().any(|r| conda::package_name(r) == SERVER) {
            let version = self.base_server_version().await?;
            log(format!("amlite: the conda file does not list {SERVER} (Azure needs it there too); its environment gets --python's {SERVER}=={version}"));
            reqs.push_str(&format!("{SERVER}=={version}\n"));
        }
        let base = std::fs::canonicalize(&self.base).unwrap_or_else(|_| self.base.clone());
        let hash = hex::encode(sha2::Sha256::digest(
            format!("{}\n{reqs}", base.display()).as_bytes(),
        ));
        let env = self.dir.join(&hash[..16]);
        let python = env.join("bin").join("python");
        if env.join(READY).is_file() && python.exists() {
            log(format!(
                "amlite: environment {} (built before) for the conda file's pip dependencies",
                env.display()
            ));
            return Ok(python);
        }
        let started = Instant::now();
        let _ = std::fs::remove_dir_all(&env);
        let result = self.create(&uv, &env, &python, &reqs, log).await;
        if let Err(e) = result {
            let _ = std::fs::remove_dir_all(&env);
            return Err(e);
        }
        log(format!(
            "amlite: built environment {} for the conda file's pip dependencies in {:.1}s",
            env.display(),
            started.elapsed().as_secs_f64()
        ));
        Ok(python)
    }

    async fn create(
        &self,
        uv: &Path,
        env: &Path,
        python: &Path,
        reqs: &str,
        log: &(dyn Fn(String) + Sync),
    ) -> Result<(), EnvError> {
        let deadline = Instant::now() + self.timeout;
        let mut venv = self.uv_cmd(uv);
        venv.arg("venv")
            .arg("--quiet")
            .arg("--python")
            .arg(&self.base)
            .arg(env);
        run(venv, self.timeout).await?;
        let file = env.join("amlite-requirements.txt");
        std::fs::write(&file, reqs).map_err(PathIoError::at(&file))?;
        let mut install = self.uv_cmd(uv);
        install
            .arg("pip")
            .arg("install")
            .arg("--python")
            .arg(python)
            .arg("-r")
            .arg(&file);
        let left = deadline.saturating_duration_since(Instant::now());
        let out = run(install, left).await?;
        for line in out.lines().map(str::trim).filter(|l| {
            !l.is_empty() && !l.starts_with('+') && !l.starts_with('-') && !l.starts_with('~')
        }) {
            log(format!("uv: {line}"));
        }
        Ok(std::fs::write(env.join(READY), reqs).map_err(PathIoError::at(env))?)
    }

    /// Whether `--python` already has every requirement (uv's offline dry run changes nothing).
    async fn satisfied_by_base(&self, uv: &Path, reqs: &Path) -> bool {
        let mut cmd = self.uv_cmd(uv);
        cmd.arg("pip")
            .arg("install")
            .arg("--dry-run")
            .arg("--offline")
            .arg("--python")
            .arg(&self.base)
            .arg("-r")
            .arg(reqs);
        matches!(run(cmd, Duration::from_secs(60)).await, Ok(out) if out.contains("Would make no changes"))
    }

    async fn base_server_version(&self) -> Result<String, EnvError> {
        let mut cmd = tokio::process::Command::new(&self.base);
        cmd.arg("-c").arg(format!(
            "import importlib.metadata as m; print(m.version('{SERVER}'))"
        ));
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
            .await
            .map_err(|_| EnvError::VersionTimedOut)?
            .map_err(|source| SpawnError {
                program: self.base.clone(),
                source,
            })?;
        let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !out.status.success()
            || v.is_empty()
            || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
        {
            return Err(EnvError::NoServer(self.base.clone()));
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_index_requirements_are_installed() {
        for ok in [
            "tabulate==0.9.0",
            "six>=1 ; python_version > '3'",
            "--extra-index-url https://x/simple",
            "pkg @ https://x/p.whl",
            "pkg @ git+https://github.com/o/r.git@v1",
            "git+https://user@example.com/o/r.git",
            "six>=1 ; python_version > '3' and sys_platform != 'win32'",
        ] {
            assert!(check_requirement(ok).is_ok(), "{ok}");
        }
        for bad in [
            "-r /etc/passwd",
            "-e .",
            "./local",
            "/abs/pkg.whl",
            "pkg @ file:///tmp/p.whl",
            "~/x",
            "a\rb",
            "data/runtimes/0123456789abcdef/code/evilpkg",
            "x/../.amlite/runtimes/0123456789abcdef/code/evilpkg",
            "pkg @ ../local",
            "c:\\pkg",
            "pkg @ x/../y ; python_version > '3'",
        ] {
            assert!(check_requirement(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn uv_errors_are_one_line_from_error_on() {
        let text = "Using Python 3.11\n  × No solution\nerror: No solution found\n  cause: tabulate==0.0.1 does not exist\n";
        assert_eq!(
            uv_error(text),
            "error: No solution found cause: tabulate==0.0.1 does not exist"
        );
        assert_eq!(uv_error("just this\n"), "just this");
        assert_eq!(uv_error(""), "uv failed without a message");
    }
}

"""Issue 12: one environment per conda file. Deployments whose conda files ask for different pip
packages run side by side, each in the environment amlite builds (with uv, cached by content hash
under the data folder); a conda file that cannot be built leaves the deployment running in
`--python`, and getLogs says why. The packages are tiny pure-Python wheels from PyPI (tabulate),
and uv's download cache is the runtime venv's (tests/sdk/run.sh sets UV_CACHE_DIR).
"""
import json
import subprocess
from pathlib import Path

import pytest
from azure.ai.ml.entities import CodeConfiguration, Environment, ManagedOnlineDeployment, ManagedOnlineEndpoint, Model

from conftest import AmliteServer
from test_python_samples import ASSETS, IMAGE, interpreter, write

SCORE = '''
    import json, sys
    def init():
        pass
    def run(raw_data):
        try:
            import tabulate
            version = tabulate.__version__
        except ImportError:
            version = None
        return {"tabulate": version, "prefix": sys.prefix}
'''


def conda(tmp: Path, name: str, pip: list, conda_packages=("python=3.11", "pip")) -> str:
    lines = ["name: " + name, "channels:", "  - conda-forge", "dependencies:"]
    lines += [f"  - {p}" for p in conda_packages]
    lines += ["  - pip:"] + [f"      - {r}" for r in pip]
    path = tmp / f"{name}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = AmliteServer(tmp_path_factory.mktemp("amlite-envs"), ["--python", interpreter()]).start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def code(tmp_path_factory):
    folder = tmp_path_factory.mktemp("envs-code")
    write(folder, "score.py", SCORE)
    return folder


def create(ml, endpoint, name, code, conda_file):
    dep = ManagedOnlineDeployment(
        name=name,
        endpoint_name=endpoint,
        model=Model(path=str(ASSETS / "model")),
        code_configuration=CodeConfiguration(code=str(code), scoring_script="score.py"),
        environment=Environment(image=IMAGE, conda_file=conda_file),
        environment_variables={"AMLITE_RUNTIME": "python"},
        instance_type="Standard_DS3_v2",
        instance_count=1,
    )
    assert ml.online_deployments.begin_create_or_update(dep).result().provisioning_state == "Succeeded"


def ask(ml, endpoint, name, tmp_path):
    req = tmp_path / "req.json"
    req.write_text("{}")
    return json.loads(ml.online_endpoints.invoke(endpoint_name=endpoint, deployment_name=name, request_file=str(req)))


def logs(ml, endpoint, name):
    return ml.online_deployments.get_logs(name=name, endpoint_name=endpoint, lines=500)


def test_deployments_with_different_conda_files_run_side_by_side(server, code, tmp_path):
    ml = server.ml_client()
    ml.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="envs-ep", auth_mode="key")).result()
    # One names the inference server as Azure requires; the other relies on amlite adding it.
    old = conda(tmp_path, "old", ["azureml-inference-server-http", "tabulate==0.8.10"])
    new = conda(tmp_path, "new", ["tabulate==0.9.0"], ("python=3.11", "pip", "numpy=1.26"))
    create(ml, "envs-ep", "old", code, old)
    create(ml, "envs-ep", "new", code, new)
    got_old, got_new = ask(ml, "envs-ep", "old", tmp_path), ask(ml, "envs-ep", "new", tmp_path)
    assert got_old["tabulate"] == "0.8.10" and got_new["tabulate"] == "0.9.0", (got_old, got_new)
    envs = (server.data_dir / "envs").resolve()
    assert Path(got_old["prefix"]).parent == envs and Path(got_new["prefix"]).parent == envs
    assert got_old["prefix"] != got_new["prefix"]
    # The base interpreter lacks tabulate: neither saw the other's package through it.
    assert subprocess.run([interpreter(), "-c", "import tabulate"], capture_output=True, timeout=60).returncode != 0
    log_new = logs(ml, "envs-ep", "new")
    assert "built environment" in log_new and "azureml-inference-server-http==1.5.1" in log_new, log_new
    assert "conda packages are not installed" in log_new and "numpy=1.26" in log_new, log_new
    # The same conda file again: the environment is reused (cached by content hash).
    create(ml, "envs-ep", "again", code, old)
    assert ask(ml, "envs-ep", "again", tmp_path)["prefix"] == got_old["prefix"]
    assert "built before" in logs(ml, "envs-ep", "again")


def test_a_conda_file_that_cannot_be_built_runs_in_the_default_python(server, code, tmp_path):
    """A requirement that does not resolve (no such version on PyPI): the deployment still runs,
    in `--python`, and getLogs says why."""
    ml = server.ml_client()
    ml.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="envs-fallback", auth_mode="key")).result()
    create(ml, "envs-fallback", "blue", code, conda(tmp_path, "broken", ["tabulate==0.0.999"]))
    got = ask(ml, "envs-fallback", "blue", tmp_path)
    assert got["tabulate"] is None
    assert Path(got["prefix"]).resolve() == Path(interpreter()).parent.parent.resolve()
    text = logs(ml, "envs-fallback", "blue")
    assert "cannot build the environment from the conda file's pip dependencies" in text, text
    assert "tabulate==0.0.999" in text and f"running with --python {interpreter()}" in text, text


def test_a_conda_file_the_default_python_satisfies_builds_nothing(server, code, tmp_path):
    ml = server.ml_client()
    ml.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="envs-base", auth_mode="key")).result()
    create(ml, "envs-base", "blue", code, str(ASSETS / "env" / "conda.yaml"))
    got = ask(ml, "envs-base", "blue", tmp_path)
    assert Path(got["prefix"]).resolve() == Path(interpreter()).parent.parent.resolve()
    assert "already has the conda file's pip dependencies" in logs(ml, "envs-base", "blue")


def test_without_uv_the_deployment_runs_in_the_default_python(start_amlite, code, tmp_path):
    """No uv anywhere (an explicit --uv that does not exist): the log says how to get one."""
    s = start_amlite("--python", interpreter(), "--uv", str(tmp_path / "no-uv"))
    ml = s.ml_client()
    ml.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="envs-nouv", auth_mode="key")).result()
    create(ml, "envs-nouv", "blue", code, conda(tmp_path, "needs", ["tabulate==0.9.0"]))
    assert ask(ml, "envs-nouv", "blue", tmp_path)["tabulate"] is None
    text = logs(ml, "envs-nouv", "blue")
    assert "cannot build the environment" in text and "no-uv" in text, text


def test_offline_a_package_missing_from_uvs_cache_runs_in_the_default_python(start_amlite, code, tmp_path, monkeypatch):
    """Offline (UV_OFFLINE, as on a plane): a version uv never downloaded cannot be installed."""
    monkeypatch.setenv("UV_OFFLINE", "1")
    s = start_amlite("--python", interpreter())
    ml = s.ml_client()
    ml.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="envs-offline", auth_mode="key")).result()
    create(ml, "envs-offline", "blue", code, conda(tmp_path, "offline", ["tabulate==0.8.9"]))
    assert ask(ml, "envs-offline", "blue", tmp_path)["tabulate"] is None
    text = logs(ml, "envs-offline", "blue")
    assert "cannot build the environment" in text and "network was disabled" in text, text

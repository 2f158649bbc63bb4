"""SPEC 7: the `python` runtime runs the deployment's own score.py (init()/run()) in Azure's
inference server package, with AZUREML_MODEL_DIR pointing at the uploaded model folder, driven by
the unmodified azure-ai-ml SDK. A crash in init() ends provisioning Failed with ResourceNotReady.
"""
import json
import os
from pathlib import Path

import pytest
from azure.ai.ml.entities import CodeConfiguration, Environment, ManagedOnlineDeployment, ManagedOnlineEndpoint, Model
from azure.core.exceptions import HttpResponseError

ASSETS = Path(__file__).resolve().parent / "assets"
IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest"


def python_deployment(name, endpoint, code_dir, scoring_script="score.py"):
    return ManagedOnlineDeployment(
        name=name,
        endpoint_name=endpoint,
        model=Model(path=str(ASSETS / "model")),
        code_configuration=CodeConfiguration(code=str(code_dir), scoring_script=scoring_script),
        environment=Environment(image=IMAGE, conda_file=str(ASSETS / "env" / "conda.yaml")),
        environment_variables={"AMLITE_RUNTIME": "python"},
        instance_type="Standard_DS3_v2",
        instance_count=1,
    )


@pytest.fixture(scope="module")
def python_server(start_amlite_module):
    interpreter = os.environ.get("AMLITE_TEST_PYTHON")
    assert interpreter, "tests/sdk/run.sh exports AMLITE_TEST_PYTHON (the runtime venv)"
    return start_amlite_module("--python", interpreter)


@pytest.fixture(scope="module")
def start_amlite_module(tmp_path_factory):
    from conftest import AmliteServer

    started = []

    def start(*args):
        server = AmliteServer(tmp_path_factory.mktemp("amlite-python"), list(args))
        started.append(server)
        return server.start()

    yield start
    for s in started:
        s.stop()


def test_python_runtime_runs_the_users_score_py(python_server):
    ml = python_server.ml_client()
    ml.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="py-ep", auth_mode="key")).result()
    dep = ml.online_deployments.begin_create_or_update(python_deployment("blue", "py-ep", ASSETS / "code")).result()
    assert dep.provisioning_state == "Succeeded"
    ep = ml.online_endpoints.get("py-ep")
    ep.traffic = {"blue": 100}
    ml.online_endpoints.begin_create_or_update(ep).result()
    out = json.loads(ml.online_endpoints.invoke(endpoint_name="py-ep", request_file=str(ASSETS / "request.json")))
    # score.py computes weights . row + bias with the uploaded model.json.
    model = json.loads((ASSETS / "model" / "model.json").read_text())
    rows = json.loads((ASSETS / "request.json").read_text())["data"]
    expected = [sum(w * x for w, x in zip(model["weights"], r)) + model["bias"] for r in rows]
    assert out == pytest.approx(expected)
    logs = ml.online_deployments.get_logs(name="blue", endpoint_name="py-ep", lines=200)
    assert "Azure ML Inferencing HTTP server" in logs


def test_python_runtime_runs_a_scoring_script_in_a_subfolder_of_the_code(python_server):
    """Issue 9: scoringScript is a path relative to the code; a subfolder stays accepted and runs."""
    ml = python_server.ml_client()
    ml.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="py-sub", auth_mode="key")).result()
    dep = python_deployment("sub", "py-sub", ASSETS, scoring_script="code/score.py")
    assert ml.online_deployments.begin_create_or_update(dep).result().provisioning_state == "Succeeded"
    out = json.loads(
        ml.online_endpoints.invoke(endpoint_name="py-sub", deployment_name="sub", request_file=str(ASSETS / "request.json"))
    )
    assert isinstance(out, list) and len(out) == len(json.loads((ASSETS / "request.json").read_text())["data"])
    ml.online_deployments.begin_delete(name="sub", endpoint_name="py-sub").result()


def test_python_runtime_init_crash_fails_provisioning(python_server):
    ml = python_server.ml_client()
    ml.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="py-broken", auth_mode="key")).result()
    with pytest.raises(HttpResponseError) as err:
        ml.online_deployments.begin_create_or_update(python_deployment("bad", "py-broken", ASSETS / "broken_code")).result()
    assert "ResourceNotReady" in str(err.value)
    assert ml.online_deployments.get(name="bad", endpoint_name="py-broken").provisioning_state == "Failed"
    logs = ml.online_deployments.get_logs(name="bad", endpoint_name="py-broken", lines=500)
    assert "init failed on purpose" in logs
    ml.online_deployments.begin_delete(name="bad", endpoint_name="py-broken").result()

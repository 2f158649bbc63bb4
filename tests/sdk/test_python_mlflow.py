"""Issue 12: no-code MLflow deployments (a model of type mlflow_model without a code
configuration), as Microsoft's MLflow samples deploy them: amlite serves them with a generated
scoring script when the runtime has mlflow (tests/sdk/runtime-requirements.txt installs
mlflow-skinny and scikit-learn), and fails provisioning clearly when it has not. The model is a
small sklearn regression saved in the test by the runtime's own mlflow.
"""
import pickle
import subprocess
import sys

import pytest
import requests
from azure.ai.ml.entities import ManagedOnlineDeployment, ManagedOnlineEndpoint, Model
from azure.core.exceptions import HttpResponseError

from test_python_samples import interpreter, key_of, server, write  # noqa: F401 (server: fixture)

MAKE_MLFLOW_MODEL = """
import sys
import numpy as np
import mlflow.sklearn
from sklearn.linear_model import LinearRegression
# y = 1 + 2a + 3b; the pickle format, since mlflow's default (skops) is not installed.
m = LinearRegression().fit(np.array([[0, 0], [1, 0], [0, 1], [1, 1]]), np.array([1, 3, 4, 6]))
mlflow.sklearn.save_model(m, sys.argv[1], serialization_format="pickle")
"""


def mlflow_deployment(endpoint, model):
    return ManagedOnlineDeployment(
        name="blue",
        endpoint_name=endpoint,
        model=Model(path=str(model), type="mlflow_model"),
        environment_variables={"AMLITE_RUNTIME": "python"},
        instance_type="Standard_DS3_v2",
        instance_count=1,
    )


def test_no_code_mlflow_deployment_scores_azures_input_formats(server, tmp_path):
    """A no-code MLflow deployment (model type mlflow_model, no code configuration, no
    environment): served with a generated scoring script that loads the model with
    mlflow.pyfunc and reads the request formats Azure documents for MLflow models."""
    model = tmp_path / "sklearn-model"
    subprocess.run([interpreter(), "-c", MAKE_MLFLOW_MODEL, str(model)], check=True, timeout=300)
    assert (model / "MLmodel").is_file()
    ml = server.ml_client()
    ml.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="mlflow-ok", auth_mode="key")).result()
    assert ml.online_deployments.begin_create_or_update(mlflow_deployment("mlflow-ok", model)).result().provisioning_state == "Succeeded"
    ep = ml.online_endpoints.get("mlflow-ok")
    auth = {"Authorization": f"Bearer {key_of(ml, 'mlflow-ok')}", "azureml-model-deployment": "blue"}
    bodies = [
        {"input_data": {"columns": ["a", "b"], "index": [0, 1], "data": [[2, 2], [0, 0]]}},  # pandas split
        {"input_data": [[2, 2], [0, 0]]},  # a list
        {"dataframe_split": {"columns": ["a", "b"], "data": [[2, 2], [0, 0]]}},  # MLflow's own
        {"inputs": [[2, 2], [0, 0]]},
    ]
    for body in bodies:
        r = requests.post(ep.scoring_uri, headers=auth, json=body, verify=server.ca_bundle, timeout=60)
        assert r.status_code == 200, (body, r.text)
        assert [round(x, 6) for x in r.json()] == [11.0, 1.0], (body, r.text)
    bad = requests.post(ep.scoring_uri, headers=auth, json={"rows": []}, verify=server.ca_bundle, timeout=60)
    assert bad.status_code == 424, bad.text


def test_no_code_mlflow_deployment_needs_mlflow_in_the_runtime(start_amlite, tmp_path):
    """The same deployment in a runtime without `mlflow` (here the SDK's own interpreter): provisioning
    fails saying exactly that (not "no scoringScript")."""
    model = tmp_path / "sklearn-model"
    write(model, "MLmodel", """
        artifact_path: model
        flavors:
          python_function:
            loader_module: mlflow.sklearn
            model_path: model.pkl
            python_version: 3.11.0
    """)
    (model / "model.pkl").write_bytes(pickle.dumps({"not": "a real model"}))
    s = start_amlite("--python", sys.executable)
    ml = s.ml_client()
    ml.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="mlflow-ep", auth_mode="key")).result()
    with pytest.raises(HttpResponseError) as err:
        ml.online_deployments.begin_create_or_update(mlflow_deployment("mlflow-ep", model)).result()
    text = str(err.value)
    assert "ResourceNotReady" in text
    assert "mlflow" in text and "pip install mlflow" in text and "scoringScript" not in text, text

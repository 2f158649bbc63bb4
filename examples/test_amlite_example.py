"""Example: testing Azure ML online-endpoint code against amlite with its pytest plugin.

Run it with nothing but the package installed (`pip install amlite azure-ai-ml pytest`, or the
wheel from `make wheel`):

    pytest examples/test_amlite_example.py

The plugin (entry point `pytest11`) starts one `amlite serve --port 0` for the session on a
temporary data folder (or reuses $AMLITE_URL), and `ml_client` resets it to its fixture state
before each test, so tests never see each other's endpoints. `make test` runs this file from a
fresh virtual environment (tests/wheel/run.sh).
"""

from pathlib import Path

import pytest
from azure.ai.ml.entities import (
    CodeConfiguration,
    Environment,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    Model,
)
from azure.core.exceptions import HttpResponseError


def deploy(ml_client, tmp_path: Path, name: str, public: bool = True) -> None:
    """An endpoint `name` with one deployment `blue` (amlite's mock runtime) taking all traffic."""
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.txt").write_text("0.5")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "score.py").write_text("def init():\n    pass\n\ndef run(raw):\n    return raw\n")
    (tmp_path / "conda.yml").write_text("name: env\n")
    endpoint = ManagedOnlineEndpoint(
        name=name, auth_mode="key", public_network_access="enabled" if public else "disabled"
    )
    endpoint = ml_client.online_endpoints.begin_create_or_update(endpoint).result()
    ml_client.online_deployments.begin_create_or_update(
        ManagedOnlineDeployment(
            name="blue",
            endpoint_name=name,
            model=Model(path=str(tmp_path / "model")),
            code_configuration=CodeConfiguration(code=str(tmp_path / "src"), scoring_script="score.py"),
            environment=Environment(
                image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04", conda_file=str(tmp_path / "conda.yml")
            ),
            instance_type="Standard_DS3_v2",
            instance_count=1,
        )
    ).result()
    endpoint.traffic = {"blue": 100}
    ml_client.online_endpoints.begin_create_or_update(endpoint).result()


def test_deploy_and_score(ml_client, tmp_path):
    deploy(ml_client, tmp_path, "example-ep")
    request = tmp_path / "request.json"
    request.write_text('{"data": [[1, 2, 3]]}')
    answer = ml_client.online_endpoints.invoke(endpoint_name="example-ep", request_file=str(request))
    assert '"deployment": "blue"' in answer or '"deployment":"blue"' in answer


def test_each_test_starts_from_the_fixture(ml_client):
    # The endpoint the previous test created is gone: `ml_client` reset amlite first.
    assert [e.name for e in ml_client.online_endpoints.list()] == []


def test_private_endpoint_is_scored_only_from_inside_its_vnet(ml_client, vnet_client, tmp_path):
    deploy(ml_client, tmp_path, "private-ep", public=False)
    request = tmp_path / "request.json"
    request.write_text('{"data": [[1]]}')
    # From the internet: refused by the inbound rule (ISO-5), as Azure refuses it.
    with pytest.raises(HttpResponseError) as refused:
        ml_client.online_endpoints.invoke(endpoint_name="private-ep", request_file=str(request))
    assert refused.value.status_code == 403
    # From a client VNet with an approved private endpoint to the workspace: allowed.
    inside = vnet_client("corp-vnet")
    assert "blue" in inside.online_endpoints.invoke(endpoint_name="private-ep", request_file=str(request))


def test_retry_logic_meets_an_injected_throttle(ml_client, amlite_server):
    # The next GET of an online endpoint answers 429 TooManyRequests once; azure-core retries.
    amlite_server.admin("POST", "faults", {"method": "GET", "path": "/onlineEndpoints", "count": 1,
                                            "code": "TooManyRequests", "retryAfter": 0})
    assert list(ml_client.online_endpoints.list()) == []
    assert amlite_server.admin("GET", "faults")["value"] == []

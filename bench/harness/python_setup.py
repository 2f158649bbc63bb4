"""Creates the python-runtime deployment the benchmark scores through (issue 6 item 4): with the
unmodified azure-ai-ml, a key-auth endpoint `py-ep` and a deployment `blue` whose environment
variable `AMLITE_RUNTIME=python` makes amlite run its score.py (a JSON echo) in Azure's inference
server (SPEC 7), then all traffic to `blue`. Run as its own process (the SDK mutates os.environ)
with amlite's env.sh exports in the environment; prints `PYSETUP {...}` with seconds per step.

`maxConcurrentRequestsPerInstance` is set to CONCURRENCY (Azure's default, 1, would answer 429 to
a loaded run, in amlite as in Azure).

Usage: python python_setup.py ASSETS_DIR CODE_DIR CONCURRENCY
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from sdk_flow import FakeCredential

ENDPOINT, DEPLOYMENT = "py-ep", "blue"


def main() -> int:
    assets, code, concurrency = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    from azure.ai.ml import MLClient
    from azure.ai.ml.entities import (CodeConfiguration, Environment, ManagedOnlineDeployment,
                                      ManagedOnlineEndpoint, Model, OnlineRequestSettings)

    steps = {}
    ml = MLClient(FakeCredential(), os.environ["AZURE_SUBSCRIPTION_ID"], os.environ["AZURE_RESOURCE_GROUP"],
                  os.environ["AZUREML_WORKSPACE_NAME"])
    t = time.perf_counter()
    ml.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name=ENDPOINT, auth_mode="key")).result()
    steps["create endpoint"] = time.perf_counter() - t
    t = time.perf_counter()
    dep = ml.online_deployments.begin_create_or_update(ManagedOnlineDeployment(
        name=DEPLOYMENT, endpoint_name=ENDPOINT, model=Model(path=str(assets / "model")),
        code_configuration=CodeConfiguration(code=str(code), scoring_script="score.py"),
        environment=Environment(image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest",
                                conda_file=str(assets / "env" / "conda.yaml")),
        environment_variables={"AMLITE_RUNTIME": "python"},
        request_settings=OnlineRequestSettings(max_concurrent_requests_per_instance=concurrency),
        instance_type="Standard_DS3_v2", instance_count=1)).result()
    steps["create python deployment (uploads, server start)"] = time.perf_counter() - t
    ep = ml.online_endpoints.get(ENDPOINT)
    ep.traffic = {DEPLOYMENT: 100}
    ml.online_endpoints.begin_create_or_update(ep).result()
    print("\nPYSETUP " + json.dumps({"steps": steps, "state": dep.provisioning_state}), flush=True)
    return 0 if dep.provisioning_state == "Succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())

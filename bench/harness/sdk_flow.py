"""The azure-ai-ml flow a user runs, timed step by step (issue 6 item 5). Run as its own process
(the SDK mutates os.environ) with amlite's env.sh exports in the environment; prints one JSON line
`SDKFLOW {...}` with seconds per step and the wall-clock window (time.time) of the flow.

Usage: python sdk_flow.py ASSETS_DIR
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from pathlib import Path

T_PROCESS = time.perf_counter()


class FakeCredential:
    """The smallest TokenCredential; amlite does not check tokens by default."""

    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken

        return AccessToken("bench", int(time.time()) + 3600)


def main() -> int:
    assets = Path(sys.argv[1])
    import os

    steps = {}
    t = time.perf_counter()
    from azure.ai.ml import MLClient
    from azure.ai.ml.entities import (CodeConfiguration, Environment, ManagedOnlineDeployment,
                                      ManagedOnlineEndpoint, Model)
    steps["import azure.ai.ml"] = time.perf_counter() - t

    wall_start = time.time()
    flow_start = time.perf_counter()

    def step(name, fn):
        s = time.perf_counter()
        result = fn()
        steps[name] = time.perf_counter() - s
        return result

    client = step("MLClient()", lambda: MLClient(FakeCredential(), os.environ["AZURE_SUBSCRIPTION_ID"],
                                                 os.environ["AZURE_RESOURCE_GROUP"],
                                                 os.environ["AZUREML_WORKSPACE_NAME"]))
    name = f"sdk-{uuid.uuid4().hex[:8]}"
    step("create endpoint", lambda: client.online_endpoints.begin_create_or_update(
        ManagedOnlineEndpoint(name=name, auth_mode="key")).result())
    deployment = ManagedOnlineDeployment(
        name="blue", endpoint_name=name, model=Model(path=str(assets / "model")),
        code_configuration=CodeConfiguration(code=str(assets / "code"), scoring_script="score.py"),
        environment=Environment(image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest",
                                conda_file=str(assets / "env" / "conda.yaml")),
        instance_type="Standard_DS3_v2", instance_count=1)
    step("create deployment (uploads)", lambda: client.online_deployments.begin_create_or_update(deployment).result())
    answer = step("invoke", lambda: client.online_endpoints.invoke(
        endpoint_name=name, deployment_name="blue", request_file=str(assets / "request.json")))
    step("delete endpoint", lambda: client.online_endpoints.begin_delete(name=name).result())
    flow = time.perf_counter() - flow_start
    ok = isinstance(answer, str) and '"deployment": "blue"' in answer.replace('":"', '": "')
    print("\nSDKFLOW " + json.dumps({"steps": steps, "flow_seconds": flow, "wall_start": wall_start,
                                   "wall_end": time.time(), "answer_ok": ok, "answer": str(answer)[:200],
                                   "process_seconds": time.perf_counter() - T_PROCESS}), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

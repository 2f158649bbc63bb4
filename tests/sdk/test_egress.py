"""SPEC 6.4: a python-runtime deployment's own score.py reaches the network only through its
egress proxy. External services (SPEC 6.1) declared in the fixture are served by a local HTTP
server started here; score.py calls them with `requests` and returns what it got.

- ISO-9: in an `AllowInternetOutbound` workspace a public service is reached for real.
- ISO-8: a private-only service without a PrivateEndpoint outbound rule is refused with 403 and
  `x-amlite-egress-rule: ISO-8`, which score.py sees.
"""
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from azure.ai.ml.entities import CodeConfiguration, Environment, ManagedOnlineDeployment, ManagedOnlineEndpoint, Model

ASSETS = Path(__file__).resolve().parent / "assets"
IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest"

SCORE_PY = '''
import json
import requests


def init():
    pass


def run(raw_data):
    url = json.loads(raw_data)["url"]
    r = requests.get(url, timeout=20)
    return {"status": r.status_code, "rule": r.headers.get("x-amlite-egress-rule"), "body": r.text}
'''


class _Service(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server API)
        body = json.dumps({"service": "contoso", "path": self.path, "host": self.headers.get("Host")}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def local_service():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Service)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def write_fixture(path: Path, port: int) -> Path:
    url = f"http://127.0.0.1:{port}"
    fixture = {
        "subscriptions": [{
            "subscriptionId": "6a6d6c69-7465-4000-8000-0000000000e6",
            "resourceGroups": [{
                "name": "egress-rg",
                "location": "eastus",
                "workspaces": [{
                    "name": "egress-ws",
                    "properties": {"managedNetwork": {"isolationMode": "AllowInternetOutbound"}},
                }],
                "externalServices": [
                    {"host": "api.contoso.com", "publicNetworkAccess": "Enabled", "url": url},
                    {"host": "private.contoso.com", "publicNetworkAccess": "Disabled", "url": url},
                ],
            }],
        }],
    }
    path.write_text(json.dumps(fixture))
    return path


def invoke(ml, endpoint, tmp_path, url):
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"url": url}))
    return json.loads(ml.online_endpoints.invoke(endpoint_name=endpoint, request_file=str(request)))


def test_iso_9_iso_8_score_py_egress_goes_through_the_proxy(start_amlite, local_service, tmp_path):
    interpreter = os.environ.get("AMLITE_TEST_PYTHON")
    assert interpreter, "tests/sdk/run.sh exports AMLITE_TEST_PYTHON (the runtime venv)"
    fixture = write_fixture(tmp_path / "fixture.json", local_service)
    server = start_amlite("--fixtures", str(fixture), "--python", interpreter, "--auto-provision-network")
    ml = server.ml_client()
    code = tmp_path / "code"
    code.mkdir()
    (code / "score.py").write_text(SCORE_PY)
    ml.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="egress-ep", auth_mode="key")).result()
    dep = ml.online_deployments.begin_create_or_update(ManagedOnlineDeployment(
        name="blue",
        endpoint_name="egress-ep",
        model=Model(path=str(ASSETS / "model")),
        code_configuration=CodeConfiguration(code=str(code), scoring_script="score.py"),
        environment=Environment(image=IMAGE, conda_file=str(ASSETS / "env" / "conda.yaml")),
        environment_variables={"AMLITE_RUNTIME": "python"},
        instance_type="Standard_DS3_v2",
        instance_count=1,
    )).result()
    assert dep.provisioning_state == "Succeeded"
    ep = ml.online_endpoints.get("egress-ep")
    ep.traffic = {"blue": 100}
    ml.online_endpoints.begin_create_or_update(ep).result()

    # ISO-9: AllowInternetOutbound, public service: reached for real through the proxy.
    out = invoke(ml, "egress-ep", tmp_path, "http://api.contoso.com/v1/answer")
    assert out["status"] == 200, out
    assert json.loads(out["body"]) == {"service": "contoso", "path": "/v1/answer", "host": "api.contoso.com"}

    # ISO-8: a private-only service needs a PrivateEndpoint outbound rule; score.py sees 403.
    out = invoke(ml, "egress-ep", tmp_path, "http://private.contoso.com/v1/answer")
    assert out["status"] == 403, out
    assert out["rule"] == "ISO-8"
    assert "PrivateEndpoint outbound rule" in out["body"]

"""Issue 12: scenarios that mirror Microsoft's managed online endpoint samples (azureml-examples,
`sdk/python/endpoints/online/managed/`), run in the python runtime with small local models
written by the tests (no downloads), each asserting what Azure answers.
"""
import json
import os
import pickle
import textwrap
import time
from pathlib import Path

import pytest
import requests
from azure.ai.ml.entities import CodeConfiguration, Environment, ManagedOnlineDeployment, ManagedOnlineEndpoint, Model

from conftest import AmliteServer

ASSETS = Path(__file__).resolve().parent / "assets"
IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest"
CONDA = str(ASSETS / "env" / "conda.yaml")


def interpreter():
    python = os.environ.get("AMLITE_TEST_PYTHON")
    assert python, "tests/sdk/run.sh exports AMLITE_TEST_PYTHON (the runtime venv)"
    return python


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def deployment(name, endpoint, code_dir, model_path, scoring_script="score.py", env=None):
    variables = {"AMLITE_RUNTIME": "python"}
    variables.update(env or {})
    return ManagedOnlineDeployment(
        name=name,
        endpoint_name=endpoint,
        model=Model(path=str(model_path)),
        code_configuration=CodeConfiguration(code=str(code_dir), scoring_script=scoring_script),
        environment=Environment(image=IMAGE, conda_file=CONDA),
        environment_variables=variables,
        instance_type="Standard_DS3_v2",
        instance_count=1,
    )


def deploy(ml, dep):
    ml.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name=dep.endpoint_name, auth_mode="key")).result()
    got = ml.online_deployments.begin_create_or_update(dep).result()
    assert got.provisioning_state == "Succeeded"
    ep = ml.online_endpoints.get(dep.endpoint_name)
    ep.traffic = {dep.name: 100}
    ml.online_endpoints.begin_create_or_update(ep).result()
    return ml.online_endpoints.get(dep.endpoint_name)


def key_of(ml, endpoint):
    return ml.online_endpoints.get_keys(endpoint).primary_key


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    saved = dict(os.environ)
    # Issue 12: a HOME of our own shows whether the inference servers still share
    # $HOME/.gunicorn/gunicorn.ctl. XDG_RUNTIME_DIR would beat HOME in gunicorn's default.
    os.environ["HOME"] = str(home)
    os.environ.pop("XDG_RUNTIME_DIR", None)
    s = AmliteServer(tmp_path_factory.mktemp("amlite-samples"), ["--python", interpreter()]).start()
    s.home = home
    try:
        yield s
    finally:
        s.stop()
        os.environ.clear()
        os.environ.update(saved)


ECHO_SCORE = '''
    import json, os
    from azureml_inference_server_http.api.aml_request import AMLRequest, rawhttp
    from azureml_inference_server_http.api.aml_response import AMLResponse

    def init():
        pass

    @rawhttp
    def run(request: AMLRequest):
        files = {name: f.read().decode() for name, f in request.files.items()}
        out = {
            "method": request.method,
            "path": request.path,
            "query": request.query_string.decode(),
            "content_type": request.headers.get("Content-Type", ""),
            "headers": {k.lower(): v for k, v in request.headers.items()},
            "form": dict(request.form),
            "files": files,
            "body_len": len(request.get_data()) if not files else -1,
            "model_dir": os.environ["AZUREML_MODEL_DIR"],
            "model_file": os.path.isfile(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model", "model.json")),
        }
        return AMLResponse(json.dumps(out), 201, {"Content-Type": "application/json", "X-From-Score": "yes"})
'''


def test_relative_data_dir_runs_a_python_deployment(tmp_path_factory):
    """`make run`'s default `--data-dir ./.amlite`: the inference server runs in another working
    folder, so every path amlite hands it must be absolute."""
    parent = tmp_path_factory.mktemp("relative")
    s = AmliteServer(parent / ".amlite", ["--python", interpreter()])
    s.data_arg, s.cwd = ".amlite", parent
    s.start()
    try:
        ml = s.ml_client()
        deploy(ml, deployment("blue", "rel-ep", ASSETS / "code", ASSETS / "model"))
        out = json.loads(ml.online_endpoints.invoke(endpoint_name="rel-ep", request_file=str(ASSETS / "request.json")))
        assert isinstance(out, list) and len(out) == 2
    finally:
        s.stop()


def test_single_file_model_is_in_azureml_model_dir(server, tmp_path):
    """The simple-deployment sample: `Model(path="model/sklearn_regression_model.pkl")`; Azure puts the
    file directly in AZUREML_MODEL_DIR."""
    model = tmp_path / "model" / "sklearn_regression_model.pkl"
    model.parent.mkdir()
    model.write_bytes(pickle.dumps({"coef": [2.0, 3.0], "intercept": 1.0}))
    code = tmp_path / "onlinescoring"
    write(code, "score.py", '''
        import json, os, pickle
        model = None
        def init():
            global model
            with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "sklearn_regression_model.pkl"), "rb") as f:
                model = pickle.load(f)
        def run(raw_data):
            rows = json.loads(raw_data)["data"]
            return [sum(c * x for c, x in zip(model["coef"], r)) + model["intercept"] for r in rows]
    ''')
    ml = server.ml_client()
    deploy(ml, deployment("blue", "single-file", code, model))
    req = tmp_path / "req.json"
    req.write_text(json.dumps({"data": [[1, 1], [2, 0]]}))
    assert json.loads(ml.online_endpoints.invoke(endpoint_name="single-file", request_file=str(req))) == [6.0, 5.0]


@pytest.fixture(scope="module")
def echo_endpoint(server, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("echo")
    code = tmp / "code"
    write(code, "score.py", ECHO_SCORE)
    swagger2 = {"swagger": "2.0", "info": {"title": "echo", "version": "1.0"}, "paths": {}}
    swagger3 = {"openapi": "3.0.1", "info": {"title": "echo", "version": "1.0"}, "paths": {}}
    (code / "swagger2.json").write_text(json.dumps(swagger2))
    (code / "swagger3.json").write_text(json.dumps(swagger3))
    ml = server.ml_client()
    ep = deploy(ml, deployment("blue", "echo-ep", code, ASSETS / "model"))
    return ep, key_of(ml, "echo-ep"), swagger2, swagger3


def test_scoring_passes_multipart_headers_query_and_method_through(server, echo_endpoint):
    """The binary-payloads sample: a multipart/form-data body reaches score.py intact, with the
    caller's headers, query and method; the answer is the server's status, headers and body."""
    ep, key, _, _ = echo_endpoint
    r = requests.post(
        ep.scoring_uri + ("&" if "?" in ep.scoring_uri else "?") + "top=3",
        headers={"Authorization": f"Bearer {key}", "X-Custom": "kept", "x-ms-client-request-id": "client-1"},
        files={"file": ("image.txt", b"binary-ish payload")},
        data={"field": "value"},
        verify=server.ca_bundle,
        timeout=30,
    )
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["method"] == "POST"
    assert out["path"] == "/score"
    assert "top=3" in out["query"] and "region" not in out["query"]
    assert out["content_type"].startswith("multipart/form-data; boundary=")
    assert out["files"] == {"file": "binary-ish payload"}
    assert out["form"] == {"field": "value"}
    assert out["headers"]["x-custom"] == "kept"
    assert out["headers"]["x-ms-client-request-id"] == "client-1"
    # Azure's front end adds its own request id, the same one it answers with.
    assert out["headers"]["x-request-id"] == r.headers["x-request-id"]
    assert out["headers"]["x-ms-request-id"] == r.headers["x-request-id"]
    assert "authorization" not in out["headers"]
    assert r.headers["x-from-score"] == "yes"
    assert r.headers["azureml-model-deployment"] == "blue"
    assert r.headers["x-ms-client-request-id"] == "client-1"
    # GET reaches the server too (its /score accepts GET, OPTIONS and POST).
    g = requests.get(ep.scoring_uri, headers={"Authorization": f"Bearer {key}"}, verify=server.ca_bundle, timeout=30)
    assert g.status_code == 201, g.text
    assert g.json()["method"] == "GET"


def test_model_dir_has_azures_layout(server, echo_endpoint):
    """AZUREML_MODEL_DIR is `azureml-models/<name>/<version>` (the model folder inside it), so the
    inference server finds the model's id instead of logging "Error while fetching model IDs"."""
    ep, key, _, _ = echo_endpoint
    r = requests.post(ep.scoring_uri, headers={"Authorization": f"Bearer {key}"}, json={}, verify=server.ca_bundle, timeout=30)
    out = r.json()
    parts = Path(out["model_dir"]).parts
    assert parts[-3] == "azureml-models" and parts[-1].isdigit(), out["model_dir"]
    assert out["model_file"], "a model folder keeps its name under AZUREML_MODEL_DIR"
    logs = server.ml_client().online_deployments.get_logs(name="blue", endpoint_name="echo-ep", lines=500)
    assert "Error while fetching model IDs" not in logs


def test_swagger_uri_serves_the_inference_servers_swagger(server, echo_endpoint):
    ep, key, swagger2, swagger3 = echo_endpoint
    auth = {"Authorization": f"Bearer {key}"}
    assert ep.openapi_uri, "the endpoint reports its swagger URI"
    v2 = requests.get(ep.openapi_uri, headers=auth, verify=server.ca_bundle, timeout=30)
    assert v2.status_code == 200, v2.text
    assert v2.json() == swagger2
    sep = "&" if "?" in ep.openapi_uri else "?"
    v3 = requests.get(ep.openapi_uri + sep + "version=3", headers=auth, verify=server.ca_bundle, timeout=30)
    assert v3.status_code == 200, v3.text
    assert v3.json() == swagger3


def test_each_inference_server_has_its_own_control_socket(server, echo_endpoint):
    """gunicorn (25.1+) opens a control socket; by default every server would share
    $HOME/.gunicorn/gunicorn.ctl, and each start would take it from the one before."""
    assert not (server.home / ".gunicorn").exists()
    sockets = list((server.data_dir / "runtimes").glob("*/run/*.ctl"))
    assert sockets, "each inference server's control socket lives in its deployment's runtime folder"


def test_one_log_line_per_scoring_request(server, echo_endpoint):
    """SPEC 2: one line per request (method, path, status, latency, request id) at the default level."""
    ep, key, _, _ = echo_endpoint
    r = requests.post(ep.scoring_uri, headers={"Authorization": f"Bearer {key}"}, json={"x": 1}, verify=server.ca_bundle, timeout=30)
    rid = r.headers["x-request-id"]
    deadline = time.monotonic() + 10
    lines = []
    while time.monotonic() < deadline:
        lines = [line for line in server.stderr().splitlines() if rid in line]
        if lines:
            break
        time.sleep(0.05)
    assert len(lines) == 1, lines
    line = lines[0]
    assert "POST" in line and "/endpoints/echo-ep/score" in line and "status=201" in line and "latency_ms=" in line


MSI_SCORE = '''
    import json, os, socket
    import requests

    def init():
        pass

    def token(query, secret=None, header="secret"):
        # As the managed-identity sample does: MSI_ENDPOINT + MSI_SECRET, through HTTP_PROXY.
        url = os.environ["MSI_ENDPOINT"] + "?" + query
        r = requests.get(url, headers={header: secret or os.environ["MSI_SECRET"], "Metadata": "true"}, timeout=10)
        return {"status": r.status_code, "body": r.json()}

    def run(raw_data):
        ask = json.loads(raw_data)
        out = {
            "env": {k: bool(os.environ.get(k)) for k in ("MSI_ENDPOINT", "MSI_SECRET", "IDENTITY_ENDPOINT", "IDENTITY_HEADER")},
            "system": token("resource=https://storage.azure.com/&api-version=2017-09-01"),
            "user": token("resource=https://vault.azure.net&mi_res_id=" + ask["uai"]),
            "app_service": token("api-version=2019-08-01&resource=https://storage.azure.com/",
                                 os.environ["IDENTITY_HEADER"], "X-IDENTITY-HEADER"),
            "wrong_secret": token("resource=https://storage.azure.com/", "nope"),
            "unknown_client": token("resource=https://storage.azure.com/&clientid=00000000-0000-0000-0000-000000000000"),
        }
        # Past the proxy (a raw socket): only the proxy's port is open, and it serves the route.
        host, port = os.environ["MSI_ENDPOINT"].split("//")[1].split("/")[0].split(":")
        with socket.create_connection((host, int(port)), timeout=5) as s:
            s.sendall(("GET /msi/token?resource=https://storage.azure.com/ HTTP/1.1\\r\\nHost: x\\r\\nsecret: "
                       + os.environ["MSI_SECRET"] + "\\r\\n\\r\\n").encode())
            out["direct"] = s.recv(65536).split(b"\\r\\n")[0].decode()
        return out
'''


def test_managed_identity_tokens_inside_the_deployment(server, tmp_path):
    """The managed-identity sample: score.py asks MSI_ENDPOINT for tokens of the endpoint's system-
    and user-assigned identities; they are amlite-signed, name the identity, and the endpoint is
    reachable (inside the sandbox) whatever the egress rules."""
    import jwt
    from azure.ai.ml.entities import IdentityConfiguration, ManagedIdentityConfiguration

    uai = (f"/subscriptions/{server.subscription_id}/resourceGroups/{server.resource_group}"
           "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/my-uai")
    code = tmp_path / "code"
    write(code, "score.py", MSI_SCORE)
    ml = server.ml_client()
    ml.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(
        name="msi-ep", auth_mode="key",
        identity=IdentityConfiguration(type="system_assigned,user_assigned",
                                       user_assigned_identities=[ManagedIdentityConfiguration(resource_id=uai)]),
    )).result()
    dep = deployment("blue", "msi-ep", code, ASSETS / "model")
    assert ml.online_deployments.begin_create_or_update(dep).result().provisioning_state == "Succeeded"
    req = tmp_path / "req.json"
    req.write_text(json.dumps({"uai": uai}))
    out = json.loads(ml.online_endpoints.invoke(endpoint_name="msi-ep", deployment_name="blue", request_file=str(req)))
    assert out["env"] == {"MSI_ENDPOINT": True, "MSI_SECRET": True, "IDENTITY_ENDPOINT": True, "IDENTITY_HEADER": True}
    jwks = requests.get(f"{server.url}/{server.env['AZURE_TENANT_ID']}/discovery/v2.0/keys", verify=server.ca_bundle, timeout=10).json()
    key = jwt.PyJWK(jwks["keys"][0]).key

    def claims(answer, audience):
        assert answer["status"] == 200, answer
        body = answer["body"]
        assert body["token_type"] == "Bearer" and int(body["expires_on"]) > time.time()
        return jwt.decode(body["access_token"], key, algorithms=["RS256"], audience=audience)

    ep_id = ml.online_endpoints.get("msi-ep").id
    system = claims(out["system"], "https://storage.azure.com/")
    assert system["xms_mirid"].lower() == ep_id.lower()
    user = claims(out["user"], "https://vault.azure.net")
    assert user["xms_mirid"] == uai
    assert user["oid"] != system["oid"] and user["appid"] == out["user"]["body"]["client_id"]
    assert claims(out["app_service"], "https://storage.azure.com/")["oid"] == system["oid"]
    assert out["wrong_secret"]["status"] == 401
    assert out["unknown_client"]["status"] == 400
    assert out["direct"].startswith("HTTP/1.1 200"), out["direct"]

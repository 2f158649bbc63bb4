"""Security: deployment isolation is enforced on what score.py really does (issue 9, ISO-10).

- A score.py that opens a plain socket to another deployment's inference server (or to amlite's
  listeners) is refused by the kernel (Landlock: EACCES), while its own scoring works; with
  `--no-network-sandbox` the same socket connects (the hole the sandbox closes) and getLogs says
  isolation is not enforced.
- A score.py that CONNECTs through its egress proxy to a client VNet's listener (to score an
  endpoint whose public access is Disabled through that VNet's private endpoint) is refused with
  403 / ISO-10.
- After `kill -9` of amlite its inference servers die too (parent-death signal).

The deployments run the real azureml-inference-server-http from AMLITE_TEST_PYTHON.
"""
import json
import os
import signal
import time
from pathlib import Path

import pytest
import requests
from azure.ai.ml.entities import CodeConfiguration, Environment, ManagedOnlineDeployment, ManagedOnlineEndpoint, Model

ASSETS = Path(__file__).resolve().parent / "assets"
REPO = Path(__file__).resolve().parents[2]
IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest"
OWNER_ENV = "AMLITE_RUNTIME_OWNER"  # emulator/runtime/processes.rs

# Answers its own inference port, and on request tries a raw socket to a port and a CONNECT
# through its egress proxy (HTTPS_PROXY) to a target, reporting what happened.
PROBE_PY = r'''
import errno
import json
import os
import socket
import sys


def init():
    pass


def _own_port():
    for argv in (sys.argv, open("/proc/%d/cmdline" % os.getppid(), "rb").read().decode().split("\0")):
        if "--port" in argv:
            return int(argv[argv.index("--port") + 1])
    return None


def _raw(port):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError as e:
        return {"connected": False, "errno": errno.errorcode.get(e.errno, str(e.errno))}
    s.close()
    return {"connected": True}


def _connect(target):
    proxy = os.environ["HTTPS_PROXY"].rsplit(":", 1)
    s = socket.create_connection((proxy[0].split("//")[-1], int(proxy[1])), timeout=10)
    s.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, target)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            break
        head += chunk
    s.close()
    lines = head.decode(errors="replace").split("\r\n")
    headers = dict(l.split(": ", 1) for l in lines[1:] if ": " in l)
    return {"status": int(lines[0].split()[1]), "rule": headers.get("x-amlite-egress-rule")}


def run(raw_data):
    req = json.loads(raw_data)
    out = {"port": _own_port()}
    if "raw_port" in req:
        out["raw"] = _raw(req["raw_port"])
    if "connect" in req:
        out["connect"] = _connect(req["connect"])
    return out
'''


@pytest.fixture
def interpreter():
    value = os.environ.get("AMLITE_TEST_PYTHON")
    assert value, "tests/sdk/run.sh exports AMLITE_TEST_PYTHON (the runtime venv)"
    return value


def deploy_probe(ml, tmp_path, endpoint, public_access="enabled"):
    code = tmp_path / f"code-{endpoint}"
    code.mkdir()
    (code / "score.py").write_text(PROBE_PY)
    ml.online_endpoints.begin_create_or_update(
        ManagedOnlineEndpoint(name=endpoint, auth_mode="key", public_network_access=public_access)
    ).result()
    dep = ml.online_deployments.begin_create_or_update(ManagedOnlineDeployment(
        name="blue",
        endpoint_name=endpoint,
        model=Model(path=str(ASSETS / "model")),
        code_configuration=CodeConfiguration(code=str(code), scoring_script="score.py"),
        environment=Environment(image=IMAGE, conda_file=str(ASSETS / "env" / "conda.yaml")),
        environment_variables={"AMLITE_RUNTIME": "python"},
        instance_type="Standard_DS3_v2",
        instance_count=1,
    )).result()
    assert dep.provisioning_state == "Succeeded"
    ep = ml.online_endpoints.get(endpoint)
    ep.traffic = {"blue": 100}
    ml.online_endpoints.begin_create_or_update(ep).result()


def invoke(ml, tmp_path, endpoint, body):
    request = tmp_path / "request.json"
    request.write_text(json.dumps(body))
    return json.loads(ml.online_endpoints.invoke(endpoint_name=endpoint, request_file=str(request)))


def amlite_port(server):
    return int(server.url.rsplit(":", 1)[1])


def test_iso_10_raw_socket_to_another_deployment_is_refused_by_the_kernel(start_amlite, interpreter, tmp_path):
    server = start_amlite("--python", interpreter)
    ml = server.ml_client()
    deploy_probe(ml, tmp_path, "victim-ep")
    deploy_probe(ml, tmp_path, "attacker-ep")
    victim_port = invoke(ml, tmp_path, "victim-ep", {})["port"]
    assert isinstance(victim_port, int), victim_port
    out = invoke(ml, tmp_path, "attacker-ep", {"raw_port": victim_port})
    # Its own scoring works (this very answer), the raw socket does not.
    assert out["raw"] == {"connected": False, "errno": "EACCES"}, out
    # Nor a raw socket to amlite itself: everything goes through the egress proxy.
    out = invoke(ml, tmp_path, "attacker-ep", {"raw_port": amlite_port(server)})
    assert out["raw"] == {"connected": False, "errno": "EACCES"}, out
    # Through the proxy, the other deployment is refused by rule (ISO-10).
    out = invoke(ml, tmp_path, "attacker-ep", {"connect": f"127.0.0.1:{victim_port}"})
    assert out["connect"] == {"status": 403, "rule": "ISO-10"}, out
    logs = ml.online_deployments.get_logs(name="blue", endpoint_name="attacker-ep", lines=200)
    assert "not enforced" not in logs


def test_without_the_sandbox_a_raw_socket_reaches_another_deployment_and_logs_say_so(start_amlite, interpreter, tmp_path):
    """The hole the sandbox closes, and the documented warning where it is not enforced."""
    server = start_amlite("--python", interpreter, "--no-network-sandbox")
    ml = server.ml_client()
    deploy_probe(ml, tmp_path, "victim-ep")
    deploy_probe(ml, tmp_path, "attacker-ep")
    victim_port = invoke(ml, tmp_path, "victim-ep", {})["port"]
    out = invoke(ml, tmp_path, "attacker-ep", {"raw_port": victim_port})
    assert out["raw"] == {"connected": True}, out
    logs = ml.online_deployments.get_logs(name="blue", endpoint_name="attacker-ep", lines=200)
    assert "network isolation of python deployments is not enforced" in logs
    assert "--no-network-sandbox" in logs
    assert "network isolation of python deployments is not enforced" in server.stdout() + server.stderr()


def vnet_listener_port(server, vnet):
    path = (f"/subscriptions/{server.subscription_id}/resourceGroups/{server.resource_group}"
            f"/providers/Microsoft.Network/virtualNetworks/{vnet}?api-version=2023-09-01")
    r = requests.get(server.url + path, verify=server.ca_bundle, headers={"authorization": "Bearer x"}, timeout=10)
    assert r.status_code == 200, r.text
    return int(r.headers["x-amlite-listener"].rsplit(":", 1)[1])


def test_iso_10_connect_through_the_proxy_to_a_vnet_listener_is_refused(start_amlite, interpreter, tmp_path):
    server = start_amlite("--python", interpreter, "--fixtures", str(REPO / "fixtures" / "isolation.json"))
    ml = server.ml_client()
    deploy_probe(ml, tmp_path, "private-ep", public_access="disabled")
    deploy_probe(ml, tmp_path, "attacker-ep")
    vnet_port = vnet_listener_port(server, "vnet-approved")
    # vnet-approved has an approved private endpoint to the workspace: stepping into it would
    # score private-ep although its public access is Disabled (ISO-5).
    out = invoke(ml, tmp_path, "attacker-ep", {"connect": f"127.0.0.1:{vnet_port}", "raw_port": vnet_port})
    assert out["connect"] == {"status": 403, "rule": "ISO-10"}, out
    assert out["raw"] == {"connected": False, "errno": "EACCES"}, out
    # The public listener is the path its network gives it (legacy egress Enabled): allowed.
    out = invoke(ml, tmp_path, "attacker-ep", {"connect": f"127.0.0.1:{amlite_port(server)}"})
    assert out["connect"]["status"] == 200, out


def processes_of(data_dir):
    """Live (non-zombie) pids whose environment carries this data folder's owner marker."""
    marker = f"{OWNER_ENV}={Path(data_dir).resolve()}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes()
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and marker in environ.split(b"\0"):
            found.append(int(entry))
    return found


def test_inference_servers_die_with_amlite_after_kill_9(start_amlite, interpreter, tmp_path):
    server = start_amlite("--python", interpreter)
    ml = server.ml_client()
    deploy_probe(ml, tmp_path, "orphan-ep")
    before = processes_of(server.data_dir)
    assert before, "the inference server should run with the owner marker"
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(timeout=10)
    deadline = time.monotonic() + 20
    while processes_of(server.data_dir) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = processes_of(server.data_dir)
    for pid in left:  # do not leak them into the rest of the suite
        os.kill(pid, signal.SIGKILL)
    assert not left, f"inference servers outlived amlite: {left} (of {before})"

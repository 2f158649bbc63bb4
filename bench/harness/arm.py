"""ARM helpers for the benchmarks: create endpoints and deployments through the control plane and
wait for their operations (by polling `Azure-AsyncOperation`, bounded), read keys, set traffic."""

from __future__ import annotations

import time
from typing import Dict, Optional

from common import API, BenchError, Client

TERMINAL = ("Succeeded", "Failed", "Canceled")


def with_api(path: str) -> str:
    return path if "api-version=" in path else f"{path}{'&' if '?' in path else '?'}{API}"


def ep_path(ws: str, name: str) -> str:
    return f"{ws}/onlineEndpoints/{name}"


def endpoint_body(auth_mode: str = "Key", traffic: Optional[Dict[str, int]] = None) -> dict:
    props: dict = {"authMode": auth_mode}
    if traffic is not None:
        props["traffic"] = traffic
    return {"location": "eastus", "properties": props}


def deployment_body(ws: str) -> dict:
    return {
        "location": "eastus",
        "sku": {"name": "Default", "capacity": 1},
        "properties": {
            "endpointComputeType": "Managed",
            "instanceType": "Standard_DS3_v2",
            "model": f"{ws}/models/m/versions/1",
            "codeConfiguration": {"codeId": f"{ws}/codes/c/versions/1", "scoringScript": "score.py"},
            "environmentId": f"{ws}/environments/e/versions/1",
        },
    }


def wait_operation(c: Client, headers: Dict[str, str], limit_s: float = 30.0, pause_s: float = 0.002) -> str:
    """Polls the operation named by a PUT/DELETE answer until terminal; returns the status."""
    url = headers.get("azure-asyncoperation") or headers.get("location")
    if not url:
        return "Succeeded"  # answered synchronously
    path = url.split("://", 1)[-1]
    path = path[path.index("/"):]
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        status, body, _, _ = c.request("GET", path)
        state = body.get("status", "") if isinstance(body, dict) else ""
        if status == 200 and state in TERMINAL:
            return state
        if status >= 400:
            raise BenchError(f"operation poll {path} -> {status}: {str(body)[:300]}")
        time.sleep(pause_s)
    raise BenchError(f"operation {path} not finished after {limit_s}s")


def put_and_wait(c: Client, path: str, body: dict, pause_s: float = 0.002) -> float:
    """PUT then poll to a terminal state; returns seconds for both. Fails unless Succeeded."""
    return put_timed(c, path, body, pause_s)[1]


def put_timed(c: Client, path: str, body: dict, pause_s: float = 0.002) -> tuple:
    """(seconds of the PUT alone, seconds until the operation reported Succeeded)."""
    t = time.perf_counter()
    status, parsed, put_s, headers = c.request("PUT", with_api(path), body)
    if status not in (200, 201, 202):
        raise BenchError(f"PUT {path} -> {status}: {str(parsed)[:400]}")
    state = wait_operation(c, headers, pause_s=pause_s)
    if state != "Succeeded":
        raise BenchError(f"PUT {path} ended {state}")
    return put_s, time.perf_counter() - t


def create_endpoint(c: Client, ws: str, name: str, wait: bool = True) -> None:
    if wait:
        put_and_wait(c, ep_path(ws, name), endpoint_body())
    else:
        c.ok("PUT", with_api(ep_path(ws, name)), endpoint_body())


def create_deployment(c: Client, ws: str, ep: str, name: str) -> None:
    put_and_wait(c, f"{ep_path(ws, ep)}/deployments/{name}", deployment_body(ws))


def set_traffic(c: Client, ws: str, ep: str, traffic: Dict[str, int]) -> None:
    put_and_wait(c, ep_path(ws, ep), endpoint_body(traffic=traffic))


def primary_key(c: Client, ws: str, ep: str) -> str:
    body = c.ok("POST", with_api(f"{ep_path(ws, ep)}/listKeys"))
    if not isinstance(body, dict) or not body.get("primaryKey"):
        raise BenchError(f"listKeys gave no primaryKey: {body}")
    return str(body["primaryKey"])

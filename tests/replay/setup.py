"""State a cassette assumes already existed before its first request (issue 15: handled by set-up,
not by loosening the comparison). Requests made here are not counted as exchanges.

- A cassette that starts by listing endpoints or deployments (`test_online_endpoint_list`,
  `test_online_deployment_list`) recorded a workspace that already held them: they are created
  from the listed documents (and the assets a deployment names), and waited for.
- A model or code version PUT that Azure answered 200 with a `createdAt` before its
  `lastModifiedAt` updated a version an earlier run had created (the SDK uploads to a
  content-addressed name): the version is created first with the same request.
- A code version the cassette reads before any PUT of it (the SDK looks its content hash up)
  existed already: it is created from the recorded document.
"""

from __future__ import annotations

import re
import time
from typing import Any, Dict, List

import cassette as cas

WAIT_S = 20.0
ASSET_BODIES = {
    "models": {"properties": {"modelUri": "azureml://replay/model"}},
    "codes": {"properties": {"codeUri": "https://replay/code"}},
    "environments": {"properties": {"image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04"}},
}


def _put_and_wait(server, url: str, body: Dict[str, Any]) -> None:
    r = server.session.put(url, json=body, timeout=30)
    if r.status_code >= 300:
        raise RuntimeError(f"set-up PUT {url} answered {r.status_code}: {r.text[:300]}")
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        doc = server.session.get(url, timeout=30).json()
        state = (doc.get("properties") or {}).get("provisioningState")
        if state in (None, "Succeeded", "Failed", "Canceled"):
            return
        time.sleep(0.05)
    raise RuntimeError(f"set-up {url} did not finish in {WAIT_S}s")


def _arm(server, path: str, version: str) -> str:
    return f"{server.url}{path}?api-version={version}"


def _existing_assets(server, world, c: cas.Cassette) -> None:
    done = set()
    for ex in c.exchanges:
        doc = ex.json
        if ex.method != "PUT" or ex.status != 200 or not isinstance(doc, dict):
            continue
        if not re.search(r"/(models|codes)/[^/]+/versions/[^/]+$", ex.path, re.I):
            continue
        sd = doc.get("systemData") or {}
        if not sd.get("createdAt") or str(sd.get("createdAt"))[:19] == str(sd.get("lastModifiedAt"))[:19]:
            continue
        path = world.arm_path(ex)
        if path.lower() in done:
            continue
        done.add(path.lower())
        r = server.session.put(_arm(server, path, world.versions["assets"]), data=world.rewrite(ex.body or "{}").encode(),
                               headers={"Content-Type": "application/json"}, timeout=30)
        if r.status_code >= 300:
            raise RuntimeError(f"set-up PUT {path} answered {r.status_code}: {r.text[:300]}")


def _read_codes(server, world, c: cas.Cassette) -> None:
    """Code versions the cassette reads (GET of one version, or of the versions list the SDK
    searches by content hash) before any PUT of them: an earlier run had uploaded them."""
    put = set()
    for ex in c.exchanges:
        path = world.arm_path(ex)
        if ex.method == "PUT":
            put.add(path.lower())
            continue
        doc = ex.json
        if ex.method != "GET" or ex.status != 200 or not isinstance(doc, dict):
            continue
        if re.search(r"/codes/[^/]+/versions/[^/]+$", path, re.I):
            items = [(path, doc)]
        elif re.search(r"/codes/[^/]+/versions$", path, re.I):
            # A list names each version by its own id: the code's name there is the real one
            # (the recorder scrubbed it in the path), as a later GET of that version will learn.
            items = []
            for d in doc.get("value") or []:
                m = re.search(r"/codes/([^/]+)/versions/([^/]+)$", str(d.get("id") or "")) if isinstance(d, dict) else None
                if m:
                    items.append((re.sub(r"/codes/[^/]+/versions$", f"/codes/{m.group(1)}/versions", path), d, m.group(2)))
            items = [(f"{p}/{v}", d) for p, d, v in items]
        else:
            continue
        for item_path, d in items:
            props = d.get("properties") or {}
            if item_path.lower() in put or not props.get("codeUri"):
                continue
            put.add(item_path.lower())
            body = {"properties": {k: props[k] for k in ("codeUri", "properties", "description", "tags")
                                   if props.get(k) is not None}}
            _put_and_wait(server, _arm(server, item_path, world.versions["assets"]), world.rewrite_doc(body))


def _endpoint_body(world, e: Dict[str, Any]) -> Dict[str, Any]:
    props = e.get("properties") or {}
    return {"location": e.get("location") or world.region, "tags": e.get("tags") or {},
            "identity": {"type": (e.get("identity") or {}).get("type", "SystemAssigned")},
            "properties": {k: props[k] for k in ("authMode", "description") if props.get(k) is not None}}


def preexisting(server, world, c: cas.Cassette) -> None:
    if not c.exchanges:
        return
    _existing_assets(server, world, c)
    _read_codes(server, world, c)
    first = c.exchanges[0]
    doc = first.json
    if first.method != "GET" or first.status != 200 or not isinstance(doc, dict):
        return
    path = world.arm_path(first)
    version = world.versions["online"]
    if re.search(r"/onlineEndpoints/[^/]+$", path, re.I) and doc.get("name"):
        # The cassette starts by reading one endpoint that already existed.
        _put_and_wait(server, _arm(server, path, version), _endpoint_body(world, doc))
        return
    if not doc.get("value"):
        return
    items: List[Dict[str, Any]] = [x for x in doc["value"] if isinstance(x, dict)]
    ws_path = re.sub(r"/onlineEndpoints.*$", "", path, flags=re.I)
    if re.search(r"/onlineEndpoints/?$", path, re.I):
        for e in items:
            _put_and_wait(server, _arm(server, f"{path}/{e['name']}", version), _endpoint_body(world, e))
    elif re.search(r"/onlineEndpoints/[^/]+/deployments/?$", path, re.I):
        ep = path.rsplit("/deployments", 1)[0]
        _put_and_wait(server, _arm(server, ep, version),
                      {"location": world.region, "properties": {"authMode": "Key"}})
        for d in items:
            props = dict(d.get("properties") or {})
            for ref in (props.get("model"), props.get("environmentId"), (props.get("codeConfiguration") or {}).get("codeId")):
                m = re.search(r"/(models|codes|environments)/([^/]+)/versions/([^/]+)$", str(ref or ""))
                if m:
                    _put_and_wait(server, _arm(server, f"{ws_path}/{m.group(1)}/{m.group(2)}/versions/{m.group(3)}",
                                               world.versions["assets"]), ASSET_BODIES[m.group(1)])
            for k in ("provisioningState", "properties"):
                props.pop(k, None)
            body = {"location": d.get("location") or world.region, "tags": d.get("tags") or {},
                    "sku": d.get("sku"), "properties": world.rewrite_doc(props)}
            _put_and_wait(server, _arm(server, f"{path}/{d['name']}", version), body)

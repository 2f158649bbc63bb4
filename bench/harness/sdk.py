"""Runs sdk_flow.py against an amlite that logs JSON with per-request latency, and sums the
latencies amlite logged during the flow (issue 6 item 5).

Method: amlite runs with `--log-format json` and `RUST_LOG=info,sqlx=warn,tower_http=debug`, so
tower-http's TraceLayer logs `finished processing request` with `latency` (microseconds) for every
request: from the moment the request reached the service (headers parsed) until its response
headers were ready. TLS handshakes and socket time are not in it; they are in the SDK's share.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Tuple

from common import Amlite, BenchError

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

# Variables that would send the SDK's credential or cloud elsewhere than amlite.
FOREIGN = ("AZUREML_CURRENT_CLOUD", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID",
           "AZURE_USERNAME", "AZURE_PASSWORD", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST",
           "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT", "AZUREML_DEV_URL_MFE")


def assets_dir(out: Path) -> Path:
    """tests/sdk/assets when present, else a tiny model/code/env/request set made here."""
    shipped = REPO / "tests" / "sdk" / "assets"
    if (shipped / "code" / "score.py").exists() and (shipped / "request.json").exists():
        return shipped
    a = out / "assets"
    for sub in ("model", "code", "env"):
        (a / sub).mkdir(parents=True, exist_ok=True)
    (a / "model" / "model.json").write_text('{"weights": [1, 2, 3]}\n')
    (a / "code" / "score.py").write_text("def init():\n    pass\n\ndef run(raw):\n    return raw\n")
    (a / "env" / "conda.yaml").write_text("name: bench\ndependencies:\n  - python=3.11\n")
    (a / "request.json").write_text('{"data": [[1.0, 2.0, 3.0]]}\n')
    return a


def latency_us(text: str) -> float:
    """'123 μs' / '4 ms' / '0.5 s' -> microseconds."""
    value, _, unit = text.strip().partition(" ")
    scale = {"μs": 1.0, "us": 1.0, "ms": 1000.0, "s": 1e6, "ns": 0.001}.get(unit.strip(), 1.0)
    return float(value) * scale


def parse_requests(log_text: str) -> List[Tuple[str, str, int, float]]:
    """(method, path, status, latency_us) of every `finished processing request` JSON line."""
    rows = []
    for line in log_text.splitlines():
        if "finished processing request" not in line:
            continue
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        fields, span = ev.get("fields", {}), ev.get("span", {})
        if "latency" not in fields:
            continue
        rows.append((span.get("method", "?"), span.get("path", "?"), int(fields.get("status", 0)),
                     latency_us(str(fields["latency"]))))
    return rows


def path_kind(method: str, path: str) -> str:
    """A short label grouping paths (ids and names dropped)."""
    p = path.lower()
    if p.startswith("/endpoints/"):
        return f"{method} scoring"
    if not p.startswith(("/subscriptions", "/metadata", "/msi", "/health", "/_amlite")):
        return f"{method} blob"
    for key in ("/deployments/", "/onlineendpoints/", "/models/", "/codes/", "/environments/",
                "/datastores/", "/metadata/", "/msi/", "operationsstatus", "operationresults", "/workspaces/"):
        if key in p:
            return f"{method} {key.strip('/')}"
    return f"{method} {p}"


def run_once(a: Amlite, log: Path, out: Path, cfg: dict) -> dict:
    """One SDK flow against the running amlite `a`; the latencies it logged meanwhile."""
    offset = log.stat().st_size
    env = {k: v for k, v in os.environ.items() if k not in FOREIGN}
    env.update(a.env())
    proc = subprocess.run([sys.executable, str(HERE / "sdk_flow.py"), str(assets_dir(out))],
                          capture_output=True, text=True, timeout=cfg["sdk_timeout"], env=env)
    line = next((l[l.index("SDKFLOW "):] for l in proc.stdout.splitlines() if "SDKFLOW " in l), None)
    if line is None:
        raise BenchError(f"SDK flow failed ({proc.returncode}): {proc.stderr[-1500:]}")
    flow = json.loads(line[len("SDKFLOW "):])
    if not flow["answer_ok"]:
        raise BenchError(f"SDK invoke answered {flow['answer']!r}")
    reqs = parse_requests(log.read_bytes()[offset:].decode("utf-8", "replace"))
    if not reqs:
        raise BenchError(f"no request latencies in {log}: is the TraceLayer logging latency?")
    inside = sum(r[3] for r in reqs) / 1e6
    by_kind: Dict[str, List[float]] = defaultdict(list)
    for m, p, _, us in reqs:
        by_kind[path_kind(m, p)].append(us)
    top = sorted(((k, len(v), sum(v) / 1000.0) for k, v in by_kind.items()), key=lambda x: -x[2])
    return {"flow_seconds": flow["flow_seconds"], "steps": flow["steps"], "requests": len(reqs),
            "amlite_seconds": inside, "share": inside / flow["flow_seconds"],
            "top": top[:6], "max_request_ms": max(r[3] for r in reqs) / 1000.0}


def run(binary: Path, out: Path, cfg: dict) -> dict:
    """`sdk_runs` flows, each against a fresh amlite (a first run: uploads happen); the run with
    the median share, plus all shares. Each fresh server then serves a second flow (same assets:
    the SDK finds them and uploads nothing), reported apart: what a user's later tests against a
    running amlite see, without a fresh process's first-of-kind costs (bench/ANALYSIS.md)."""
    runs, again = [], []
    for i in range(cfg["sdk_runs"]):
        log = out / f"sdk-amlite-{i}.log"
        log.unlink(missing_ok=True)
        a = Amlite(binary, out / f"sdk-data-{i}", log, extra=["--log-format", "json"],
                   env={"RUST_LOG": "info,sqlx=warn,tower_http=debug"})
        shutil.rmtree(a.data_dir, ignore_errors=True)
        a.start()
        try:
            runs.append(run_once(a, log, out, cfg))
            again.append(run_once(a, log, out, cfg))
        finally:
            a.stop()
    runs.sort(key=lambda x: x["share"])
    chosen = dict(runs[len(runs) // 2])
    chosen["all_shares"] = [x["share"] for x in runs]
    chosen["all_flow_seconds"] = [x["flow_seconds"] for x in runs]
    again.sort(key=lambda x: x["share"])
    second = again[len(again) // 2]
    chosen["second_flow"] = {"share": second["share"], "amlite_seconds": second["amlite_seconds"],
                             "flow_seconds": second["flow_seconds"], "requests": second["requests"],
                             "all_shares": [x["share"] for x in again]}
    return chosen

"""Side by side in the same run (issue 6 item 7): moto's server mode doing the SageMaker sequence,
Azurite's start-up and idle memory, and amlite's equivalent sequence for the ratios.

moto runs from the bench venv (bench/.tools/venv, bench/requirements.txt) over plain HTTP (its
default); Azurite (npm, bench/.tools/node_modules) serves HTTPS with amlite's own certificate and
key so both TLS stacks are in the comparison.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Dict, List, Optional

import arm
from moto_flow import RawSequence
from common import (Amlite, BenchError, free_port, median, rss_kib, stop_process, tls_context,
                    wait_first_response)

TOOLS = Path(__file__).resolve().parents[1] / ".tools"


def _clean_env() -> Dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("AMLITE_")}


def _startup_runs(cmd_for_port, runs: int, path: str, cert: Optional[Path], out_log: Path,
                  want_status: Optional[int]) -> dict:
    """Launch -> first answer on `path`, `runs` times; RSS idle 1 s after the last start."""
    times: List[float] = []
    rss = 0
    ctx = tls_context(cert) if cert else None
    for i in range(runs):
        port = free_port()
        log = open(out_log, "ab")
        t = time.monotonic()
        proc = subprocess.Popen(cmd_for_port(port, i), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                env=_clean_env())
        log.close()
        try:
            wait_first_response(port, ctx, path, time.monotonic() + 60, proc, want_status=want_status)
            times.append((time.monotonic() - t) * 1000.0)
            if i == runs - 1:
                time.sleep(1.0)
                rss = rss_kib(proc.pid)
        finally:
            stop_process(proc)
    return {"startup_ms": times, "median_ms": median(times), "idle_kib": rss}


def moto(out: Path, cfg: dict, binary: Path) -> dict:
    """moto_server start-up, idle RSS, and the SageMaker sequence: with boto3 (moto_flow.py), and
    with raw HTTP in turn with amlite's sequence ([`amlite_sequence`]), whose medians are returned
    under `amlite_sequence`."""
    server = TOOLS / "venv" / "bin" / "moto_server"
    py = TOOLS / "venv" / "bin" / "python"
    if not server.exists():
        raise BenchError(f"{server} missing: bench/run.sh installs it in full mode")
    res = _startup_runs(lambda port, i: [str(server), "-H", "127.0.0.1", "-p", str(port)],
                        cfg["alt_startup_runs"], "/", None, out / "moto.log", 200)
    port = free_port()
    log = open(out / "moto.log", "ab")
    proc = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(port)], stdin=subprocess.DEVNULL,
                            stdout=log, stderr=log, env=_clean_env())
    log.close()
    try:
        wait_first_response(port, None, "/", time.monotonic() + 60, proc)
        flow = subprocess.run([str(py), str(Path(__file__).with_name("moto_flow.py")), str(port),
                               str(cfg["seq_iterations"] + 1)], capture_output=True, text=True, timeout=300)
        line = next((l[l.index("MOTOFLOW "):] for l in flow.stdout.splitlines() if "MOTOFLOW " in l), None)
        if line is None:
            raise BenchError(f"moto flow failed: {flow.stderr[-1500:]}")
        data = json.loads(line[len("MOTOFLOW "):])
        res["loaded_kib"] = rss_kib(proc.pid)
        in_turn = amlite_sequence(binary, out, cfg, moto_port=port)
    finally:
        stop_process(proc)
    # Round 0 is a warm-up (moto loads its SageMaker backend lazily); medians use the rest.
    res["boto3_ms"] = {k: median(v[1:]) * 1000.0 for k, v in data["ops"].items() if v[1:]}
    res["raw_ms"] = in_turn.pop("moto_raw_ms")
    res["amlite_sequence"] = in_turn
    res["first_sequence_ms"] = data["ops"]["sequence"][0] * 1000.0
    res["invoke"] = data["invoke"]
    return res


def azurite(out: Path, cfg: dict, cert_dir: Path) -> dict:
    """azurite-blob start-up (HTTPS with amlite's certificate) to its first HTTP answer, idle RSS."""
    bin_ = TOOLS / "node_modules" / ".bin" / "azurite-blob"
    if not bin_.exists():
        raise BenchError(f"{bin_} missing: bench/run.sh installs it in full mode")
    cert, key = cert_dir / "cert.pem", cert_dir / "key.pem"

    def cmd(port: int, i: int) -> List[str]:
        loc = out / f"azurite-{i % 2}"
        loc.mkdir(parents=True, exist_ok=True)
        return [str(bin_), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location", str(loc),
                "--silent", "--skipApiVersionCheck", "--cert", str(cert), "--key", str(key)]

    # Azurite has no health route: any HTTP answer (400 for GET /) means it serves requests.
    return _startup_runs(cmd, cfg["alt_startup_runs"], "/", cert, out / "azurite.log", None)


def amlite_sequence(binary: Path, out: Path, cfg: dict, moto_port: Optional[int] = None) -> Dict[str, float]:
    """amlite's equivalent of the SageMaker sequence with a keep-alive http.client, median ms:
    model version PUT, endpoint PUT (+poll to Succeeded), deployment PUT (+poll), GET, score.

    With `moto_port`, every round of amlite's is paired with a round of moto's plain-HTTP
    sequence, the two in alternating order, so the load of these shared cores drifts over both
    alike (issue 14: measured one after the other, the ratios moved by a third between runs);
    moto's medians are returned under `moto_raw_ms`."""
    a = Amlite(binary, out / "sequence", out / "sequence.log").start()
    peer = RawSequence(moto_port, prefix="t") if moto_port is not None else None
    try:
        c, ws = a.client(), a.ws_path()
        ops: Dict[str, List[float]] = {k: [] for k in ("model", "endpoint", "deployment", "get", "score", "sequence")}
        for i in range(cfg["seq_iterations"] + 1):
            if peer is not None and i % 2 == 0:
                peer.round(i)
            ep = f"seq-{i}-{int(time.time() * 1000) % 100000}"
            s = time.perf_counter()
            c.ok("PUT", arm.with_api(f"{ws}/models/m{i}/versions/1"), {"properties": {
                "modelUri": "azureml://datastores/workspaceblobstore/paths/m/", "modelType": "custom_model"}})
            ops["model"].append(time.perf_counter() - s)
            ops["endpoint"].append(arm.put_and_wait(c, arm.ep_path(ws, ep), arm.endpoint_body()))
            ops["deployment"].append(arm.put_and_wait(c, f"{arm.ep_path(ws, ep)}/deployments/blue", arm.deployment_body(ws)))
            s = time.perf_counter()
            c.ok("GET", arm.with_api(arm.ep_path(ws, ep)))
            ops["get"].append(time.perf_counter() - s)
            key = arm.primary_key(c, ws, ep)
            s = time.perf_counter()
            c.ok("POST", f"/endpoints/{ep}/score", {"data": [[1, 2, 3]]},
                 {"Authorization": f"Bearer {key}", "azureml-model-deployment": "blue"})
            ops["score"].append(time.perf_counter() - s)
            # listKeys has no SageMaker counterpart: the sequence is the sum of the five steps.
            ops["sequence"].append(sum(ops[k][-1] for k in ("model", "endpoint", "deployment", "get", "score")))
            if peer is not None and i % 2 == 1:
                peer.round(i)
        c.close()
        res: Dict[str, object] = {k: median(v[1:]) * 1000.0 for k, v in ops.items()}
        if peer is not None:
            res["moto_raw_ms"] = {k: median(v[1:]) * 1000.0 for k, v in peer.ops.items() if v[1:]}
        return res  # type: ignore[return-value]
    finally:
        if peer is not None:
            peer.close()
        a.stop()

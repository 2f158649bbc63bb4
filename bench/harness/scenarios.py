"""amlite's own measurements (issue 6 items 1-4 and 6): start-up, memory, control plane, scoring,
scale. Each function starts its own amlite on a fresh loopback port and stops it before returning.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Dict, List

import arm
import loadgen
from common import Amlite, BenchError, median, percentile, tls_context


def _fresh(out: Path, name: str) -> Path:
    d = out / name
    shutil.rmtree(d, ignore_errors=True)
    return d


def startup(binary: Path, out: Path, cfg: dict, populated: Path | None) -> Dict[str, List[float]]:
    """Launch -> first 200 on /health, in ms: fresh folder, existing folder, and (when given) an
    existing folder holding the memory scenario's endpoints."""
    runs = cfg["startup_runs"]
    res: Dict[str, List[float]] = {"fresh": [], "existing": [], "populated": []}
    for i in range(runs):
        a = Amlite(binary, _fresh(out, f"startup-fresh-{i % 2}"), out / "startup.log")
        a.launch()
        try:
            res["fresh"].append(a.wait_ready() * 1000.0)
        finally:
            a.stop()
    existing = _fresh(out, "startup-existing")
    Amlite(binary, existing, out / "startup.log").start().stop()  # creates db and certificate
    for key, folder in (("existing", existing), ("populated", populated)):
        if folder is not None:
            res[key] = _startups_on(binary, folder, out, runs)
    return res


def _startups_on(binary: Path, folder: Path, out: Path, runs: int) -> List[float]:
    """`runs` launches of amlite on an existing data folder: ms to the first 200 on /health."""
    ctx = tls_context(folder / "cert.pem")
    ms: List[float] = []
    for _ in range(runs):
        a = Amlite(binary, folder, out / "startup.log")
        a.launch()
        try:
            ms.append(a.wait_ready(ctx=ctx) * 1000.0)
        finally:
            a.stop()
    return ms


def startup_scaled(binary: Path, out: Path, cfg: dict) -> Dict[str, object]:
    """Launch -> first 200 on /health on the folder the scale scenario left (its largest size of
    endpoints, plus its probes), in ms: issue 14's start-up target for a populated folder."""
    folder = out / "scale"
    if not (folder / "cert.pem").exists():
        return {}
    return {"endpoints": max(cfg["scale_sizes"]), "runs_ms": _startups_on(binary, folder, out, cfg["startup_runs"])}


def memory(binary: Path, out: Path, cfg: dict) -> dict:
    """RSS idle after start and after `mem_endpoints` endpoints x 2 deployments (KiB); returns
    also the data folder so start-up can reuse it as a populated folder."""
    folder = _fresh(out, "memory")
    a = Amlite(binary, folder, out / "memory.log").start()
    try:
        time.sleep(cfg["idle_seconds"])
        idle = a.rss_kib()
        c, ws = a.client(), a.ws_path()
        t = time.perf_counter()
        for i in range(cfg["mem_endpoints"]):
            arm.create_endpoint(c, ws, f"mem-{i}")
            for d in ("blue", "green"):
                arm.create_deployment(c, ws, f"mem-{i}", d)
        create_s = time.perf_counter() - t
        c.close()
        time.sleep(cfg["idle_seconds"])
        loaded = a.rss_kib()
        return {"idle_kib": idle, "loaded_kib": loaded, "endpoints": cfg["mem_endpoints"],
                "create_seconds": create_s, "folder": folder, "db_bytes": a.db_bytes()}
    finally:
        a.stop()


def _setup_endpoint(a: Amlite, ep: str) -> str:
    """An endpoint with deployments blue and green, all traffic to blue; returns its key."""
    c, ws = a.client(), a.ws_path()
    arm.create_endpoint(c, ws, ep)
    for d in ("blue", "green"):
        arm.create_deployment(c, ws, ep, d)
    arm.set_traffic(c, ws, ep, {"blue": 100})
    key = arm.primary_key(c, ws, ep)
    c.close()
    return key


def _both(c, method: str, path: str, body, headers, cfg: dict, work: Path) -> dict:
    """Latency at one connection and throughput at `connections`."""
    lat = loadgen.measure(c, method, path, body, headers, cfg, work, connections=1)
    thr = loadgen.measure(c, method, path, body, headers, cfg, work, connections=cfg["connections"])
    return {"p50_ms": lat["p50_ms"], "p99_ms": lat["p99_ms"], "rps_1": lat["rps"],
            "rps": thr["rps"], "p50_load_ms": thr["p50_ms"], "p99_load_ms": thr["p99_ms"],
            "tool": thr["tool"], "requests": lat["requests"] + thr["requests"]}


def control_and_scoring(binary: Path, out: Path, cfg: dict) -> Dict[str, dict]:
    """GET endpoint, PUT endpoint, list deployments, /health and scoring on one server."""
    a = Amlite(binary, _fresh(out, "control"), out / "control.log").start()
    try:
        key = _setup_endpoint(a, "bench-ep")
        ws, c = a.ws_path(), a.client()
        ep = arm.with_api(arm.ep_path(ws, "bench-ep"))
        put_body = arm.endpoint_body(traffic={"blue": 100})
        res = {
            "get_endpoint": _both(c, "GET", ep, None, {"Authorization": "Bearer bench"}, cfg, out),
            **_put_cycles(c, arm.ep_path(ws, "bench-ep"), put_body, cfg),
            "list_deployments": _both(c, "GET", arm.with_api(f"{arm.ep_path(ws, 'bench-ep')}/deployments"), None,
                                      {"Authorization": "Bearer bench"}, cfg, out),
            "health": _both(c, "GET", "/health", None, {}, cfg, out),
            "score": _both(c, "POST", "/endpoints/bench-ep/score", b'{"data": [[1, 2, 3, 4]]}',
                           {"Authorization": f"Bearer {key}"}, cfg, out),
        }
        _check_succeeded(c, ep)
        _check_score(c, key)
        c.close()
        return res
    finally:
        a.stop()


def _put_cycles(c, path: str, body: dict, cfg: dict) -> dict:
    """PUT endpoint then poll its operation to Succeeded, sequentially (a second PUT while the
    first is Updating is a 409, as in Azure, so a blind PUT loop would measure conflicts)."""
    puts, cycles = [], []
    deadline = time.monotonic() + cfg["load_seconds"]
    started = time.perf_counter()
    for _ in range(cfg["put_count"]):
        if time.monotonic() > deadline:
            break
        put_s, cycle_s = arm.put_timed(c, path, body, pause_s=0.0)
        puts.append(put_s)
        cycles.append(cycle_s)
    total = time.perf_counter() - started
    nan = float("nan")
    row = lambda xs: {"p50_ms": percentile(xs, 50) * 1000, "p99_ms": percentile(xs, 99) * 1000,  # noqa: E731
                      "rps_1": len(xs) / total, "rps": nan, "p50_load_ms": nan, "p99_load_ms": nan,
                      "tool": "python sequential (409 while Updating)", "requests": len(xs)}
    return {"put_endpoint (PUT alone)": row(puts), "put_endpoint (PUT + polls to Succeeded)": row(cycles)}


def _check_succeeded(c, ep: str) -> None:
    """After the PUT load the endpoint must settle to Succeeded (the PUTs were real updates)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        body = c.ok("GET", ep)
        if isinstance(body, dict) and body.get("properties", {}).get("provisioningState") == "Succeeded":
            return
        time.sleep(0.01)
    raise BenchError("endpoint did not return to Succeeded after the PUT load")


def _check_score(c, key: str) -> None:
    body = c.ok("POST", "/endpoints/bench-ep/score", {"data": [1]}, {"Authorization": f"Bearer {key}"})
    if not isinstance(body, dict) or body.get("deployment") != "blue":
        raise BenchError(f"scoring did not reach the mock of blue: {body}")


def scale(binary: Path, out: Path, cfg: dict) -> List[dict]:
    """At each size in cfg['scale_sizes']: GET endpoint p50, list endpoints (first page) p50, the
    p50 of creating one more endpoint and one more deployment (PUT alone and PUT + poll), and the
    database size. The world is endpoints (PUT, not waited on); the probes add a few more."""
    a = Amlite(binary, _fresh(out, "scale"), out / "scale.log",
               extra=["--endpoint-quota", str(2 * max(cfg["scale_sizes"]) + 1000)]).start()
    rows: List[dict] = []
    try:
        c, ws = a.client(), a.ws_path()
        made = 0
        small = dict(cfg, load_seconds=cfg["scale_seconds"], load_count=cfg["load_count"])
        for size in cfg["scale_sizes"]:
            t = time.perf_counter()
            while made < size:
                arm.create_endpoint(c, ws, f"scale-{made}", wait=False)
                made += 1
            create_s = time.perf_counter() - t
            get = loadgen.measure(c, "GET", arm.with_api(arm.ep_path(ws, "scale-0")), None,
                                  {"Authorization": "Bearer bench"}, small, out)
            listed = loadgen.run_python(c, "GET", arm.with_api(f"{ws}/onlineEndpoints"), None, {},
                                        cfg["scale_list_count"], cfg["scale_seconds"])
            ep_put, dep_put = _probe_writes(c, ws, f"probe-{size}", cfg["scale_probes"])
            time.sleep(0.2)
            db = sum(p.stat().st_size for p in a.data_dir.glob("amlite.db") if p.is_file())
            wal = sum(p.stat().st_size for p in a.data_dir.glob("amlite.db-wal") if p.is_file())
            rows.append({"endpoints": size, "get_p50_ms": get["p50_ms"], "get_p99_ms": get["p99_ms"],
                         "list_p50_ms": listed["p50_ms"], "db_bytes": db, "wal_bytes": wal,
                         "create_ms_each": create_s * 1000.0 / max(1, size - (rows[-1]["endpoints"] if rows else 0)),
                         "put_ep_p50_ms": ep_put[0], "put_ep_cycle_p50_ms": ep_put[1],
                         "put_dep_p50_ms": dep_put[0], "put_dep_cycle_p50_ms": dep_put[1],
                         "rss_kib": a.rss_kib()})
        c.close()
        return rows
    finally:
        a.stop()


def _probe_writes(c, ws: str, prefix: str, n: int) -> tuple:
    """p50 ms of `n` endpoint creations and of `n` deployment creations (on one new endpoint), each
    as (PUT alone, PUT + poll to Succeeded)."""
    eps, deps = [], []
    for i in range(n):
        eps.append(arm.put_timed(c, arm.ep_path(ws, f"{prefix}-{i}"), arm.endpoint_body(), pause_s=0.0))
    for i in range(n):
        path = f"{arm.ep_path(ws, f'{prefix}-0')}/deployments/dep-{i}"
        deps.append(arm.put_timed(c, path, arm.deployment_body(ws), pause_s=0.0))
    p50 = lambda xs, k: percentile([x[k] for x in xs], 50) * 1000  # noqa: E731
    return (p50(eps, 0), p50(eps, 1)), (p50(deps, 0), p50(deps, 1))


def summarize_startup(res: Dict[str, List[float]]) -> Dict[str, float]:
    return {k: median(v) for k, v in res.items() if v}

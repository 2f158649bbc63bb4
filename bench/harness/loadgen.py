"""Load generation: `wrk` (full mode: keep-alive HTTPS, C-speed client, bounded by duration) or a
sequential Python keep-alive loop (smoke mode, or where wrk is absent; bounded by count and time).

Both speak HTTPS to amlite, or plain HTTP to a `Client` without TLS context (the python runtime's
inference server). Both return the same shape: {"tool", "requests", "seconds", "rps", "p50_ms", "p99_ms", "errors"}.
`errors` counts transport errors and answers outside 2xx/3xx; callers treat any as a harness
failure, so a benchmark never reports the speed of error answers.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Dict, List, Optional

from common import HOST, BenchError, Client, percentile

LUA = """
wrk.method = {method}
wrk.body = {body}
{headers}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {{"requests":%.0f,"duration_us":%.0f,"p50_us":%.1f,"p99_us":%.1f,' ..
    '"errors":%.0f,"status_errors":%.0f}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def lua_string(s: str) -> str:
    return json.dumps(s)  # a JSON string literal is a valid Lua string literal for ASCII text


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(port: int, method: str, path: str, body: Optional[bytes], headers: Dict[str, str],
            seconds: float, connections: int, threads: int, work_dir: Path, scheme: str = "https") -> dict:
    """One bounded wrk run against {scheme}://127.0.0.1:port{path}."""
    h = dict(headers)
    if body is not None:
        h.setdefault("Content-Type", "application/json")
    header_lines = "\n".join(f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in h.items())
    script = work_dir / f"wrk-{method.lower()}-{abs(hash(path)) % 10**8}.lua"
    script.write_text(LUA.format(method=lua_string(method),
                                 body=lua_string(body.decode()) if body is not None else "nil",
                                 headers=header_lines))
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, int(round(seconds)))}s",
            "--timeout", "5s", "-s", str(script), f"{scheme}://{HOST}:{port}{path}"]
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 30)
    except subprocess.TimeoutExpired:
        raise BenchError(f"wrk did not finish: {' '.join(args)}") from None
    line = next((l for l in out.stdout.splitlines() if l.startswith("BENCHJSON ")), None)
    if out.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({out.returncode}): {out.stderr[-500:]} {out.stdout[-500:]}")
    r = json.loads(line[len("BENCHJSON "):])
    secs = r["duration_us"] / 1e6
    return {"tool": f"wrk -t{threads} -c{connections}", "requests": int(r["requests"]), "seconds": secs,
            "rps": r["requests"] / secs if secs else 0.0, "p50_ms": r["p50_us"] / 1000.0,
            "p99_ms": r["p99_us"] / 1000.0, "errors": int(r["errors"] + r["status_errors"])}


def run_python(client: Client, method: str, path: str, body: Optional[bytes], headers: Dict[str, str],
               count: int, max_seconds: float) -> dict:
    """Sequential keep-alive loop: at most `count` requests and `max_seconds`."""
    times: List[float] = []
    errors = 0
    deadline = time.monotonic() + max_seconds
    started = time.perf_counter()
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        try:
            status, _, secs, _ = client.request(method, path, body, headers)
        except OSError:
            errors += 1
            continue
        if status >= 400:
            errors += 1
        times.append(secs)
    total = time.perf_counter() - started
    return {"tool": "python sequential", "requests": len(times), "seconds": total,
            "rps": len(times) / total if total else 0.0, "p50_ms": percentile(times, 50) * 1000.0,
            "p99_ms": percentile(times, 99) * 1000.0, "errors": errors}


def measure(client: Client, method: str, path: str, body: Optional[bytes], headers: Dict[str, str],
            cfg: dict, work_dir: Path, connections: int = 1) -> dict:
    """Latency (connections=1) or throughput (connections>1) of one request shape; raises on errors."""
    if cfg["use_wrk"]:
        threads = 1 if connections == 1 else cfg["wrk_threads"]
        r = run_wrk(client.port, method, path, body, headers, cfg["load_seconds"], connections, threads, work_dir,
                    client.scheme)
    else:
        r = run_python(client, method, path, body, headers, cfg["load_count"], cfg["load_seconds"])
    if r["errors"] or r["requests"] == 0:
        raise BenchError(f"{method} {path}: {r['errors']} errors in {r['requests']} requests ({r['tool']})")
    return r

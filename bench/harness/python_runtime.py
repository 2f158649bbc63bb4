"""The python runtime's scoring overhead (issue 6 item 4, SPEC 7): the same echo score.py called
through amlite's scoring URI and directly on the inference server's own port.

amlite starts `azureml-inference-server-http` (gunicorn, one sync worker) as a child process with
`--port N` on 127.0.0.1; the harness reads N from that child's /proc/PID/cmdline, so amlite needs
no extra route for the benchmark. Both paths are measured with the same tool and request body.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Optional

import arm
import loadgen
import sdk
from common import Amlite, BenchError, Client

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BODY = b'{"data": [[1, 2, 3, 4]]}'
ECHO = ('"""Benchmark echo: the request JSON back, so both paths measure transport, not work."""\n'
        "import json\n\n\ndef init():\n    pass\n\n\ndef run(raw_data):\n    return json.loads(raw_data)\n")


def interpreter() -> Optional[Path]:
    """A Python with `azureml-inference-server-http`: $AMLITE_TEST_PYTHON, the repo's
    .venv-runtime (tests/sdk/run.sh) or bench/.tools/runtime-venv (bench/run.sh, full mode)."""
    candidates = [os.environ.get("AMLITE_TEST_PYTHON", ""), str(REPO / ".venv-runtime" / "bin" / "python"),
                  str(REPO / "bench" / ".tools" / "runtime-venv" / "bin" / "python")]
    for c in filter(None, candidates):
        p = Path(c)
        if p.is_file() and os.access(p, os.X_OK) and subprocess.run(
                [str(p), "-c", "import azureml_inference_server_http"], capture_output=True, timeout=60).returncode == 0:
            return p
    return None


def _descendants(pid: int) -> List[int]:
    out: List[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids = [int(x) for x in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
        for k in kids:
            out += [k, *_descendants(k)]
    return out


def server_port(amlite_pid: int) -> int:
    """The `--port N` of the inference server amlite started (its child process)."""
    for pid in _descendants(amlite_pid):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"--port" in argv:
            i = argv.index(b"--port")
            if i + 1 < len(argv) and argv[i + 1].isdigit():
                return int(argv[i + 1])
    raise BenchError(f"no child of amlite ({amlite_pid}) with --port: did the python deployment start?")


def _setup(a: Amlite, out: Path, cfg: dict) -> dict:
    code = out / "python-echo-code"
    shutil.rmtree(code, ignore_errors=True)
    code.mkdir(parents=True)
    (code / "score.py").write_text(ECHO)
    env = {k: v for k, v in os.environ.items() if k not in sdk.FOREIGN}
    env.update(a.env())
    env["PYTHONPATH"] = str(HERE)
    proc = subprocess.run([sys.executable, str(HERE / "python_setup.py"), str(sdk.assets_dir(out)), str(code),
                           str(cfg["connections"])],
                          capture_output=True, text=True, timeout=cfg["sdk_timeout"], env=env)
    line = next((l[l.index("PYSETUP "):] for l in proc.stdout.splitlines() if "PYSETUP " in l), None)
    if proc.returncode != 0 or line is None:
        raise BenchError(f"python deployment setup failed ({proc.returncode}): {proc.stderr[-1500:]}")
    return json.loads(line[len("PYSETUP "):])


def _row(lat: dict, thr: dict) -> dict:
    return {"p50_ms": lat["p50_ms"], "p99_ms": lat["p99_ms"], "rps_1": lat["rps"], "rps": thr["rps"],
            "p50_load_ms": thr["p50_ms"], "p99_load_ms": thr["p99_ms"], "tool": thr["tool"]}


def run(binary: Path, out: Path, cfg: dict, python: Path) -> dict:
    """Scoring through amlite vs directly on the inference server, at 1 and `connections`."""
    a = Amlite(binary, out / "python-runtime", out / "python-runtime.log", extra=["--python", str(python)])
    shutil.rmtree(a.data_dir, ignore_errors=True)
    a.start()
    try:
        t = time.perf_counter()
        setup = _setup(a, out, cfg)
        setup_s = time.perf_counter() - t
        assert a.proc is not None
        port = server_port(a.proc.pid)
        c, ws = a.client(), a.ws_path()
        key = arm.primary_key(c, ws, "py-ep")
        via = ("POST", "/endpoints/py-ep/score", BODY, {"Authorization": f"Bearer {key}"})
        direct_client = Client(port, None)
        direct = ("POST", "/score", BODY, {})
        _check(c, via, direct_client, direct)
        res = {"server_port": port, "setup_seconds": setup_s, "setup_steps": setup["steps"]}
        for name, client, req in (("amlite", c, via), ("direct", direct_client, direct)):
            lat = loadgen.measure(client, *req, cfg, out, connections=1)
            thr = loadgen.measure(client, *req, cfg, out, connections=cfg["connections"])
            res[name] = _row(lat, thr)
        res["overhead_p50_ms"] = res["amlite"]["p50_ms"] - res["direct"]["p50_ms"]
        c.close()
        direct_client.close()
        return res
    finally:
        children = _descendants(a.proc.pid) if a.proc is not None else []
        a.stop()
        _reap(children)


def _reap(pids: List[int]) -> None:
    """amlite stops its inference servers itself; any still alive after it exited are ended here
    (only those pids, which amlite started for this run)."""
    for pid in pids:
        try:
            os.kill(pid, 15)
        except OSError:
            pass


def _check(c: Client, via: tuple, d: Client, direct: tuple) -> None:
    """Both paths must answer the echo (else we would time errors)."""
    want = json.loads(BODY)
    for client, (m, p, b, h) in ((c, via), (d, direct)):
        status, body, _, _ = client.request(m, p, b, h)
        if status != 200 or body != want:
            raise BenchError(f"{client.scheme} {p} answered {status}: {str(body)[:300]}")

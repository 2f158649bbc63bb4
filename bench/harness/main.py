"""Benchmark driver: runs every measurement of issue 6 in one go, prints the table and, in full
mode, writes bench/RESULTS.md. `--smoke` uses tiny counts and the debug binary so `make test` keeps
the harness alive; it fails on harness errors (a process that does not start, an error answer,
a missing log line) and when a ratio of the regression gate (gate.py) passes its margin, never on
an absolute time.

Usage: python main.py --binary PATH --out DIR [--smoke] [--results FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path

import alternatives
import gate
import loadgen
import python_runtime
import report
import scenarios
import sdk

FULL = {"startup_runs": 15, "alt_startup_runs": 10, "idle_seconds": 1.0, "mem_endpoints": 100, "load_seconds": 5,
        "load_count": 200_000, "put_count": 2000, "connections": 16, "wrk_threads": 1, "scale_sizes": [10, 100, 1000, 10000],
        "scale_seconds": 3, "scale_list_count": 200, "scale_probes": 15, "sdk_timeout": 300, "sdk_runs": 5, "seq_iterations": 40,
        "alternatives": True}
SMOKE = {"startup_runs": 2, "alt_startup_runs": 2, "idle_seconds": 0.2, "mem_endpoints": 3, "load_seconds": 2,
         "load_count": 100, "put_count": 10, "connections": 1, "wrk_threads": 1, "scale_sizes": [10, 400],
         "scale_seconds": 1, "scale_list_count": 10, "scale_probes": 9, "sdk_timeout": 40, "sdk_runs": 1, "seq_iterations": 2,
         "alternatives": False}


def step(name: str, fn, results: dict, key: str):
    """Runs one measurement, timing it; a failure is recorded and re-raised at the end."""
    t = time.monotonic()
    print(f"bench: {name} ...", file=sys.stderr, flush=True)
    try:
        results[key] = fn()
    except Exception as e:  # keep measuring the rest, fail the run afterwards
        results.setdefault("failures", []).append(f"{name}: {e}")
        traceback.print_exc(file=sys.stderr)
    print(f"bench: {name} done in {time.monotonic() - t:.1f}s", file=sys.stderr, flush=True)


def python_step(binary: Path, out: Path, cfg: dict, r: dict) -> None:
    """Item 4's python runtime row. Needs an interpreter with azureml-inference-server-http; in
    smoke mode it is skipped without one and never fails the run (it starts real Python servers)."""
    interp = python_runtime.interpreter()
    if interp is None:
        r["python_skipped"] = "no interpreter with azureml-inference-server-http (AMLITE_TEST_PYTHON, .venv-runtime)"
        print(f"bench: python runtime skipped: {r['python_skipped']}", file=sys.stderr, flush=True)
        if not cfg["smoke"]:
            r.setdefault("failures", []).append("python runtime: " + r["python_skipped"])
        return
    step(f"python runtime ({interp})", lambda: python_runtime.run(binary, out, cfg, interp), r, "python")
    if cfg["smoke"] and "python" not in r and r.get("failures"):
        r["python_skipped"] = r["failures"].pop()  # smoke never fails on the python runtime
        print(f"bench: python runtime not measured (smoke, not a failure): {r['python_skipped']}", file=sys.stderr)


def smoke_gate(binary: Path, out: Path, cfg: dict, r: dict) -> None:
    """Issue 14's regression gate (gate.py, margins in bench/METHOD.md): self-test, then the
    ratios of this run; a ratio past its margin re-measures control and scale once."""
    gate.self_test()
    calls = [0]

    def measure() -> dict:
        calls[0] += 1
        if calls[0] == 1:
            return r
        return {"control": scenarios.control_and_scoring(binary, out, cfg), "scale": scenarios.scale(binary, out, cfg)}

    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    r["gate"] = gate.run(measure, log=log)
    r.setdefault("failures", []).extend(r["gate"])
    if not r["failures"]:
        del r["failures"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--results", type=Path)
    ap.add_argument("--render", action="store_true", help="re-render RESULTS.md from OUT/results.json")
    ap.add_argument("--only", default="", help="comma-separated subset (startup,memory,control,python,sdk,scale,alt)")
    args = ap.parse_args()
    cfg = dict(SMOKE if args.smoke else FULL)
    cfg["use_wrk"] = (not args.smoke) and loadgen.wrk_available()
    cfg["smoke"] = args.smoke
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    binary = args.binary.resolve()
    only = set(filter(None, args.only.split(",")))
    if args.render and args.results:  # e.g. after editing ANALYSIS.md or METHOD.md
        r = json.loads((out / "results.json").read_text())
        args.results.write_text(report.results_md(r, report.table(r)))
        return 0
    want = lambda k: not only or k in only  # noqa: E731
    r: dict = {"mode": "smoke" if args.smoke else "full", "binary": str(binary), "cfg": cfg,
               "load_start": os.getloadavg(), "started": time.time()}

    if want("memory"):
        step(f"memory ({cfg['mem_endpoints']} endpoints x 2 deployments)", lambda: scenarios.memory(binary, out, cfg), r, "memory")
    populated = r.get("memory", {}).get("folder")
    if want("startup"):
        step("start-up", lambda: scenarios.startup(binary, out, cfg, populated), r, "startup")
    if want("control"):
        step("control plane and scoring", lambda: scenarios.control_and_scoring(binary, out, cfg), r, "control")
    if want("python"):
        python_step(binary, out, cfg, r)
    if want("scale"):
        step("scale", lambda: scenarios.scale(binary, out, cfg), r, "scale")
        step("start-up on the scale folder", lambda: scenarios.startup_scaled(binary, out, cfg), r, "startup_scaled")
    if want("sdk"):
        step("SDK flow", lambda: sdk.run(binary, out, cfg), r, "sdk")
    if want("alt"):
        if cfg["alternatives"]:
            # amlite's sequence runs round by round in turn with moto's (alternatives.amlite_sequence).
            step("moto, and amlite's sequence in turn with it", lambda: alternatives.moto(out, cfg, binary), r, "moto")
            if "amlite_sequence" in r.get("moto", {}):
                r["sequence"] = r["moto"].pop("amlite_sequence")
        if "sequence" not in r:
            step("amlite sequence", lambda: alternatives.amlite_sequence(binary, out, cfg), r, "sequence")
        if cfg["alternatives"]:
            cert_dir = out / "startup-existing" if (out / "startup-existing" / "key.pem").exists() else out / "sequence"
            step("azurite", lambda: alternatives.azurite(out, cfg, cert_dir), r, "azurite")
    if args.smoke and want("control") and want("scale") and not r.get("failures"):
        smoke_gate(binary, out, cfg, r)
    r["load_end"] = os.getloadavg()
    r["finished"] = time.time()
    if "memory" in r:
        r["memory"]["folder"] = str(r["memory"]["folder"])
    (out / "results.json").write_text(json.dumps(r, indent=1, default=str))
    text = report.table(r)
    print(text)
    if args.results and not args.smoke:
        args.results.write_text(report.results_md(r, text))
        print(f"bench: wrote {args.results}", file=sys.stderr)
    if r.get("failures"):
        print("bench: FAILED:\n  " + "\n  ".join(r["failures"]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

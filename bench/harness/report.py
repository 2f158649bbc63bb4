"""Turns the results dict of main.py into Markdown tables (printed, and RESULTS.md in full mode)."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from pathlib import Path
from typing import List, Optional

from common import median

BENCH = Path(__file__).resolve().parents[1]


def _f(x: Optional[float], digits: int = 2) -> str:
    return "n/a" if x is None or x != x else f"{x:,.{digits}f}"


def _mib(kib: Optional[float]) -> str:
    return "n/a" if not kib else f"{kib / 1024:.1f} MiB"


def _ratio(a: Optional[float], b: Optional[float]) -> str:
    return "n/a" if not a or not b or a != a or b != b else f"{b / a:,.1f}×"


def _second_flow(sdk: dict) -> list:
    """Rows for the second flow each fresh server served (no target: the target is the first)."""
    again = sdk.get("second_flow")
    if not again:
        return []
    return [["second flow on the same server (median; assets found, nothing uploaded)",
             f"{again['share'] * 100:.2f} % ({again['amlite_seconds'] * 1000:.1f} ms over "
             f"{again['requests']} requests of a {again['flow_seconds']:.2f} s flow)"],
            ["second-flow shares of all runs", ", ".join(f"{x * 100:.1f} %" for x in again["all_shares"])]]


def _md(header: List[str], rows: List[List[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _met(ok: Optional[bool]) -> str:
    return "n/a" if ok is None else ("yes" if ok else "**no**")


# The moto comparison: (short label, side-by-side label, amlite sequence key, moto operation).
MOTO_ROWS = (("create model", "create model (amlite: model version PUT)", "model", "CreateModel"),
             ("create endpoint + poll", "create endpoint (amlite: PUT + poll to Succeeded)", "endpoint", "CreateEndpoint"),
             ("create deployment + poll", "create deployment / endpoint config (amlite: PUT + poll)", "deployment",
              "CreateEndpointConfig"),
             ("describe", "describe / GET endpoint", "get", "DescribeEndpoint"),
             ("invoke", "invoke / score (mock)", "score", "InvokeEndpoint"),
             ("whole sequence", "whole sequence", "sequence", "sequence"))


def _moto_row(r: dict) -> List[str]:
    """Issue 14: every row of the moto comparison at least 3× faster than moto (same run)."""
    seq, raw = r.get("sequence", {}), r.get("moto", {}).get("raw_ms", {})
    ratios = [(raw[m] / seq[a], label) for label, _, a, m in MOTO_ROWS if seq.get(a) and raw.get(m)]
    if not ratios:
        return ["every moto comparison row (moto / amlite)", "n/a", "≥ 3×", "n/a"]
    low, label = min(ratios)
    return ["every moto comparison row (moto / amlite)", f"lowest {low:.1f}× ({label})", "≥ 3×", _met(low >= 3)]


def _scale_rows(r: dict) -> List[List[str]]:
    """Issue 14's targets for a big world: flat PUTs, RSS and start-up with the scale folder."""
    sc, su = r.get("scale") or [], r.get("startup_scaled") or {}
    if not sc:
        return []
    lo, hi = sc[0], sc[-1]
    flat = [x for _, x in _flat_ratios(sc) if x is not None]
    n = f"{hi['endpoints']:,}"
    rows = [[f"endpoint / deployment PUT p50 with {n} endpoints over {lo['endpoints']:,}", " / ".join(f"{x:.1f}×" for x in flat),
             "≤ 1.5×", _met(max(flat) <= 1.5 if flat else None)],
            [f"RSS with {n} endpoints", _mib(hi.get("rss_kib")), "≤ 60 MiB",
             _met(hi.get("rss_kib", 1e9) <= 60 * 1024 if hi.get("rss_kib") else None)]]
    runs = su.get("runs_ms") or []
    rows.append([f"start → first 200 on /health with {n} endpoints (median)", f"{_f(median(runs), 1)} ms" if runs else "n/a",
                 "≤ 50 ms", _met(median(runs) <= 50 if runs else None)])
    return rows


def headline(r: dict) -> str:
    su = r.get("startup", {})
    fresh, existing = median(su.get("fresh", [])), median(su.get("existing", []))
    mem = r.get("memory", {})
    ctl = r.get("control", {})
    get, health, score = ctl.get("get_endpoint", {}), ctl.get("health", {}), ctl.get("score", {})
    overhead = score.get("p50_ms", float("nan")) - health.get("p50_ms", float("nan")) if score else None
    share = r.get("sdk", {}).get("share")
    rows = [
        ["start → first 200 on /health (fresh / existing folder, median)",
         f"{_f(fresh, 1)} / {_f(existing, 1)} ms", "≤ 50 ms", _met(max(fresh, existing) <= 50 if su else None)],
        ["idle RSS after start", _mib(mem.get("idle_kib")), "≤ 15 MiB", _met(mem.get("idle_kib", 1e9) <= 15 * 1024 if mem else None)],
        ["control-plane GET endpoint p50 (1 connection)", f"{_f(get.get('p50_ms'), 3)} ms", "≤ 0.15 ms",
         _met(get.get("p50_ms", 9) <= 0.15 if get else None)],
        ["mock scoring overhead p50 (score − /health)", f"{_f(overhead, 3)} ms", "≤ 0.01 ms",
         _met(overhead <= 0.01 if overhead is not None and overhead == overhead else None)],
        [f"mock scoring throughput ({score.get('tool', '?')})", f"{_f(score.get('rps'), 0)} req/s", "≥ 30,000 req/s",
         _met(score.get("rps", 0) >= 30000 if score else None)],
        ["python runtime overhead p50 (via amlite − direct to the inference server)",
         _python_overhead(r), "— (no target)", "n/a"],
        ["amlite's share of the SDK flow", f"{_f(share * 100 if share is not None else None, 2)} %", "< 3 %",
         _met(share < 0.03 if share is not None else None)],
    ] + _scale_rows(r) + [_moto_row(r)]
    if r.get("mode") == "smoke":  # tiny counts on a debug build: the numbers judge nothing
        rows = [row[:3] + ["not judged (smoke)"] for row in rows]
    return _md(["metric", "amlite", "target", "met"], rows)


def _python_overhead(r: dict) -> str:
    py = r.get("python")
    if not py:
        return "not measured" + (f" ({r['python_skipped'][:80]})" if r.get("python_skipped") else "")
    return (f"{_f(py['overhead_p50_ms'], 3)} ms ({_f(py['amlite']['p50_ms'], 3)} vs "
            f"{_f(py['direct']['p50_ms'], 3)} ms)")


def python_section(r: dict) -> str:
    py = r.get("python")
    if not py:
        return ""
    rows = []
    for name, label in (("amlite", "via amlite: POST /endpoints/py-ep/score (HTTPS, key)"),
                        ("direct", f"direct: POST 127.0.0.1:{py['server_port']}/score (HTTP)")):
        v = py[name]
        rows.append([label, _f(v["p50_ms"], 3), _f(v["p99_ms"], 3), _f(v["rps_1"], 0), _f(v["rps"], 0),
                     _f(v["p50_load_ms"], 3), _f(v["p99_load_ms"], 3), v["tool"]])
    a, d = py["amlite"], py["direct"]
    rows.append(["overhead (amlite − direct)", _f(a["p50_ms"] - d["p50_ms"], 3), _f(a["p99_ms"] - d["p99_ms"], 3),
                 "", "", _f(a["p50_load_ms"] - d["p50_load_ms"], 3), "", ""])
    setup = ", ".join(f"{k} {v:.2f} s" for k, v in py.get("setup_steps", {}).items())
    return ("### Scoring with the python runtime (echo score.py in azureml-inference-server-http)\n\n" +
            _md(["path", "p50 ms (1 conn)", "p99 ms (1 conn)", "req/s (1 conn)", "req/s (loaded)",
                 "p50 ms (loaded)", "p99 ms (loaded)", "loaded with"], rows) +
            f"\n\nSet-up with azure-ai-ml (not timed above): {setup}; total {py['setup_seconds']:.1f} s.")


def side_by_side(r: dict) -> str:
    su, mem, moto, az = r.get("startup", {}), r.get("memory", {}), r.get("moto", {}), r.get("azurite", {})
    seq = r.get("sequence", {})
    fresh = median(su.get("fresh", []))
    rows = [
        ["start → first answer (median ms)", _f(fresh, 1), _f(moto.get("median_ms"), 1), _f(az.get("median_ms"), 1),
         _ratio(fresh, moto.get("median_ms")), _ratio(fresh, az.get("median_ms"))],
        ["idle RSS", _mib(mem.get("idle_kib")), _mib(moto.get("idle_kib")), _mib(az.get("idle_kib")),
         _ratio(mem.get("idle_kib"), moto.get("idle_kib")), _ratio(mem.get("idle_kib"), az.get("idle_kib"))],
    ]
    raw = moto.get("raw_ms", {})
    for _, label, a, m in MOTO_ROWS:
        rows.append([f"{label}, ms", _f(seq.get(a), 3), _f(raw.get(m), 3), "—", _ratio(seq.get(a), raw.get(m)), "—"])
    return _md(["measurement", "amlite", "moto", "Azurite (blob)", "moto / amlite", "Azurite / amlite"], rows)


def details(r: dict) -> str:
    parts = []
    su = r.get("startup", {})
    if su:
        rows = [[k, str(len(v)), _f(median(v), 1), _f(min(v), 1), _f(max(v), 1)] for k, v in su.items() if v]
        parts.append("### Start-up (launch → first 200 on /health over HTTPS)\n\n" +
                     _md(["data folder", "runs", "median ms", "min ms", "max ms"], rows))
    mem = r.get("memory", {})
    if mem:
        parts.append("### Memory (VmRSS)\n\n" + _md(["state", "RSS"], [
            ["idle after start", _mib(mem["idle_kib"])],
            [f"after {mem['endpoints']} endpoints × 2 deployments", _mib(mem["loaded_kib"])],
            [f"time to create them (PUT + poll each, sequential)", f"{mem['create_seconds']:.2f} s"],
            ["database after that (db + wal)", f"{mem['db_bytes'] / 1024:.0f} KiB"]]))
    ctl = r.get("control", {})
    if ctl:
        rows = [[k, _f(v["p50_ms"], 3), _f(v["p99_ms"], 3), _f(v["rps_1"], 0), _f(v["rps"], 0),
                 _f(v["p50_load_ms"], 3), _f(v["p99_load_ms"], 3), v["tool"]] for k, v in ctl.items()]
        parts.append("### Control plane and scoring (keep-alive HTTPS on loopback)\n\n" + _md(
            ["request", "p50 ms (1 conn)", "p99 ms (1 conn)", "req/s (1 conn)", "req/s (loaded)",
             "p50 ms (loaded)", "p99 ms (loaded)", "loaded with"], rows))
    if r.get("python"):
        parts.append(python_section(r))
    sdk = r.get("sdk", {})
    if sdk:
        steps = ", ".join(f"{k} {v:.2f} s" for k, v in sdk["steps"].items())
        top = "; ".join(f"{k}: {n} req, {ms:.1f} ms" for k, n, ms in sdk["top"])
        parts.append("### SDK flow (azure-ai-ml)\n\n" + _md(["measure", "value"], [
            ["flow wall time (MLClient() → endpoint deleted; import excluded)", f"{sdk['flow_seconds']:.2f} s"],
            ["requests amlite served", str(sdk["requests"])],
            ["time inside amlite (sum of logged latencies)", f"{sdk['amlite_seconds'] * 1000:.1f} ms"],
            ["amlite's share (median run)", f"{sdk['share'] * 100:.2f} %"],
            ["shares of all runs", ", ".join(f"{x * 100:.1f} %" for x in sdk.get("all_shares", []))],
            ["flow wall times of all runs", ", ".join(f"{x:.2f} s" for x in sdk.get("all_flow_seconds", []))],
            ["slowest single request", f"{sdk['max_request_ms']:.2f} ms"],
            ["steps", steps], ["where amlite's time went", top]] + _second_flow(sdk)))
    sc = r.get("scale", [])
    if sc:
        rows = [[str(x["endpoints"]), _f(x["get_p50_ms"], 3), _f(x["get_p99_ms"], 3), _f(x["list_p50_ms"], 2),
                 _f(x.get("put_ep_p50_ms"), 3), _f(x.get("put_ep_cycle_p50_ms"), 3), _f(x.get("put_dep_p50_ms"), 3),
                 _f(x.get("put_dep_cycle_p50_ms"), 3), f"{x['db_bytes'] / 1024:.0f}", f"{x['wal_bytes'] / 1024:.0f}",
                 _f(x["create_ms_each"], 2), _mib(x["rss_kib"])] for x in sc]
        parts.append("### Scale\n\n" + _md(["endpoints", "GET p50 ms", "GET p99 ms", "list endpoints (first page) p50 ms",
                                            "endpoint PUT p50 ms", "endpoint PUT + poll p50 ms", "deployment PUT p50 ms",
                                            "deployment PUT + poll p50 ms", "amlite.db KiB", "-wal KiB",
                                            "ms per endpoint PUT (filling)", "RSS"], rows) + _flatness(sc))
    moto = r.get("moto", {})
    if moto:
        parts.append("### moto details\n\n" + _md(["measure", "value"], [
            ["InvokeEndpoint", moto["invoke"]],
            ["first sequence (cold backend), boto3", f"{moto['first_sequence_ms']:.1f} ms"],
            ["sequence with boto3 (median)", f"{moto['boto3_ms'].get('sequence', 0):.2f} ms"],
            ["RSS after the sequences", _mib(moto.get("loaded_kib"))]]))
    return "\n\n".join(parts)


def _flat_ratios(sc: List[dict]) -> List[tuple]:
    """(label, the largest size's PUT p50 over the smallest's or None): issue 14's flatness."""
    lo, hi = sc[0], sc[-1]
    return [(label, hi[k] / lo[k] if lo.get(k) and hi.get(k) else None)
            for label, k in (("endpoint PUT", "put_ep_p50_ms"), ("deployment PUT", "put_dep_p50_ms"))]


def _flatness(sc: List[dict]) -> str:
    """The flatness line under the scale table (target ≤ 1.5×, issue 14)."""
    lo, hi = sc[0], sc[-1]
    parts = [f"{label} {'n/a' if x is None else f'{x:,.1f}×'}" for label, x in _flat_ratios(sc)]
    return (f"\n\nPUT p50 with {hi['endpoints']:,} endpoints over the same PUT with {lo['endpoints']:,} "
            f"(target ≤ 1.5×): " + ", ".join(parts) + ".")


def table(r: dict) -> str:
    text = f"## Targets ({r['mode']} run)\n\n{headline(r)}\n\n## Side by side\n\n{side_by_side(r)}\n\n{details(r)}\n"
    if r.get("failures"):
        text += "\n## Failures\n\n" + "\n".join(f"- {f}" for f in r["failures"]) + "\n"
    return text


def machine(r: dict) -> str:
    mem_kib = next((int(l.split()[1]) for l in Path("/proc/meminfo").read_text().splitlines()
                    if l.startswith("MemTotal:")), 0)
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=BENCH, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        commit = "?"
    la0 = ", ".join(f"{x:.2f}" for x in r["load_start"])
    la1 = ", ".join(f"{x:.2f}" for x in r["load_end"])
    return (f"- date: {datetime.datetime.fromtimestamp(r['started']).strftime('%Y-%m-%d %H:%M')} "
            f"(run took {r['finished'] - r['started']:.0f} s)\n"
            f"- machine: {os.cpu_count()} cores ({cpu}), {mem_kib / 1024 / 1024:.1f} GiB memory, "
            f"{platform.system()} {platform.release()}\n"
            f"- load average (1, 5, 15 min) at start: {la0}; at end: {la1} — other engineers' builds "
            f"share these 2 cores, so treat single numbers as ±20 %\n"
            f"- binary: `{Path(r['binary']).name}` ({'release' if '/release/' in r['binary'] else 'debug'}), "
            f"commit {commit}{_dirty()}\n")


def _dirty() -> str:
    """' plus uncommitted changes' when the work tree differs from the commit (RESULTS.md aside)."""
    try:
        st = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                            text=True, cwd=BENCH, timeout=10).stdout.splitlines()
    except (OSError, subprocess.TimeoutExpired):
        return " (work tree state unknown)"
    changed = [ln for ln in st if not ln.endswith("bench/RESULTS.md")]
    return " plus uncommitted changes" if changed else " (clean work tree)"


def results_md(r: dict, text: str) -> str:
    method = (BENCH / "METHOD.md").read_text() if (BENCH / "METHOD.md").exists() else ""
    analysis = (BENCH / "ANALYSIS.md").read_text() if (BENCH / "ANALYSIS.md").exists() else ""
    return ("# amlite benchmark results\n\nProduced by `make bench` (`bench/run.sh`); regenerate rather than "
            "edit. Method: bench/METHOD.md (copied below); analysis of missed targets: bench/ANALYSIS.md.\n\n"
            + machine(r) + "\n" + text + "\n" + method + "\n" + analysis)

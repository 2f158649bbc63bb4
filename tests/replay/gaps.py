"""known_gaps.txt: the exchanges amlite does not match yet, read and rewritten (tests/replay)."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List

GAPS_FILE = Path(__file__).resolve().parent / "known_gaps.txt"


def read_gaps() -> Dict[str, str]:
    gaps: Dict[str, str] = {}
    if GAPS_FILE.exists():
        for line in GAPS_FILE.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                key, _, reason = line.partition(" ")
                gaps[key] = reason.strip()
    return gaps


def write_gaps(results: List) -> None:
    lines = [
        "# Exchanges of the recorded Azure traffic amlite does not match yet (tests/replay/replay.py).",
        "# One line each: <cassette>#<exchange> <METHOD path>: <first difference> (+N more).",
        "# The replay fails on a mismatch not listed here and on a listed one that now matches.",
        "# Regenerate with: tests/replay/run.sh --write-gaps (review the diff: only removals are progress).",
    ]
    for r in results:
        if not r.ok:
            more = f" (+{len(r.problems) - 1} more)" if len(r.problems) > 1 else ""
            lines.append(f"{r.key} {r.what}: {r.problems[0]}{more}")
    GAPS_FILE.write_text("\n".join(lines) + "\n")

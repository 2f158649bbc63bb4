"""The three recipes of docs/isolation.md run as written (issue 13), in order, each as its own
Python process, against a fresh `amlite serve --fixtures fixtures/isolation.json` whose exports
are the only set-up and with the `amlite` binary on PATH (the recipes call `amlite env` and
`amlite explain`). Every fenced block of that page is one of these recipes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO, amlite_binary

DOC = REPO / "docs" / "isolation.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def recipes() -> list[str]:
    found = [(m.group(1), m.group(2)) for m in FENCE.finditer(DOC.read_text())]
    assert [kind for kind, _ in found] == ["python"] * 3, "every block of docs/isolation.md is a recipe run here"
    return [body for _, body in found]


def test_isolation_recipes_run_as_written(start_amlite, tmp_path: Path):
    server = start_amlite("--fixtures", str(REPO / "fixtures" / "isolation.json"))
    server.activate()
    env = dict(os.environ)
    env["PATH"] = f"{Path(amlite_binary()).parent}{os.pathsep}{env.get('PATH', '')}"
    env["AMLITE_DATA_DIR"] = str(server.data_dir)
    expected = ["403 ISO-5 Forbidden", "200 {'deployment': 'blue', 'input': {'data': [1]}}", "502 FQDN | 403 ISO-9"]
    for i, (code, want) in enumerate(zip(recipes(), expected), start=1):
        script = tmp_path / f"recipe{i}.py"
        script.write_text(code)
        r = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, f"recipe {i}: {r.stderr[-4000:]}"
        assert r.stdout.strip().splitlines()[-1] == want, f"recipe {i}: {r.stdout}"

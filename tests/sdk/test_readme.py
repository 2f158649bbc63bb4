"""Every code block of the README is exercised (DEVELOPERS.md "Docs live in the repository"):

- the ```python example runs as written, in a fresh process, in a folder laid out as the README
  describes (`model/`, `src/score.py`, `conda.yml`, `request.json`), against a fresh amlite whose
  `env.sh` exports are the only set-up, and prints the mock runtime's answer;
- the env.sh ```bash block names exactly the variables amlite's real `env.sh` exports;
- the curl ```bash block runs after the example, in its folder, and scores `my-ep`;
- the pytest plugin's ```python example passes under the plugin from python/ (`-p amlite.pytest_plugin`),
  which starts its own amlite;
- the first ```bash block's `make` targets exist (`make -n`; running them would recurse);
- any other fenced block fails this test until it gets a check here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import ASSETS, REPO, AmliteServer, amlite_binary

README = REPO / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def blocks() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(README.read_text())]


def exported_names(text: str) -> list[str]:
    return re.findall(r"^export (\w+)=", text, re.M)


def test_every_readme_block_has_a_check():
    kinds = [kind for kind, _ in blocks()]
    # make block, env.sh block, the SDK example, the curl recipe, the pytest plugin example, the
    # code tour (plain text, not code).
    assert kinds == ["bash", "bash", "python", "bash", "python", ""], kinds


def test_readme_make_targets_exist():
    make, *_ = (body for _, body in blocks())
    for line in make.splitlines():
        target = line.split("#")[0].split()
        if target[:1] == ["make"]:
            r = subprocess.run(["make", "-n", *target[1:]], cwd=REPO, capture_output=True, text=True, timeout=60)
            assert r.returncode == 0, f"{line}: {r.stderr}"


def test_readme_env_block_matches_the_real_env_sh(amlite: AmliteServer):
    _make, env, *_ = (body for _, body in blocks())
    real = (amlite.data_dir / "env.sh").read_text()
    assert exported_names(env) == exported_names(real)


def test_readme_python_example_runs_as_written(amlite: AmliteServer, tmp_path: Path):
    _make, _env, py, curl, _plugin, _tour = (body for _, body in blocks())
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "model.json").write_text((ASSETS / "model" / "model.json").read_text())
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "score.py").write_text((ASSETS / "code" / "score.py").read_text())
    (tmp_path / "conda.yml").write_text("name: readme\ndependencies:\n  - python=3.11\n")
    (tmp_path / "request.json").write_text('{"data": [[1, 2, 3, 4]]}')
    (tmp_path / "example.py").write_text(py)
    # Only what `source env.sh` would give (the fixture applied it to os.environ).
    r = subprocess.run(
        [sys.executable, "example.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stderr[-4000:]
    # The SDK prints progress dots before the answer on the same line.
    answer = json.loads(r.stdout.strip().splitlines()[-1].lstrip("."))
    assert answer == {"deployment": "blue", "input": {"data": [[1, 2, 3, 4]]}}, r.stdout
    # The curl recipe, in the same folder (request.json) against the endpoint the example made.
    r = subprocess.run(["bash", "-euo", "pipefail", "-c", curl], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["deployment"] == "blue", r.stdout


def test_readme_pytest_plugin_example_passes(tmp_path: Path):
    *_, plugin, _tour = (body for _, body in blocks())
    (tmp_path / "test_readme_plugin.py").write_text(plugin)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMLITE_")}
    env.update(PYTHONPATH=str(REPO / "python"), AMLITE_BIN=str(amlite_binary()))
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "amlite.pytest_plugin", "-p", "no:cacheprovider", "-W", "ignore",
         "test_readme_plugin.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert r.returncode == 0 and "2 passed" in r.stdout, r.stdout[-4000:] + r.stderr[-2000:]

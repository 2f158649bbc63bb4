"""The shared server helper (tests/pylib/amlite_testing) under the name the contract tests and
tests/replay import: `amlite serve --port 0` on a fresh data folder, its env.sh exports, and a
`requests.Session` that trusts its certificate."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pylib"))

from amlite_testing import REPO, AmliteServer, parse_env_sh  # noqa: E402

__all__ = ["REPO", "AmliteServer", "parse_env_sh"]

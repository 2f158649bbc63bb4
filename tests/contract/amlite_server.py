"""The shared server helper (tests/pylib/amlite_testing) under the name the contract tests and
tests/replay import: `amlite serve --port 0` on a fresh data folder, its env.sh exports, and a
`requests.Session` that trusts its certificate."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pylib"))

from amlite_testing import REPO, parse_env_sh  # noqa: E402
from amlite_testing import AmliteServer as _Server  # noqa: E402


class AmliteServer(_Server):
    """The shared helper waiting only for the exports every data folder has (tests/replay
    starts amlite on cassette fixtures that may declare no workspace)."""

    required_exports = ("AMLITE_URL", "REQUESTS_CA_BUNDLE")


__all__ = ["REPO", "AmliteServer", "parse_env_sh"]

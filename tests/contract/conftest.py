"""Fixtures of the contract tests: where the official OpenAPI files are, and a running amlite.

The contract files are Microsoft's and stay in the shared folder (`$AMLITE_CONTRACTS_DIR`,
default `../shared/contracts`); when they are absent every test here is skipped with the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, List

import pytest

from amlite_server import REPO, AmliteServer
from swagger import contracts_dir

# Summary lines the tests add (coverage, examples, violations); printed at the end of the run
# even under `-q`, because CI logs and tests/contract/README.md quote them.
SUMMARIES: List[str] = []

VERSIONS = ("2024-04-01", "2024-04-01-preview", "2022-02-01-preview", "2023-04-01-preview")


@pytest.fixture(scope="session")
def contracts() -> Path:
    folder = contracts_dir(REPO)
    missing = [v for v in VERSIONS if not (folder / v).is_dir()]
    if missing:
        msg = f"official contract files not found in {folder} (missing {missing}); set AMLITE_CONTRACTS_DIR"
        print(f"\ncontract tests skipped: {msg}")
        pytest.skip(msg)
    return folder


@pytest.fixture(scope="module")
def amlite(tmp_path_factory) -> Iterator[AmliteServer]:
    server = AmliteServer(tmp_path_factory.mktemp("amlite-contract")).start()
    try:
        yield server
    finally:
        server.stop()


def pytest_terminal_summary(terminalreporter) -> None:
    for line in SUMMARIES:
        terminalreporter.write_line(line)

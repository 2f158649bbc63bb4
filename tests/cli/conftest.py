"""Fixtures of the Azure CLI suite: a fresh amlite per test module and `az`, the real CLI from
its own venv (tests/cli/run.sh exports its path as $AMLITE_AZ), run as a user runs it.

Each module gets its own `AZURE_CONFIG_DIR`, so clouds registered and logins made in one module
never leak into another, and the user's own ~/.azure is never read. The CLI sees only what a user
of amlite exports: env.sh's variables (`az_env`), or fewer where a test says so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Dict, Iterator

import pytest

from amlite_testing import FOREIGN_CREDENTIAL_VARS, AmliteServer, AmliteStartError, running

AZ_TIMEOUT_S = 120


def az_binary() -> str:
    az = os.environ.get("AMLITE_AZ") or shutil.which("az")
    if not az:
        pytest.fail("the Azure CLI is not installed: run tests/cli/run.sh (it makes its venv)", pytrace=False)
    return az


class Az:
    """Runs `az` with a private config folder and a chosen environment."""

    def __init__(self, server: AmliteServer, config_dir: Path) -> None:
        self.server = server
        self.config_dir = config_dir
        self.binary = az_binary()

    def env(self, with_exports: bool = True, **extra: str) -> Dict[str, str]:
        base = {k: v for k, v in os.environ.items() if k not in FOREIGN_CREDENTIAL_VARS and not k.startswith("AMLITE_")}
        base.pop("ARM_CLOUD_METADATA_URL", None)
        if with_exports:
            base.update(self.server.env)
        else:
            # Only the certificate: what a user who registers the cloud by hand needs.
            for k in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"):
                base[k] = self.server.env[k]
        base.update(
            AZURE_CONFIG_DIR=str(self.config_dir),
            AZURE_CORE_COLLECT_TELEMETRY="false",
            AZURE_CORE_NO_COLOR="true",
            AZURE_CORE_SURVEY_MESSAGE="false",
            AZURE_CORE_LOGIN_EXPERIENCE_V2="off",
        )
        base.update(extra)
        return base

    def run(self, *args: str, with_exports: bool = True, check: bool = True, **extra_env: str) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [self.binary, *args],
            env=self.env(with_exports, **extra_env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=AZ_TIMEOUT_S,
        )
        if check and proc.returncode != 0:
            pytest.fail(f"az {' '.join(args)} exited {proc.returncode}\n--- stderr ---\n{proc.stderr[-6000:]}\n--- stdout ---\n{proc.stdout[-3000:]}", pytrace=False)
        return proc

    def json(self, *args: str, **kw) -> object:
        out = self.run(*args, "--output", "json", **kw).stdout
        return json.loads(out) if out.strip() else None

    def fails(self, *args: str, **kw) -> str:
        """Runs a command that must fail; returns its stderr."""
        proc = self.run(*args, check=False, **kw)
        assert proc.returncode != 0, f"az {' '.join(args)} succeeded:\n{proc.stdout[-3000:]}"
        return proc.stderr


@pytest.fixture(scope="module")
def amlite(tmp_path_factory) -> Iterator[AmliteServer]:
    try:
        with running(tmp_path_factory.mktemp("amlite-cli")) as server:
            yield server
    except AmliteStartError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="module")
def az(amlite: AmliteServer, tmp_path_factory) -> Az:
    """`az` with env.sh's exports (ARM_CLOUD_METADATA_URL makes amlite's cloud the only one)."""
    return Az(amlite, tmp_path_factory.mktemp("azure-config"))


@pytest.fixture(scope="module")
def az_logged_in(az: Az) -> Az:
    """`az` after `az login --identity` against amlite's managed-identity endpoint."""
    az.json("login", "--identity")
    return az


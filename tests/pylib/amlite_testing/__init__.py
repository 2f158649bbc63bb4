"""Helpers every Python suite shares (tests/sdk, tests/contract, tests/replay, tests/cli, tests/mgmt):
start the real amlite binary on port 0 with a fresh data folder and read the exports it writes
to `<data-dir>/env.sh`. Suites import it after putting `tests/pylib` on `sys.path` (their
pytest.ini `pythonpath`, or `sys.path` in a script)."""

from .server import (
    FOREIGN_CREDENTIAL_VARS,
    REPO,
    REQUIRED_EXPORTS,
    STARTUP_TIMEOUT_S,
    AmliteServer,
    AmliteStartError,
    FakeCredential,
    amlite_binary,
    parse_env_sh,
    running,
    unique_name,
)
from .texts import azure_text, azure_texts

__all__ = [
    "azure_text",
    "azure_texts",
    "FOREIGN_CREDENTIAL_VARS",
    "REPO",
    "REQUIRED_EXPORTS",
    "STARTUP_TIMEOUT_S",
    "AmliteServer",
    "AmliteStartError",
    "FakeCredential",
    "amlite_binary",
    "parse_env_sh",
    "running",
    "unique_name",
]

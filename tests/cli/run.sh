#!/usr/bin/env bash
# Runs tests/cli: the real Azure CLI (azure-cli from PyPI, pinned in requirements.txt) against the
# amlite binary. The CLI gets its own venv, kept at a stable path outside the work tree so CI runs
# on this machine reuse it ($AMLITE_VENV_CACHE, default ~/.cache/amlite; created and installed
# from scratch when absent, reinstalled when requirements.txt changed). Extra arguments go to
# pytest, e.g. `tests/cli/run.sh -k network -x`. Binary: $AMLITE_BIN, else target/debug/amlite.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
# shellcheck source=../lib.sh
source "$REPO/tests/lib.sh"
VENV="$(venv_cache_dir)/venv-cli"
ensure_venv "$VENV" "$HERE/requirements.txt"
export AMLITE_AZ="$VENV/bin/az"
require_amlite_bin

cd "$REPO"
exec "$VENV/bin/python" -m pytest -c tests/cli/pytest.ini --rootdir tests/cli tests/cli -q "$@"

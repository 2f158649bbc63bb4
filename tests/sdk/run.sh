#!/usr/bin/env bash
# Runs the Python acceptance suite (tests/sdk) against the amlite binary with the unmodified
# azure-ai-ml SDK. Creates $REPO/.venv on first use and (re)installs requirements.txt only when
# it changed. Extra arguments are passed to pytest, e.g. `tests/sdk/run.sh -k invoke -x`.
# Binary: $AMLITE_BIN if set, else $REPO/target/debug/amlite.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
# shellcheck source=../lib.sh
source "$REPO/tests/lib.sh"
VENV="$REPO/.venv"
ensure_venv "$VENV" "$HERE/requirements.txt" uv
# The python runtime's interpreter (SPEC 7), kept apart from the SDK's venv as a user's would be,
# with uv beside it: amlite builds each deployment's conda environment with it (issue 12). uv's
# download cache stays in the runtime venv, so those builds are quick after the first.
export UV_CACHE_DIR="${UV_CACHE_DIR:-$REPO/.venv-runtime/uv-cache}"
ensure_venv "$REPO/.venv-runtime" "$HERE/runtime-requirements.txt" uv
export AMLITE_TEST_PYTHON="$REPO/.venv-runtime/bin/python"
require_amlite_bin

cd "$REPO"
exec "$VENV/bin/python" -m pytest tests/sdk -q "$@"

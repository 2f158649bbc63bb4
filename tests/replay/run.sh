#!/usr/bin/env bash
# Replays the real Azure traffic the Azure CLI `ml` extension recorded (VCR cassettes, read in place
# from $AMLITE_RECORDINGS_DIR, default ../shared/azure-recordings/az-ml-2.41.1 next to the
# repository) against a fresh amlite per cassette, and compares amlite's answers with Azure's
# (tests/replay/README.md). Reuses the shared venv $REPO/.venv. When the cassettes are absent it
# prints a note and exits 0. Extra arguments go to replay.py: `-k invoke`, `-v`, `--write-gaps`.
# Binary: $AMLITE_BIN if set, else $REPO/target/debug/amlite.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
# shellcheck source=../lib.sh
source "$REPO/tests/lib.sh"
VENV="$REPO/.venv"
ensure_venv "$VENV" "$HERE/requirements.txt" uv
require_amlite_bin

cd "$REPO"
exec timeout 300 "$VENV/bin/python" "$HERE/replay.py" "$@"

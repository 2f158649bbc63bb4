#!/usr/bin/env bash
# Runs the Python acceptance suite (tests/sdk) against the amlite binary with the unmodified
# azure-ai-ml SDK. Creates $REPO/.venv on first use and (re)installs requirements.txt only when
# it changed. Extra arguments are passed to pytest, e.g. `tests/sdk/run.sh -k invoke -x`.
# Binary: $AMLITE_BIN if set, else $REPO/target/debug/amlite.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="$REPO/.venv"
REQ="$HERE/requirements.txt"
STAMP="$VENV/.amlite-sdk-requirements.sha256"
PYTHON="${PYTHON:-python3}"

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "run.sh: creating $VENV" >&2
  "$PYTHON" -m venv "$VENV"
fi

want="$(sha256sum "$REQ" | cut -d' ' -f1)"
have="$(cat "$STAMP" 2>/dev/null || true)"
if [[ "$want" != "$have" ]]; then
  echo "run.sh: installing $REQ" >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ"
  echo "$want" >"$STAMP"
fi

# The python runtime's interpreter (SPEC 7), kept apart from the SDK's venv as a user's would be.
RT_VENV="$REPO/.venv-runtime"
RT_REQ="$HERE/runtime-requirements.txt"
RT_STAMP="$RT_VENV/.amlite-runtime-requirements.sha256"
if [[ ! -x "$RT_VENV/bin/python" ]]; then
  echo "run.sh: creating $RT_VENV" >&2
  "$PYTHON" -m venv "$RT_VENV"
fi
rt_want="$(sha256sum "$RT_REQ" | cut -d' ' -f1)"
if [[ "$rt_want" != "$(cat "$RT_STAMP" 2>/dev/null || true)" ]]; then
  echo "run.sh: installing $RT_REQ" >&2
  "$RT_VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$RT_REQ"
  echo "$rt_want" >"$RT_STAMP"
fi
export AMLITE_TEST_PYTHON="$RT_VENV/bin/python"

AMLITE_BIN="${AMLITE_BIN:-$REPO/target/debug/amlite}"
[[ "$AMLITE_BIN" == /* ]] || AMLITE_BIN="$PWD/$AMLITE_BIN"
export AMLITE_BIN
if [[ ! -x "$AMLITE_BIN" ]]; then
  echo "run.sh: amlite binary not found at $AMLITE_BIN (build it with 'cargo build' or set AMLITE_BIN)" >&2
  exit 1
fi

cd "$REPO"
exec "$VENV/bin/python" -m pytest tests/sdk -q "$@"

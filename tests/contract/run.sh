#!/usr/bin/env bash
# Runs the contract tests (tests/contract): schema conformance of every implemented operation
# against Microsoft's OpenAPI files, and schemathesis property-based API tests. Reuses the shared
# venv $REPO/.venv (created on first use, like tests/sdk/run.sh) and (re)installs the pinned
# requirements.txt only when it changed. Extra arguments go to pytest, e.g. `run.sh -k conformance`.
# Binary: $AMLITE_BIN if set, else $REPO/target/debug/amlite.
# Contracts: $AMLITE_CONTRACTS_DIR if set, else ../shared/contracts next to the repository; when
# they are absent the tests skip with the reason, and this script still exits 0.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="$REPO/.venv"
REQ="$HERE/requirements.txt"
STAMP="$VENV/.amlite-contract-requirements.sha256"
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

AMLITE_BIN="${AMLITE_BIN:-$REPO/target/debug/amlite}"
[[ "$AMLITE_BIN" == /* ]] || AMLITE_BIN="$PWD/$AMLITE_BIN"
export AMLITE_BIN
if [[ ! -x "$AMLITE_BIN" ]]; then
  echo "run.sh: amlite binary not found at $AMLITE_BIN (build it with 'cargo build' or set AMLITE_BIN)" >&2
  exit 1
fi

cd "$REPO"
status=0
"$VENV/bin/python" -m pytest -c tests/contract/pytest.ini --rootdir tests/contract tests/contract -q "$@" || status=$?
if [[ $status -eq 5 ]]; then
  echo "run.sh: no contract test ran (contracts absent?); not a failure" >&2
  exit 0
fi
exit $status

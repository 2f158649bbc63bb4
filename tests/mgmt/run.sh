#!/usr/bin/env bash
# Runs tests/mgmt: the Python management SDKs (azure-mgmt-resource, azure-mgmt-network,
# azure-mgmt-machinelearningservices 1.0.1 and 2.0.0b2, azure-identity; pinned) against the amlite
# binary. Their venv is kept at a stable path outside the work tree ($AMLITE_VENV_CACHE, default
# ~/.cache/amlite/venv-mgmt; made from scratch when absent, reinstalled when a requirements file
# changed). 2.0.0b2 cannot share a venv with 1.0.1: it is installed with --no-deps into
# $VENV/mlsvc2 and test_mlsvc2_*.py run in a second pytest with that folder first on the path.
# Extra arguments go to both pytest runs, e.g. `tests/mgmt/run.sh -k network -x`.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
# shellcheck source=../lib.sh
source "$REPO/tests/lib.sh"
VENV="$(venv_cache_dir)/venv-mgmt"
ensure_venv "$VENV" "$HERE/requirements.txt"
stamp="$VENV/mlsvc2/.amlite-$(sha256sum "$HERE/requirements-mlsvc2.txt" | cut -d' ' -f1)"
if [[ ! -f "$stamp" ]]; then
  echo "run.sh: installing $HERE/requirements-mlsvc2.txt into $VENV/mlsvc2" >&2
  rm -rf "$VENV/mlsvc2"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --target "$VENV/mlsvc2" -r "$HERE/requirements-mlsvc2.txt"
  touch "$stamp"
fi
require_amlite_bin

cd "$REPO"
status=0
"$VENV/bin/python" -m pytest -c tests/mgmt/pytest.ini --rootdir tests/mgmt tests/mgmt -q --ignore-glob='tests/mgmt/test_mlsvc2_*.py' "$@" || status=$?
PYTHONPATH="$VENV/mlsvc2" "$VENV/bin/python" -m pytest -c tests/mgmt/pytest.ini --rootdir tests/mgmt tests/mgmt/test_mlsvc2_*.py -q "$@" || status=$?
exit $status

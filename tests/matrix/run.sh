#!/usr/bin/env bash
# The azure-ai-ml version matrix: runs the SDK flow (and the `az ml` command scenario where
# versions.txt says so) from tests/sdk against each azure-ai-ml version in versions.txt, one venv
# per version, made with uv (from PyPI). Venvs, uv itself and uv's package cache live at a stable
# path outside the clone, $AMLITE_MATRIX_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/amlite-matrix),
# so a later run or a new clone on the same machine reuses them; when the folder is absent
# everything is installed from the registry. A venv is rebuilt only when its line in versions.txt
# or test-requirements.txt changes; its bytecode is compiled once at install (the SDK is large and
# PYTHONDONTWRITEBYTECODE would make every run compile it again). Prints one line per version with
# the wall time of its venv and tests.
# Extra arguments go to every pytest run (e.g. `-x`); `MATRIX_ONLY=1.31.0` runs one version.
# Binary: $AMLITE_BIN if set, else $REPO/target/debug/amlite.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
# shellcheck source=../lib.sh
source "$REPO/tests/lib.sh"
require_amlite_bin

CACHE="${AMLITE_MATRIX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/amlite-matrix}"
mkdir -p "$CACHE"
# One writer at a time (two clones testing at once share the cache).
exec 9>"$CACHE/.lock"
flock 9
ensure_venv "$CACHE/uv" "$HERE/uv-requirements.txt"
UV="$CACHE/uv/bin/uv"
export UV_CACHE_DIR="$CACHE/wheels"
# uv links from its cache when cache and venvs share a file system, else copies (both are fine).
export UV_LINK_MODE="${UV_LINK_MODE:-hardlink}"
PY="$(command -v "${PYTHON:-python3}")"

declare -A SELECTION=(
  [flow]="tests/sdk/test_flow.py::test_workspace_begin_create_then_get tests/sdk/test_flow.py::TestKeyAuthFlow"
  [azml]="tests/sdk/test_azml_commands.py"
)

# matrix_venv VERSION PINS...: echoes the venv's python, creating/refreshing the venv when needed.
matrix_venv() {
  local version="$1"
  shift
  if [[ "${1:-}" == "@sdk" ]]; then
    ensure_venv "$REPO/.venv" "$REPO/tests/sdk/requirements.txt" uv >&2
    echo "$REPO/.venv/bin/python"
    return
  fi
  local venv="$CACHE/venvs/$version"
  local want
  want="$( (echo "azure-ai-ml==$version $*"; cat "$HERE/test-requirements.txt") | sha256sum | cut -d' ' -f1)"
  if [[ "$want" != "$(cat "$venv/.amlite-matrix.sha256" 2>/dev/null || true)" ]]; then
    rm -rf "$venv"
    "$UV" venv --quiet --python "$PY" "$venv" >&2
    "$UV" pip install --quiet --compile-bytecode --python "$venv/bin/python" "azure-ai-ml==$version" "$@" \
      -r "$HERE/test-requirements.txt" >&2
    echo "$want" >"$venv/.amlite-matrix.sha256"
  fi
  echo "$venv/bin/python"
}

cd "$REPO"
summary=()
failed=0
started_all=$SECONDS
while read -r -u 3 version suites pins; do
  [[ -z "$version" || "$version" == \#* ]] && continue
  [[ -n "${MATRIX_ONLY:-}" && "$version" != "$MATRIX_ONLY" ]] && continue
  t0=$SECONDS
  # shellcheck disable=SC2086 # pins are separate words
  python="$(matrix_venv "$version" $pins)"
  t1=$SECONDS
  tests=()
  IFS=',' read -ra names <<<"$suites"
  for s in "${names[@]}"; do
    # shellcheck disable=SC2206 # node ids are separate words
    tests+=(${SELECTION[$s]})
  done
  echo "== azure-ai-ml $version ($suites): $("$python" -c 'import importlib.metadata as m; print("azure-ai-ml", m.version("azure-ai-ml"), "azure-core", m.version("azure-core"))')"
  status=passed
  "$python" -m pytest -c tests/sdk/pytest.ini --rootdir tests/sdk -q "${tests[@]}" "$@" || { status=FAILED; failed=1; }
  summary+=("azure-ai-ml $version $suites: $status (venv $((t1 - t0)) s, tests $((SECONDS - t1)) s)")
done 3<"$HERE/versions.txt"

echo "== version matrix ($((SECONDS - started_all)) s)"
printf '  %s\n' "${summary[@]}"
exit "$failed"
